/* The EMA (lib/train/ema) on yolo26n's real table: it starts as a copy,
 * its decay ramps as 0.9999 (1 - exp(-n / 2000)), each update blends every
 * parameter and every running statistic by that decay, and the BatchNorm
 * batch counts (integers in PyTorch) stay as copied. */
#include <math.h>

#include "core/yaml_load.h"
#include "nn/init.h"
#include "tap.h"
#include "train/ema.h"

int main(void)
{
	struct ul_graph g;
	struct ul_weights w;
	jv err = jv_invalid(), yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml");
	int failed = ul_graph_build(&g, yaml, 'n', 3, 64, &err) || ul_weights_alloc(&w, &g);
	jv_free(yaml);
	if (failed) {
		ok(0, "yolo26n builds");
		return done_testing();
	}
	ul_init_weights(&g, w.params, w.buffers, 7);
	const struct ul_tensor_table *t = &g.tensors;

	is_double(ul_ema_decay(1), 0.9999 * (1 - exp(-1 / 2000.0)), 1e-18, "decay after one update");
	is_double(ul_ema_decay(2000), 0.9999 * (1 - exp(-1.0)), 1e-15, "decay after 2000: 0.632");
	is_double(ul_ema_decay(100000), 0.9999, 1e-15, "and 0.9999 late");

	struct ul_ema e;
	ok(ul_ema_create(&e, &w) == 0, "created");
	ok(!memcmp(e.weights.params, w.params, sizeof(float) * t->params) &&
	   !memcmp(e.weights.buffers, w.buffers, sizeof(float) * t->buffers), "starts as a copy");
	ok(e.weights.graph == &g && e.updates == 0, "of the same graph, no update yet");

	/* the model moves: every parameter +1, every buffer +2 */
	float *before_p = malloc(sizeof(float) * t->params), *before_b = malloc(sizeof(float) * t->buffers);
	memcpy(before_p, w.params, sizeof(float) * t->params);
	memcpy(before_b, w.buffers, sizeof(float) * t->buffers);
	for (size_t i = 0; i < t->params; i++)
		w.params[i] += 1;
	for (size_t i = 0; i < t->buffers; i++)
		w.buffers[i] += 2;
	ul_ema_update(&e, &w);
	ul_ema_update(&e, &w);
	double d1 = ul_ema_decay(1), d2 = ul_ema_decay(2);
	/* after two updates toward a model 1 away: 1 - d1 d2 of the way */
	double moved = 1 - d1 * d2;
	double worst_p = 0, worst_b = 0;
	size_t counts = 0, counts_kept = 0;
	for (size_t i = 0; i < t->params; i++)
		worst_p = fmax(worst_p, fabs((e.weights.params[i] - before_p[i]) - moved));
	for (size_t k = 0; k < t->n; k++) {
		const struct ul_tensor_spec *s = &t->specs[k];
		if (!s->buffer)
			continue;
		for (size_t i = s->offset; i < s->offset + ul_tensor_numel(s); i++) {
			if (s->ndim == 0) {
				counts++;
				counts_kept += e.weights.buffers[i] == before_b[i];
			} else {
				worst_b = fmax(worst_b, fabs((e.weights.buffers[i] - before_b[i]) - 2 * moved));
			}
		}
	}
	is_int(e.updates, 2, "two updates counted");
	ok(worst_p < 1e-5, "every parameter moved 1 - d1 d2 of the way (worst %.2g)", worst_p);
	ok(worst_b < 1e-5, "every running statistic too (worst %.2g)", worst_b);
	ok(counts > 0 && counts_kept == counts, "the %zu batch counts stay as copied", counts);

	ul_ema_free(&e);
	free(before_p), free(before_b);
	ul_weights_free(&w);
	ul_graph_free(&g);
	return done_testing();
}
