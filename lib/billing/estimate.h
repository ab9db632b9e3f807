/* The cost model: how long a run takes on a GPU and how much memory it
 * needs, from the seed's factors (Ultralytics Platform, Cloud Training,
 * "Cost Estimation"):
 *
 *   seconds per image = baseline (2.8 s per 1000 images, RTX 4090, nano,
 *                       imgsz 640, batch 16) x model x imgsz x batch / speed
 *   model   (GFLOPs at 640 / nano's 6.2)^0.35: the seed's FAQ times m at
 *           2x and x at 4x nano; the power fits both in the least-squares
 *           sense (m 2.4x, x 3.4x)
 *   imgsz   (imgsz / 640)^2: 320 = 0.25x, 1280 = 4x
 *   batch   16 = 1, each halving +0.2 (8 = 1.2x), each doubling -0.15
 *           (32 = 0.85x), kept within 0.5 .. 2
 *   epoch   training images plus a third of the validation images (a
 *           forward pass is a third of a training step's work)
 *   startup 60 s plus 24 ms an image, at most 5 minutes
 *
 * Memory: 20 bytes a parameter (fp32 weights, gradients, two optimizer
 * moments, EMA), 12 bytes per element of every layer's output per image
 * (what a module keeps for backward, in fp16 under AMP), and 1 GB for the
 * CUDA context and workspaces. */
#ifndef UL_BILLING_ESTIMATE_H
#define UL_BILLING_ESTIMATE_H

#include <jv.h>

#include "billing/gpus.h"
#include "billing/ledger.h"

#define UL_NANO_GFLOPS 6.2
#define UL_STARTUP_MAX_S 300.0

/* What a run is, from its config and dataset records. */
struct ul_run_shape {
	char model[256];
	int imgsz, batch, epochs;  /* batch <= 0 or a fraction (auto) is left to ul_estimate_auto_batch */
	double batch_fraction;     /* auto batch: the part of VRAM to fill (Ultralytics: 0.6) */
	double hours;              /* time=, 0 when the run counts epochs */
	double train_images, val_images;
	double gflops640;          /* per image at imgsz 640 */
	double parameters;
	double elements640;        /* every layer's output per image at imgsz 640 */
};

/* Reads the shape from the records (borrowed). 0, or -1 with an error
 * record in *err. */
int ul_run_shape_read(struct ul_run_shape *s, jv config, jv dataset, jv *err);

/* The ledger's view of the run, for calibration. */
struct ul_run_facts ul_run_shape_facts(const struct ul_run_shape *s);

double ul_estimate_model_factor(double gflops640);
double ul_estimate_imgsz_factor(int imgsz);
double ul_estimate_batch_factor(int batch);
double ul_estimate_startup(double images);
/* Images an epoch amounts to: training plus weighted validation. */
double ul_estimate_epoch_images(const struct ul_run_shape *s);
/* Seconds per (weighted) image on gpu by the formula. */
double ul_estimate_seconds_per_image(const struct ul_gpus *g, const struct ul_gpu *gpu, const struct ul_run_shape *s);

double ul_estimate_memory_gb(const struct ul_run_shape *s, int batch);
/* The largest batch whose memory fits within fraction of vram_gb (0 when
 * not even one image does). */
int ul_estimate_max_batch(const struct ul_run_shape *s, double vram_gb, double fraction);

#endif
