/* Ultralytics' RandomPerspective on a sample: one random projective map M
 * of the image into an out_w x out_h frame, the pixels warped as OpenCV 4.6
 * warps them, every box, polygon and keypoint moved with them, and the
 * instances the map ruined dropped.
 *
 * The map (its _compute_affine_matrix) is M = T S R P C, float32 like its
 * factors:
 *
 *   C  the input's centre to the origin: -in_w / 2, -in_h / 2
 *   P  perspective: P[2][0], P[2][1] = uniform(-perspective, perspective)
 *   R  rotation a = uniform(-degrees, degrees) and zoom s = uniform(1 - scale,
 *      1 + scale), as cv2.getRotationMatrix2D(a, (0, 0), s) makes them:
 *      [s cos a, s sin a; -s sin a, s cos a], a in degrees
 *   S  shear: S[0][1], S[1][0] = tan(uniform(-shear, shear) degrees)
 *   T  the origin to uniform(0.5 - translate, 0.5 + translate) out_w across,
 *      the same of out_h down
 *
 * drawn in that order, eight ul_random_unit draws u (uniform(a, b) = a +
 * (b - a) u), always eight, a range of width 0 included. The products are
 * taken left to right, each entry a chain of fused multiply-adds over k in
 * order: the roundings of numpy's float32 matmul through OpenBLAS on an FMA
 * machine.
 *
 * The frame is Ultralytics' size=(imgsz, imgsz). C centres the input and T
 * the frame, so after a mosaic (a canvas of 2 imgsz a side) it crops the
 * middle, what older versions wrote as border = -imgsz / 2 on each side.
 *
 * Pixels: cv2.warpAffine(img, M[:2], (out_w, out_h), borderValue=114) when
 * perspective is 0, cv2.warpPerspective(img, M, ...) otherwise, INTER_LINEAR,
 * byte for byte as OpenCV 4.6 (tests/reference/make_warp_vectors.py); when M
 * is the identity and the frame the input's size Ultralytics leaves the
 * image alone, and so does this.
 *
 * Labels, in float32:
 *   boxes      the 4 corners through M (divided by the third coordinate when
 *              perspective is on), their min and max
 *   polygons   every point through M; each box is then its polygon's, as
 *              segment2box makes it: the points' min and max when all are in
 *              the frame, else those of the points inside, the crossings of
 *              its edges with the frame's sides and the frame's corners that
 *              lie in it (cv2.pointPolygonTest >= 0), 0 0 0 0 when none;
 *              the points are then clipped into their box
 *   keypoints  through M; one that lands outside the frame gets visibility 0
 * then all clipped to the frame (ul_sample_clip), and an instance is kept
 * when box_candidates passes it: its new box w x h has w > 2, h > 2,
 * max(w / (h + eps), h / (w + eps)) < 100 and w h / (w0 h0 + eps) > 0.10
 * (0.01 with polygons), w0 x h0 its old box scaled by s, eps 1e-16.
 *
 * Not here: Ultralytics' preserve_obb (the clipping of oriented boxes). A
 * rect batch's shape is the caller's out_w x out_h. */
#ifndef UL_DATA_PERSPECTIVE_H
#define UL_DATA_PERSPECTIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "data/decode.h"
#include "data/sample.h"

#define UL_PERSPECTIVE_DRAWS 8

/* RandomPerspective's parameters (the training arguments of the same names). */
struct ul_perspective {
	double degrees, translate, scale, shear, perspective;
};

/* A map from an image into a frame. */
struct ul_warp {
	float m[9];       /* M row by row: frame point = M (x, y, 1), in pixels */
	bool projective;  /* warpPerspective and the divide (perspective != 0), else warpAffine */
	double scale;     /* the zoom s in M, which the filter takes out */
	int out_w, out_h;
};

/* The map for draws u[0..7] (P's two, a, s, S's two, T's two) of an in_w x
 * in_h image into out_w x out_h. */
void ul_perspective_warp(const struct ul_perspective *p, int in_w, int in_h, int out_w, int out_h,
			 const double u[UL_PERSPECTIVE_DRAWS], struct ul_warp *w);

/* src warped into a new out_w x out_h image dst (ul_image_free releases it),
 * as OpenCV would, whatever M. 0, or -1 when out of memory. */
int ul_warp_image(const struct ul_image *src, const struct ul_warp *w, struct ul_image *dst);

/* s's image and instances through the map, the ruined instances dropped. 0,
 * or -1 when out of memory (s then unchanged). */
int ul_perspective_apply(struct ul_sample *s, const struct ul_warp *w);

/* RandomPerspective: eight draws from rng, then ul_perspective_apply. 0, or -1
 * when out of memory. */
int ul_random_perspective(struct ul_sample *s, const struct ul_perspective *p, int out_w, int out_h, uint64_t *rng);

#endif
