#include "nn/proto26.h"

#include <string.h>

#include "nn/backend.h"
#include "nn/sizes.h"
#include "nn/upsample.h"

static size_t in_size(const struct ul_conv_module *m)
{
	return (size_t)m->conv.n * m->conv.h * m->conv.w * m->conv.c_in;
}

static size_t up_size(const struct ul_proto26 *p)
{
	const struct ul_conv_transpose2d *u = &p->up;
	return (size_t)u->n * ul_conv_transpose2d_out_h(u) * ul_conv_transpose2d_out_w(u) * u->c_out;
}

/* feat_refine.i's output back to P3's size: nearest, by 2 for P4, 4 for P5. */
static struct ul_upsample refine_up(const struct ul_proto26 *p, int i)
{
	const struct ul_conv_module *r = &p->refine[i];
	return (struct ul_upsample){ r->conv.n, ul_conv2d_out_h(&r->conv), ul_conv2d_out_w(&r->conv), r->conv.c_out, 2 << i };
}

/* saved: the refined P4 and P5, their sum with P3 (feat), then the outputs
 * of feat_fuse, cv1, upsample and cv2, the six Convs' saved state, and
 * last, for training only, semseg's two maps and saved state */
struct layout {
	float *refined[2], *feat, *fused, *a, *up, *b;
	float *refine_saved[2], *fuse_saved, *cv1_saved, *cv2_saved, *cv3_saved;
	float *semseg[2], *semseg_saved[2];
};

static struct layout lay_out(const struct ul_proto26 *p, float *saved, bool train)
{
	struct layout l = { 0 };
	float *next = saved;
	for (int i = 0; i < 2; i++)
		l.refined[i] = next, next += ul_conv_module_out(&p->refine[i]);
	l.feat = next, next += in_size(&p->fuse);
	l.fused = next, next += ul_conv_module_out(&p->fuse);
	l.a = next, next += ul_conv_module_out(&p->cv1);
	l.up = next, next += up_size(p);
	l.b = next, next += ul_conv_module_out(&p->cv2);
	for (int i = 0; i < 2; i++)
		l.refine_saved[i] = next, next += ul_conv_module_saved(&p->refine[i]);
	l.fuse_saved = next, next += ul_conv_module_saved(&p->fuse);
	l.cv1_saved = next, next += ul_conv_module_saved(&p->cv1);
	l.cv2_saved = next, next += ul_conv_module_saved(&p->cv2);
	l.cv3_saved = next, next += ul_conv_module_saved(&p->cv3);
	if (!train)
		return l;  /* eval's saved area ends here */
	for (int i = 0; i < 2; i++)
		l.semseg[i] = next, next += ul_conv_module_out(&p->semseg[i]);
	for (int i = 0; i < 2; i++)
		l.semseg_saved[i] = next, next += ul_conv_module_saved(&p->semseg[i]);
	return l;
}

size_t ul_proto26_saved(const struct ul_proto26 *p, bool train)
{
	size_t s = in_size(&p->fuse) + up_size(p);
	for (int i = 0; i < 2; i++)
		s += ul_conv_module_out(&p->refine[i]) + ul_conv_module_saved(&p->refine[i]);
	const struct ul_conv_module *chain[] = { &p->fuse, &p->cv1, &p->cv2 };
	for (int i = 0; i < 3; i++)
		s += ul_conv_module_out(chain[i]) + ul_conv_module_saved(chain[i]);
	s += ul_conv_module_saved(&p->cv3);
	if (train)
		for (int i = 0; i < 2; i++)
			s += ul_conv_module_out(&p->semseg[i]) + ul_conv_module_saved(&p->semseg[i]);
	return s;
}

static size_t inner(const struct ul_proto26 *p)
{
	const struct ul_conv_module *all[] = { &p->refine[0], &p->refine[1], &p->fuse, &p->cv1,
					       &p->cv2, &p->cv3, &p->semseg[0], &p->semseg[1] };
	size_t w = ul_size_max(ul_conv_transpose2d_workspace(&p->up), ul_conv2d_workspace(&p->semseg_out.conv));
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		w = ul_size_max(w, ul_conv_module_workspace(all[i]));
	return w;
}

/* The largest gradient a step of backward produces: any map, or P4 or P5
 * (P3's share is feat's size). */
static size_t largest(const struct ul_proto26 *p)
{
	const struct ul_conv_module *all[] = { &p->refine[0], &p->refine[1], &p->fuse, &p->cv1,
					       &p->cv2, &p->semseg[0], &p->semseg[1] };
	size_t big = ul_size_max(up_size(p), ul_size_max(in_size(&p->refine[0]), in_size(&p->refine[1])));
	big = ul_size_max(big, in_size(&p->fuse));
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		big = ul_size_max(big, ul_conv_module_out(all[i]));
	return big;
}

/* inner scratch, two gradients to ping-pong through a chain, and feat's
 * gradient, which three paths read */
size_t ul_proto26_workspace(const struct ul_proto26 *p)
{
	return inner(p) + 2 * largest(p) + in_size(&p->fuse);
}

void ul_proto26_forward(const struct ul_proto26 *p, const float *const *x, float *proto, float *semseg, float *saved,
			float *workspace, bool train)
{
	struct layout l = lay_out(p, saved, train);
	size_t nfeat = in_size(&p->fuse);
	float *upsampled = workspace + inner(p);
	ul_ops->channels_copy(1, (int)nfeat, x[0], (int)nfeat, l.feat, (int)nfeat);
	for (int i = 0; i < 2; i++) {
		struct ul_upsample up = refine_up(p, i);
		ul_conv_module_forward(&p->refine[i], x[i + 1], l.refined[i], l.refine_saved[i], workspace, train);
		ul_ops->upsample_forward(&up, l.refined[i], upsampled);
		ul_ops->add(nfeat, upsampled, l.feat);
	}
	ul_conv_module_forward(&p->fuse, l.feat, l.fused, l.fuse_saved, workspace, train);
	ul_conv_module_forward(&p->cv1, l.fused, l.a, l.cv1_saved, workspace, train);
	ul_ops->conv_transpose2d_forward(&p->up, l.a, p->up_weight, p->up_bias, l.up, workspace);
	ul_conv_module_forward(&p->cv2, l.up, l.b, l.cv2_saved, workspace, train);
	ul_conv_module_forward(&p->cv3, l.b, proto, l.cv3_saved, workspace, train);
	if (!train)
		return;
	ul_conv_module_forward(&p->semseg[0], l.feat, l.semseg[0], l.semseg_saved[0], workspace, true);
	ul_conv_module_forward(&p->semseg[1], l.semseg[0], l.semseg[1], l.semseg_saved[1], workspace, true);
	ul_ops->conv2d_forward(&p->semseg_out.conv, l.semseg[1], p->semseg_out.weight, p->semseg_out.bias, semseg, workspace);
}

void ul_proto26_backward(const struct ul_proto26 *p, const float *const *x, const float *saved, const float *dproto,
			 const float *dsemseg, float *const *dx, float *workspace)
{
	struct layout l = lay_out(p, (float *)saved, true);
	size_t big = largest(p), nfeat = in_size(&p->fuse);
	float *g0 = workspace + inner(p), *g1 = g0 + big, *dfeat = g1 + big;
	/* the proto chain down to feat */
	ul_conv_module_backward(&p->cv3, l.b, l.cv3_saved, dproto, g0, workspace);
	ul_conv_module_backward(&p->cv2, l.up, l.cv2_saved, g0, g1, workspace);
	ul_ops->conv_transpose2d_backward(&p->up, l.a, p->up_weight, g1, g0, p->dup_weight, p->dup_bias, workspace);
	ul_conv_module_backward(&p->cv1, l.fused, l.cv1_saved, g0, g1, workspace);
	ul_conv_module_backward(&p->fuse, l.feat, l.fuse_saved, g1, dfeat, workspace);
	/* semseg's share of feat */
	const struct ul_biased_conv *out = &p->semseg_out;
	ul_ops->conv2d_backward(&out->conv, l.semseg[1], out->weight, dsemseg, g0, out->dweight, out->dbias, workspace);
	ul_conv_module_backward(&p->semseg[1], l.semseg[0], l.semseg_saved[1], g0, g1, workspace);
	ul_conv_module_backward(&p->semseg[0], l.feat, l.semseg_saved[0], g1, g0, workspace);
	ul_ops->add(nfeat, g0, dfeat);
	/* feat is P3 plus the upsampled, refined P4 and P5 */
	ul_ops->add(nfeat, dfeat, dx[0]);
	for (int i = 0; i < 2; i++) {
		struct ul_upsample up = refine_up(p, i);
		ul_ops->upsample_backward(&up, dfeat, g0);
		ul_conv_module_backward(&p->refine[i], x[i + 1], l.refine_saved[i], g0, g1, workspace);
		ul_ops->add(in_size(&p->refine[i]), g1, dx[i + 1]);
	}
}
