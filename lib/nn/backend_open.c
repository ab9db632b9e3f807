#include "nn/backend_open.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/share.h"
#include "ul_config.h"

/* What the plugin exports: opens GPU `index`, or says why it cannot. */
typedef int (*open_fn)(int index, const struct ul_backend **backend, char *why, size_t size);

int ul_backend_gpu_index(const char *device)
{
	if (!strcmp(device, "cpu"))
		return -1;
	if (!strcmp(device, "cuda"))
		return 0;
	const char *digits = strncmp(device, "cuda:", 5) ? device : device + 5;
	char *end;
	long index = strtol(digits, &end, 10);
	return *digits >= '0' && *digits <= '9' && !*end && index <= INT_MAX ? (int)index : -2;
}

/* The plugin's path: the first of the places the header names that holds one. */
static void plugin_path(char *path, size_t size)
{
	const char *env = getenv("UL_CUDA_PLUGIN");
	if (env && *env) {
		snprintf(path, size, "%s", env);
		return;
	}
	char dir[PATH_MAX];
	if (ul_program_dir(dir, sizeof dir) == 0) {
		snprintf(path, size, "%s/../lib/ul/ul-cuda.so", dir);
		if (access(path, R_OK) == 0)
			return;
	}
	snprintf(path, size, "%s", UL_CUDA_PLUGIN_BUILT);
}

int ul_backend_open(const char *device, const struct ul_backend **backend, jv *err)
{
	int index = ul_backend_gpu_index(device);
	if (index == -1) {
		*backend = &ul_cpu_backend;
		return 0;
	}
	if (index == -2 && strchr(device, ',')) {
		*err = jv_invalid_with_msg(jv_string_fmt("device=%s: ul trains on one GPU at a time; name one, as device=0",
							 device));
		return -1;
	}
	if (index == -2) {
		*err = jv_invalid_with_msg(jv_string_fmt("device=%s is not a device ul trains on: use cpu, or a GPU as 0 or cuda:0",
							 device));
		return -1;
	}
	if (!UL_HAVE_CUDA) {
		*err = jv_invalid_with_msg(jv_string_fmt(
			"device=%s asks for a GPU, but this build of ul has no CUDA backend: make found no working nvcc, cuDNN "
			"and cuBLAS (INSTALL says what it needs); train with device=cpu", device));
		return -1;
	}
	char path[PATH_MAX + 32];
	plugin_path(path, sizeof path);
	/* the plugin's libraries stay loaded for the process's life */
	void *plugin = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!plugin) {
		*err = jv_invalid_with_msg(jv_string_fmt("the CUDA backend does not load: %s", dlerror()));
		return -1;
	}
	open_fn open_gpu;
	void *symbol = dlsym(plugin, "ul_cuda_open");
	memcpy(&open_gpu, &symbol, sizeof open_gpu);
	char why[512] = "";
	if (!symbol || open_gpu(index, backend, why, sizeof why)) {
		*err = jv_invalid_with_msg(jv_string_fmt("device=%s: %s", device, symbol ? why : "the CUDA plugin has no ul_cuda_open"));
		dlclose(plugin);
		return -1;
	}
	return 0;
}
