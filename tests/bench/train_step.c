/* What a full training step costs beyond the engine's pass: for yolo26n at
 * imgsz 320, batch 16 (issue 6's yardstick), the same run times the
 * engine's forward and backward alone (the baseline) and ul_trainer_batch
 * (forward, the end-to-end loss of both heads, backward, clipping, the
 * optimizer, the EMA), one optimizer step per batch (nbs = batch), for
 * AdamW (what auto picks for short runs), SGD and MuSGD (auto's pick past
 * 10000 iterations). Each is the fastest of STEPS steps after a warm-up,
 * which shared machines make steadier than a mean. Batches hold random
 * images with 8 boxes each. UL_DEVICE=0 runs it on the GPU (make
 * bench-gpu), each step timed to the end of its queued work.
 *
 * usage: train_step [IMGSZ [BATCH [STEPS [OPTIMIZERS]]]]   defaults 320 16 4 AdamW,SGD,MuSGD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/yaml_load.h"
#include "nn/backend_open.h"
#include "nn/init.h"
#include "random_batch.h"
#include "train/trainer.h"

#define BOXES 8

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Seconds of the fastest forward and backward of the bare net (the fastest
 * of a few: this machine's neighbours come and go), output grads made up. */
static double engine_step(struct ul_net *net, const float *images, int steps)
{
	double best = 1e30;
	for (int step = 0; step <= steps; step++) {
		double t0 = now();
		ul_net_forward(net, images, true);
		for (int k = 0; k < net->noutputs; k++) {
			struct ul_net_output *o = &net->outputs[k];
			size_t n = (size_t)o->n * o->h * o->w * o->c;
			for (size_t i = 0; i < n; i++)
				o->grad[i] = 1e-3f * (float)((i % 7) - 3);
		}
		ul_net_backward(net);
		char why[256];
		if (ul_ops->sync(why, sizeof why)) {
			fprintf(stderr, "train_step: %s\n", why);
			return -1;
		}
		if (step > 0 && now() - t0 < best)
			best = now() - t0;  /* step 0 warms caches and faults the arena in */
	}
	return best;
}

static double trainer_step(const struct ul_graph *g, const char *optimizer, int imgsz, int batch, int steps,
			   const float *images, const struct ul_label *labels)
{
	struct ul_train_options o = { .epochs = 100, .batch = batch, .nbs = batch, .train_images = 100L * batch,
				      .lr0 = 0.01, .lrf = 0.01, .momentum = 0.937, .weight_decay = 5e-4,
				      .warmup_epochs = 0, .warmup_momentum = 0.8, .warmup_bias_lr = 0.1,
				      .box = 7.5, .cls = 0.5, .dfl = 1.5 };
	snprintf(o.optimizer, sizeof o.optimizer, "%s", optimizer);
	struct ul_trainer t;
	jv err = jv_invalid();
	if (ul_trainer_create(&t, g, &o, &err)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "train_step: %s\n", jv_string_value(msg));
		jv_free(msg);
		return -1;
	}
	double best = 1e30;
	for (int step = 0; step <= steps; step++) {
		double t0 = now();
		struct ul_detect_items items;
		double total;
		if (ul_trainer_batch(&t, batch, imgsz, imgsz, images, labels, (size_t)batch * BOXES, &items, &total, &err)) {
			jv msg = jv_invalid_get_msg(err);
			fprintf(stderr, "train_step: %s\n", jv_string_value(msg));
			jv_free(msg);
			ul_trainer_free(&t);
			return -1;
		}
		if (step > 0 && now() - t0 < best)
			best = now() - t0;
	}
	double seconds = best;
	/* where the time beyond the engine goes, each part alone */
	double t1 = now(), loss_total;
	struct ul_detect_items items;
	ul_e2e_loss(&t.loss, &t.nets[t.net], labels, (size_t)batch * BOXES, &items, &loss_total);
	double t2 = now();
	ul_clip_grad_norm(t.weights.grads, &g->tensors, t.frozen, UL_TRAIN_MAX_NORM);
	double t3 = now();
	ul_optim_step(&t.optim, t.weights.params, t.weights.grads);
	double t4 = now();
	ul_ema_update(&t.ema, &t.weights);
	double t5 = now();
	printf("    %-6s parts: loss %.3f s, clip %.3f s, optimizer %.3f s, EMA %.3f s\n", optimizer, t2 - t1, t3 - t2,
	       t4 - t3, t5 - t4);
	ul_trainer_free(&t);
	return seconds;
}

int main(int argc, char **argv)
{
	int imgsz = argc > 1 ? atoi(argv[1]) : 320, batch = argc > 2 ? atoi(argv[2]) : 16;
	int steps = argc > 3 ? atoi(argv[3]) : 4;
	char optimizers[128];
	snprintf(optimizers, sizeof optimizers, "%s", argc > 4 ? argv[4] : "AdamW,SGD,MuSGD");
	if (imgsz < 32 || batch < 1 || steps < 1) {
		fprintf(stderr, "usage: train_step [IMGSZ [BATCH [STEPS [OPTIMIZERS]]]]\n");
		return 2;
	}
	struct ul_graph g;
	struct ul_weights w, on_device;
	struct ul_net net;
	jv err = jv_invalid(), yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml");
	const char *device = getenv("UL_DEVICE");
	if (device && *device && ul_backend_open(device, &ul_ops, &err)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "train_step: %s\n", jv_string_value(msg));
		return 1;
	}
	int failed = ul_graph_build(&g, yaml, 'n', 80, imgsz, &err) || ul_weights_alloc(&w, &g);
	if (!failed)
		ul_init_weights(&g, w.params, w.buffers, 0);
	failed = failed || ul_weights_mirror(&on_device, &w) || ul_net_create(&net, &g, &on_device, batch, imgsz, imgsz, 0, &err);
	jv_free(yaml);
	if (failed) {
		fprintf(stderr, "train_step: yolo26n does not build on the %s\n", ul_ops->name);
		return 1;
	}
	float *images = malloc(sizeof *images * batch * imgsz * imgsz * 3);
	struct ul_label *labels = malloc(sizeof *labels * batch * BOXES);
	random_batch(1, batch, imgsz, BOXES, 80, images, labels);
	double base = engine_step(&net, images, steps);
	ul_net_free(&net);
	ul_weights_mirror_free(&on_device, &w);
	ul_weights_free(&w);
	if (base < 0)
		return 1;
	printf("train_step: yolo26n imgsz %d batch %d, nc 80, on the %s: forward + backward alone %.3f s/step (the "
	       "baseline)\n", imgsz, batch, ul_ops->name, base);
	int rc = 0;
	for (char *name = strtok(optimizers, ","); name; name = strtok(NULL, ",")) {
		double full = trainer_step(&g, name, imgsz, batch, steps, images, labels);
		if (full < 0) {
			rc = 1;
			continue;
		}
		printf("  full step with %-6s %.3f s/step  %.1f images/s  ->  %.2fx the engine's pass (target <= 1.15x)\n",
		       name, full, batch / full, full / base);
		fflush(stdout);
	}
	free(images), free(labels);
	ul_graph_free(&g);
	return rc;
}
