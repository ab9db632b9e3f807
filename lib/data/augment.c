#include "data/augment.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/letterbox.h"

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

int ul_augment_train(const struct ul_augment *a, int imgsz, const struct ul_sample_source *src, int index,
		     uint64_t *rng, struct ul_sample *out, jv *err)
{
	(void)rng;
	if (a->mosaic > 0 || a->mixup > 0 || a->cutmix > 0 || a->degrees != 0 || a->translate != 0 || a->scale != 0 ||
	    a->shear != 0 || a->perspective != 0 || a->hsv_h != 0 || a->hsv_s != 0 || a->hsv_v != 0 || a->flipud > 0 ||
	    a->fliplr > 0)
		return ul_invalid(err, "the augmentations are not built yet: set mosaic, mixup, cutmix, degrees, translate, "
				  "scale, shear, perspective, hsv_h, hsv_s, hsv_v, flipud and fliplr to 0");
	if (src->load(src->ctx, index, out, err))
		return -1;
	return ul_letterbox_sample(out, imgsz, imgsz, true) ? ul_invalid(err, "out of memory") : 0;
}
