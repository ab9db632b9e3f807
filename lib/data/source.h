/* Where a dataset comes from: what the user named with data=, turned into a
 * local YAML file or folder, fetched and unpacked on the way.
 *
 *   a YAML file or a folder      used where it is
 *   an archive (zip, tar.*)      unpacked once into $UL_HOME/datasets/
 *   http(s)://URL                downloaded once into $UL_HOME/cache/downloads/,
 *                                then unpacked if it is an archive
 *   shapes                       generated once into $UL_HOME/datasets/
 *   ul://OWNER/datasets/NAME     see data/platform.h
 *
 * Everything made under $UL_HOME appears whole or not at all, so a second
 * run finds it and does no work again. */
#ifndef UL_DATA_SOURCE_H
#define UL_DATA_SOURCE_H

#include <jv.h>

#include "data/labels.h"

struct ul_source_options {
	enum ul_task task;      /* for shapes: detect when unknown */
	int shapes_count;       /* shapes: train images; val gets a quarter */
	int shapes_imgsz;       /* shapes: the image side */
	unsigned shapes_seed;
	const char *sha256;     /* the expected digest of a downloaded file, or NULL */
	long long max_bytes;    /* refuse a download larger than this; 0: no cap */
};

/* The local YAML file or folder for data (a jv string), or an invalid jv
 * with *err set to an `error` record. */
jv ul_source_resolve(const char *data, const struct ul_source_options *options, jv *err);

/* A described dataset whose splits are missing and whose YAML names a
 * `download:` URL: fetches and unpacks it and describes the dataset again
 * from there. Returns spec as it was when nothing is missing or there is
 * nothing to download. Consumes spec; an invalid jv with *err on failure. */
jv ul_source_complete(jv spec, const struct ul_source_options *options, jv *err);

#endif
