/* The training transforms' plans (data/augment.h) against Ultralytics'
 * buffer: a source of blank images that records which it is asked for,
 * through the loads of a sequence worked by hand (4 images, max 4). Each
 * mosaic loads its own image and three others from the buffer as it stood
 * after that load, the first sample its own four times; MixUp's image,
 * uniform over the set, enters the buffer before its own mosaic picks;
 * with cache=ram (no buffer) the others are uniform over the whole set.
 * And bgr: with the same draws, the image of bgr=1 is bgr=0's with red and
 * blue swapped; bgr=0.5 swaps about half of the samples. */
#include "core/random.h"
#include "data/augment.h"
#include "tap.h"

#define SIDE 32
#define MAX_LOADS 8

/* The images a sample asked for, in order. */
struct asked {
	int index[MAX_LOADS], n;
};

static int blank(void *ctx, int index, struct ul_sample *out, jv *err)
{
	(void)err;
	struct asked *a = ctx;
	if (a->n < MAX_LOADS)
		a->index[a->n] = index;
	a->n++;
	ul_sample_free(out);
	out->img = (struct ul_image){ SIDE, SIDE, malloc((size_t)SIDE * SIDE * 3) };
	memset(out->img.rgb, 10 * index, (size_t)SIDE * SIDE * 3);
	return 0;
}

/* The sample of plan through the transforms: the images it asked for. */
static struct asked run(const struct ul_augment *a, const struct ul_mix_plan *plan, uint64_t seed)
{
	struct asked asked = { .n = 0 };
	struct ul_sample_source src = { blank, &asked };
	struct ul_sample s;
	ul_sample_init(&s, 0, 0, 0);
	jv err = jv_invalid();
	uint64_t rng = seed;
	if (ul_augment_train(a, SIDE, SIDE, SIDE, &src, plan, &rng, &s, &err))
		asked.n = -1, jv_free(jv_invalid_get_msg(err));
	ul_sample_free(&s);
	return asked;
}

/* Every one of n images is in pool[0..len). */
static bool all_in(const int *index, int n, const int *pool, int len)
{
	for (int k = 0; k < n; k++) {
		bool found = false;
		for (int j = 0; j < len; j++)
			found |= pool[j] == index[k];
		if (!found)
			return false;
	}
	return true;
}

static void mosaics(void)
{
	static const int order[] = { 2, 0, 2, 1, 3, 2, 3, 0 };
	static const int lens[] = { 1, 2, 2, 3, 3, 3, 3, 3 };
	struct ul_augment a = { .mosaic = 1 };
	struct ul_mosaic_buffer b;
	ok(ul_mosaic_buffer_init(&b, 4, 1, true, 8 * UL_AUGMENT_LOADS) == 0, "a buffer of 4 images, max 4");
	int inside = 0, sized = 0, fours = 0;
	for (int p = 0; p < 8; p++) {
		struct ul_mix_plan plan;
		uint64_t rng = (uint64_t)p;
		ul_augment_plan(&a, &b, order[p], &rng, &plan);
		sized += plan.own.image == order[p] && plan.own.len == lens[p] && plan.mixup.image < 0 && plan.cutmix.image < 0;
		for (int seed = 0; seed < 20; seed++) {
			struct asked asked = run(&a, &plan, (uint64_t)(100 * p + seed));
			fours += asked.n == 4;
			inside += asked.n == 4 && asked.index[0] == order[p] && all_in(asked.index + 1, 3, plan.own.pool, plan.own.len);
		}
		if (p == 0) {
			struct asked first = run(&a, &plan, 1);
			ok(first.n == 4 && first.index[1] == 2 && first.index[2] == 2 && first.index[3] == 2,
			   "the first mosaic is its own image four times");
		}
	}
	ok(sized == 8, "each plan: its own image, the buffer of 1, 2, 2, 3, 3, 3, 3, 3 after its load, no mixing");
	ok(fours == 160 && inside == 160, "160 mosaics load their own image, then 3 of the buffer's (%d of %d)", inside, fours);

	/* mixup 1: its image enters the buffer before its own mosaic picks */
	a.mixup = 1;
	ul_mosaic_buffer_clear(&b);
	struct ul_mix_plan plan;
	uint64_t rng = 3, copy = rng;
	ul_augment_plan(&a, &b, 1, &rng, &plan);
	ul_random_unit(&copy);
	int drawn = (int)(ul_random_unit(&copy) * 4);
	ul_random_unit(&copy);
	bool own_first = plan.own.len == 1 && plan.own.pool[0] == 1;
	bool entered = plan.mixup.image == drawn && plan.mixup.len == (drawn == 1 ? 1 : 2) &&
		       plan.mixup.pool[plan.mixup.len - 1] == drawn;
	ok(own_first && entered && plan.cutmix.image < 0 && rng == copy,
	   "mixup: one draw to run, one for its image (%d), which joins the buffer after the sample's own; cutmix's to run",
	   drawn);
	struct asked asked = run(&a, &plan, 9);
	ok(asked.n == 8 && asked.index[0] == 1 && all_in(asked.index + 1, 3, plan.own.pool, plan.own.len) &&
	   asked.index[4] == drawn && all_in(asked.index + 5, 3, plan.mixup.pool, plan.mixup.len),
	   "the sample loads its own and 3 from the buffer, then mixup's and 3 from the buffer after it");
	ul_mosaic_buffer_free(&b);
}

static void whole_set(void)
{
	struct ul_augment a = { .mosaic = 1 };
	struct ul_mosaic_buffer b;
	ok(ul_mosaic_buffer_init(&b, 8, 1, false, 0) == 0, "cache=ram: no buffer");
	int count[8] = { 0 }, mosaics = 0;
	for (int p = 0; p < 400; p++) {
		struct ul_mix_plan plan;
		uint64_t rng = (uint64_t)p;
		ul_augment_plan(&a, &b, p % 8, &rng, &plan);
		struct asked asked = run(&a, &plan, (uint64_t)p);
		mosaics += asked.n == 4 && plan.own.pool == NULL && plan.own.len == 8;
		for (int k = 1; asked.n == 4 && k < 4; k++)
			count[asked.index[k]]++;
	}
	int fewest = 1200;
	for (int v = 0; v < 8; v++)
		fewest = count[v] < fewest ? count[v] : fewest;
	/* 1200 picks of 8: 150 each, a standard deviation of 11.5 */
	ok(mosaics == 400 && fewest > 150 - 5 * 12, "400 mosaics pick their others from all 8 images, each at least %d times",
	   fewest);
	ul_mosaic_buffer_free(&b);
}

/* An image whose three channels differ everywhere. */
static int coloured(void *ctx, int index, struct ul_sample *out, jv *err)
{
	(void)ctx, (void)err;
	ul_sample_free(out);
	out->img = (struct ul_image){ SIDE, SIDE, malloc((size_t)SIDE * SIDE * 3) };
	for (int i = 0; i < SIDE * SIDE; i++) {
		unsigned char *p = out->img.rgb + 3 * i;
		p[0] = (unsigned char)(20 + i % SIDE * 3 + index), p[1] = 128, p[2] = (unsigned char)(230 - i / SIDE * 3);
	}
	return 0;
}

/* The image of one sample of image 0, or a zero width when it failed. */
static struct ul_image transformed(const struct ul_augment *a, uint64_t seed)
{
	struct ul_sample_source src = { coloured, NULL };
	struct ul_mix_plan plan = { .own = { 0, NULL, 1 }, .mixup = { .image = -1 }, .cutmix = { .image = -1 } };
	struct ul_sample s;
	ul_sample_init(&s, 0, 0, 0);
	jv err = jv_invalid();
	uint64_t rng = seed;
	if (ul_augment_train(a, SIDE, SIDE, SIDE, &src, &plan, &rng, &s, &err)) {
		jv_free(jv_invalid_get_msg(err));
		ul_sample_free(&s);
		return (struct ul_image){ 0 };
	}
	return s.img;
}

/* b is a with red and blue swapped. */
static bool red_blue_swapped(const struct ul_image *a, const struct ul_image *b)
{
	bool same = a->w == b->w && a->h == b->h && a->w > 0;
	for (size_t i = 0; same && i < (size_t)a->w * a->h * 3; i += 3)
		same = a->rgb[i] == b->rgb[i + 2] && a->rgb[i + 1] == b->rgb[i + 1] && a->rgb[i + 2] == b->rgb[i];
	return same;
}

static void channel_swap(void)
{
	struct ul_augment plain = { .translate = 0.1, .scale = 0.5, .hsv_h = 0.015, .hsv_s = 0.7, .hsv_v = 0.4, .fliplr = 0.5 };
	struct ul_augment always = plain, half = plain;
	always.bgr = 1, half.bgr = 0.5;
	int exact = 0, swapped = 0, unchanged = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct ul_image a = transformed(&plain, seed), b = transformed(&always, seed), c = transformed(&half, seed);
		exact += seed <= 8 && red_blue_swapped(&a, &b);
		swapped += red_blue_swapped(&a, &c);
		unchanged += a.w > 0 && c.w > 0 && !memcmp(a.rgb, c.rgb, (size_t)a.w * a.h * 3);
		free(a.rgb), free(b.rgb), free(c.rgb);
	}
	ok(exact == 8, "bgr=1: the bgr=0 image with red and blue swapped, 8 seeds of 8");
	ok(swapped + unchanged == 200 && swapped > 70 && swapped < 130, "bgr=0.5: %d of 200 swapped, the others untouched",
	   swapped);
}

int main(void)
{
	mosaics();
	whole_set();
	channel_swap();
	return done_testing();
}
