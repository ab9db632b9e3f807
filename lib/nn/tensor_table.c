#include "nn/tensor_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ul_tensor_table_init(struct ul_tensor_table *t)
{
	memset(t, 0, sizeof *t);
}

void ul_tensor_table_free(struct ul_tensor_table *t)
{
	free(t->specs);
	memset(t, 0, sizeof *t);
}

size_t ul_tensor_numel(const struct ul_tensor_spec *s)
{
	size_t n = 1;
	for (int i = 0; i < s->ndim; i++)
		n *= (size_t)s->shape[i];
	return n;
}

void ul_tensor_add(struct ul_tensor_table *t, bool buffer, const char *name, int ndim, ...)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct ul_tensor_spec *grown = realloc(t->specs, sizeof *grown * cap);
		if (!grown) {
			t->failed = true;
			return;
		}
		t->specs = grown;
		t->cap = cap;
	}
	struct ul_tensor_spec *s = &t->specs[t->n++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->ndim = ndim;
	s->buffer = buffer;
	s->discarded_draws = t->pending_draws;
	t->pending_draws = 0;
	va_list ap;
	va_start(ap, ndim);
	for (int i = 0; i < ndim && i < 4; i++)
		s->shape[i] = va_arg(ap, int);
	va_end(ap);
	size_t *total = buffer ? &t->buffers : &t->params;
	s->offset = *total;
	*total += ul_tensor_numel(s);
}

const struct ul_tensor_spec *ul_tensor_find(const struct ul_tensor_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->specs[i].name, name))
			return &t->specs[i];
	return NULL;
}
