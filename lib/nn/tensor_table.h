/* The size table of a model: every parameter and buffer with its
 * Ultralytics state-dict name ("model.0.conv.weight") and shape, in the
 * order PyTorch registers them. Allocation, checkpoints, the optimizer and
 * the memory estimate all read this one table (llm.c's pattern). */
#ifndef UL_NN_TENSOR_TABLE_H
#define UL_NN_TENSOR_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#define UL_TENSOR_NAME 96

struct ul_tensor_spec {
	char name[UL_TENSOR_NAME];
	int shape[4];   /* outermost first, PyTorch's order: conv weight (out, in/groups, kh, kw) */
	int ndim;       /* 0 for a scalar such as num_batches_tracked */
	bool buffer;    /* running statistics: saved, not trained */
	size_t offset;  /* in floats, within the parameters or within the buffers */
	size_t discarded_draws;  /* random numbers PyTorch's init draws just before this tensor's, for
				    modules it builds and then replaces (nn/init.c) */
};

struct ul_tensor_table {
	struct ul_tensor_spec *specs;
	size_t n, cap;
	size_t params, buffers;  /* floats in each */
	bool failed;             /* out of memory while adding */
	size_t pending_draws;    /* discarded draws the next tensor added carries */
};

void ul_tensor_table_init(struct ul_tensor_table *t);
void ul_tensor_table_free(struct ul_tensor_table *t);

/* Adds a tensor; ndim values of shape follow. */
void ul_tensor_add(struct ul_tensor_table *t, bool buffer, const char *name, int ndim, ...);

/* The tensor of that state-dict name, or NULL. */
const struct ul_tensor_spec *ul_tensor_find(const struct ul_tensor_table *t, const char *name);

/* Elements of one tensor. */
size_t ul_tensor_numel(const struct ul_tensor_spec *s);

#endif
