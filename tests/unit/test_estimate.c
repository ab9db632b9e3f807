/* The cost model's factors, as the seed states them, and the GPU table's
 * speeds, anchored at the RTX 4090 and the H100 SXM. */
#include <stdlib.h>

#include "billing/estimate.h"
#include "billing/gpus.h"
#include "tap.h"

int main(void)
{
	is_double(ul_estimate_imgsz_factor(320), 0.25, 1e-12, "imgsz 320: 0.25x");
	is_double(ul_estimate_imgsz_factor(640), 1, 1e-12, "imgsz 640: the baseline");
	is_double(ul_estimate_imgsz_factor(1280), 4, 1e-12, "imgsz 1280: 4x");
	is_double(ul_estimate_batch_factor(16), 1, 1e-12, "batch 16: the baseline");
	is_double(ul_estimate_batch_factor(32), 0.85, 1e-12, "batch 32: 0.85x");
	is_double(ul_estimate_batch_factor(8), 1.2, 1e-12, "batch 8: 1.2x");
	ok(ul_estimate_batch_factor(4096) == 0.5 && ul_estimate_batch_factor(1) <= 2, "kept within 0.5 .. 2");
	is_double(ul_estimate_model_factor(6.2), 1, 1e-12, "the nano model is the baseline");
	double m = ul_estimate_model_factor(75.6), x = ul_estimate_model_factor(210.1);
	ok(m > 2 && m < 2.5 && x > 3.2 && x < 4, "m about 2x and x about 4x the nano (%.2f, %.2f)", m, x);
	is_double(ul_estimate_startup(0), 60, 1e-12, "startup: a minute for no images");
	is_double(ul_estimate_startup(1000), 84, 1e-9, "24 ms more an image");
	is_double(ul_estimate_startup(1e6), 300, 1e-12, "at most 5 minutes");

	struct ul_run_shape s = { .imgsz = 640, .batch = 16, .train_images = 900, .val_images = 300,
				  .gflops640 = 6.2, .parameters = 2.5e6, .elements640 = 12e6 };
	is_double(ul_estimate_epoch_images(&s), 1000, 1e-9, "an epoch: training images and a third of the validation ones");
	double one = ul_estimate_memory_gb(&s, 1), two = ul_estimate_memory_gb(&s, 2);
	is_double(two - one, 12e6 * 12 / 1e9, 1e-9, "each image of the batch adds its activations");
	int fits = ul_estimate_max_batch(&s, 24, 1);
	ok(ul_estimate_memory_gb(&s, fits) <= 24 && ul_estimate_memory_gb(&s, fits + 1) > 24, "max batch %d is the largest that fits", fits);
	is_int(ul_estimate_max_batch(&s, 1, 1), 0, "nothing fits in 1 GB");

	setenv("UL_SHARE", "share/ul", 0);
	struct ul_gpus g;
	jv err;
	if (ul_gpus_load(&g, &err)) {
		jv msg = jv_object_get(err, jv_string("message"));
		printf("Bail out! %s\n", jv_string_value(msg));
		return 1;
	}
	is_int(g.n, 22, "the seed's 22 GPUs");
	const struct ul_gpu *base = ul_gpus_find(&g, "RTX 4090", &err), *h100 = ul_gpus_find(&g, "h100 sxm", &err);
	ok(base && h100, "found by name, in any case");
	is_double(base->speed, 1, 1e-12, "the RTX 4090 is the baseline");
	is_double(h100->speed, 3.4, 1e-9, "the H100 SXM is 3.4x it");
	is_str(g.default_gpu, "RTX PRO 6000", "the default is the seed's recommendation");
	is_double(ul_estimate_seconds_per_image(&g, base, &s) * 1000, 2.8, 1e-9, "2.8 s per 1000 images on the baseline");
	ok(!ul_gpus_find(&g, "RTX 4909", &err), "an unknown GPU");
	jv msg = jv_object_get(err, jv_string("message"));
	ok(strstr(jv_string_value(msg), "did you mean 'RTX 4090'"), "with a suggestion");
	jv_free(msg);
	return done_testing();
}
