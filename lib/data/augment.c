#include "data/augment.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/random.h"
#include "data/copy_paste.h"
#include "data/flip.h"
#include "data/hsv.h"
#include "data/letterbox.h"
#include "data/mixup.h"
#include "data/mosaic.h"
#include "data/perspective.h"

/* x' = x r + dx, y' = y r + dy for n points `stride` floats apart. */
static void move_points(float *xy, size_t n, size_t stride, double r, double dx, double dy)
{
	for (size_t i = 0; i < n; i++, xy += stride)
		xy[0] = (float)(xy[0] * r + dx), xy[1] = (float)(xy[1] * r + dy);
}

/* Every coordinate of s, boxes, polygons and keypoints, moved so. */
static void place(struct ul_sample *s, double r, double dx, double dy)
{
	move_points(s->boxes, 2 * (size_t)s->n, 2, r, dx, dy);
	move_points(s->segments, (size_t)s->n * s->seg_points, 2, r, dx, dy);
	move_points(s->keypoints, (size_t)s->n * s->kpt_count, (size_t)s->kpt_dims, r, dx, dy);
}

int ul_letterbox_sample(struct ul_sample *s, int w, int h, bool scaleup)
{
	struct ul_letterbox lb = ul_letterbox_plan(s->img.w, s->img.h, w, h, scaleup);
	unsigned char *frame = malloc((size_t)w * h * 3);
	if (!frame || ul_letterbox_u8(&s->img, &lb, frame)) {
		free(frame);
		return -1;
	}
	ul_image_free(&s->img);
	s->img = (struct ul_image){ w, h, frame };
	place(s, lb.ratio, lb.left, lb.top);
	return 0;
}

/* Ultralytics' mixing transforms draw first whether to run at all, and
 * run when the draw is at most p (p 0 never, p 1 always). */
static bool happens(uint64_t *rng, double p)
{
	return ul_random_unit(rng) <= p && p > 0;
}

/* An image of the source, loaded into an empty sample of out's shape. */
static int load(const struct ul_sample_source *src, int index, struct ul_sample *s, jv *err)
{
	return src->load(src->ctx, index, s, err);
}

/* The mosaic of part's image and three others of its pool, 2 imgsz a side. */
static int mosaic(const struct ul_sample_source *src, const struct ul_mix_part *part, int imgsz, uint64_t *rng,
		  struct ul_sample *out, jv *err)
{
	int others[3];
	ul_mosaic_pick(rng, part->pool, part->len, others);
	struct ul_sample parts[4];
	int rc = 0;
	for (int k = 0; k < 4; k++)
		ul_sample_init(&parts[k], out->seg_points, out->kpt_count, out->kpt_dims);
	for (int k = 0; !rc && k < 4; k++)
		rc = load(src, k ? others[k - 1] : part->image, &parts[k], err);
	const struct ul_sample *const ptrs[4] = { &parts[0], &parts[1], &parts[2], &parts[3] };
	if (!rc && ul_mosaic4(ptrs, imgsz, rng, out))
		rc = ul_invalid(err, "out of memory for a mosaic");
	for (int k = 0; k < 4; k++)
		ul_sample_free(&parts[k]);
	return rc;
}

/* The transforms before the mixing ones (v8_transforms' pre_transform):
 * a mosaic, or the image as loaded, copy-paste, then the random
 * perspective into the w x h frame, which centres either in it. */
static int pre_transform(const struct ul_augment *a, int imgsz, int w, int h, const struct ul_sample_source *src,
			 const struct ul_mix_part *part, uint64_t *rng, struct ul_sample *out, jv *err)
{
	ul_sample_free(out);
	if (happens(rng, a->mosaic) ? mosaic(src, part, imgsz, rng, out, err) : load(src, part->image, out, err))
		return -1;
	if (ul_copy_paste(out, a->copy_paste) < 0)
		return ul_invalid(err, "out of memory for copy-paste");
	struct ul_perspective p = { a->degrees, a->translate, a->scale, a->shear, a->perspective };
	return ul_random_perspective(out, &p, w, h, rng) ? ul_invalid(err, "out of memory") : 0;
}

/* MixUp or CutMix (mix) with part's image through the same pre_transform. */
static int mix_in(const struct ul_augment *a, int imgsz, const struct ul_sample_source *src,
		  const struct ul_mix_part *part, uint64_t *rng, struct ul_sample *s,
		  int (*mix)(struct ul_sample *, const struct ul_sample *, uint64_t *), jv *err)
{
	struct ul_sample b;
	ul_sample_init(&b, s->seg_points, s->kpt_count, s->kpt_dims);
	int rc = pre_transform(a, imgsz, s->img.w, s->img.h, src, part, rng, &b, err);
	if (!rc && mix(s, &b, rng) < 0)
		rc = ul_invalid(err, "out of memory mixing images");
	ul_sample_free(&b);
	return rc;
}

static void swap_red_blue(struct ul_image *img)
{
	for (size_t i = 0; i < (size_t)img->w * img->h * 3; i += 3) {
		unsigned char r = img->rgb[i];
		img->rgb[i] = img->rgb[i + 2], img->rgb[i + 2] = r;
	}
}

/* Image i loaded into buf, as part. */
static void plan_part(struct ul_mosaic_buffer *buf, int i, struct ul_mix_part *part)
{
	part->image = i;
	ul_mosaic_buffer_load(buf, i, &part->pool, &part->len);
}

void ul_augment_plan(const struct ul_augment *a, struct ul_mosaic_buffer *buf, int index, uint64_t *rng,
		     struct ul_mix_plan *plan)
{
	plan_part(buf, index, &plan->own);
	double p[2] = { a->mixup, a->cutmix };
	struct ul_mix_part *mixed[2] = { &plan->mixup, &plan->cutmix };
	for (int k = 0; k < 2; k++) {
		*mixed[k] = (struct ul_mix_part){ .image = -1 };
		if (happens(rng, p[k]))
			plan_part(buf, (int)(ul_random_unit(rng) * buf->n), mixed[k]);
	}
}

int ul_augment_train(const struct ul_augment *a, int imgsz, int w, int h, const struct ul_sample_source *src,
		     const struct ul_mix_plan *plan, uint64_t *rng, struct ul_sample *out, jv *err)
{
	if (pre_transform(a, imgsz, w, h, src, &plan->own, rng, out, err) ||
	    (plan->mixup.image >= 0 && mix_in(a, imgsz, src, &plan->mixup, rng, out, ul_mixup, err)) ||
	    (plan->cutmix.image >= 0 && mix_in(a, imgsz, src, &plan->cutmix, rng, out, ul_cutmix, err)))
		return -1;
	ul_random_hsv(&out->img, a->hsv_h, a->hsv_s, a->hsv_v, rng);
	if (ul_random_flips(out, a->flipud, a->fliplr, a->flip_idx, rng))
		return ul_invalid(err, "out of memory");
	/* bgr: Ultralytics' Format leaves the channels as OpenCV read them */
	if (a->bgr > 0 && ul_random_unit(rng) < a->bgr)
		swap_red_blue(&out->img);
	return 0;
}
