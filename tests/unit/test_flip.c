/* RandomFlip (lib/data/flip): horizontal and vertical flips of an odd by
 * even image move every pixel to its mirror, boxes, polygons and keypoints
 * to w - x or h - y exactly, keypoints reordered by flip_idx on either flip
 * (as Ultralytics 8.4.117 does) and not without one; two flips give the
 * sample back; p 0 never flips and p 1 always does, one draw each; the
 * vertical draw comes before the horizontal one, and a seed gives the same
 * flips twice. */
#include "core/random.h"
#include "data/flip.h"
#include "tap.h"

#define W 5
#define H 4

/* A W x H image whose every byte says where it came from, and two
 * instances: boxes, 3-point polygons, 3 keypoints (x, y, visibility). */
static struct ul_sample sample(void)
{
	static const float boxes[8] = { 0.5f, 1, 2, 3.5f, 3, 0, 5, 2.25f };
	static const float segs[12] = { 0.5f, 1, 2, 1, 2, 3.5f, 3, 0, 5, 1, 4, 2.25f };
	static const float kpts[18] = { 0.5f, 1, 2, 2, 1, 1, 1.5f, 3.5f, 0, 3, 0, 2, 5, 2.25f, 2, 4, 1, 1 };
	struct ul_sample s;
	ul_sample_init(&s, 3, 3, 3);
	ul_sample_reserve(&s, 2);
	s.img = (struct ul_image){ W, H, malloc(W * H * 3) };
	for (int i = 0; i < W * H * 3; i++)
		s.img.rgb[i] = (unsigned char)(i * 7 + 1);
	s.n = 2;
	s.cls[0] = 3, s.cls[1] = 8;
	memcpy(s.boxes, boxes, sizeof boxes), memcpy(s.segments, segs, sizeof segs), memcpy(s.keypoints, kpts, sizeof kpts);
	return s;
}

static bool same(const struct ul_sample *a, const struct ul_sample *b)
{
	return a->n == b->n && !memcmp(a->img.rgb, b->img.rgb, W * H * 3) && !memcmp(a->cls, b->cls, sizeof *a->cls * a->n) &&
	       !memcmp(a->boxes, b->boxes, sizeof *a->boxes * 4 * a->n) &&
	       !memcmp(a->segments, b->segments, sizeof *a->segments * 6 * a->n) &&
	       !memcmp(a->keypoints, b->keypoints, sizeof *a->keypoints * 9 * a->n);
}

/* Pixel (x, y) of the flipped image is pixel (mx, my) of the original. */
static bool mirrored_pixels(const struct ul_sample *f, const struct ul_sample *o, bool across)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			int mx = across ? W - 1 - x : x, my = across ? y : H - 1 - y;
			if (memcmp(f->img.rgb + (y * W + x) * 3, o->img.rgb + (my * W + mx) * 3, 3))
				return false;
		}
	return true;
}

static void flip(enum ul_flip direction, const char *name)
{
	bool across = direction == UL_FLIP_HORIZONTAL;
	int axis = across ? 0 : 1;
	float size = across ? W : H;
	struct ul_sample o = sample(), f = sample();
	ok(ul_flip_sample(&f, direction, NULL) == 0 && mirrored_pixels(&f, &o, across), "%s: every pixel from its mirror", name);
	bool boxes = true, polygons = true, keypoints = true;
	for (int i = 0; i < 2; i++) {
		const float *fb = f.boxes + 4 * i, *ob = o.boxes + 4 * i;
		boxes = boxes && fb[axis] == size - ob[axis + 2] && fb[axis + 2] == size - ob[axis] &&
			fb[1 - axis] == ob[1 - axis] && fb[3 - axis] == ob[3 - axis];
	}
	for (int k = 0; k < 12; k += 2)
		polygons = polygons && f.segments[k + axis] == size - o.segments[k + axis] &&
			   f.segments[k + 1 - axis] == o.segments[k + 1 - axis];
	for (int k = 0; k < 18; k += 3)
		keypoints = keypoints && f.keypoints[k + axis] == size - o.keypoints[k + axis] &&
			    f.keypoints[k + 1 - axis] == o.keypoints[k + 1 - axis] && f.keypoints[k + 2] == o.keypoints[k + 2];
	ok(boxes, "%s: boxes mirrored, their corners swapped (%g %g %g %g)", name, f.boxes[0], f.boxes[1], f.boxes[2], f.boxes[3]);
	ok(polygons, "%s: polygon points mirrored", name);
	ok(keypoints && f.cls[0] == 3 && f.cls[1] == 8, "%s: keypoints mirrored in place without flip_idx, invisible ones too", name);

	static const int flip_idx[3] = { 2, 1, 0 };
	struct ul_sample p = sample();
	ok(ul_flip_sample(&p, direction, flip_idx) == 0 && !memcmp(p.boxes, f.boxes, sizeof *p.boxes * 8), "%s with flip_idx", name);
	bool reordered = true;
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 3; k++)
			reordered = reordered && !memcmp(p.keypoints + 9 * i + 3 * k, f.keypoints + 9 * i + 3 * flip_idx[k], 3 * sizeof(float));
	ok(reordered, "%s: keypoint k is the mirrored keypoint flip_idx[k]", name);
	ok(ul_flip_sample(&p, direction, flip_idx) == 0 && same(&p, &o), "%s twice: the sample back", name);
	ul_sample_free(&o), ul_sample_free(&f), ul_sample_free(&p);
}

/* Keypoints of two values (no visibility) flip too. */
static void two_value_keypoints(void)
{
	struct ul_sample s;
	ul_sample_init(&s, 0, 2, 2);
	ul_sample_reserve(&s, 1);
	s.img = (struct ul_image){ W, H, calloc(W * H, 3) };
	s.n = 1, s.cls[0] = 0;
	float box[4] = { 1, 1, 2, 2 }, kp[4] = { 1, 1, 4.5f, 3 };
	memcpy(s.boxes, box, sizeof box), memcpy(s.keypoints, kp, sizeof kp);
	static const int flip_idx[2] = { 1, 0 };
	ok(ul_flip_sample(&s, UL_FLIP_HORIZONTAL, flip_idx) == 0 && s.keypoints[0] == 0.5f && s.keypoints[1] == 3 &&
	   s.keypoints[2] == 4 && s.keypoints[3] == 1, "keypoints without visibility: mirrored and reordered");
	ul_sample_free(&s);
}

static void probabilities(void)
{
	int flips0 = 0, flips1 = 0;
	bool one_draw = true;
	for (uint64_t seed = 0; seed < 50; seed++) {
		struct ul_sample o = sample(), a = sample(), b = sample();
		uint64_t ra = seed, rb = seed, expect = seed;
		ul_random_unit(&expect);
		ul_random_flip(&a, UL_FLIP_HORIZONTAL, 0, NULL, &ra);
		ul_random_flip(&b, UL_FLIP_HORIZONTAL, 1, NULL, &rb);
		flips0 += !same(&a, &o), flips1 += !same(&b, &o);
		one_draw = one_draw && ra == expect && rb == expect;
		ul_sample_free(&o), ul_sample_free(&a), ul_sample_free(&b);
	}
	ok(flips0 == 0 && flips1 == 50, "p 0 never flips (%d of 50), p 1 always (%d of 50)", flips0, flips1);
	ok(one_draw, "one draw each, whatever p");
}

/* ul_random_flips: the first draw decides the vertical flip, the second the
 * horizontal one. */
static void order(void)
{
	int seen[4] = { 0 }, right = 0;
	for (uint64_t seed = 0; seed < 64; seed++) {
		uint64_t rng = seed, again = seed, peek = seed;
		bool up = ul_random_unit(&peek) < 0.5, across = ul_random_unit(&peek) < 0.5;
		struct ul_sample got = sample(), want = sample(), twice = sample();
		ul_random_flips(&got, 0.5, 0.5, NULL, &rng);
		ul_random_flips(&twice, 0.5, 0.5, NULL, &again);
		if (up)
			ul_flip_sample(&want, UL_FLIP_VERTICAL, NULL);
		if (across)
			ul_flip_sample(&want, UL_FLIP_HORIZONTAL, NULL);
		right += same(&got, &want) && same(&got, &twice) && rng == peek;
		seen[2 * up + across]++;
		ul_sample_free(&got), ul_sample_free(&want), ul_sample_free(&twice);
	}
	ok(right == 64 && seen[0] && seen[1] && seen[2] && seen[3],
	   "flipud's draw first, then fliplr's, over 64 seeds (%d none, %d across, %d up, %d both); a seed repeats",
	   seen[0], seen[1], seen[2], seen[3]);
}

int main(void)
{
	flip(UL_FLIP_HORIZONTAL, "horizontal");
	flip(UL_FLIP_VERTICAL, "vertical");
	two_value_keypoints();
	probabilities();
	order();
	return done_testing();
}
