#include "config/model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/share.h"
#include "core/yaml_load.h"
#include "nn/graph.h"
#include "nn/safetensors.h"

/* Every YOLO26 model is P3-P5: the largest stride is 32. */
#define YOLO26_STRIDE 32

static const char *const suffixes[][2] = {
	{ "", "detect" }, { "-seg", "segment" }, { "-pose", "pose" }, { "-obb", "obb" }, { "-cls", "classify" },
};

jv ul_model_official_name(const char *task, char scale)
{
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
		if (!strcmp(task, suffixes[i][1]))
			return jv_string_fmt("yolo26%c%s.yaml", scale, suffixes[i][0]);
	return jv_invalid_with_msg(jv_string_fmt("no official model for task %s", task));
}

static jv facts(const char *model, const char *kind, jv config, const char *task, jv scale)
{
	jv f = jv_object_set(jv_object(), jv_string("model"), jv_string(model));
	f = jv_object_set(f, jv_string("kind"), jv_string(kind));
	f = jv_object_set(f, jv_string("config"), config);
	f = jv_object_set(f, jv_string("task"), jv_string(task));
	f = jv_object_set(f, jv_string("scale"), scale);
	return jv_object_set(f, jv_string("stride"), jv_number(YOLO26_STRIDE));
}

/* yolo26[n|s|m|l|x][-seg|-pose|-obb|-cls].(yaml|yml|pt), any case; NULL
 * when name is not one. A name without its scale letter means n, as in
 * Ultralytics, and says so. */
static jv official(const char *model)
{
	const char *base = strrchr(model, '/') ? strrchr(model, '/') + 1 : model;
	if (strncasecmp(base, "yolo26", 6) != 0)
		return jv_invalid();
	const char *p = base + 6;
	char scale = 0;
	if (*p && strchr("nsmlx", *p)) {
		scale = *p;
		p++;
	}
	const char *dot = strrchr(p, '.');
	if (!dot || (strcasecmp(dot, ".yaml") && strcasecmp(dot, ".yml") && strcasecmp(dot, ".pt")))
		return jv_invalid();
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t n = strlen(suffixes[i][0]);
		if ((size_t)(dot - p) != n || strncasecmp(p, suffixes[i][0], n) != 0)
			continue;
		jv f = facts(model, "official", ul_model_official_name(suffixes[i][1], scale ? scale : 'n'), suffixes[i][1],
			     jv_string_fmt("%c", scale ? scale : 'n'));
		if (!scale)
			f = jv_object_set(f, jv_string("note"), jv_string_fmt("%s names no scale; using n", model));
		if (!strcasecmp(dot, ".pt"))
			f = jv_object_set(f, jv_string("note"), jv_string_fmt(
				"%s: pretrained weights cannot be downloaded here; the run builds from the config", model));
		return f;
	}
	return jv_invalid();
}

/* The task of a model YAML, from the module of its last head row. */
static jv from_yaml(const char *path)
{
	jv doc = ul_yaml_load_file(path);
	if (!jv_is_valid(doc))
		return doc;
	jv head = jv_object_get(jv_copy(doc), jv_string("head"));
	int rows = jv_get_kind(head) == JV_KIND_ARRAY ? jv_array_length(jv_copy(head)) : 0;
	jv last = rows > 0 ? jv_array_get(jv_copy(head), rows - 1) : jv_null();
	jv module = jv_get_kind(last) == JV_KIND_ARRAY ? jv_array_get(jv_copy(last), 2) : jv_null();
	const char *name = jv_get_kind(module) == JV_KIND_STRING ? jv_string_value(module) : "";
	static const char *const heads[][2] = {
		{ "Segment", "segment" }, { "Pose", "pose" }, { "OBB", "obb" }, { "Classify", "classify" }, { "Detect", "detect" },
	};
	const char *task = NULL;
	for (size_t i = 0; !task && i < sizeof heads / sizeof heads[0]; i++)
		if (!strncmp(name, heads[i][0], strlen(heads[i][0])))
			task = heads[i][1];
	jv out;
	if (!task) {
		out = jv_invalid_with_msg(jv_string_fmt("%s: its last head row has no Detect, Segment, Pose, OBB or Classify module", path));
	} else {
		out = facts(path, "yaml", jv_string(path), task, jv_null());
		jv nc = jv_object_get(jv_copy(doc), jv_string("nc"));
		if (jv_get_kind(nc) == JV_KIND_NUMBER)
			out = jv_object_set(out, jv_string("nc"), nc);
		else
			jv_free(nc);
	}
	jv_free(module);
	jv_free(last);
	jv_free(head);
	jv_free(doc);
	return out;
}

/* A checkpoint of ul-train (train/checkpoint.h): its facts are in the
 * __metadata__ of its safetensors header, the model's as JSON in "model". */
static jv from_checkpoint(const char *path)
{
	struct ul_safetensors st;
	jv err;
	if (ul_safetensors_open_header(&st, path, &err) < 0)
		return err;
	jv meta = jv_copy(st.metadata);
	ul_safetensors_close(&st);
	jv task = jv_object_get(jv_copy(meta), jv_string("task")), nc = jv_object_get(jv_copy(meta), jv_string("nc"));
	jv text = jv_object_get(meta, jv_string("model"));
	jv model = jv_get_kind(text) == JV_KIND_STRING ? jv_parse(jv_string_value(text)) : jv_invalid();
	jv config = jv_get_kind(model) == JV_KIND_OBJECT ? jv_object_get(jv_copy(model), jv_string("config")) : jv_null();
	jv out;
	if (jv_get_kind(task) != JV_KIND_STRING || jv_get_kind(config) != JV_KIND_STRING || jv_get_kind(nc) != JV_KIND_STRING) {
		out = jv_invalid_with_msg(jv_string_fmt("%s is not a ul-train checkpoint: its metadata lacks task, nc or model", path));
		jv_free(config);
	} else {
		out = facts(path, "checkpoint", config, jv_string_value(task), jv_object_get(jv_copy(model), jv_string("scale")));
		out = jv_object_set(out, jv_string("nc"), jv_number(atoi(jv_string_value(nc))));
	}
	jv_free(task), jv_free(nc), jv_free(text), jv_free(model);
	return out;
}

jv ul_model_resolve(const char *model)
{
	struct stat st;
	bool exists = stat(model, &st) == 0 && S_ISREG(st.st_mode);
	size_t n = strlen(model);
	bool yaml = n > 5 && (!strcasecmp(model + n - 5, ".yaml") || !strcasecmp(model + n - 4, ".yml"));
	if (exists && yaml && strchr(model, '/'))
		return from_yaml(model);
	jv f = official(model);
	if (jv_is_valid(f))
		return f;
	if (exists && yaml)
		return from_yaml(model);
	if (exists && n > 12 && !strcasecmp(model + n - 12, ".safetensors"))
		return from_checkpoint(model);
	if (exists && n > 3 && !strcasecmp(model + n - 3, ".pt"))
		return jv_invalid_with_msg(jv_string_fmt(
			"%s: PyTorch checkpoints cannot be read; give a ul checkpoint (.safetensors) or a model YAML", model));
	if (!exists)
		return jv_invalid_with_msg(jv_string_fmt(
			"%s is neither an official model (yolo26n.yaml, yolo26s-seg.yaml ...) nor a file", model));
	return jv_invalid_with_msg(jv_string_fmt("%s: a model is a .yaml config or a .safetensors checkpoint", model));
}

jv ul_model_yaml_file(jv facts)
{
	jv kind = jv_object_get(jv_copy(facts), jv_string("kind"));
	jv config = jv_object_get(jv_copy(facts), jv_string("config"));
	jv out;
	if (jv_get_kind(config) != JV_KIND_STRING) {
		out = jv_invalid_with_msg(jv_string("the model names no config to build"));
	} else if (!strcmp(jv_string_value(kind), "yaml")) {
		out = jv_copy(config);
	} else {
		/* yolo26s-seg.yaml -> models/yolo26-seg.yaml: the scale letter goes */
		const char *c = jv_string_value(config);
		char file[64];
		if (strncmp(c, "yolo26", 6) == 0 && c[6] && strchr("nsmlx", c[6]))
			snprintf(file, sizeof file, "models/yolo26%s", c + 7);
		else
			snprintf(file, sizeof file, "models/%s", c);
		out = ul_share_path(file);
	}
	jv_free(kind);
	jv_free(config);
	return out;
}

int ul_model_graph(jv model, jv dataset, int imgsz, struct ul_graph *g, jv *why)
{
	memset(g, 0, sizeof *g);
	jv file = ul_model_yaml_file(model);
	jv yaml = jv_is_valid(file) ? ul_yaml_load_file(jv_string_value(file)) : jv_copy(file);
	if (!jv_is_valid(yaml)) {
		*why = jv_invalid_get_msg(yaml);
		jv_free(file);
		return -1;
	}
	jv kpt = jv_get_kind(dataset) == JV_KIND_OBJECT ? jv_object_get(jv_copy(dataset), jv_string("kpt_shape")) : jv_null();
	if (jv_get_kind(kpt) == JV_KIND_ARRAY && jv_get_kind(yaml) == JV_KIND_OBJECT)
		yaml = jv_object_set(yaml, jv_string("kpt_shape"), kpt);
	else
		jv_free(kpt);
	jv scale = jv_object_get(jv_copy(model), jv_string("scale"));
	jv nc = jv_get_kind(dataset) == JV_KIND_OBJECT ? jv_object_get(jv_copy(dataset), jv_string("nc")) : jv_null();
	jv err = jv_invalid();
	int rc = 0;
	if (jv_get_kind(yaml) != JV_KIND_OBJECT ||
	    ul_graph_build(g, yaml, jv_get_kind(scale) == JV_KIND_STRING ? jv_string_value(scale)[0] : 0,
			   jv_get_kind(nc) == JV_KIND_NUMBER ? (int)jv_number_value(nc) : 0, imgsz, &err) < 0) {
		jv msg = jv_invalid_has_msg(jv_copy(err)) ? jv_invalid_get_msg(err) : jv_string("not a model YAML");
		*why = jv_string_fmt("%s: %s", jv_string_value(file), jv_string_value(msg));
		jv_free(msg);
		rc = -1;
	} else {
		jv_free(err);
	}
	jv_free(scale);
	jv_free(nc);
	jv_free(yaml);
	jv_free(file);
	return rc;
}
