/* The data loader (lib/data/loader) on the real coco8: validation rect
 * batches with Ultralytics' frames (worked by hand from the image sizes),
 * labels that follow the letterbox, the same batches with 0, 1 or 3
 * workers and with cache=ram or cache=disk, augmented ones the same with 1 or 4 workers
 * and through a decoded-image buffer smaller than the set, the mosaics'
 * buffer planned in sample order and carried across epochs (the whole set
 * with cache=ram), the same plans with 1 or 4 workers and in a loader
 * rebuilt at a later epoch (as resume does, after close_mosaic too),
 * fraction and single_cls, every detection-family dataset of shared/
 * through the full transform, pose keypoints and segment masks in
 * batches, and bad files: a
 * label file that breaks the rules is left out at open, an image that no
 * longer decodes is replaced by the next one and named.
 *
 * Classification on imagenet10 and mnist160: the options from a config's
 * args, each image's class its folder's, training batches the same with 1
 * or 4 workers and with each cache, validation images the validation
 * transform of the decoded file, the split's own folders as classes when
 * the dataset names none, and bad files left out or replaced, named. */
#include <math.h>

#include "data/classify_augment.h"
#include "data/classify_batch.h"
#include "data/dataset_spec.h"

#include "data/letterbox.h"
#include "data/loader.h"
#include "datasets.h"
#include "scratch_files.h"
#include "tap.h"

static struct ul_loader_options options(bool train, int batch, int workers)
{
	struct ul_loader_options o = { .imgsz = 640, .batch = batch, .workers = workers, .stride = 32, .train = train,
				       .rect = !train, .pad = train ? 0 : 0.5, .shuffle = train, .fraction = 1,
				       .seed = 3, .rules = { UL_TASK_DETECT, 80, 0, 0 } };
	return o;
}

static jv entries(const char *rest)
{
	char path[512];
	return jv_array_append(jv_array(), jv_string(dataset_path(path, sizeof path, rest)));
}

/* Every batch of epoch `epoch` of an open loader, its images and labels,
 * as one byte string. */
static char *read_epoch(struct ul_loader *l, int epoch, size_t *len)
{
	jv err = jv_invalid();
	char *all = NULL;
	*len = 0;
	if (ul_loader_start(l, epoch, &err)) {
		jv_free(jv_invalid_get_msg(err));
		return NULL;
	}
	struct ul_batch *b;
	while ((b = ul_loader_next(l, &err))) {
		size_t img = sizeof(float) * b->n * b->h * b->w * 3, lab = sizeof *b->labels * b->nlabels;
		all = realloc(all, *len + img + lab);
		memcpy(all + *len, b->images, img), memcpy(all + *len + img, b->labels, lab);
		*len += img + lab;
		ul_loader_release(l, b);
	}
	return all;
}

/* The same from a loader of its own. */
static char *epoch_bytes(jv where, const struct ul_loader_options *o, int epoch, size_t *len)
{
	struct ul_loader l;
	jv err = jv_invalid();
	*len = 0;
	if (ul_loader_open(&l, where, o, &err)) {
		jv_free(jv_invalid_get_msg(err));
		return NULL;
	}
	char *all = read_epoch(&l, epoch, len);
	ul_loader_close(&l);
	return all;
}

/* --- the mosaics' buffer ---------------------------------------------------- */

static bool same_part(const struct ul_mix_part *a, const struct ul_mix_part *b)
{
	return a->image == b->image && a->len == b->len && !a->pool == !b->pool &&
	       (!a->pool || !memcmp(a->pool, b->pool, sizeof *a->pool * a->len));
}

/* The epoch under way's plans of a and b: the same images, the same pools. */
static bool same_plans(const struct ul_loader *a, const struct ul_loader *b)
{
	bool same = a->n == b->n;
	for (int p = 0; same && p < a->n; p++)
		same = same_part(&a->plans[p].own, &b->plans[p].own) && same_part(&a->plans[p].mixup, &b->plans[p].mixup) &&
		       same_part(&a->plans[p].cutmix, &b->plans[p].cutmix);
	return same;
}

/* The pool is exactly want[0..n). */
static bool pool_is(const struct ul_mix_part *part, const int *want, int n)
{
	return part->pool && part->len == n && !memcmp(part->pool, want, sizeof *want * n);
}

/* As the trainer's close_mosaic does. */
static void close_mixing(struct ul_loader *l)
{
	l->o.augment.mosaic = l->o.augment.mixup = l->o.augment.cutmix = l->o.augment.copy_paste = 0;
}

static void mosaic_buffer(void)
{
	/* coco8 at batch 2: max 4, so the buffer holds the last 3 images loaded */
	jv train = entries("coco8/images/train");
	struct ul_loader_options t = options(true, 2, 0);
	t.augment = (struct ul_augment){ .mosaic = 1 };
	struct ul_loader l;
	jv err = jv_invalid();
	ok(!ul_loader_open(&l, train, &t, &err) && !ul_loader_start(&l, 0, &err) && l.mosaic.max == 4,
	   "coco8 training at batch 2: a buffer of max 4");
	const int *o = l.order;
	bool own = true;
	for (int p = 0; p < 4; p++)
		own &= l.plans[p].own.image == o[p] && l.plans[p].mixup.image < 0;
	ok(own && pool_is(&l.plans[0].own, o, 1) && pool_is(&l.plans[1].own, o, 2) && pool_is(&l.plans[2].own, o, 3) &&
	   pool_is(&l.plans[3].own, o + 1, 3),
	   "epoch 0 in its order: the first sample's pool is itself, then the images loaded so far, the oldest leaving at 4");
	int last = o[3];
	ul_loader_start(&l, 1, &err);
	const struct ul_mix_part *first = &l.plans[0].own;
	ok(first->len == 3 && first->pool[first->len - 1] == (l.order[0] == o[0] ? o[0] : last),
	   "epoch 1 carries it on: its first pool holds 3, its first image entering when it had left");
	ul_loader_close(&l);
	t.cache = UL_CACHE_RAM;
	bool whole = !ul_loader_open(&l, train, &t, &err) && !ul_loader_start(&l, 0, &err);
	for (int p = 0; whole && p < l.n; p++)
		whole &= l.plans[p].own.pool == NULL && l.plans[p].own.len == l.n;
	ok(whole, "cache=ram: every mosaic picks from the whole set");
	ul_loader_close(&l);
	jv_free(train);

	/* coco128 at batch 2 (max 16), mosaic and mixup 0.5 */
	jv many = entries("coco128/images/train");
	t = options(true, 2, 1);
	t.imgsz = 160;
	t.augment = (struct ul_augment){ .mosaic = 1, .mixup = 0.5, .translate = 0.1, .scale = 0.5, .fliplr = 0.5 };
	struct ul_loader one, four;
	bool opened = !ul_loader_open(&one, many, &t, &err);
	t.workers = 4;
	opened &= !ul_loader_open(&four, many, &t, &err);
	size_t n1, n4;
	char *b1 = opened ? read_epoch(&one, 0, &n1) : NULL, *b4 = opened ? read_epoch(&four, 0, &n4) : NULL;
	int mixed = 0;
	for (int p = 0; opened && p < one.n; p++)
		mixed += one.plans[p].mixup.image >= 0;
	ok(b1 && b4 && n1 == n4 && !memcmp(b1, b4, n1) && same_plans(&one, &four) && mixed > 32 && mixed < 96,
	   "coco128 with mixup 0.5 (%d mixed): the same plans and bytes with 1 and 4 workers", mixed);
	free(b1), free(b4);

	/* resume: a loader rebuilt at epoch 3 replays the buffer through
	 * epochs 0-2 and plans what one that ran through does, close_mosaic
	 * having stopped the mixing from epoch 1 */
	one.o.close_at = 1;
	close_mixing(&one);
	for (int e = 1; e <= 2; e++)
		ul_loader_start(&one, e, &err);
	char *ran = read_epoch(&one, 3, &n1);
	ul_loader_close(&four);
	t.close_at = 1;
	opened = !ul_loader_open(&four, many, &t, &err);
	close_mixing(&four);
	char *rebuilt = opened ? read_epoch(&four, 3, &n4) : NULL;
	ok(ran && rebuilt && n1 == n4 && !memcmp(ran, rebuilt, n1) && same_plans(&one, &four),
	   "rebuilt at epoch 3 after close_mosaic at 1: the same plans and bytes as the loader that ran through");
	ul_loader_start(&four, 3, &err);
	ok(same_plans(&one, &four), "and epoch 3 started again plans the same");
	four.o.close_at = 3;
	ul_loader_start(&four, 3, &err);
	ok(!same_plans(&one, &four), "a replay that mixed in epochs 1-2 would not (the check sees it)");
	free(ran), free(rebuilt);
	ul_loader_close(&one), ul_loader_close(&four);
	jv_free(many);
}

/* --- classification ----------------------------------------------------------- */

static struct ul_loader_options classify_options(bool train, int batch, int workers, jv names)
{
	struct ul_loader_options o = { .imgsz = 224, .batch = batch, .workers = workers, .train = train, .shuffle = train,
				       .fraction = 1, .seed = 3, .rules = { UL_TASK_CLASSIFY, 10, 0, 0 }, .names = names,
				       .classify = { .scale = 0.5, .fliplr = 0.5, .erasing = 0.4,
						     .policy = UL_POLICY_RANDAUGMENT } };
	return o;
}

/* Every batch of an epoch, its images and classes, as one byte string;
 * *mislabelled counts images whose class is not their folder's name in
 * names (an array). */
static char *classify_bytes(jv where, const struct ul_loader_options *o, int epoch, jv names, size_t *len,
			    int *images, int *mislabelled)
{
	struct ul_loader l;
	jv err = jv_invalid();
	char *all = NULL;
	*len = 0, *images = 0, *mislabelled = 0;
	if (ul_loader_open(&l, where, o, &err) || ul_loader_start(&l, epoch, &err)) {
		jv_free(jv_invalid_get_msg(err));
		return NULL;
	}
	for (struct ul_batch *b; (b = ul_loader_next(&l, &err)); ul_loader_release(&l, b)) {
		size_t img = sizeof(float) * b->n * b->h * b->w * 3, cls = sizeof *b->cls * b->n;
		all = realloc(all, *len + img + cls);
		memcpy(all + *len, b->images, img), memcpy(all + *len + img, b->cls, cls);
		*len += img + cls;
		for (int j = 0; j < b->n; j++) {
			char folder[4096];
			jv name = jv_array_get(jv_copy(names), b->cls[j]);
			const char *have = ul_class_folder(l.images[b->index[j]].path, folder, sizeof folder);
			*mislabelled += jv_get_kind(name) != JV_KIND_STRING || strcmp(jv_string_value(name), have);
			jv_free(name);
		}
		*images += b->n;
	}
	ul_loader_close(&l);
	return all;
}

/* The options a config record's args give a classification run. */
static void classify_args(void)
{
	const char *text = "{\"imgsz\": 224, \"batch\": 16, \"workers\": 2, \"seed\": 0, \"single_cls\": false,"
		" \"rect\": true,"
		" \"fraction\": 1.0, \"multi_scale\": 0.5, \"mosaic\": 1.0, \"mixup\": 0.0, \"cutmix\": 0.0, \"copy_paste\": 0.0,"
		" \"degrees\": 0.0, \"translate\": 0.1, \"scale\": 0.5, \"shear\": 0.0, \"perspective\": 0.0, \"hsv_h\": 0.015,"
		" \"hsv_s\": 0.7, \"hsv_v\": 0.4, \"flipud\": 0.0, \"fliplr\": 0.5, \"bgr\": 0.0, \"cache\": false, \"erasing\": 0.4,"
		" \"auto_augment\": \"randaugment\"}";
	jv args = jv_parse(text), err = jv_invalid();
	struct ul_label_rules rules = { UL_TASK_CLASSIFY, 10, 0, 0 };
	struct ul_loader_options t, v;
	int rc = ul_loader_options_from_args(&t, args, true, &rules, 0, 0, 0, &err) ||
		 ul_loader_options_from_args(&v, args, false, &rules, 0, 0, 0, &err);
	ok(!rc && t.classify.erasing == 0.4 && t.classify.policy == UL_POLICY_RANDAUGMENT && t.classify.scale == 0.5 &&
	   t.classify.fliplr == 0.5 && t.classify.flipud == 0 && t.classify.hsv_s == 0.7 && t.shuffle && t.batch == 16,
	   "classify args: erasing 0.4, randaugment, scale 0.5, fliplr 0.5, shuffled batches of 16");
	ok(!rc && !t.rect && !v.rect && t.multi_scale == 0 && v.batch == 32 && !v.shuffle,
	   "never rect nor multi_scale; validation in batches of 32, in order");
	args = jv_object_set(args, jv_string("auto_augment"), jv_string("augmix"));
	rc = ul_loader_options_from_args(&t, args, true, &rules, 0, 0, 0, &err);
	jv msg = rc ? jv_invalid_get_msg(err) : jv_string("");
	ok(rc && strstr(jv_string_value(msg), "augmix") && strstr(jv_string_value(msg), "randaugment, autoaugment"),
	   "auto_augment=augmix is refused, naming what is supported: %s", jv_string_value(msg));
	jv_free(msg);
	args = jv_object_set(args, jv_string("auto_augment"), jv_null());
	ok(!ul_loader_options_from_args(&t, args, true, &rules, 0, 0, 0, &err) && t.classify.policy == UL_POLICY_NONE,
	   "auto_augment null: no policy (ColorJitter)");
	jv_free(args);
}

/* The class names of a dataset folder's description, an array. */
static jv spec_names(const char *dataset)
{
	char path[512];
	jv spec = ul_dataset_spec_load(dataset_path(path, sizeof path, dataset));
	jv names = jv_is_valid(spec) ? jv_object_get(spec, jv_string("names")) : (jv_free(spec), jv_array());
	return names;
}

static void classify_imagenet10(void)
{
	jv names = spec_names("imagenet10"), train = entries("imagenet10/train"), val = entries("imagenet10/val");
	size_t n1, n4, nram, nnext, ndisk;
	int images, wrong, i4, w4;
	struct ul_loader_options t = classify_options(true, 4, 1, names);
	char *w1 = classify_bytes(train, &t, 0, names, &n1, &images, &wrong);
	ok(w1 && images == 12 && wrong == 0, "imagenet10 train: %d images, each batch's class its folder's (%d not)",
	   images, wrong);
	t.workers = 4;
	char *w4b = classify_bytes(train, &t, 0, names, &n4, &i4, &w4);
	ok(w4b && n4 == n1 && !memcmp(w1, w4b, n1), "the training epoch is the same bytes with 1 and 4 workers");
	t.cache = UL_CACHE_RAM;
	char *ram = classify_bytes(train, &t, 0, names, &nram, &i4, &w4);
	char *next = classify_bytes(train, &t, 1, names, &nnext, &i4, &w4);
	ok(ram && nram == n1 && !memcmp(w1, ram, n1), "and with cache=ram");
	ok(next && nnext == n1 && memcmp(w1, next, n1), "the next epoch is another");
	char home[] = "/tmp/ul-home-XXXXXX", cmd[600];
	ok(mkdtemp(home) != NULL, "a state directory");
	setenv("UL_HOME", home, 1);
	t.cache = UL_CACHE_DISK;
	char *disk = classify_bytes(train, &t, 0, names, &ndisk, &i4, &w4);
	char *again = classify_bytes(train, &t, 0, names, &nnext, &i4, &w4);
	snprintf(cmd, sizeof cmd, "test $(ls %s/cache/images | wc -l) -eq 12 && rm -rf %s", home, home);
	ok(disk && again && ndisk == n1 && nnext == n1 && !memcmp(w1, disk, n1) && !memcmp(w1, again, n1) && system(cmd) == 0,
	   "and with cache=disk, written then read back (12 entries)");
	unsetenv("UL_HOME");
	free(w1), free(w4b), free(ram), free(next), free(disk), free(again);

	/* validation: each image the validation transform of its decoded file, over 255 */
	struct ul_loader l;
	jv err = jv_invalid();
	struct ul_loader_options v = classify_options(false, 4, 2, names);
	int compared = 0, exact = 0, classed = 0;
	unsigned char *want = malloc((size_t)224 * 224 * 3);
	if (!ul_loader_open(&l, val, &v, &err) && !ul_loader_start(&l, 0, &err))
		for (struct ul_batch *b; (b = ul_loader_next(&l, &err)); ul_loader_release(&l, b))
			for (int j = 0; j < b->n; j++) {
				struct ul_image img;
				jv why = jv_invalid();
				compared++;
				if (ul_image_decode(l.images[b->index[j]].path, &img, &why) || ul_classify_val(&img, 224, want)) {
					jv_free(jv_invalid_get_msg(why));
					continue;
				}
				bool same = b->h == 224 && b->w == 224;
				for (size_t p = 0; same && p < (size_t)224 * 224 * 3; p++)
					same = b->images[(size_t)224 * 224 * 3 * j + p] == (float)want[p] / 255.0f;
				exact += same;
				classed += b->cls[j] == l.images[b->index[j]].cls;
				ul_image_free(&img);
			}
	ok(compared == 12 && exact == compared && classed == compared,
	   "imagenet10 val: %d images, each the validation transform of its file (%d)", compared, exact);
	ok(l.images && l.images[0].cls == 0 && l.images[l.n - 1].cls == 9, "in ImageFolder's order, class 0 first");
	ul_loader_close(&l);
	free(want);

	/* no names given: the split's own folders, sorted, which are the same here */
	size_t nd;
	v = classify_options(false, 5, 0, (jv){ 0 });
	char *derived = classify_bytes(val, &v, 0, names, &nd, &images, &wrong);
	ok(derived && images == 12 && wrong == 0, "without names, the val split's folders give the same classes");
	free(derived);
	jv_free(names), jv_free(train), jv_free(val);
}

/* mnist160, with names as a dataset record gives them ({"0": "0", ...}),
 * the val split (test/) numbered by them. */
static void classify_mnist160(void)
{
	jv array = spec_names("mnist160"), record = jv_object();
	jv_array_foreach(array, i, name)
		record = jv_object_set(record, jv_string_fmt("%d", i), name);
	jv train = entries("mnist160/train"), test = entries("mnist160/test");
	size_t n;
	int images, wrong, timages, twrong;
	struct ul_loader_options t = classify_options(true, 16, 2, record), v = classify_options(false, 32, 2, record);
	t.imgsz = v.imgsz = 64;
	char *a = classify_bytes(train, &t, 0, array, &n, &images, &wrong);
	char *b = classify_bytes(test, &v, 0, array, &n, &timages, &twrong);
	ok(a && b && images == 80 && wrong == 0 && timages == 80 && twrong == 0,
	   "mnist160: %d train and %d test images, classes by the record's names (%d, %d wrong)", images, timages, wrong,
	   twrong);
	free(a), free(b);
	jv_free(array), jv_free(record), jv_free(train), jv_free(test);
}

/* A copy of imagenet10's train split with a JPEG cut short, a text file
 * named .JPEG and an image in a folder that is no class. */
static void classify_bad_files(void)
{
	char dir[] = "/tmp/ul-classify-XXXXXX", cmd[4096], path[512];
	ok(mkdtemp(dir) != NULL, "a folder for a copy of imagenet10/train");
	snprintf(cmd, sizeof cmd,
		 "cp -r %s %s/train && chmod -R u+w %s && head -c 700 '%s/train/n01484850/n01484850_7967.JPEG' > %s/t && "
		 "mv %s/t '%s/train/n01484850/n01484850_7967.JPEG' && echo text > %s/train/n01443537/fake.JPEG && "
		 "mkdir %s/train/extra && cp '%s/train/n01518878/'* %s/train/extra/",
		 dataset_path(path, sizeof path, "imagenet10/train"), dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
	ok(system(cmd) == 0, "one image cut short, one not an image, one in a folder that is no class");
	jv names = spec_names("imagenet10");
	snprintf(path, sizeof path, "%s/train", dir);
	jv where = jv_array_append(jv_array(), jv_string(path)), err = jv_invalid();
	struct ul_loader l;
	struct ul_loader_options t = classify_options(true, 16, 2, names);
	int opened = ul_loader_open(&l, where, &t, &err);
	char *text = opened ? NULL : jv_dump_string_trunc(jv_copy(l.skipped), (char[1024]){ 0 }, 1024);
	ok(!opened && l.n == 12 && jv_array_length(jv_copy(l.skipped)) == 2 && strstr(text, "fake.JPEG") &&
	   strstr(text, "'extra' is not one of the dataset's classes"), "left out at open and named: %s", text ? text : "?");
	struct ul_batch *b = !opened && !ul_loader_start(&l, 0, &err) ? ul_loader_next(&l, &err) : NULL;
	bool replaced = b && b->n == 12;
	for (int j = 0; b && j < b->n; j++)
		replaced &= !strstr(l.images[b->index[j]].path, "7967");
	text = jv_dump_string_trunc(jv_copy(l.skipped), (char[1024]){ 0 }, 1024);
	ok(replaced && jv_array_length(jv_copy(l.skipped)) == 3 && strstr(text, "7967"),
	   "the cut one is replaced in its batch and named");
	if (b)
		ul_loader_release(&l, b);
	if (!opened)
		ul_loader_close(&l);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ok(system(cmd) == 0, "the copy removed");
	jv_free(names), jv_free(where);
}

int main(void)
{
	/* validation: rect batches of 2 */
	struct ul_loader l;
	jv err = jv_invalid();
	jv val = entries("coco8/images/val");
	struct ul_loader_options o = options(false, 2, 2);
	ok(ul_loader_open(&l, val, &o, &err) == 0 && l.n == 4 && l.batches == 2, "coco8 val: 4 images, 2 batches");
	/* by aspect h/w: 042 (478/640), 061 (488/640), 049 (500/381), 036 (640/481); batch 0's largest
	 * 0.7625 gives h = ceil(0.7625 x 20 + 0.5) x 32 = 512, w = ceil(20.5) x 32 = 672; batch 1 the turn */
	ok(l.shapes[0][0] == 512 && l.shapes[0][1] == 672 && l.shapes[1][0] == 672 && l.shapes[1][1] == 512,
	   "frames 512x672 then 672x512 (%dx%d, %dx%d)", l.shapes[0][0], l.shapes[0][1], l.shapes[1][0], l.shapes[1][1]);
	ul_loader_start(&l, 0, &err);
	struct ul_batch *b = ul_loader_next(&l, &err);
	ok(b && b->n == 2 && b->h == 512 && b->w == 672 && strstr(l.images[b->index[0]].path, "042"), "the first batch, in its frame");
	/* image 042 (640x478) letterboxed into 672x512 without upscaling: at 1x, padded 16 left, 17 top */
	struct ul_letterbox lb = ul_letterbox_plan(640, 478, 672, 512, false);
	ok(lb.ratio == 1 && lb.left == 16 && lb.top == 17, "042 sits at (16, 17) unscaled");
	float px = b->images[((size_t)17 * 672 + 16) * 3], pad = b->images[0];
	ok(fabsf(pad - 114 / 255.0f) < 1e-7f && px != pad, "padding is 114, the image starts at its offset");
	bool inside = b->nlabels > 0;
	for (size_t i = 0; i < b->nlabels; i++) {
		const struct ul_label *x = &b->labels[i];
		if (x->image == 0)
			inside &= (x->cx - x->w / 2) * 672 >= 16 - 1e-3 && (x->cx + x->w / 2) * 672 <= 656 + 1e-3 &&
				  (x->cy - x->h / 2) * 512 >= 17 - 1e-3 && (x->cy + x->h / 2) * 512 <= 495 + 1e-3;
	}
	ok(inside, "its %zu boxes lie inside the image's place in the frame", b->nlabels);
	ul_loader_release(&l, b);
	ok((b = ul_loader_next(&l, &err)) && b->h == 672 && b->w == 512, "the second batch");
	ul_loader_release(&l, b);
	ok(ul_loader_next(&l, &err) == NULL && jv_get_kind(err) == JV_KIND_INVALID, "then the end of the epoch");
	ul_loader_close(&l);

	/* training order and contents do not depend on the workers or the cache */
	jv train = entries("coco8/images/train");
	size_t n0, n1, n3, nram, nnext;
	struct ul_loader_options t = options(true, 2, 0);
	char *w0 = epoch_bytes(train, &t, 1, &n0);
	t.workers = 1;
	char *w1 = epoch_bytes(train, &t, 1, &n1);
	t.workers = 3;
	char *w3 = epoch_bytes(train, &t, 1, &n3);
	t.cache = UL_CACHE_RAM;
	char *ram = epoch_bytes(train, &t, 1, &nram);
	char *next = epoch_bytes(train, &t, 2, &nnext);
	ok(w0 && n0 > 0 && n0 == n1 && n0 == n3 && !memcmp(w0, w1, n0) && !memcmp(w0, w3, n0),
	   "an epoch's batches are the same bytes with 0, 1 and 3 workers");
	ok(nram == n0 && !memcmp(w0, ram, n0), "and with cache=ram");
	ok(nnext == n0 && memcmp(w0, next, n0) != 0, "the next epoch comes in another order");

	/* cache=disk: the same bytes, one entry per image in the state
	 * directory, read back by the next loader, a damaged entry rewritten */
	char home[] = "/tmp/ul-home-XXXXXX", listing[600];
	ok(mkdtemp(home) != NULL, "a state directory");
	setenv("UL_HOME", home, 1);
	t.cache = UL_CACHE_DISK;
	size_t ndisk, nagain;
	char *disk = epoch_bytes(train, &t, 1, &ndisk);
	snprintf(listing, sizeof listing, "test $(ls %s/cache/images | wc -l) -eq 4", home);
	ok(ndisk == n0 && !memcmp(w0, disk, n0) && system(listing) == 0, "cache=disk: the same bytes, 4 entries written");
	snprintf(listing, sizeof listing, "f=$(ls %s/cache/images/* | head -1) && head -c 100 $f > $f.cut && mv $f.cut $f", home);
	ok(system(listing) == 0, "one entry cut short");
	char *again = epoch_bytes(train, &t, 1, &nagain);
	ok(nagain == n0 && !memcmp(w0, again, n0), "read back (the cut one decoded again): the same bytes");
	snprintf(listing, sizeof listing,
		 "for f in %s/cache/images/*; do printf '\\377\\0\\377' | dd of=$f bs=1 seek=100 conv=notrunc 2>/dev/null; done", home);
	size_t nedited;
	char *edited = system(listing) == 0 ? epoch_bytes(train, &t, 1, &nedited) : NULL;
	ok(edited && nedited == n0 && memcmp(w0, edited, n0) != 0, "entries edited in place show in the batches: they are read");
	free(edited);
	snprintf(listing, sizeof listing, "rm -rf %s", home);
	ok(system(listing) == 0, "state directory removed");
	unsetenv("UL_HOME");
	free(w0), free(w1), free(w3), free(ram), free(next), free(disk), free(again);

	t = options(true, 4, 0);
	t.fraction = 0.5, t.single_cls = true;
	ok(ul_loader_open(&l, train, &t, &err) == 0 && l.n == 2, "fraction 0.5 keeps the first 2 images");
	ul_loader_start(&l, 0, &err);
	b = ul_loader_next(&l, &err);
	bool zero = b && b->nlabels > 0;
	for (size_t i = 0; b && i < b->nlabels; i++)
		zero &= b->labels[i].cls == 0;
	ok(zero && b->h == 640 && b->w == 640, "single_cls makes every class 0, in a 640 square");
	ul_loader_release(&l, b);
	ul_loader_close(&l);

	/* classes=: only the instances of those classes, every image kept;
	 * the class counts (coco8's train labels: 23 twice, 45 three times,
	 * 49 four times, 22, 50, 58 and 75 once) follow the filter */
	t = options(true, 4, 0);
	double counts[80];
	bool counted = !ul_loader_open(&l, train, &t, &err) && !ul_loader_class_counts(&l, 80, counts);
	ok(counted && counts[23] == 2 && counts[45] == 3 && counts[49] == 4 && counts[22] == 1 && counts[0] == 0,
	   "class counts over the training images: 2, 3 and 4 of classes 23, 45 and 49");
	ul_loader_close(&l);
	t.only_classes = true, t.classes[0] = 1ull << 23, t.classes[45 / 64] |= 1ull << (45 % 64);
	counted = !ul_loader_open(&l, train, &t, &err) && !ul_loader_class_counts(&l, 80, counts);
	ok(counted && counts[23] == 2 && counts[45] == 3 && counts[49] == 0 && counts[22] == 0,
	   "with classes=[23, 45]: those alone");
	int seen[80] = { 0 }, kept_images = 0;
	ul_loader_start(&l, 0, &err);
	while ((b = ul_loader_next(&l, &err))) {
		kept_images += b->n;
		for (size_t i = 0; i < b->nlabels; i++)
			seen[b->labels[i].cls]++;
		ul_loader_release(&l, b);
	}
	ok(kept_images == 4 && seen[23] == 2 && seen[45] == 3 && seen[49] + seen[22] + seen[50] + seen[58] + seen[75] == 0,
	   "the batches: all 4 images, 2 boxes of class 23 and 3 of 45, no others");
	ul_loader_close(&l);
	t.single_cls = true;
	counted = !ul_loader_open(&l, train, &t, &err) && !ul_loader_class_counts(&l, 80, counts);
	ok(counted && counts[0] == 5 && counts[23] == 0, "with single_cls too: 5 of class 0");
	ul_loader_close(&l);
	jv picked = jv_parse("{\"imgsz\": 640, \"batch\": 4, \"workers\": 0, \"seed\": 0, \"single_cls\": false,"
			     " \"rect\": false, \"classes\": [23, 45]}");
	struct ul_loader_options from;
	ok(!ul_loader_options_from_args(&from, picked, false, &t.rules, 0, 0, 0, &err) && from.only_classes &&
	   from.classes[0] == (1ull << 23 | 1ull << 45),
	   "classes=[23, 45] from a config's args");
	picked = jv_object_set(picked, jv_string("classes"), jv_number(-1));
	ok(ul_loader_options_from_args(&from, picked, false, &t.rules, 0, 0, 0, &err) == -1, "classes=-1 is refused");
	jv_free(jv_invalid_get_msg(err));
	err = jv_invalid();
	jv_free(picked);

	/* rect training: the frames of set_rectangle without padding (by
	 * aspect 034 425/640, 025 426/640 | 030 428/640, 009 480/640: h =
	 * ceil(0.6656 x 20) x 32 = 448, then ceil(0.75 x 20) x 32 = 480), the
	 * transforms into them, and no shuffling */
	t = options(true, 2, 0);
	t.rect = true, t.shuffle = false, t.augment = (struct ul_augment){ .translate = 0.1, .scale = 0.5, .fliplr = 0.5 };
	int frames = 0;
	if (!ul_loader_open(&l, train, &t, &err) && !ul_loader_start(&l, 0, &err))
		for (struct ul_batch *batch; (batch = ul_loader_next(&l, &err)); ul_loader_release(&l, batch))
			frames += (frames == 0 && batch->h == 448 && batch->w == 640) || (frames == 1 && batch->h == 480 && batch->w == 640);
	ok(frames == 2, "rect training: frames 448x640 then 480x640");
	ul_loader_close(&l);

	/* the full training transform, Ultralytics' defaults: the same batches
	 * with 1 or 4 workers, and not the plain letterboxed ones */
	t = options(true, 2, 1);
	t.augment = (struct ul_augment){ .mosaic = 1, .translate = 0.1, .scale = 0.5, .hsv_h = 0.015, .hsv_s = 0.7,
					 .hsv_v = 0.4, .fliplr = 0.5 };
	size_t na1, na4;
	char *a1 = epoch_bytes(train, &t, 0, &na1);
	t.workers = 4;
	char *a4 = epoch_bytes(train, &t, 0, &na4);
	ok(a1 && na1 == na4 && !memcmp(a1, a4, na1), "augmented batches: the same bytes with 1 and 4 workers");
	t.augment = (struct ul_augment){ 0 };
	size_t nplain;
	char *plain = epoch_bytes(train, &t, 0, &nplain);
	ok(plain && (nplain != na1 || memcmp(plain, a1, na1)), "and other than without augmentation");
	free(a1), free(a4), free(plain);

	/* coco128 at batch 2 keeps 16 images decoded: the buffer evicts as it
	 * goes, and the batches are still the same with 1 or 3 workers */
	jv many = entries("coco128/images/train");
	t = options(true, 2, 1);
	t.imgsz = 160;
	t.augment = (struct ul_augment){ .mosaic = 1, .translate = 0.1, .scale = 0.5, .fliplr = 0.5 };
	size_t nb1, nb3;
	char *b1 = epoch_bytes(many, &t, 0, &nb1);
	t.workers = 3;
	char *b3 = epoch_bytes(many, &t, 0, &nb3);
	ok(b1 && nb1 == nb3 && !memcmp(b1, b3, nb1), "coco128 through a 16-image buffer: the same bytes with 1 and 3 workers");
	free(b1), free(b3);
	jv_free(many);

	/* every detection-family dataset of shared/datasets loads and goes
	 * through the full training transform without a problem */
	struct { const char *split; struct ul_label_rules rules; int seg_points, kpt_count; } sets[] = {
		{ "coco8/images/train", { UL_TASK_DETECT, 80, 0, 0 }, 0, 0 },
		{ "coco128/images/train", { UL_TASK_DETECT, 80, 0, 0 }, 0, 0 },
		{ "coco8-seg/images/train", { UL_TASK_SEGMENT, 80, 0, 0 }, UL_SEGMENT_POINTS, 0 },
		{ "coco8-pose/images/train", { UL_TASK_POSE, 1, 17, 3 }, 0, 17 },
		{ "dota8/images/train", { UL_TASK_OBB, 15, 0, 0 }, 100, 0 },
	};
	for (size_t k = 0; k < sizeof sets / sizeof *sets; k++) {
		struct ul_loader_options d = options(true, 4, 2);
		d.imgsz = 160, d.rules = sets[k].rules, d.seg_points = sets[k].seg_points;
		d.kpt_count = sets[k].kpt_count, d.kpt_dims = sets[k].kpt_count ? 3 : 0;
		d.augment = (struct ul_augment){ .mosaic = 1, .translate = 0.1, .scale = 0.5, .hsv_h = 0.015, .hsv_s = 0.7,
						 .hsv_v = 0.4, .fliplr = 0.5, .copy_paste = sets[k].seg_points ? 0.5 : 0 };
		jv where = entries(sets[k].split);
		int images = 0, failed = ul_loader_open(&l, where, &d, &err);
		if (!failed && !(failed = ul_loader_start(&l, 0, &err)))
			for (struct ul_batch *batch; (batch = ul_loader_next(&l, &err)); ul_loader_release(&l, batch))
				images += batch->n;
		if (failed || jv_invalid_has_msg(jv_copy(err)))
			jv_free(jv_invalid_get_msg(err)), err = jv_invalid(), failed = 1;
		ok(!failed && images == l.n && jv_array_length(jv_copy(l.skipped)) == 0, "%s: %d images through the transforms",
		   sets[k].split, images);
		if (!failed || l.images)
			ul_loader_close(&l);
		jv_free(where);
	}

	/* pose: every keypoint of the batches is its label file's, through the
	 * letterbox into the frame and normalised to it */
	struct ul_loader_options pose = options(false, 4, 0);
	pose.rules = (struct ul_label_rules){ UL_TASK_POSE, 1, 17, 3 }, pose.kpt_count = 17, pose.kpt_dims = 3;
	jv pose_val = entries("coco8-pose/images/val");
	int compared = 0;
	double worst = 0;
	if (!ul_loader_open(&l, pose_val, &pose, &err) && !ul_loader_start(&l, 0, &err))
		for (struct ul_batch *batch; (batch = ul_loader_next(&l, &err)); ul_loader_release(&l, batch)) {
			size_t label = 0;
			for (int j = 0; j < batch->n; j++) {
				const struct ul_loader_image *im = &l.images[batch->index[j]];
				int rw, rh;
				ul_long_side_size(im->w, im->h, 640, &rw, &rh);
				struct ul_letterbox plan = ul_letterbox_plan(rw, rh, batch->w, batch->h, false);
				/* the label file's rows (its text is not NUL-ended), in order, as the batch has them */
				char *text = strndup(im->labels ? im->labels : "", im->labels ? im->len : 0);
				for (const char *row = text; row && *row && label < batch->nlabels; label++) {
					double v[56];
					int n = 0;
					char *end;
					for (const char *q = row; n < 56; q = end) {
						v[n] = strtod(q, &end);
						if (end == q)
							break;
						n++;
					}
					for (int k = 0; n == 56 && k < 17; k++, compared++) {
						const float *p = batch->keypoints + (label * 17 + k) * 3;
						double x = (v[5 + 3 * k] * rw * plan.ratio + plan.left) / batch->w;
						double y = (v[6 + 3 * k] * rh * plan.ratio + plan.top) / batch->h;
						worst = fmax(worst, fmax(fabs(p[0] - x), fabs(p[1] - y)));
						worst = fmax(worst, fabs(p[2] - v[7 + 3 * k]));
					}
					row = strchr(row, '\n');
					row = row ? row + 1 : NULL;
				}
				free(text);
			}
		}
	ok(compared == 17 * 14 && worst < 1e-5, "coco8-pose: %d keypoints, each its file's through the letterbox (worst %.2g)",
	   compared, worst);
	ul_loader_close(&l);
	jv_free(pose_val);

	/* segment: an overlap mask per image at 1/4 of the frame, each label
	 * numbered in it (k + 1 for its k-th instance), every pixel of that
	 * number inside its box */
	struct ul_loader_options seg = options(false, 4, 2);
	seg.rules = (struct ul_label_rules){ UL_TASK_SEGMENT, 80, 0, 0 }, seg.seg_points = UL_SEGMENT_POINTS;
	seg.mask_ratio = 4, seg.overlap_mask = true;
	jv seg_val = entries("coco8-seg/images/val");
	long marked = 0, outside = 0;
	int masks_ok = !ul_loader_open(&l, seg_val, &seg, &err) && !ul_loader_start(&l, 0, &err);
	for (struct ul_batch *batch; masks_ok && (batch = ul_loader_next(&l, &err)); ul_loader_release(&l, batch)) {
		masks_ok &= batch->mask_h == batch->h / 4 && batch->mask_w == batch->w / 4;
		size_t area = (size_t)batch->mask_h * batch->mask_w, first = 0;
		for (int j = 0; j < batch->n; j++) {
			const uint16_t *m = batch->masks + area * j;
			size_t count = 0;
			while (first + count < batch->nlabels && batch->labels[first + count].image == j)
				count++;
			for (size_t p = 0; p < area; p++) {
				if (!m[p])
					continue;
				marked++;
				if (m[p] > count) {
					outside++;
					continue;
				}
				const struct ul_label *x = &batch->labels[first + m[p] - 1];
				float mx = (p % batch->mask_w + 0.5f) / batch->mask_w, my = (p / batch->mask_w + 0.5f) / batch->mask_h;
				outside += fabsf(mx - x->cx) > x->w / 2 + 2.0f / batch->mask_w || fabsf(my - x->cy) > x->h / 2 + 2.0f / batch->mask_h;
			}
			first += count;
		}
	}
	ok(masks_ok && marked > 1000 && outside == 0, "coco8-seg: %ld mask pixels numbered, %ld outside their instance's box",
	   marked, outside);
	ul_loader_close(&l);
	jv_free(seg_val);

	/* bad files in a copy of coco8's train images */
	ok(scratch_begin() != NULL, "a scratch folder");
	char cmd[4096], path[512];
	snprintf(cmd, sizeof cmd, "mkdir -p %s/images %s/labels && cp %s/images/train/* %s/images && cp %s/labels/train/* %s/labels",
		 scratch_dir, scratch_dir, dataset_path(path, sizeof path, "coco8"), scratch_dir, path, scratch_dir);
	ok(system(cmd) == 0, "coco8 copied");
	snprintf(cmd, sizeof cmd, "echo '0 0.5 0.5' > %s/labels/000000000025.txt && head -c 2000 %s/images/000000000030.jpg > %s/t && mv %s/t %s/images/000000000030.jpg",
		 scratch_dir, scratch_dir, scratch_dir, scratch_dir, scratch_dir);
	ok(system(cmd) == 0, "one label file broken, one image cut short");
	snprintf(path, sizeof path, "%s/images", scratch_dir);
	jv copy = jv_array_append(jv_array(), jv_string(path));
	t = options(true, 4, 2);
	int opened = ul_loader_open(&l, copy, &t, &err);
	ok(opened == 0 && l.n == 3, "the broken label file's image is left out (%d left)", l.n);
	jv first = jv_array_get(jv_copy(l.skipped), 0);
	jv problem = jv_object_get(jv_copy(first), jv_string("problem"));
	ok(jv_get_kind(problem) == JV_KIND_STRING && strstr(jv_string_value(problem), "line 1"), "and named: %s",
	   jv_get_kind(problem) == JV_KIND_STRING ? jv_string_value(problem) : "?");
	jv_free(first), jv_free(problem);
	ul_loader_start(&l, 0, &err);
	b = ul_loader_next(&l, &err);
	ok(b && b->n == 3 && jv_array_length(jv_copy(l.skipped)) == 2, "the cut image is replaced in its batch and named");
	bool replaced = b != NULL;
	for (int j = 0; b && j < b->n; j++)
		replaced &= !strstr(l.images[b->index[j]].path, "030");
	ok(replaced, "by images that load");
	if (b)
		ul_loader_release(&l, b);
	ul_loader_close(&l);
	scratch_end();

	jv_free(val), jv_free(train), jv_free(copy);

	mosaic_buffer();
	classify_args();
	classify_imagenet10();
	classify_mnist160();
	classify_bad_files();
	return done_testing();
}
