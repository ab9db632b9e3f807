#include "nn/detect_level.h"

#include "nn/backend.h"
#include "nn/sizes.h"

static size_t out_of(const struct ul_conv_module *m)
{
	return ul_conv_module_out(m);
}

/* saved: the box branch's two maps, the class branch's four, then the six
 * Conv modules' saved state */
struct layout {
	float *box[2], *cls[4], *box_saved[2], *cls_saved[4];
};

static struct layout lay_out(const struct ul_detect_level *d, float *saved)
{
	struct layout l;
	float *next = saved;
	for (int i = 0; i < 2; i++)
		l.box[i] = next, next += out_of(&d->box[i]);
	for (int i = 0; i < 4; i++)
		l.cls[i] = next, next += out_of(&d->cls[i]);
	for (int i = 0; i < 2; i++)
		l.box_saved[i] = next, next += ul_conv_module_saved(&d->box[i]);
	for (int i = 0; i < 4; i++)
		l.cls_saved[i] = next, next += ul_conv_module_saved(&d->cls[i]);
	return l;
}

size_t ul_detect_level_saved(const struct ul_detect_level *d)
{
	size_t s = 0;
	for (int i = 0; i < 2; i++)
		s += out_of(&d->box[i]) + ul_conv_module_saved(&d->box[i]);
	for (int i = 0; i < 4; i++)
		s += out_of(&d->cls[i]) + ul_conv_module_saved(&d->cls[i]);
	return s;
}

static size_t inner(const struct ul_detect_level *d)
{
	size_t w = ul_size_max(ul_conv2d_workspace(&d->box_out.conv), ul_conv2d_workspace(&d->cls_out.conv));
	for (int i = 0; i < 2; i++)
		w = ul_size_max(w, ul_conv_module_workspace(&d->box[i]));
	for (int i = 0; i < 4; i++)
		w = ul_size_max(w, ul_conv_module_workspace(&d->cls[i]));
	return w;
}

/* The largest map inside the branches, and the input's size. */
static size_t largest(const struct ul_detect_level *d)
{
	size_t big = 0;
	for (int i = 0; i < 2; i++)
		big = ul_size_max(big, out_of(&d->box[i]));
	for (int i = 0; i < 4; i++)
		big = ul_size_max(big, out_of(&d->cls[i]));
	return big;
}

static size_t input_size(const struct ul_detect_level *d)
{
	const struct ul_conv2d *c = &d->box[0].conv;
	return (size_t)c->n * c->h * c->w * c->c_in;
}

/* inner scratch, two gradient maps to ping-pong through a branch, and the
 * input gradient of a branch */
size_t ul_detect_level_workspace(const struct ul_detect_level *d)
{
	return inner(d) + 2 * largest(d) + input_size(d);
}

void ul_detect_level_forward(const struct ul_detect_level *d, const float *x, float *box, float *cls, float *saved,
			     float *workspace, bool train)
{
	struct layout l = lay_out(d, saved);
	const float *in = x;
	for (int i = 0; i < 2; i++) {
		ul_conv_module_forward(&d->box[i], in, l.box[i], l.box_saved[i], workspace, train);
		in = l.box[i];
	}
	ul_ops->conv2d_forward(&d->box_out.conv, in, d->box_out.weight, d->box_out.bias, box, workspace);
	in = x;
	for (int i = 0; i < 4; i++) {
		ul_conv_module_forward(&d->cls[i], in, l.cls[i], l.cls_saved[i], workspace, train);
		in = l.cls[i];
	}
	ul_ops->conv2d_forward(&d->cls_out.conv, in, d->cls_out.weight, d->cls_out.bias, cls, workspace);
}

/* Back through one branch of Conv modules ending in a biased conv: dout
 * to the branch's input gradient, left in *result. */
static void branch_backward(int n, const struct ul_conv_module *m, float *const *maps, float *const *saved,
			    const struct ul_biased_conv *last, const float *x, const float *dout, float *g0, float *g1,
			    float *dx, float *workspace)
{
	ul_ops->conv2d_backward(&last->conv, maps[n - 1], last->weight, dout, g0, last->dweight, last->dbias, workspace);
	for (int i = n - 1; i >= 0; i--) {
		float *to = i == 0 ? dx : g1;
		ul_conv_module_backward(&m[i], i == 0 ? x : maps[i - 1], saved[i], g0, to, workspace);
		float *t = g0;
		g0 = g1;
		g1 = t;
	}
}

void ul_detect_level_backward(const struct ul_detect_level *d, const float *x, const float *saved, const float *dbox,
			      const float *dcls, float *dx, float *workspace)
{
	struct layout l = lay_out(d, (float *)saved);
	size_t big = largest(d), nx = input_size(d);
	float *g0 = workspace + inner(d), *g1 = g0 + big, *dbranch = g1 + big;
	branch_backward(2, d->box, l.box, l.box_saved, &d->box_out, x, dbox, g0, g1, dbranch, workspace);
	if (dx && !d->detached)
		ul_ops->add(nx, dbranch, dx);
	branch_backward(4, d->cls, l.cls, l.cls_saved, &d->cls_out, x, dcls, g0, g1, dbranch, workspace);
	if (dx && !d->detached)
		ul_ops->add(nx, dbranch, dx);
}
