/* The classification transforms, as Ultralytics' ClassificationDataset
 * runs them through torchvision on PIL images (classify_augmentations for
 * training, classify_transforms for validation; yolo26.md 5.7):
 *
 *   training    RandomResizedCrop(imgsz, scale (1 - scale, 1), ratio
 *               (3/4, 4/3)), PIL bilinear; horizontal flip (fliplr), then
 *               vertical (flipud); the policy: RandAugment (2 ops,
 *               magnitude 9 of 31 bins) or AutoAugment (ImageNet), or
 *               without one ColorJitter(hsv_v, hsv_v, hsv_s, hsv_h);
 *               RandomErasing(erasing, scale (0.02, 0.33), ratio
 *               (0.3, 3.3), value 0)
 *   validation  Resize (the short side to imgsz) then CenterCrop(imgsz),
 *               PIL bilinear
 *
 * on 8-bit RGB; the loader divides by 255 after (mean 0, std 1). Our draws
 * come from the rng handed in, not torch's generator: their distributions
 * are torchvision's, and what follows a draw is its arithmetic, so a crop
 * box, a flip and an op with its magnitude give PIL's bytes
 * (tests/reference/make_classify_vectors.py). AugMix is not implemented. */
#ifndef UL_DATA_CLASSIFY_AUGMENT_H
#define UL_DATA_CLASSIFY_AUGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/decode.h"

enum ul_classify_policy { UL_POLICY_NONE, UL_POLICY_RANDAUGMENT, UL_POLICY_AUTOAUGMENT };

struct ul_classify_augment {
	double scale;                   /* crops keep 1 - scale to all of the area */
	double fliplr, flipud, erasing; /* chances */
	enum ul_classify_policy policy;
	double hsv_h, hsv_s, hsv_v;     /* ColorJitter's hue, saturation, brightness and contrast, without a policy */
};

/* torchvision's operations (autoaugment.py _apply_op), in RandAugment's
 * order of choice (Identity .. Equalize), then AutoAugment's Invert. */
enum ul_classify_op {
	UL_OP_IDENTITY, UL_OP_SHEAR_X, UL_OP_SHEAR_Y, UL_OP_TRANSLATE_X, UL_OP_TRANSLATE_Y, UL_OP_ROTATE,
	UL_OP_BRIGHTNESS, UL_OP_COLOR, UL_OP_CONTRAST, UL_OP_SHARPNESS, UL_OP_POSTERIZE, UL_OP_SOLARIZE,
	UL_OP_AUTOCONTRAST, UL_OP_EQUALIZE, UL_OP_INVERT,
};

/* A rectangle of an image, in pixels. */
struct ul_box {
	int left, top, w, h;
};

/* The policy an "auto_augment" argument names ("randaugment", "autoaugment";
 * NULL or "" for none). -1 for anything else, AugMix included. */
int ul_classify_policy_from_name(const char *name, enum ul_classify_policy *out);

/* RandomResizedCrop.get_params on a w x h image: ten tries at an area of
 * uniform(area_lo, area_hi) of the image and an aspect (w / h) log-uniform
 * in [3/4, 4/3], sides rounded half to even, the first that fits placed
 * uniformly; else the central crop of the aspect clamped into that range. */
struct ul_box ul_random_resized_crop(int w, int h, double area_lo, double area_hi, uint64_t *rng);

/* torchvision's magnitude of op at bin of bins (RandAugment: 9 of 31;
 * AutoAugment: the policy's, of 10) on a w x h image, before its sign;
 * *sign: whether the op draws one. torch's linspace works in float32 its
 * own way; ours is the exact fraction of its float32 end, rounded to
 * float32: torch's at RandAugment's bin and at every bin of AutoAugment's
 * policy but Solarize's 4 (141.666672 for 141.666656, the same table), one
 * float32 step off at a few bins neither uses. */
double ul_classify_magnitude(enum ul_classify_op op, int bin, int bins, int w, int h, bool *sign);

/* _apply_op(img, op, magnitude, BILINEAR, fill None) on a PIL RGB image:
 * the w x h pixels at rgb changed in place, with scratch room for w x h
 * more. Angles that PIL turns into transposes (90, 180, 270 degrees) never
 * come from the policies and are resampled like any other. */
void ul_classify_op(unsigned char *rgb, int w, int h, enum ul_classify_op op, double magnitude, unsigned char *scratch);

/* The policies on the w x h image at rgb, their draws from rng. */
void ul_randaugment(unsigned char *rgb, int w, int h, uint64_t *rng, unsigned char *scratch);
void ul_autoaugment(unsigned char *rgb, int w, int h, uint64_t *rng, unsigned char *scratch);

/* ColorJitter(brightness, contrast, saturation, hue): the four in a random
 * order, each factor drawn only for a jitter asked for (over 0). */
void ul_color_jitter(unsigned char *rgb, int w, int h, double brightness, double contrast, double saturation,
		     double hue, uint64_t *rng, unsigned char *scratch);

/* F.adjust_hue(img, factor) on PIL: through PIL's 8-bit HSV, the hue moved
 * by uint8(factor x 255) with wrap-around, and back (lossy even for 0). */
void ul_adjust_hue(unsigned char *rgb, size_t pixels, double factor);

/* RandomErasing(p, value 0): with chance p, up to ten tries at a box of
 * uniform(0.02, 0.33) of the area and an aspect (h / w) log-uniform in
 * [0.3, 3.3], sides rounded, narrower and shorter than the image, placed
 * uniformly, its pixels set to 0. Whether it erased, and the box. */
bool ul_random_erasing(unsigned char *rgb, int w, int h, double p, uint64_t *rng, struct ul_box *box);

/* The training transform of img into out (imgsz x imgsz RGB). 0, or -1
 * when out of memory. */
int ul_classify_train(const struct ul_classify_augment *a, const struct ul_image *img, int imgsz, uint64_t *rng,
		      unsigned char *out);

/* The validation transform of img into out (imgsz x imgsz RGB): the short
 * side to imgsz, the long one to int(imgsz x long / short), then the
 * centre, its offsets rounded half to even. 0, or -1 when out of memory. */
int ul_classify_val(const struct ul_image *img, int imgsz, unsigned char *out);

#endif
