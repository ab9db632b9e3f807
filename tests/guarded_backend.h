/* A stand-in for a GPU, for machines without one: the CPU's ops over
 * memory the host cannot touch. Its alloc maps pages with no access, and
 * only its own calls (every op, copy and clear) open them, for as long as
 * the call lasts; host code that reads or writes a net's memory directly,
 * as no GPU would let it, faults at once. The results are the CPU's, so a
 * run on it must equal a CPU run bit for bit, which checks every copy to
 * and from the device that the trainer and the validator make.
 *
 *   ul_ops = guarded_backend();
 *
 * Header-only, for one test program. */
#ifndef UL_TESTS_GUARDED_BACKEND_H
#define UL_TESTS_GUARDED_BACKEND_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nn/backend.h"

#define GUARDED_REGIONS 256

static struct {
	void *at[GUARDED_REGIONS];
	size_t bytes[GUARDED_REGIONS];
	int open;  /* depth of backend calls under way */
} guarded;

static void guarded_protect(int prot)
{
	for (int i = 0; i < GUARDED_REGIONS; i++)
		if (guarded.at[i] && mprotect(guarded.at[i], guarded.bytes[i], prot)) {
			perror("guarded backend: mprotect");
			abort();
		}
}

static void guarded_enter(void)
{
	if (guarded.open++ == 0)
		guarded_protect(PROT_READ | PROT_WRITE);
}

static void guarded_leave(void)
{
	if (--guarded.open == 0)
		guarded_protect(PROT_NONE);
}

static void *guarded_alloc(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (bytes + page - 1) / page * page;
	for (int i = 0; i < GUARDED_REGIONS; i++)
		if (!guarded.at[i]) {
			void *p = mmap(NULL, size ? size : page, guarded.open ? PROT_READ | PROT_WRITE : PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				return NULL;
			guarded.at[i] = p, guarded.bytes[i] = size ? size : page;
			return p;
		}
	return NULL;
}

static void guarded_release(void *p)
{
	for (int i = 0; p && i < GUARDED_REGIONS; i++)
		if (guarded.at[i] == p) {
			munmap(p, guarded.bytes[i]);
			guarded.at[i] = NULL;
			return;
		}
}

static void guarded_copy(void *dst, const void *src, size_t bytes)
{
	guarded_enter();
	memcpy(dst, src, bytes);
	guarded_leave();
}

static int guarded_sync(char *why, size_t size)
{
	(void)why, (void)size;
	return 0;
}

/* Each op: the CPU's, with the memory open while it runs. */
#define GUARDED(op, params, args) \
	static void guarded_##op params \
	{ \
		guarded_enter(); \
		ul_cpu_backend.op args; \
		guarded_leave(); \
	}

GUARDED(zero, (size_t n, float *x), (n, x))
GUARDED(conv2d_forward, (const struct ul_conv2d *c, const float *x, const float *w, const float *b, float *y, float *ws),
	(c, x, w, b, y, ws))
GUARDED(conv2d_backward, (const struct ul_conv2d *c, const float *x, const float *w, const float *dy, float *dx,
			  float *dw, float *db, float *ws), (c, x, w, dy, dx, dw, db, ws))
GUARDED(batchnorm_forward_train, (const struct ul_batchnorm *bn, const float *x, const float *g, const float *b,
				  float *rm, float *rv, float *y, float *sm, float *si, float *ws),
	(bn, x, g, b, rm, rv, y, sm, si, ws))
GUARDED(batchnorm_forward_eval, (const struct ul_batchnorm *bn, const float *x, const float *g, const float *b,
				 const float *rm, const float *rv, float *y, float *ws), (bn, x, g, b, rm, rv, y, ws))
GUARDED(batchnorm_backward, (const struct ul_batchnorm *bn, const float *x, const float *g, const float *b,
			     const float *sm, const float *si, const float *dy, float *dx, float *dg, float *db, float *ws),
	(bn, x, g, b, sm, si, dy, dx, dg, db, ws))
GUARDED(maxpool_forward, (const struct ul_maxpool *p, const float *x, float *y, int32_t *am), (p, x, y, am))
GUARDED(maxpool_backward, (const struct ul_maxpool *p, const int32_t *am, const float *dy, float *dx), (p, am, dy, dx))
GUARDED(upsample_forward, (const struct ul_upsample *u, const float *x, float *y), (u, x, y))
GUARDED(upsample_backward, (const struct ul_upsample *u, const float *dy, float *dx), (u, dy, dx))
GUARDED(channels_copy, (size_t n, int c, const float *s, int ss, float *d, int ds), (n, c, s, ss, d, ds))
GUARDED(add, (size_t n, const float *from, float *to), (n, from, to))
GUARDED(attention_forward, (const struct ul_attention *a, const float *qkv, float *o, float *v, float *p), (a, qkv, o, v, p))
GUARDED(attention_backward, (const struct ul_attention *a, const float *qkv, const float *p, const float *d, const float *dv,
			     float *dq, float *ws), (a, qkv, p, d, dv, dq, ws))
GUARDED(conv_transpose2d_forward, (const struct ul_conv_transpose2d *c, const float *x, const float *w, const float *b,
				   float *y, float *ws), (c, x, w, b, y, ws))
GUARDED(conv_transpose2d_backward, (const struct ul_conv_transpose2d *c, const float *x, const float *w, const float *dy,
				    float *dx, float *dw, float *db, float *ws), (c, x, w, dy, dx, dw, db, ws))
GUARDED(linear_forward, (const struct ul_linear *l, const float *x, const float *w, const float *b, float *y), (l, x, w, b, y))
GUARDED(linear_backward, (const struct ul_linear *l, const float *x, const float *w, const float *dy, float *dx, float *dw,
			  float *db), (l, x, w, dy, dx, dw, db))
GUARDED(global_avgpool_forward, (const struct ul_global_avgpool *p, const float *x, float *y), (p, x, y))
GUARDED(global_avgpool_backward, (const struct ul_global_avgpool *p, const float *dy, float *dx), (p, dy, dx))

static const struct ul_backend *guarded_backend(void)
{
	static const struct ul_backend b = {
		.name = "guarded host memory",
		.host_memory = false,
		.alloc = guarded_alloc,
		.release = guarded_release,
		.to_device = guarded_copy,
		.to_host = guarded_copy,
		.zero = guarded_zero,
		.sync = guarded_sync,
		.conv2d_forward = guarded_conv2d_forward,
		.conv2d_backward = guarded_conv2d_backward,
		.batchnorm_forward_train = guarded_batchnorm_forward_train,
		.batchnorm_forward_eval = guarded_batchnorm_forward_eval,
		.batchnorm_backward = guarded_batchnorm_backward,
		.maxpool_forward = guarded_maxpool_forward,
		.maxpool_backward = guarded_maxpool_backward,
		.upsample_forward = guarded_upsample_forward,
		.upsample_backward = guarded_upsample_backward,
		.channels_copy = guarded_channels_copy,
		.add = guarded_add,
		.attention_forward = guarded_attention_forward,
		.attention_backward = guarded_attention_backward,
		.conv_transpose2d_forward = guarded_conv_transpose2d_forward,
		.conv_transpose2d_backward = guarded_conv_transpose2d_backward,
		.linear_forward = guarded_linear_forward,
		.linear_backward = guarded_linear_backward,
		.global_avgpool_forward = guarded_global_avgpool_forward,
		.global_avgpool_backward = guarded_global_avgpool_backward,
	};
	return &b;
}

#endif
