/* The GPU tests' harness: every CUDA op against the CPU's, the reference,
 * on the same random inputs. A test opens the GPU backend (bailing out,
 * which fails, when there is none: these run on a GPU machine, by make
 * check-gpu), copies inputs over, runs both, and compares with a stated
 * tolerance: the largest |gpu - cpu| / max(|cpu|, rms), rms the CPU
 * output's root mean square, so that outputs far from 1 (probabilities,
 * small gradients) are held to their own scale. Each
 * comparison is one TAP line reading "op case: error E (tolerance T)",
 * which tests/gpu/run gathers into the pass/fail table.
 *
 * UL_GPU names the device (default 0); UL_GPU=guarded puts the stand-in
 * of tests/guarded_backend.h in the GPU's place, so that make check runs
 * these programs on machines without one: the kernels are the CPU's then,
 * but every copy the tests make and every op they call is checked. */
#ifndef UL_TESTS_GPU_H
#define UL_TESTS_GPU_H

#include <stdint.h>

#include "guarded_backend.h"
#include "nn/backend_open.h"
#include "numeric.h"
#include "tap.h"

/* fp32 on both sides: the GPU may sum in another order (cuDNN's
 * algorithms, parallel reductions), which moves the last bits of long sums. */
#define GPU_FP32_TOLERANCE 1e-4

static const struct ul_backend *gpu;

static inline void gpu_open(void)
{
	const char *device = getenv("UL_GPU") ? getenv("UL_GPU") : "0";
	if (!strcmp(device, "guarded")) {
		gpu = guarded_backend();
		return;
	}
	jv err = jv_invalid();
	if (ul_backend_open(device, &gpu, &err)) {
		jv msg = jv_invalid_get_msg(err);
		printf("Bail out! no GPU backend: %s\n", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		exit(1);
	}
}

/* Fails the test (and stops it) if the GPU reported an error. */
static inline void gpu_sync(const char *after)
{
	char why[512];
	if (gpu->sync(why, sizeof why)) {
		printf("Bail out! the GPU failed after %s: %s\n", after, why);
		exit(1);
	}
}

/* A device copy of n host floats (or zeros when host is NULL). */
static inline float *gpu_floats(const float *host, size_t n)
{
	float *d = gpu->alloc(sizeof *d * (n ? n : 1));
	if (!d) {
		printf("Bail out! out of GPU memory for %zu floats\n", n);
		exit(1);
	}
	if (host)
		gpu->to_device(d, host, sizeof *d * n);
	else
		gpu->zero(n, d);
	return d;
}

/* The host's copy of n device floats; the caller frees it. */
static inline float *gpu_fetch(const float *device, size_t n)
{
	gpu_sync("the op");
	float *h = malloc(sizeof *h * (n ? n : 1));
	gpu->to_host(h, device, sizeof *h * n);
	gpu_sync("a copy back");
	return h;
}

/* One TAP line: n host floats got against the CPU's want. */
static inline void gpu_compare_host(const char *op, const char *what, const float *got, const float *want, size_t n,
				    double tolerance)
{
	double squares = 0, worst = 0;
	for (size_t i = 0; i < n; i++)
		squares += (double)want[i] * want[i];
	double rms = n ? sqrt(squares / (double)n) : 0;
	for (size_t i = 0; i < n; i++) {
		double scale = fmax(fabs(want[i]), rms);
		worst = worse(worst, fabs(got[i] - want[i]) / (scale > 0 ? scale : 1));
	}
	ok(worst <= tolerance, "%s %s: error %.3g (tolerance %.0e)", op, what, worst, tolerance);
}

/* The same for the device's n floats. */
static inline void gpu_compare(const char *op, const char *what, const float *device, const float *want, size_t n, double tolerance)
{
	float *got = gpu_fetch(device, n);
	gpu_compare_host(op, what, got, want, n, tolerance);
	free(got);
}

/* The same for int32 results (argmax): exact. */
static inline void gpu_compare_int(const char *op, const char *what, const int32_t *device, const int32_t *want, size_t n)
{
	gpu_sync("the op");
	int32_t *got = malloc(sizeof *got * (n ? n : 1));
	gpu->to_host(got, device, sizeof *got * n);
	gpu_sync("a copy back");
	size_t wrong = 0;
	for (size_t i = 0; i < n; i++)
		wrong += got[i] != want[i];
	ok(wrong == 0, "%s %s: %zu of %zu differ (tolerance exact)", op, what, wrong, n);
	free(got);
}

#endif
