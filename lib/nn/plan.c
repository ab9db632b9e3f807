#include "nn/plan.h"

#include <stdlib.h>

int ul_plan_add(struct ul_plan *p, size_t floats, int start, int end, float **ptr)
{
	if (p->n == p->cap) {
		int cap = p->cap ? 2 * p->cap : 64;
		struct ul_plan_block *grown = realloc(p->blocks, sizeof *grown * (size_t)cap);
		if (!grown)
			return -1;
		p->blocks = grown, p->cap = cap;
	}
	floats = (floats + 15) / 16 * 16;  /* 64-byte aligned blocks, for vector loads */
	p->blocks[p->n++] = (struct ul_plan_block){ floats ? floats : 16, 0, start, end, ptr };
	return 0;
}

static int by_size_down(const void *a, const void *b)
{
	const struct ul_plan_block *x = a, *y = b;
	return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/* Largest first, each at the lowest offset clear of every placed block it
 * overlaps in time: the greedy plan of static arenas. */
size_t ul_plan_place(struct ul_plan *p)
{
	qsort(p->blocks, (size_t)p->n, sizeof *p->blocks, by_size_down);
	size_t total = 0;
	for (int i = 0; i < p->n; i++) {
		struct ul_plan_block *blk = &p->blocks[i];
		size_t offset = 0;
		for (int moved = 1; moved;) {
			moved = 0;
			for (int j = 0; j < i; j++) {
				const struct ul_plan_block *o = &p->blocks[j];
				int in_time = o->start <= blk->end && blk->start <= o->end;
				if (in_time && o->offset < offset + blk->size && offset < o->offset + o->size) {
					offset = o->offset + o->size;
					moved = 1;
				}
			}
		}
		blk->offset = offset;
		total = offset + blk->size > total ? offset + blk->size : total;
	}
	return total;
}

void ul_plan_bind(const struct ul_plan *p, float *arena)
{
	for (int k = 0; k < p->n; k++)
		*p->blocks[k].ptr = arena + p->blocks[k].offset;
}

void ul_plan_free(struct ul_plan *p)
{
	free(p->blocks);
	p->blocks = NULL;
	p->n = p->cap = 0;
}
