/* Ultralytics' RandomHSV, byte for byte as OpenCV 4.6 does it.
 *
 * RandomHSV(hgain, sgain, vgain) draws three gains r = uniform(-1, 1) x
 * gain, in the order h, s, v (one ul_random_unit each, uniform(a, b) =
 * a + (b - a) u), and builds three lookup tables over x = 0 .. 255 in
 * double, each value truncated to a byte:
 *
 *   hue         (x + r_h * 180) mod 180, the modulo as numpy's (fmod, then
 *               + 180 when negative): a hair below 0 comes out 180, a hair
 *               below x truncates to x - 1
 *   saturation  clip(x * (r_s + 1), 0, 255) (Ultralytics then sets entry 0
 *               to 0, which it already is)
 *   value       clip(x * (r_v + 1), 0, 255)
 *
 * then takes the image to OpenCV's 8-bit HSV (H in [0, 180)), maps each
 * channel through its table and comes back. All three gains 0 is
 * Ultralytics' early out: nothing drawn, the image unchanged (any other
 * gains go through the conversions, which are not lossless, even when the
 * drawn r happen to be 0).
 *
 * Ultralytics works on BGR; our RGB in and out gives the same pixels, the
 * channels swapped at both ends. */
#ifndef UL_DATA_HSV_H
#define UL_DATA_HSV_H

#include <stddef.h>
#include <stdint.h>

#include "data/decode.h"

/* cv2.cvtColor(COLOR_RGB2HSV) of n pixels, in place when rgb == hsv:
 * OpenCV's integer arithmetic, its divisions read from tables of
 * round(255 * 4096 / v) and round(180 * 4096 / (6 diff)). */
void ul_rgb_to_hsv(const unsigned char *rgb, unsigned char *hsv, size_t n);

/* cv2.cvtColor(COLOR_HSV2RGB) of h rows of w pixels, in place when
 * hsv == rgb. OpenCV computes it in float32 two ways: its vector code,
 * which truncates to a byte, takes each row's pixels in blocks of 32 (the
 * AVX2 build: four vectors of 8), and its scalar code, which rounds,
 * takes the rest of the row (w mod 32 pixels). Both are done here, so the
 * bytes equal OpenCV's on an x86 machine with AVX2 at any width; at a width
 * that is a multiple of 32, as every training frame is, the block size
 * does not matter. */
void ul_hsv_to_rgb(const unsigned char *hsv, unsigned char *rgb, int w, int h);

/* The gains RandomHSV draws: r[0..2] for h, s, v, three draws. */
void ul_hsv_gains(uint64_t *rng, double hgain, double sgain, double vgain, double r[3]);

/* RandomHSV with the gains r already drawn, in place. */
void ul_hsv_apply(struct ul_image *img, const double r[3]);

/* RandomHSV(hgain, sgain, vgain) on img, in place, drawing its gains from
 * rng; all three 0 draws nothing and changes nothing. */
void ul_random_hsv(struct ul_image *img, double hgain, double sgain, double vgain, uint64_t *rng);

#endif
