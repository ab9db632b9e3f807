/* The whole training step of yolo26n on the GPU against the CPU's: the
 * same seeded weights and batches (random images, 8 boxes each), through
 * ul_trainer_batch on each backend (forward, the end-to-end loss,
 * backward, clipping, SGD, the EMA). nbs is twice the batch, so the first
 * batch only accumulates: its loss and every gradient are compared; the
 * second steps: the parameters and the EMA after it are compared. The
 * GPU sums in other orders through a hundred layers, so gradients are
 * held to 1e-3 of their RMS, the loss and the weights after one small step
 * from equal values to 1e-4. */
#include "core/yaml_load.h"
#include "gpu.h"
#include "random_batch.h"
#include "train/trainer.h"

#define IMGSZ 160
#define BATCH 4
#define BOXES 8

struct run {
	double loss[2];
	float *grads, *params, *ema;
};

static void train_on(const struct ul_backend *backend, const struct ul_graph *g, const float *images,
		     const struct ul_label *labels, struct run *out)
{
	ul_ops = backend;
	struct ul_train_options o = { .epochs = 10, .batch = BATCH, .nbs = 2 * BATCH, .train_images = 10L * BATCH,
				      .lr0 = 0.01, .lrf = 0.01, .momentum = 0.937, .weight_decay = 5e-4,
				      .warmup_epochs = 0, .warmup_momentum = 0.8, .warmup_bias_lr = 0.1,
				      .box = 7.5, .cls = 0.5, .dfl = 1.5 };
	snprintf(o.optimizer, sizeof o.optimizer, "SGD");
	struct ul_trainer t;
	jv err = jv_invalid();
	size_t params = g->tensors.params;
	if (ul_trainer_create(&t, g, &o, &err)) {
		printf("Bail out! the trainer does not start on %s\n", backend->name);
		exit(1);
	}
	for (int b = 0; b < 2; b++) {
		struct ul_detect_items items;
		if (ul_trainer_batch(&t, BATCH, IMGSZ, IMGSZ, images, labels, BATCH * BOXES, &items, &out->loss[b], &err)) {
			jv msg = jv_invalid_get_msg(err);
			printf("Bail out! a batch fails on %s: %s\n", backend->name, jv_string_value(msg));
			exit(1);
		}
		if (b == 0) {
			out->grads = malloc(sizeof(float) * params);
			memcpy(out->grads, t.weights.grads, sizeof(float) * params);
		}
	}
	out->params = malloc(sizeof(float) * params);
	out->ema = malloc(sizeof(float) * params);
	memcpy(out->params, t.weights.params, sizeof(float) * params);
	memcpy(out->ema, t.ema.weights.params, sizeof(float) * params);
	ul_trainer_free(&t);
	ul_ops = &ul_cpu_backend;
}

int main(void)
{
	gpu_open();
	jv yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml"), err = jv_invalid();
	struct ul_graph g;
	if (ul_graph_build(&g, yaml, 'n', 80, IMGSZ, &err)) {
		printf("Bail out! yolo26n does not build (run from the repository root)\n");
		return 1;
	}
	jv_free(yaml);
	float *images = malloc(sizeof *images * BATCH * IMGSZ * IMGSZ * 3);
	struct ul_label labels[BATCH * BOXES];
	random_batch(7, BATCH, IMGSZ, BOXES, 80, images, labels);
	struct run cpu, cuda;
	train_on(&ul_cpu_backend, &g, images, labels, &cpu);
	train_on(gpu, &g, images, labels, &cuda);
	size_t params = g.tensors.params;
	for (int b = 0; b < 2; b++)
		ok(fabs(cuda.loss[b] - cpu.loss[b]) <= 1e-4 * fmax(1, fabs(cpu.loss[b])),
		   "training step loss of batch %d: error %.3g (tolerance 1e-04)", b + 1,
		   fabs(cuda.loss[b] - cpu.loss[b]) / fmax(1, fabs(cpu.loss[b])));
	gpu_compare_host("training step", "gradients after one batch", cuda.grads, cpu.grads, params, 1e-3);
	gpu_compare_host("training step", "parameters after the step", cuda.params, cpu.params, params, 1e-4);
	gpu_compare_host("training step", "EMA after the step", cuda.ema, cpu.ema, params, 1e-4);
	free(cpu.grads), free(cpu.params), free(cpu.ema), free(cuda.grads), free(cuda.params), free(cuda.ema);
	free(images);
	ul_graph_free(&g);
	return done_testing();
}
