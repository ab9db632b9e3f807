/* The backend for a device as ul-train's device= names it: "cpu", or one
 * GPU as "0", "cuda" or "cuda:0". A GPU's ops live in a plugin,
 * ul-cuda.so, loaded only when a GPU is asked for, so a build made on a
 * machine with CUDA still runs every tool on one without it. The plugin is
 * looked for at $UL_CUDA_PLUGIN, then beside the running program's tree
 * (BIN/../lib/ul/ul-cuda.so, as make install lays it out), then where
 * this build made it. */
#ifndef UL_NN_BACKEND_OPEN_H
#define UL_NN_BACKEND_OPEN_H

#include <jv.h>

#include "nn/backend.h"

/* 0 and *backend set; -1 and *err, saying what is missing (no GPU, no
 * driver, a library, a build without CUDA) and what to do. */
int ul_backend_open(const char *device, const struct ul_backend **backend, jv *err);

/* The GPU's number for a device naming one (0 for "cuda"), -1 for "cpu",
 * -2 for anything else. */
int ul_backend_gpu_index(const char *device);

#endif
