/* A dataset's description: an Ultralytics dataset YAML, or a folder that
 * holds one or is a classification tree, turned into one object with every
 * path absolute:
 *
 *   {"yaml": "/abs/coco8.yaml" | null, "root": "/abs/coco8",
 *    "splits": {"train": ["/abs/coco8/images/train"], "val": [...], "test": [...]},
 *    "names": ["person", ...], "nc": 80, "kpt_shape": [17, 3] | null,
 *    "flip_idx": [...] | null, "download": "https://..." | null,
 *    "task": "pose" | "classify" | null}
 *
 * Paths, unlike Ultralytics: a relative `path:` is taken from the YAML
 * file's own folder (no `path:` means that folder), never from a global
 * datasets folder or the current directory; train/val/test are taken from
 * `path`. Only the splits the description names appear. "task" is what the
 * description itself says: kpt_shape means pose, a folder tree classify. */
#ifndef UL_DATA_DATASET_SPEC_H
#define UL_DATA_DATASET_SPEC_H

#include <stdbool.h>

#include <jv.h>

/* From a YAML file or a folder; an invalid jv with a message otherwise. */
jv ul_dataset_spec_load(const char *path);

/* The same for a YAML file whose data lives under root instead of where
 * its `path:` points (the data its `download:` fetched). */
jv ul_dataset_spec_load_at(const char *yaml, const char *root);

/* The entries of one split ("train", "val", "test") of a `dataset`
 * record's dataset (borrowed), read again from its YAML or folder; an
 * invalid jv with a message when it cannot be read or has no such split. */
jv ul_dataset_split(jv dataset, const char *split);

/* True when one of the splits spec names does not exist on disk. */
bool ul_dataset_spec_missing(jv spec);

#endif
