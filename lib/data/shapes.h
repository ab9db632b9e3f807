/* A small synthetic dataset that a model can really learn, made on the spot:
 * the default for demos and tests, so they need no download and no data
 * from outside the project.
 *
 * Each image is a dark noisy background with filled, bright rectangles,
 * circles and triangles (classes 0, 1, 2), drawn with anti-aliased edges
 * and saved as JPEG. Labels are Ultralytics YOLO text files, every value
 * normalised to [0, 1] with 6 decimals; shapes lie wholly inside the image
 * and cover each other only a little (smaller shapes are drawn over larger
 * ones, as Ultralytics layers overlapping masks).
 *
 *   detect    class cx cy w h                 tight box of the drawn shape
 *   segment   class x1 y1 ... xn yn           rectangle 4 corners, triangle 3,
 *                                             circle 32 points
 *   pose      class cx cy w h, 3 keypoints    x y 2 each, kpt_shape [3, 3]
 *   obb       class x1 y1 ... x4 y4           the shape's own box, turned
 *   classify  no labels: one shape in the middle, in train/NAME/, val/NAME/
 *
 * Pose keypoints are 0 the leftmost corner, 1 the rightmost, 2 the topmost
 * (on a circle, the rim points at 210, 330 and 90 degrees, which form the
 * same left, right and top). A horizontal flip swaps left and right and
 * keeps the top, so flip_idx is [1, 0, 2]. For every corner to be
 * unambiguous, pose rectangles are turned 20 to 70 degrees either way and
 * pose triangles stand on a level base. In obb, rectangles and triangles
 * are turned at random; a circle has no angle to see, so its box is upright.
 *
 * Layout (DIR/images|labels/train|val/NNNNNN.jpg|txt and DIR/data.yaml, or
 * DIR/train|val/NAME/NNNNNN.jpg for classify) is written in a sibling
 * DIR.partial-XXXXXX and renamed to DIR when complete, so DIR is either
 * whole or absent. Classify's names are listed in the sorted order of their
 * folders, which is how Ultralytics numbers classification classes. */
#ifndef UL_DATA_SHAPES_H
#define UL_DATA_SHAPES_H

#include <jv.h>

struct ul_shapes {
	const char *dir;     /* output folder; must not exist yet */
	const char *task;    /* "detect", "segment", "pose", "obb" or "classify"; NULL is "detect" */
	int train, val;      /* image counts, 1 .. 999999 each */
	int imgsz;           /* square image side in pixels, 32 .. 4096 */
	int classes;         /* 1 .. 3: rectangle, circle, triangle */
	unsigned seed;       /* the same seed gives byte-identical files (with the same libm) */
};

/* Fills s with the defaults: detect, 64 train and 16 val images of 160x160,
 * 3 classes, seed 0; dir NULL. */
void ul_shapes_defaults(struct ul_shapes *s);

/* Writes the dataset. 0, or -1 with *err an `error` record: code "usage"
 * (with "param") for a bad option, "io" when a file cannot be written or
 * DIR exists, "stopped" after a stop signal. Nothing is left behind on
 * failure. Image i of a split is the same whatever the counts, so a larger
 * set extends a smaller one made with the same seed. */
int ul_shapes_generate(const struct ul_shapes *s, jv *err);

#endif
