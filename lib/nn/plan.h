/* The activation arena's plan: blocks of floats, each live over a span of
 * steps, placed at offsets so that blocks live at the same step never
 * overlap and the others may share memory. The net numbers its steps:
 * layer i's forward is i, the loss L, layer i's backward 2L - i. */
#ifndef UL_NN_PLAN_H
#define UL_NN_PLAN_H

#include <stddef.h>

struct ul_plan_block {
	size_t size, offset;
	int start, end;   /* live from start to end, both included */
	float **ptr;      /* set to the block's place once the arena exists */
};

struct ul_plan {
	struct ul_plan_block *blocks;
	int n, cap;
};

/* 0, or -1 when out of memory. */
int ul_plan_add(struct ul_plan *p, size_t floats, int start, int end, float **ptr);

/* Places every block; returns the arena's floats. */
size_t ul_plan_place(struct ul_plan *p);

/* Points every block's ptr into arena. */
void ul_plan_bind(const struct ul_plan *p, float *arena);

void ul_plan_free(struct ul_plan *p);

#endif
