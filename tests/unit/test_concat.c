/* Channel concat and split against their definitions, and their gradients
 * against finite differences.
 * Tolerance: forward and backward are exact (they only move floats);
 * gradients relative 1e-3 (float central differences of a linear loss). */
#include <math.h>

#include "nn/concat.h"
#include "numeric.h"
#include "tap.h"

#define MAX_PARTS 4

/* The tensors of one concat: parts[i] (pixels, c[i]) and whole (pixels, total). */
struct tensors {
	const struct ul_concat *cat;
	int total;
	float *parts[MAX_PARTS], *whole;
};

static void tensors_alloc(struct tensors *t, const struct ul_concat *cat, int random)
{
	t->cat = cat;
	t->total = ul_concat_channels(cat);
	for (int i = 0; i < cat->nparts; i++)
		t->parts[i] = random ? randoms(cat->pixels * cat->c[i], 0, 1) : malloc(sizeof(float) * cat->pixels * cat->c[i]);
	t->whole = random ? randoms(cat->pixels * t->total, 0, 1) : malloc(sizeof(float) * cat->pixels * t->total);
}

static void tensors_free(struct tensors *t)
{
	for (int i = 0; i < t->cat->nparts; i++)
		free(t->parts[i]);
	free(t->whole);
}

/* Elements where parts and whole disagree, by the definition: part i holds
 * the whole's channels from the sum of the earlier parts' counts. */
static int mismatches(const struct tensors *t)
{
	int wrong = 0;
	for (size_t p = 0; p < t->cat->pixels; p++)
		for (int i = 0, offset = 0; i < t->cat->nparts; offset += t->cat->c[i], i++)
			for (int ch = 0; ch < t->cat->c[i]; ch++)
				wrong += t->parts[i][p * t->cat->c[i] + ch] != t->whole[p * t->total + offset + ch];
	return wrong;
}

/* L = sum(y * r), y the concat of x's parts, or the parts of x's split. */
struct probe {
	const struct tensors *x, *y, *r;
	int split;
};

static double loss(void *ctx)
{
	const struct probe *p = ctx;
	const struct tensors *x = p->x, *y = p->y, *r = p->r;
	int split = p->split;
	const struct ul_concat *cat = x->cat;
	if (!split) {
		ul_concat_forward(cat, (const float *const *)x->parts, y->whole);
		return dot(y->whole, r->whole, cat->pixels * x->total);
	}
	ul_split_forward(cat, x->whole, y->parts);
	double sum = 0;
	for (int i = 0; i < cat->nparts; i++)
		sum += dot(y->parts[i], r->parts[i], cat->pixels * cat->c[i]);
	return sum;
}

static void concat(const struct ul_concat *cat, const char *name)
{
	struct tensors x, y, r, dx;
	tensors_alloc(&x, cat, 1), tensors_alloc(&y, cat, 0), tensors_alloc(&r, cat, 1), tensors_alloc(&dx, cat, 0);

	ul_concat_forward(cat, (const float *const *)x.parts, y.whole);
	ul_channels_copy(cat->pixels, y.total, y.whole, y.total, x.whole, y.total);
	is_int(mismatches(&x), 0, "%s: concat forward matches the definition", name);

	/* dL/dy = r */
	ul_concat_backward(cat, r.whole, dx.parts);
	ul_channels_copy(cat->pixels, r.total, r.whole, r.total, dx.whole, r.total);
	is_int(mismatches(&dx), 0, "%s: concat backward is dy's slices", name);
	double worst = 0;
	for (int i = 0; i < cat->nparts; i++)
		worst = worse(worst, fd_worst(loss, &(struct probe){ &x, &y, &r, 0 }, x.parts[i], dx.parts[i], cat->pixels * cat->c[i]));
	ok(worst < 1e-3, "%s: concat dx matches finite differences (worst %.2g)", name, worst);

	ul_split_forward(cat, x.whole, y.parts);
	ul_channels_copy(cat->pixels, x.total, x.whole, x.total, y.whole, x.total);
	is_int(mismatches(&y), 0, "%s: split forward matches the definition", name);
	ul_split_backward(cat, (const float *const *)r.parts, dx.whole);
	for (int i = 0; i < cat->nparts; i++)
		ul_channels_copy(cat->pixels, cat->c[i], r.parts[i], cat->c[i], dx.parts[i], cat->c[i]);
	is_int(mismatches(&dx), 0, "%s: split backward is the concat of dy's parts", name);
	worst = fd_worst(loss, &(struct probe){ &x, &y, &r, 1 }, x.whole, dx.whole, cat->pixels * x.total);
	ok(worst < 1e-3, "%s: split dx matches finite differences (worst %.2g)", name, worst);
	tensors_free(&x), tensors_free(&y), tensors_free(&r), tensors_free(&dx);
}

/* A NULL gradient part is skipped and the others are still written. */
static void skipped_part(void)
{
	static const int c[3] = { 2, 3, 1 };
	struct ul_concat cat = { .pixels = 4, .nparts = 3, .c = c };
	float dy[24], d0[8], d2[4];
	for (int i = 0; i < 24; i++)
		dy[i] = (float)i;
	float *dx[3] = { d0, NULL, d2 };
	ul_concat_backward(&cat, dy, dx);
	int wrong = 0;
	for (int p = 0; p < 4; p++) {
		wrong += d0[p * 2] != dy[p * 6] || d0[p * 2 + 1] != dy[p * 6 + 1];
		wrong += d2[p] != dy[p * 6 + 5];
	}
	is_int(wrong, 0, "a NULL part's gradient is skipped, the others written");
}

/* A strided copy into a slice leaves the channels around it alone. */
static void strided_copy(void)
{
	float src[6] = { 1, 2, 3, 4, 5, 6 }, dst[15];
	for (int i = 0; i < 15; i++)
		dst[i] = -1;
	ul_channels_copy(3, 2, src, 2, dst + 1, 5);
	static const float want[15] = { -1, 1, 2, -1, -1, -1, 3, 4, -1, -1, -1, 5, 6, -1, -1 };
	ok(memcmp(dst, want, sizeof want) == 0, "channels_copy writes only its slice");
}

int main(void)
{
	static const int three[3] = { 3, 1, 4 }, halves[2] = { 4, 4 }, sppf[4] = { 2, 2, 2, 2 }, one[1] = { 5 };
	concat(&(struct ul_concat){ .pixels = 2 * 3 * 5, .nparts = 3, .c = three }, "3 parts, odd size");
	concat(&(struct ul_concat){ .pixels = 3 * 7, .nparts = 2, .c = halves }, "C3k2 halves");
	concat(&(struct ul_concat){ .pixels = 5 * 5, .nparts = 4, .c = sppf }, "SPPF's 4 parts");
	concat(&(struct ul_concat){ .pixels = 3, .nparts = 1, .c = one }, "1 part, a copy");
	is_int(ul_concat_channels(&(struct ul_concat){ .pixels = 1, .nparts = 3, .c = three }), 8, "channels of the whole");
	skipped_part();
	strided_copy();
	return done_testing();
}
