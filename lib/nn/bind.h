/* Binding modules to a model's tensors by their state-dict names: each
 * Conv finds prefix.conv.weight and prefix.bn.*, takes its kernel, width
 * and groups from the weight's shape, and points its parameters and
 * gradients into the weights' buffers. The input shape is the caller's;
 * a module's inner parts follow from it. The first failure (a missing
 * tensor, a shape that does not fit) is kept, and later calls do nothing. */
#ifndef UL_NN_BIND_H
#define UL_NN_BIND_H

#include <jv.h>

#include "nn/c3k2.h"
#include "nn/detect_level.h"
#include "nn/graph.h"
#include "nn/weights.h"

struct ul_binder {
	const struct ul_weights *w;
	jv *err;      /* the first failure's message */
	int failed;
};

void ul_bind_fail(struct ul_binder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A tensor name from its parts, into out (UL_TENSOR_NAME bytes). */
void ul_bind_join(struct ul_binder *b, char *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The tensor prefix.suffix with ndim dimensions, its values and gradient. */
const struct ul_tensor_spec *ul_bind_need(struct ul_binder *b, const char *prefix, const char *suffix, int ndim);
float *ul_bind_param(struct ul_binder *b, const struct ul_tensor_spec *s);
float *ul_bind_grad(struct ul_binder *b, const struct ul_tensor_spec *s);

/* A Conv module at prefix on an (n, h, w, c_in) input; padding k/2. */
void ul_bind_conv(struct ul_binder *b, const char *prefix, struct ul_conv_module *m, int n, int h, int w, int c_in,
		  int stride, bool act);
/* The Conv at prefix.part on prev's output. */
void ul_bind_next(struct ul_binder *b, const char *prefix, const char *part, struct ul_conv_module *m,
		  const struct ul_conv_module *prev, bool act);
/* The Conv at prefix.part on an input of c's input size with c_in channels. */
void ul_bind_beside(struct ul_binder *b, const char *prefix, const char *part, struct ul_conv_module *m,
		    const struct ul_conv2d *c, int c_in, bool act);
/* A module's first Conv, prefix.cv1, on the layer's input. */
void ul_bind_cv1(struct ul_binder *b, const char *prefix, struct ul_conv_module *m, int n, int h, int w, int c_in,
		 bool act);
/* A biased 1x1 Conv2d at prefix on prev's output. */
void ul_bind_biased(struct ul_binder *b, const char *prefix, struct ul_biased_conv *bc, const struct ul_conv_module *prev);

/* PSABlock(c) with heads heads on an input of shape's size. */
void ul_bind_psablock(struct ul_binder *b, const char *prefix, struct ul_psablock *m, const struct ul_conv2d *shape,
		      int c, int heads);
/* Layer L's C3k2, its inner blocks allocated (m->m, the caller frees). */
void ul_bind_c3k2(struct ul_binder *b, const char *prefix, const struct ul_layer *L, struct ul_c3k2 *m, int n, int h,
		  int w);
/* One Detect level, one-to-many or its one-to-one copy. */
void ul_bind_detect_level(struct ul_binder *b, struct ul_detect_level *d, const char *prefix, bool one2one, int level,
			  int n, int h, int w, int c_in);

#endif
