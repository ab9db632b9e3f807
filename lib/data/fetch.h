/* The whole of ul-fetch's work as one call, for every tool that starts
 * from a dataset name: find it (data/source.h), describe it
 * (data/dataset_spec.h), fetch what its YAML's download: names, and scan
 * it (data/scan.h). */
#ifndef UL_DATA_FETCH_H
#define UL_DATA_FETCH_H

#include <jv.h>

#include "data/source.h"

/* The `dataset` record for data, or an invalid jv with *err set to an
 * `error` record. */
jv ul_fetch_dataset(const char *data, const struct ul_source_options *options, jv *err);

#endif
