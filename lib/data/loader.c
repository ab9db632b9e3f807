#include "data/loader.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/run_args.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/random.h"
#include "data/classify_batch.h"
#include "data/image_cache.h"
#include "data/image_probe.h"
#include "data/letterbox.h"
#include "data/masks.h"
#include "data/multi_scale.h"
#include "data/sample_load.h"
#include "data/split_files.h"

#define MAX_DEPTH 4      /* batches in flight: each holds a whole NHWC buffer */

/* --- options --------------------------------------------------------------- */

/* classify: ClassificationDataset's transforms take the flips, scale and
 * hsv gains the detection ones read, and erasing and auto_augment (null or
 * false: none); its batches are never rect nor multi_scale. */
static int classify_options(struct ul_loader_options *o, jv args, bool train, jv *err)
{
	struct ul_classify_augment *c = &o->classify;
	const struct ul_augment *a = &o->augment;
	o->rect = false, o->pad = 0, o->multi_scale = 0, o->shuffle = train;
	if (!train)
		return 0;
	*c = (struct ul_classify_augment){ .scale = a->scale, .fliplr = a->fliplr, .flipud = a->flipud,
					   .hsv_h = a->hsv_h, .hsv_s = a->hsv_s, .hsv_v = a->hsv_v };
	if (ul_run_number(args, "erasing", &c->erasing, err))
		return -1;
	jv policy = jv_object_get(jv_copy(args), jv_string("auto_augment"));
	int kind = jv_get_kind(policy), rc = 0;
	const char *name = kind == JV_KIND_STRING ? jv_string_value(policy) : NULL;
	if ((kind != JV_KIND_STRING && kind != JV_KIND_NULL && kind != JV_KIND_FALSE) ||
	    ul_classify_policy_from_name(name, &c->policy))
		rc = ul_invalid(err, "auto_augment=%s is not supported: randaugment, autoaugment or none", name ? name : "?");
	jv_free(policy);
	return rc;
}

/* classes=: null, one index or a list of them. */
static int classes_of(struct ul_loader_options *o, jv args, jv *err)
{
	jv v = jv_object_get(jv_copy(args), jv_string("classes"));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		v = jv_array_append(jv_array(), v);
	int rc = 0;
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		o->only_classes = true;
		jv_array_foreach(v, i, c) {
			double x = jv_get_kind(c) == JV_KIND_NUMBER ? jv_number_value(c) : -1;
			if (!rc && !(x >= 0 && x < 64 * UL_LOADER_CLASS_WORDS && x == (int)x))
				rc = ul_invalid(err, "classes: a list of class indices from 0 to %d", 64 * UL_LOADER_CLASS_WORDS - 1);
			else if (!rc)
				o->classes[(int)x / 64] |= 1ull << ((int)x % 64);
			jv_free(c);
		}
	} else if (jv_get_kind(v) != JV_KIND_NULL && jv_get_kind(v) != JV_KIND_INVALID) {
		rc = ul_invalid(err, "classes: a class index or a list of them");
	}
	jv_free(v);
	return rc;
}

int ul_loader_options_from_args(struct ul_loader_options *o, jv args, bool train, const struct ul_label_rules *rules,
				int seg_points, int kpt_count, int kpt_dims, jv *err)
{
	struct ul_augment *a = &o->augment;
	double imgsz, batch, workers, seed, fraction = 1, single_cls, rect;
	*o = (struct ul_loader_options){ .stride = 32, .train = train, .rules = *rules, .seg_points = seg_points,
					 .kpt_count = kpt_count, .kpt_dims = kpt_dims };
	if (ul_run_number(args, "imgsz", &imgsz, err) || ul_run_number(args, "batch", &batch, err) ||
	    ul_run_number(args, "workers", &workers, err) || ul_run_number(args, "seed", &seed, err) ||
	    ul_run_number(args, "single_cls", &single_cls, err) || ul_run_number(args, "rect", &rect, err) ||
	    classes_of(o, args, err) || (train && (ul_run_number(args, "fraction", &fraction, err) ||
		       ul_run_number(args, "multi_scale", &o->multi_scale, err))))
		return -1;
	if (train && (ul_run_number(args, "mosaic", &a->mosaic, err) || ul_run_number(args, "mixup", &a->mixup, err) ||
		      ul_run_number(args, "cutmix", &a->cutmix, err) || ul_run_number(args, "copy_paste", &a->copy_paste, err) ||
		      ul_run_number(args, "degrees", &a->degrees, err) ||
		      ul_run_number(args, "translate", &a->translate, err) || ul_run_number(args, "scale", &a->scale, err) ||
		      ul_run_number(args, "shear", &a->shear, err) || ul_run_number(args, "perspective", &a->perspective, err) ||
		      ul_run_number(args, "hsv_h", &a->hsv_h, err) || ul_run_number(args, "hsv_s", &a->hsv_s, err) ||
		      ul_run_number(args, "hsv_v", &a->hsv_v, err) || ul_run_number(args, "flipud", &a->flipud, err) ||
		      ul_run_number(args, "fliplr", &a->fliplr, err) || ul_run_number(args, "bgr", &a->bgr, err)))
		return -1;
	/* the trainer stops the mixing transforms close_mosaic epochs before the
	 * end; as in Ultralytics, never in a run of fewer epochs than that */
	double epochs, close;
	bool mixing = train && rules->task != UL_TASK_CLASSIFY;
	if (mixing && (ul_run_number(args, "epochs", &epochs, err) || ul_run_number(args, "close_mosaic", &close, err)))
		return -1;
	o->close_at = mixing && close > 0 && epochs >= close ? (int)(epochs - close) : INT_MAX;
	double mask_ratio, overlap;
	if (rules->task == UL_TASK_SEGMENT && (ul_run_number(args, "mask_ratio", &mask_ratio, err) ||
					       ul_run_number(args, "overlap_mask", &overlap, err)))
		return -1;
	if (rules->task == UL_TASK_SEGMENT)
		o->mask_ratio = (int)mask_ratio, o->overlap_mask = overlap != 0;
	jv cache = jv_object_get(jv_copy(args), jv_string("cache"));
	int kind = jv_get_kind(cache);
	if (kind == JV_KIND_TRUE || (kind == JV_KIND_STRING && !strcmp(jv_string_value(cache), "ram")))
		o->cache = UL_CACHE_RAM;
	else if (kind == JV_KIND_STRING && !strcmp(jv_string_value(cache), "disk"))
		o->cache = UL_CACHE_DISK;
	jv_free(cache);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->imgsz = (int)imgsz, o->batch = (int)batch * (train ? 1 : 2), o->seed = (uint64_t)seed;
	o->workers = (int)(workers < cores ? workers : cores);
	o->fraction = fraction, o->single_cls = single_cls != 0;
	/* validation always runs on rect frames, training on them when asked,
	 * and then without the transforms that mix images (as Ultralytics) */
	o->rect = !train || rect != 0, o->pad = train ? 0 : 0.5, o->shuffle = train && !rect;
	if (train && rect)
		a->mosaic = a->mixup = a->cutmix = a->copy_paste = 0;
	if (rules->task == UL_TASK_CLASSIFY && classify_options(o, args, train, err))
		return -1;
	return o->imgsz > 0 && o->batch > 0 ? 0 : ul_invalid(err, "imgsz and batch must be positive");
}

/* --- opening -------------------------------------------------------------- */

/* Whether classes= keeps class c (everything without classes=). */
static bool class_kept(const struct ul_loader_options *o, int c)
{
	return !o->only_classes || (c >= 0 && c < 64 * UL_LOADER_CLASS_WORDS && (o->classes[c / 64] >> (c % 64) & 1));
}

/* classes=: the other classes' instances go, as Ultralytics' dataset drops
 * them before any transform (the image stays). 0, or -1 with a message. */
static int keep_classes(struct ul_sample *s, const struct ul_loader_options *o, jv *err)
{
	if (!o->only_classes || s->n == 0)
		return 0;
	bool *keep = malloc(sizeof *keep * (size_t)s->n);
	if (!keep)
		return ul_invalid(err, "out of memory");
	for (int i = 0; i < s->n; i++)
		keep[i] = class_kept(o, s->cls[i]);
	ul_sample_keep(s, keep);
	free(keep);
	return 0;
}

static void skip(struct ul_loader *l, const char *path, jv problem)
{
	jv entry = jv_object_set(jv_object(), jv_string("path"), jv_string(path));
	l->skipped = jv_array_append(l->skipped, jv_object_set(entry, jv_string("problem"), problem));
}

/* Reads image i's label file (classify: none, its class cls) and header;
 * false when it is left out. */
static bool admit(struct ul_loader *l, const char *path, int cls, struct ul_loader_image *im)
{
	char label[4096];
	ul_label_path(path, label, sizeof label);
	*im = (struct ul_loader_image){ .path = strdup(path), .cls = cls };
	if (l->o.rules.task != UL_TASK_CLASSIFY)
		im->labels = ul_read_file(label, &im->len);
	struct ul_image_info info;
	struct ul_label_check check;
	if (!ul_image_probe(path, &info)) {
		skip(l, path, jv_string(info.problem));
	} else if (im->labels && (ul_labels_check(im->labels, im->len, &l->o.rules, &check), check.bad_line)) {
		skip(l, path, jv_string_fmt("%s line %d: %s", label, check.bad_line, check.problem));
	} else if (im->path) {
		im->w = info.width, im->h = info.height;
		pthread_mutex_init(&im->lock, NULL);
		return true;
	}
	free(im->path), free(im->labels);
	return false;
}

static int by_aspect(const void *pa, const void *pb)
{
	const struct ul_loader_image *a = pa, *b = pb;
	double x = (double)a->h / a->w, y = (double)b->h / b->w;
	return x < y ? -1 : x > y ? 1 : strcmp(a->path, b->path);
}

/* Rect frames (Ultralytics' set_rectangle): images by aspect, each
 * batch's (h, w) the shape of its extreme aspect scaled to imgsz, rounded
 * up to the stride after pad strides. */
static int plan_rect(struct ul_loader *l)
{
	qsort(l->images, l->n, sizeof *l->images, by_aspect);
	l->shapes = malloc(sizeof *l->shapes * l->batches);
	if (!l->shapes)
		return -1;
	for (int k = 0; k < l->batches; k++) {
		int first = k * l->o.batch, last = first + l->o.batch < l->n ? first + l->o.batch - 1 : l->n - 1;
		double lo = (double)l->images[first].h / l->images[first].w, hi = (double)l->images[last].h / l->images[last].w;
		double shape[2] = { 1, 1 };
		if (hi < 1)
			shape[0] = hi;
		else if (lo > 1)
			shape[1] = 1 / lo;
		for (int d = 0; d < 2; d++)
			l->shapes[k][d] = (int)ceil(shape[d] * l->o.imgsz / l->o.stride + l->o.pad) * l->o.stride;
	}
	return 0;
}

int ul_loader_open(struct ul_loader *l, jv entries, const struct ul_loader_options *o, jv *err)
{
	*l = (struct ul_loader){ .o = *o, .skipped = jv_array() };
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->changed, NULL);
	struct ul_paths paths = { 0 };
	jv_array_foreach(entries, i, entry) {
		if (jv_get_kind(entry) == JV_KIND_STRING && ul_split_entry(jv_string_value(entry), &paths))
			skip(l, jv_string_value(entry), jv_string("no images there"));
		jv_free(entry);
	}
	ul_paths_sort(&paths);
	bool classify = o->rules.task == UL_TASK_CLASSIFY;
	int *cls = NULL;
	l->o.names = jv_null();  /* borrowed: read here only */
	bool classified = !classify || !ul_classify_classes(&paths, o->names, &cls, &l->skipped);
	size_t keep = o->fraction < 1 ? (size_t)lround(paths.n * o->fraction) : paths.n;
	l->images = classified ? calloc(keep + 1, sizeof *l->images) : NULL;
	for (size_t i = 0; l->images && i < keep; i++)
		if (admit(l, paths.items[i], cls ? cls[i] : 0, &l->images[l->n]))
			l->n++;
	ul_paths_free(&paths);
	free(cls);
	if (!l->images || l->n == 0) {
		int rc = l->images ? ul_invalid(err, "no usable image (%d left out)", jv_array_length(jv_copy(l->skipped)))
				   : ul_invalid(err, "out of memory");
		ul_loader_close(l);
		return rc;
	}
	l->batches = (l->n + o->batch - 1) / o->batch;
	l->depth = (o->workers < MAX_DEPTH - 1 ? o->workers : MAX_DEPTH - 1) + 1;
	if (o->rect && plan_rect(l)) {
		ul_loader_close(l);
		return ul_invalid(err, "out of memory");
	}
	/* every slot holds the largest frame, twice with multi_scale (the
	 * batch at imgsz, then resized) */
	int side = o->multi_scale > 0 ? ul_multi_scale_max(o->imgsz, o->multi_scale, o->stride) : o->imgsz;
	side = side > o->imgsz ? side : o->imgsz;
	size_t frame = (size_t)side * side;
	for (int k = 0; o->rect && k < l->batches; k++)
		if ((size_t)l->shapes[k][0] * l->shapes[k][1] > frame)
			frame = (size_t)l->shapes[k][0] * l->shapes[k][1];
	/* decoded images kept: as many as Ultralytics' buffer holds */
	l->buffer_cap = ul_mosaic_buffer_length(l->n, o->batch);
	l->buffer = malloc(sizeof *l->buffer * l->buffer_cap);
	l->slots = calloc(l->depth, sizeof *l->slots);
	l->order = malloc(sizeof *l->order * l->n);
	bool ok = l->slots && l->order && l->buffer;
	if (o->train && !classify) {
		l->opened = o->augment;
		l->plans = malloc(sizeof *l->plans * l->n);
		ok &= l->plans && !ul_mosaic_buffer_init(&l->mosaic, l->n, o->batch, o->cache != UL_CACHE_RAM,
							 UL_AUGMENT_LOADS * l->n);
	}
	for (int s = 0; ok && s < l->depth; s++) {
		struct ul_batch *b = &l->slots[s];
		b->slot = s, b->error = jv_null();
		b->images = malloc(sizeof *b->images * frame * 3 * o->batch);
		b->index = malloc(sizeof *b->index * o->batch);
		if (o->multi_scale > 0)
			b->resized = malloc(sizeof *b->resized * frame * 3 * o->batch);
		if (classify)
			b->cls = malloc(sizeof *b->cls * o->batch);
		ok = b->images && b->index && (o->multi_scale <= 0 || b->resized) && (!classify || b->cls);
	}
	if (!ok) {
		ul_loader_close(l);
		return ul_invalid(err, "out of memory for %d batches in flight", l->depth);
	}
	return 0;
}

/* --- making a batch ---------------------------------------------------------- */

/* Without cache=ram, a buffer of the images loaded last, as Ultralytics
 * keeps one for its mosaics: image i has just entered the cache; the
 * oldest leaves when the buffer is full. Locks one image at a time, never
 * inside another's. */
static void buffer_admit(struct ul_loader *l, int i)
{
	pthread_mutex_lock(&l->lock);
	int victim = -1;
	if (l->buffered == l->buffer_cap)
		victim = l->buffer[l->buffer_head];
	else
		l->buffered++;
	l->buffer[l->buffer_head] = i;
	l->buffer_head = (l->buffer_head + 1) % l->buffer_cap;
	pthread_mutex_unlock(&l->lock);
	if (victim >= 0 && victim != i) {
		pthread_mutex_lock(&l->images[victim].lock);
		ul_image_free(&l->images[victim].cached);
		pthread_mutex_unlock(&l->images[victim].lock);
	}
}

/* Image i as loaded: from the cache, or decoded and resized into it. The
 * cache holds every image with cache=ram, the last few loaded without. */
static int load_image(struct ul_loader *l, int i, struct ul_sample *out, jv *err)
{
	struct ul_loader_image *im = &l->images[i];
	ul_sample_free(out);
	pthread_mutex_lock(&im->lock);
	int rc = 0;
	bool loaded = false;
	if (!im->cached.rgb && l->o.cache == UL_CACHE_DISK) {
		rc = ul_image_cache_load(im->path, l->o.imgsz, &im->cached, err);
		loaded = !rc;
	} else if (!im->cached.rgb) {
		struct ul_image raw = { 0 };
		rc = ul_image_decode(im->path, &raw, err);
		if (!rc && (rc = ul_image_long_side(&raw, l->o.imgsz, &im->cached)))
			ul_invalid(err, "%s: out of memory resizing", im->path);
		ul_image_free(&raw);
		loaded = !rc;
	}
	size_t bytes = (size_t)im->cached.w * im->cached.h * 3;
	if (!rc && !(out->img.rgb = malloc(bytes)))
		rc = ul_invalid(err, "out of memory");
	if (!rc)
		memcpy(out->img.rgb, im->cached.rgb, bytes), out->img.w = im->cached.w, out->img.h = im->cached.h;
	pthread_mutex_unlock(&im->lock);
	if (loaded && l->o.cache != UL_CACHE_RAM)
		buffer_admit(l, i);
	if (rc)
		return -1;
	if (ul_sample_set_labels(out, im->labels, im->len, &l->o.rules, err) || keep_classes(out, &l->o, err)) {
		jv msg = jv_invalid_get_msg(*err);
		*err = jv_invalid_with_msg(jv_string_fmt("%s: %s", im->path, jv_string_value(msg)));
		jv_free(msg);
		return -1;
	}
	return 0;
}

/* A sample's loads, and which image failed if one did. */
struct loads {
	struct ul_loader *l;
	int failed;
};

static int source_load(void *ctx, int index, struct ul_sample *out, jv *err)
{
	struct loads *c = ctx;
	int rc = load_image(c->l, index, out, err);
	if (rc)
		c->failed = index;
	return rc;
}

/* classify: image i as decoded, borrowed from the cache (cache=ram keeps
 * each whole until close, never changed once there) or decoded into *own;
 * cache=disk stores the original, its long side "resized" to its own. */
static int load_original(struct ul_loader *l, int i, struct ul_image *own, const struct ul_image **img, jv *err)
{
	struct ul_loader_image *im = &l->images[i];
	*own = (struct ul_image){ 0 };
	*img = own;
	if (l->o.cache == UL_CACHE_DISK)
		return ul_image_cache_load(im->path, im->w > im->h ? im->w : im->h, own, err);
	if (l->o.cache != UL_CACHE_RAM)
		return ul_image_decode(im->path, own, err);
	pthread_mutex_lock(&im->lock);
	int rc = im->cached.rgb ? 0 : ul_image_decode(im->path, &im->cached, err);
	pthread_mutex_unlock(&im->lock);
	*img = &im->cached;
	return rc;
}

/* classify: image `index` through the training or the validation
 * transform into s's image, imgsz square. */
static int classify_sample(struct ul_loader *l, int index, uint64_t *rng, struct ul_sample *s, int *failed, jv *err)
{
	int side = l->o.imgsz;
	if (!s->img.rgb || s->img.w != side || s->img.h != side) {
		ul_image_free(&s->img);
		if (!(s->img.rgb = malloc((size_t)side * side * 3)))
			return ul_invalid(err, "out of memory");
		s->img.w = s->img.h = side;
	}
	struct ul_image own;
	const struct ul_image *img;
	if (load_original(l, index, &own, &img, err)) {
		*failed = index;
		return -1;
	}
	int rc = l->o.train ? ul_classify_train(&l->o.classify, img, side, rng, s->img.rgb)
			    : ul_classify_val(img, side, s->img.rgb);
	ul_image_free(&own);
	return rc ? ul_invalid(err, "out of memory") : 0;
}

/* Image `index` as the sample at place p of the epoch: transformed into
 * the frame for training, letterboxed into it for validation. *failed: the image
 * that could not be loaded, or -1 when the failure was not an image's. */
static int make_sample(struct ul_loader *l, int p, int index, int w, int h, struct ul_sample *s, int *failed, jv *err)
{
	uint64_t rng = ul_mix64(l->o.seed) ^ ul_mix64(((uint64_t)l->epoch << 32) + (uint64_t)p);
	struct loads loads = { l, -1 };
	struct ul_sample_source src = { source_load, &loads };
	int rc;
	if (l->o.rules.task == UL_TASK_CLASSIFY) {
		rc = classify_sample(l, index, &rng, s, &loads.failed, err);
	} else if (l->o.train) {
		struct ul_mix_plan plan = l->plans[p];
		plan.own.image = index;  /* the next image when the planned one failed */
		rc = ul_augment_train(&l->o.augment, l->o.imgsz, w, h, &src, &plan, &rng, s, err);
	} else if (!(rc = source_load(&loads, index, s, err)) && ul_letterbox_sample(s, w, h, l->o.train)) {
		rc = ul_invalid(err, "out of memory");
	}
	*failed = loads.failed;
	return rc;
}

/* The sample at place p, or when an image fails to load (it no longer
 * decodes: a scan checks headers only), the same with the next image that
 * works; a failed image is named in skipped and not tried again. */
static int sample_at(struct ul_loader *l, int p, int w, int h, struct ul_sample *s, int *index, jv *err)
{
	for (int tries = 0; tries < l->n; tries++) {
		int i = (l->order[p] + tries) % l->n, failed;
		pthread_mutex_lock(&l->lock);
		bool bad = l->images[i].bad;
		pthread_mutex_unlock(&l->lock);
		if (bad)
			continue;
		jv why = jv_invalid();
		if (!make_sample(l, p, i, w, h, s, &failed, &why)) {
			*index = i;
			return 0;
		}
		if (failed < 0) {
			*err = why;
			return -1;
		}
		pthread_mutex_lock(&l->lock);
		l->images[failed].bad = true;
		skip(l, l->images[failed].path, jv_invalid_get_msg(why));
		pthread_mutex_unlock(&l->lock);
	}
	return ul_invalid(err, "no image of the set can be loaded any more");
}

/* The sample's instances as the batch's labels, normalised to its frame,
 * and their keypoints likewise (x / w, y / h, visibility as it is), as
 * Ultralytics' Format hands them to the loss. */
static int add_labels(struct ul_batch *b, const struct ul_sample *s, int image, bool single_cls)
{
	size_t per = (size_t)s->kpt_count * s->kpt_dims, need = b->nlabels + (size_t)s->n;
	if (need > b->cap_labels) {
		size_t cap = need * 2;
		struct ul_label *grown = realloc(b->labels, sizeof *grown * cap);
		if (grown)
			b->labels = grown;
		float *kpts = per ? realloc(b->keypoints, sizeof *kpts * per * cap) : NULL;
		if (kpts)
			b->keypoints = kpts;
		if (!grown || (per && !kpts))
			return -1;
		b->cap_labels = cap;
	}
	for (int i = 0; i < s->n; i++) {
		const float *x = s->boxes + 4 * i, *k = s->keypoints + per * i;
		float *out = b->keypoints + per * b->nlabels;
		for (size_t d = 0; d < per; d++) {
			size_t axis = d % (size_t)s->kpt_dims;
			out[d] = axis == 0 ? k[d] / b->w : axis == 1 ? k[d] / b->h : k[d];
		}
		b->labels[b->nlabels++] = (struct ul_label){ image, single_cls ? 0 : s->cls[i], (x[0] + x[2]) / 2 / b->w,
							     (x[1] + x[3]) / 2 / b->h, (x[2] - x[0]) / b->w, (x[3] - x[1]) / b->h };
	}
	return 0;
}

/* segment: the sample's masks into the batch (one for the image, or one
 * per instance), and its instances put in the masks' order, as Format
 * does. */
static int add_masks(const struct ul_loader *l, struct ul_batch *b, struct ul_sample *s, int image)
{
	int r = l->o.mask_ratio;
	b->mask_h = b->h / r, b->mask_w = b->w / r;
	size_t area = (size_t)b->mask_h * b->mask_w, first = l->o.overlap_mask ? (size_t)image : b->nlabels;
	size_t need = first + (l->o.overlap_mask ? 1 : (size_t)s->n);
	if (need > b->cap_masks) {
		size_t cap = need * 2;
		uint16_t *grown = realloc(b->masks, sizeof *grown * area * cap);
		if (!grown)
			return -1;
		b->masks = grown, b->cap_masks = cap;
	}
	int *order = malloc(sizeof *order * (s->n + 1));
	int rc = order ? ul_sample_masks(s, r, l->o.overlap_mask, b->masks + area * first, order) : -1;
	if (!rc)
		rc = ul_sample_reorder(s, order);
	free(order);
	return rc;
}

/* multi_scale: batch k resized to its drawn frame; labels, normalised,
 * stay as they are. */
static int rescale(const struct ul_loader *l, int k, struct ul_batch *b, jv *err)
{
	uint64_t rng = ul_mix64(l->o.seed ^ 0x6d756c7469ull) ^ ul_mix64(((uint64_t)l->epoch << 32) + (uint64_t)k);
	int h, w;
	ul_multi_scale_shape(&rng, l->o.imgsz, l->o.multi_scale, l->o.stride, b->h, b->w, &h, &w);
	if (h == b->h && w == b->w)
		return 0;
	if (ul_resize_bilinear_f32(b->images, b->n, b->h, b->w, b->resized, h, w))
		return ul_invalid(err, "out of memory");
	float *swap = b->images;
	b->images = b->resized, b->resized = swap, b->h = h, b->w = w;
	return 0;
}

/* Batch k into b. */
static int make_batch(struct ul_loader *l, int k, struct ul_batch *b, struct ul_sample *s, jv *err)
{
	b->n = l->n - k * l->o.batch < l->o.batch ? l->n - k * l->o.batch : l->o.batch;
	b->h = l->o.rect ? l->shapes[k][0] : l->o.imgsz, b->w = l->o.rect ? l->shapes[k][1] : l->o.imgsz;
	b->nlabels = 0;
	size_t frame = (size_t)b->h * b->w * 3;
	for (int j = 0; j < b->n; j++) {
		if (sample_at(l, k * l->o.batch + j, b->w, b->h, s, &b->index[j], err))
			return -1;
		if (b->cls)
			b->cls[j] = l->o.single_cls ? 0 : l->images[b->index[j]].cls;
		const unsigned char *px = s->img.rgb;
		float *dst = b->images + frame * j;
		for (size_t i = 0; i < frame; i++)
			dst[i] = (float)px[i] / 255.0f;  /* a division, as torch divides; it vectorises */
		if ((l->o.mask_ratio && add_masks(l, b, s, j)) || add_labels(b, s, j, l->o.single_cls))
			return ul_invalid(err, "out of memory");
	}
	return l->o.multi_scale > 0 ? rescale(l, k, b, err) : 0;
}

/* --- the workers and the queue ------------------------------------------------ */

/* One worker: the epoch's batches in turn, never more than depth ahead of
 * the consumer. */
static void *work(void *arg)
{
	struct ul_loader *l = arg;
	struct ul_sample s;
	ul_sample_init(&s, l->o.seg_points, l->o.kpt_count, l->o.kpt_dims);
	pthread_mutex_lock(&l->lock);
	for (;;) {
		while (!l->stop && l->next_job < l->batches && l->next_job >= l->consumed + l->depth)
			pthread_cond_wait(&l->changed, &l->lock);
		if (l->stop || l->next_job >= l->batches)
			break;
		int k = l->next_job++;
		struct ul_batch *b = &l->slots[k % l->depth];
		pthread_mutex_unlock(&l->lock);
		jv err = jv_invalid();
		int rc = make_batch(l, k, b, &s, &err);
		pthread_mutex_lock(&l->lock);
		jv_free(b->error);
		b->error = rc ? jv_invalid_get_msg(err) : jv_null();
		b->id = k, b->ready = true;
		pthread_cond_broadcast(&l->changed);
	}
	pthread_mutex_unlock(&l->lock);
	ul_sample_free(&s);
	return NULL;
}

static void stop_workers(struct ul_loader *l)
{
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
	for (int t = 0; t < l->nthreads; t++)
		pthread_join(l->threads[t], NULL);
	free(l->threads);
	l->threads = NULL, l->nthreads = 0, l->stop = false;
}

/* Epoch `epoch`'s order of the images. */
static void shuffle(struct ul_loader *l, int epoch)
{
	for (int i = 0; i < l->n; i++)
		l->order[i] = i;
	uint64_t state = ul_mix64(l->o.seed) ^ ul_mix64((uint64_t)epoch + 1);
	for (int i = l->n - 1; l->o.shuffle && i > 0; i--) {
		int j = (int)(ul_random_unit(&state) * (i + 1)), t = l->order[i];
		l->order[i] = l->order[j], l->order[j] = t;
	}
}

/* Epoch `epoch`'s order and its samples' plans, with the mixing
 * transforms of a, the buffer carried on to the epoch's end. Its own
 * stream, so the plans need none of the transforms' draws. */
static void plan_epoch(struct ul_loader *l, int epoch, const struct ul_augment *a)
{
	shuffle(l, epoch);
	ul_mosaic_buffer_rewind(&l->mosaic);
	for (int p = 0; p < l->n; p++) {
		uint64_t rng = ul_mix64(l->o.seed ^ 0x6d6978ull) ^ ul_mix64(((uint64_t)epoch << 32) + (uint64_t)p);
		ul_augment_plan(a, &l->mosaic, l->order[p], &rng, &l->plans[p]);
	}
	l->planned = epoch + 1;
}

/* Epoch `epoch`'s order, and in training its plans: when the buffer does
 * not stand at its start, replayed from a new one through the earlier
 * epochs, their mixing transforms as opened until close_at, then as now
 * (the trainer closes them once, from then on). */
static void order_epoch(struct ul_loader *l, int epoch)
{
	if (!l->plans) {
		shuffle(l, epoch);
		return;
	}
	if (l->planned != epoch) {
		ul_mosaic_buffer_clear(&l->mosaic);
		for (int e = 0; e < epoch; e++)
			plan_epoch(l, e, e >= l->o.close_at ? &l->o.augment : &l->opened);
	}
	plan_epoch(l, epoch, &l->o.augment);
}

int ul_loader_start(struct ul_loader *l, int epoch, jv *err)
{
	stop_workers(l);
	l->epoch = epoch, l->next_job = l->next_out = l->consumed = 0;
	for (int s = 0; s < l->depth; s++) {
		jv_free(l->slots[s].error);
		l->slots[s].error = jv_null(), l->slots[s].ready = false;
	}
	order_epoch(l, epoch);
	if (l->o.workers == 0)
		return 0;
	l->threads = malloc(sizeof *l->threads * l->o.workers);
	for (int t = 0; l->threads && t < l->o.workers; t++) {
		if (pthread_create(&l->threads[l->nthreads], NULL, work, l))
			break;
		l->nthreads++;
	}
	return l->nthreads ? 0 : ul_invalid(err, "no worker thread could be started");
}

struct ul_batch *ul_loader_next(struct ul_loader *l, jv *err)
{
	if (l->next_out >= l->batches)
		return NULL;
	int k = l->next_out++;
	struct ul_batch *b = &l->slots[k % l->depth];
	if (l->nthreads == 0) {
		/* no workers: made here, now */
		jv why = jv_invalid();
		struct ul_sample s;
		ul_sample_init(&s, l->o.seg_points, l->o.kpt_count, l->o.kpt_dims);
		int rc = make_batch(l, k, b, &s, &why);
		ul_sample_free(&s);
		b->id = k, b->ready = true;
		if (rc) {
			*err = why;
			return NULL;
		}
		return b;
	}
	pthread_mutex_lock(&l->lock);
	while (!(b->ready && b->id == k))
		pthread_cond_wait(&l->changed, &l->lock);
	pthread_mutex_unlock(&l->lock);
	if (jv_get_kind(b->error) == JV_KIND_STRING) {
		*err = jv_invalid_with_msg(jv_copy(b->error));
		return NULL;
	}
	return b;
}

void ul_loader_release(struct ul_loader *l, struct ul_batch *b)
{
	pthread_mutex_lock(&l->lock);
	b->ready = false;
	l->consumed++;
	pthread_cond_broadcast(&l->changed);
	pthread_mutex_unlock(&l->lock);
}

struct class_count {
	const struct ul_loader_options *o;
	int nc;
	double *counts;
};

static int count_row(void *ctx, const double *v, int n)
{
	(void)n;
	struct class_count *k = ctx;
	int c = k->o->single_cls ? 0 : (int)v[0];
	if (class_kept(k->o, (int)v[0]) && c < k->nc)
		k->counts[c]++;
	return 0;
}

int ul_loader_class_counts(const struct ul_loader *l, int nc, double *counts)
{
	struct class_count k = { &l->o, nc, counts };
	memset(counts, 0, sizeof *counts * (size_t)nc);
	for (int i = 0; i < l->n; i++) {
		struct ul_label_check check = { 0 };
		/* a file that breaks the rules fails when its image loads */
		if (l->images[i].labels && ul_labels_rows(l->images[i].labels, l->images[i].len, &l->o.rules, &check, count_row, &k) &&
		    !check.bad_line)
			return -1;
	}
	return 0;
}

void ul_loader_close(struct ul_loader *l)
{
	stop_workers(l);
	for (int i = 0; i < l->n; i++) {
		struct ul_loader_image *im = &l->images[i];
		free(im->path), free(im->labels);
		ul_image_free(&im->cached);
		pthread_mutex_destroy(&im->lock);
	}
	free(l->images);
	for (int s = 0; l->slots && s < l->depth; s++) {
		free(l->slots[s].images), free(l->slots[s].labels), free(l->slots[s].index), free(l->slots[s].resized);
		free(l->slots[s].keypoints), free(l->slots[s].masks), free(l->slots[s].cls);
		jv_free(l->slots[s].error);
	}
	free(l->slots), free(l->order), free(l->shapes), free(l->buffer), free(l->plans);
	ul_mosaic_buffer_free(&l->mosaic);
	jv_free(l->skipped);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->changed);
	*l = (struct ul_loader){ .skipped = jv_null() };
}
