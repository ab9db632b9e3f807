/* multi_scale (lib/data/multi_scale): the sizes Ultralytics' trainer draws
 * (stride multiples in [imgsz (1 - ms), imgsz (1 + ms)], all reached), the
 * frame of a non-square batch, torch's bilinear on hand-worked cases (a 2x
 * shrink averages pairs; a 2x stretch of two pixels is p0, 3/4 p0 + 1/4 p1,
 * 1/4 p0 + 3/4 p1, p1), and the loader's batches at their drawn sizes. */
#include <math.h>

#include "data/loader.h"
#include "data/multi_scale.h"
#include "datasets.h"
#include "tap.h"

int main(void)
{
	is_int(ul_multi_scale_max(640, 0.5, 32), 960, "640 with ms 0.5 reaches 960");
	uint64_t rng = 5;
	bool seen[40] = { false }, aligned = true, inside = true;
	for (int i = 0; i < 4000; i++) {
		int h, w;
		ul_multi_scale_shape(&rng, 640, 0.5, 32, 640, 640, &h, &w);
		aligned &= h % 32 == 0 && h == w;
		inside &= h >= 320 && h <= 960;
		if (h >= 320 && h <= 960)
			seen[h / 32] = true;
	}
	int reached = 0;
	for (int s = 10; s <= 30; s++)
		reached += seen[s];
	ok(aligned && inside && reached == 21, "square frames, stride multiples 320..960, all %d sizes drawn", reached);
	int h, w;
	rng = 1;
	do
		ul_multi_scale_shape(&rng, 640, 0.5, 32, 480, 640, &h, &w);
	while (w != 320);
	ok(w == 320 && h == 256, "a 480x640 batch drawn at 320: 256x320 (ceil(480 x 0.5 / 32) x 32)");
	ul_multi_scale_shape(&rng, 640, 0, 32, 640, 640, &h, &w);
	ok(h == 640 && w == 640, "ms 0 keeps imgsz");

	/* a 4x4 image of one channel value per pixel (x + 4 y), all three channels alike */
	float in[4 * 4 * 3], out[4 * 4 * 3];
	for (int i = 0; i < 16; i++)
		for (int c = 0; c < 3; c++)
			in[3 * i + c] = (float)i;
	ok(ul_resize_bilinear_f32(in, 1, 4, 4, out, 2, 2) == 0, "a 2x shrink");
	/* source positions 0.5 and 2.5: means of 2x2 blocks */
	ok(out[0] == 2.5f && out[3] == 4.5f && out[6] == 10.5f && out[9] == 12.5f, "averages each 2x2 block");
	float two[2 * 1 * 3] = { 0, 0, 0, 8, 8, 8 }, four[4 * 1 * 3];
	ul_resize_bilinear_f32(two, 1, 1, 2, four, 1, 4);
	ok(four[0] == 0 && four[3] == 2 && four[6] == 6 && four[9] == 8, "a 2x stretch: 0 2 6 8");

	/* the loader draws a frame per batch, the same whatever the workers */
	char path[512];
	jv where = jv_array_append(jv_array(), jv_string(dataset_path(path, sizeof path, "coco8/images/train")));
	struct ul_loader_options o = { .imgsz = 160, .batch = 2, .workers = 2, .stride = 32, .train = true, .shuffle = true,
				       .fraction = 1, .multi_scale = 0.5, .seed = 1, .rules = { UL_TASK_DETECT, 80, 0, 0 } };
	int shapes[2][8], n = 0;
	for (int run = 0; run < 2; run++, o.workers = 0) {
		struct ul_loader l;
		jv err = jv_invalid();
		n = 0;
		if (ul_loader_open(&l, where, &o, &err))
			break;
		for (int e = 0; e < 4 && !ul_loader_start(&l, e, &err); e++)
			for (struct ul_batch *b; (b = ul_loader_next(&l, &err)); ul_loader_release(&l, b))
				shapes[run][n++] = b->h * 1000 + b->w;
		ul_loader_close(&l);
	}
	bool same = n == 8, varied = false, fit = true;
	for (int i = 0; i < n; i++) {
		same &= shapes[0][i] == shapes[1][i];
		varied |= shapes[0][i] != shapes[0][0];
		int bh = shapes[0][i] / 1000, bw = shapes[0][i] % 1000;
		fit &= bh == bw && bh % 32 == 0 && bh >= 64 && bh <= 256;
	}
	ok(same && varied && fit, "8 batches at drawn sizes between 64 and 256, the same with 2 workers or none");
	jv_free(where);
	return done_testing();
}
