/* What model= names, and the facts a run needs from it before training:
 *
 *   yolo26n.yaml, yolo26s-seg.yaml ...  an official config: 5 scales (n s m l x)
 *                                       by 5 tasks (detect, -seg, -pose, -obb, -cls)
 *   yolo26n.pt ...                      the same name with .pt: its config
 *   PATH.yaml                           a model YAML of the user's, Ultralytics format
 *   PATH.safetensors                    a checkpoint of an earlier run ("your models")
 *
 * The result: {"model": as given, "kind": "official"|"yaml"|"checkpoint",
 * "config": the config it builds from, "task", "scale": "n".."x" or null,
 * "stride": the largest stride, "nc" and "names" when it fixes them, "note"
 * when something was assumed}. A checkpoint's facts come from the
 * __metadata__ of its safetensors header: "task", "names" (a JSON list)
 * and "config". */
#ifndef UL_CONFIG_MODEL_H
#define UL_CONFIG_MODEL_H

#include <jv.h>

/* Facts about model, or an invalid jv with a message. */
jv ul_model_resolve(const char *model);

/* The official config name for a task and scale: yolo26n-seg.yaml. */
jv ul_model_official_name(const char *task, char scale);

/* The model YAML file that facts (from ul_model_resolve) builds from: an
 * official one in share/ul/models/ (yolo26-seg.yaml for yolo26s-seg.yaml),
 * or the user's; an invalid jv with a message when there is none. */
jv ul_model_yaml_file(jv facts);

struct ul_graph;

/* Builds the graph of model (facts from ul_model_resolve, borrowed) for a
 * dataset record (borrowed; its nc and kpt_shape replace the config's, as
 * in Ultralytics; null: the config's own), its cost counted at imgsz. 0, or
 * -1 with the reason in *why. */
int ul_model_graph(jv model, jv dataset, int imgsz, struct ul_graph *g, jv *why);

#endif
