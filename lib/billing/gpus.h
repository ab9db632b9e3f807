/* The GPU catalogue, share/ul/gpus.yaml: each GPU's memory, price and
 * speed relative to the baseline GPU, worked out from its published memory
 * bandwidth and tensor throughput (the file says how and from where). */
#ifndef UL_BILLING_GPUS_H
#define UL_BILLING_GPUS_H

#include <stdint.h>

#include <jv.h>

#define UL_GPUS_MAX 64

struct ul_gpu {
	char name[32];
	char arch[16];
	double vram_gb;
	int64_t micros_per_hour;
	double bandwidth_gbs, tflops;
	double speed;  /* training throughput against the baseline GPU's */
};

struct ul_gpus {
	struct ul_gpu gpu[UL_GPUS_MAX];
	int n;
	char default_gpu[32];
	double baseline_s_per_image;  /* on the baseline GPU, nano, imgsz and batch below */
	int baseline_imgsz, baseline_batch;
	double weight;                /* w of the speed formula */
};

/* Loads the catalogue. 0, or -1 with an `error` record in *err. */
int ul_gpus_load(struct ul_gpus *g, jv *err);

/* The GPU named name (case and spaces as written, or in any case), or
 * NULL with an error record (code gpu_unknown, a "did you mean") in *err. */
const struct ul_gpu *ul_gpus_find(const struct ul_gpus *g, const char *name, jv *err);

/* A `gpu` record of the catalogue. */
jv ul_gpu_record(const struct ul_gpus *g, const struct ul_gpu *gpu);

#endif
