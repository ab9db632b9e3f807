/* How fast the data loader makes training images, per core, from coco128
 * (issue 7's yardstick): decoding alone, then the full training transform
 * (mosaic 1, random perspective, HSV, flips: Ultralytics' defaults) at
 * imgsz 640 and 320, on one thread (workers=0), after a warm-up epoch,
 * from the files and with cache=ram. Then the classification training
 * transform (RandomResizedCrop, flip, RandAugment, erasing) at 224 on
 * imagenet10, beside coco128.
 * The baseline is Ultralytics' own dataset doing the same in the same run
 * (peer_loader.py, one process, one thread) when UL_PEER names its source
 * folder and UL_PEER_PYTHON (default python3) imports it.
 *
 * usage: loader COCO128_DIR [IMAGES]   default 256 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/decode.h"
#include "data/loader.h"
#include "data/split_files.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static double peer(const char *coco128, int imgsz, int images)
{
	const char *source = getenv("UL_PEER"), *python = getenv("UL_PEER_PYTHON");
	if (!source || !*source)
		return 0;
	char command[4096];
	snprintf(command, sizeof command, "YOLO_OFFLINE=1 '%s' tests/bench/peer_loader.py '%s' '%s' %d %d 2>/dev/null",
		 python && *python ? python : "python3", source, coco128, imgsz, images);
	FILE *p = popen(command, "r");
	double rate = 0;
	char line[512];
	/* Ultralytics logs to stdout too: the rate is the last line, a number alone */
	while (p && fgets(line, sizeof line, p)) {
		char *end;
		double v = strtod(line, &end);
		if (end != line && (*end == '\n' || *end == '\0'))
			rate = v;
	}
	if (p)
		pclose(p);
	return rate;
}

static double decode_rate(const char *dir, int images)
{
	struct ul_paths paths = { 0 };
	ul_split_entry(dir, &paths);
	ul_paths_sort(&paths);
	double t0 = now();
	for (int i = 0; i < images && paths.n; i++) {
		struct ul_image img;
		jv err = jv_invalid();
		if (ul_image_decode(paths.items[i % paths.n], &img, &err))
			jv_free(jv_invalid_get_msg(err));
		else
			ul_image_free(&img);
	}
	double rate = images / (now() - t0);
	ul_paths_free(&paths);
	return rate;
}

/* Images per second the loader makes from dir with o, after a warm-up epoch. */
static double loader_rate(const char *dir, const struct ul_loader_options *o, int images)
{
	struct ul_loader l;
	jv err = jv_invalid(), entries = jv_array_append(jv_array(), jv_string(dir));
	if (ul_loader_open(&l, entries, o, &err)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "loader: %s\n", jv_string_value(msg));
		jv_free(msg), jv_free(entries);
		return -1;
	}
	jv_free(entries);
	double t0 = 0;
	int made = 0;
	for (int epoch = 0; made < images + l.n; epoch++) {
		if (epoch == 1)
			t0 = now(), made = l.n;  /* the first epoch warms the caches up */
		ul_loader_start(&l, epoch, &err);
		struct ul_batch *b;
		while ((b = ul_loader_next(&l, &err))) {
			made += b->n;
			ul_loader_release(&l, b);
		}
		if (jv_get_kind(err) == JV_KIND_INVALID && jv_invalid_has_msg(jv_copy(err))) {
			jv msg = jv_invalid_get_msg(err);
			fprintf(stderr, "loader: %s\n", jv_string_value(msg));
			jv_free(msg);
			ul_loader_close(&l);
			return -1;
		}
	}
	double rate = (made - l.n) / (now() - t0);
	ul_loader_close(&l);
	return rate;
}

static double transform_rate(const char *dir, int imgsz, int images, enum ul_cache cache)
{
	struct ul_loader_options o = {
		.imgsz = imgsz, .batch = 16, .workers = 0, .stride = 32, .train = true, .shuffle = true, .fraction = 1,
		.rules = { UL_TASK_DETECT, 80, 0, 0 },
		.augment = { .mosaic = 1, .translate = 0.1, .scale = 0.5, .hsv_h = 0.015, .hsv_s = 0.7, .hsv_v = 0.4, .fliplr = 0.5 },
		.cache = cache,
	};
	return loader_rate(dir, &o, images);
}

/* ClassificationDataset's training transform with Ultralytics' defaults. */
static double classify_rate(const char *dir, int images, enum ul_cache cache)
{
	struct ul_loader_options o = {
		.imgsz = 224, .batch = 16, .workers = 0, .train = true, .shuffle = true, .fraction = 1,
		.rules = { UL_TASK_CLASSIFY, 10, 0, 0 },
		.classify = { .scale = 0.5, .fliplr = 0.5, .erasing = 0.4, .policy = UL_POLICY_RANDAUGMENT },
		.cache = cache,
	};
	return loader_rate(dir, &o, images);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: loader COCO128_DIR [IMAGES]\n");
		return 2;
	}
	int images = argc > 2 ? atoi(argv[2]) : 256;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/images/train", argv[1]);
	printf("loader: coco128, one thread: decoding %.1f images/s\n", decode_rate(dir, images));
	fflush(stdout);
	int rc = 0;
	for (int imgsz = 640; imgsz >= 320; imgsz /= 2) {
		double ours = transform_rate(dir, imgsz, images, UL_CACHE_NONE), theirs = peer(argv[1], imgsz, images);
		double cached = transform_rate(dir, imgsz, images, UL_CACHE_RAM);
		if (ours < 0) {
			rc = 1;
			continue;
		}
		printf("  full training transform at %d: %.1f images/s per core", imgsz, ours);
		if (theirs > 0)
			printf("  ->  Ultralytics (measured, same run) %.1f: ours %.2fx (target >= 2x)", theirs, ours / theirs);
		else
			printf("  (no peer: make bench PEER=its source to compare)");
		printf("\n    with cache=ram: %.1f images/s per core\n", cached);
		fflush(stdout);
	}
	snprintf(dir, sizeof dir, "%s/../imagenet10/train", argv[1]);
	double files = classify_rate(dir, images, UL_CACHE_NONE), cached = classify_rate(dir, images, UL_CACHE_RAM);
	if (files < 0 || cached < 0)
		return 1;
	printf("loader: imagenet10, one thread: classify training transform at 224: %.1f images/s per core\n"
	       "    with cache=ram: %.1f images/s per core\n", files, cached);
	return rc;
}
