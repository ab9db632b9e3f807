/* The arena's plan: blocks never live at the same step get the same memory,
 * blocks live together never overlap, offsets stay 64-byte aligned, and on
 * a random schedule the arena lies between what the busiest step needs and
 * the sum of all blocks. */
#include <stdbool.h>
#include <stdlib.h>

#include "nn/plan.h"
#include "tap.h"

static size_t rounded(size_t floats)
{
	return floats ? (floats + 15) / 16 * 16 : 16;
}

static void small_cases(void)
{
	struct ul_plan p = { 0 };
	float *a, *b, *c;
	ul_plan_add(&p, 100, 0, 3, &a);
	ul_plan_add(&p, 50, 4, 9, &b);   /* after a: may reuse its memory */
	ul_plan_add(&p, 10, 2, 5, &c);   /* overlaps both */
	size_t total = ul_plan_place(&p);
	float arena[256];
	ul_plan_bind(&p, arena);
	ok(a == arena && b == arena, "blocks that never live together share an offset");
	ok(c == arena + 112 && total == 128, "a block live with both goes after them: %zu floats", total);
	ul_plan_free(&p);
}

static void random_schedule(void)
{
	enum { BLOCKS = 300, STEPS = 60 };
	struct ul_plan p = { 0 };
	float *ptrs[BLOCKS];
	size_t sum = 0, busiest = 0, live[STEPS] = { 0 };
	srand(7);
	for (int i = 0; i < BLOCKS; i++) {
		int start = rand() % STEPS, end = start + rand() % (STEPS - start);
		size_t floats = (size_t)(rand() % 5000);
		ul_plan_add(&p, floats, start, end, &ptrs[i]);
		sum += rounded(floats);
		for (int s = start; s <= end; s++)
			live[s] += rounded(floats);
	}
	for (int s = 0; s < STEPS; s++)
		busiest = live[s] > busiest ? live[s] : busiest;
	size_t total = ul_plan_place(&p);
	bool apart = true, aligned = true, inside = true;
	for (int i = 0; i < p.n; i++) {
		const struct ul_plan_block *x = &p.blocks[i];
		aligned = aligned && x->offset % 16 == 0;
		inside = inside && x->offset + x->size <= total;
		for (int j = i + 1; j < p.n; j++) {
			const struct ul_plan_block *y = &p.blocks[j];
			bool in_time = x->start <= y->end && y->start <= x->end;
			bool in_memory = x->offset < y->offset + y->size && y->offset < x->offset + x->size;
			apart = apart && !(in_time && in_memory);
		}
	}
	ok(apart, "no two blocks live at the same step share memory");
	ok(aligned && inside, "every block is 64-byte aligned and inside the arena");
	ok(total >= busiest && total < sum, "the arena (%zu) lies between the busiest step (%zu) and the sum of blocks (%zu)",
	   total, busiest, sum);
	ul_plan_free(&p);
}

int main(void)
{
	small_cases();
	random_schedule();
	return done_testing();
}
