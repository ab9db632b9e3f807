#include "nn/head_branch.h"

#include "nn/backend.h"
#include "nn/sizes.h"

/* saved: the two Conv maps (the second is the c4 feature the outputs
 * read), then the two Convs' saved state */
struct layout {
	float *map[2], *conv_saved[2];
};

static struct layout lay_out(const struct ul_head_branch *b, float *saved)
{
	struct layout l;
	float *next = saved;
	for (int i = 0; i < 2; i++)
		l.map[i] = next, next += ul_conv_module_out(&b->cv[i]);
	for (int i = 0; i < 2; i++)
		l.conv_saved[i] = next, next += ul_conv_module_saved(&b->cv[i]);
	return l;
}

size_t ul_head_branch_saved(const struct ul_head_branch *b)
{
	size_t s = 0;
	for (int i = 0; i < 2; i++)
		s += ul_conv_module_out(&b->cv[i]) + ul_conv_module_saved(&b->cv[i]);
	return s;
}

static size_t inner(const struct ul_head_branch *b)
{
	size_t w = 0;
	for (int i = 0; i < 2; i++)
		w = ul_size_max(w, ul_conv_module_workspace(&b->cv[i]));
	for (int i = 0; i < b->nout; i++)
		w = ul_size_max(w, ul_conv2d_workspace(&b->out[i].conv));
	return w;
}

static size_t input_size(const struct ul_head_branch *b)
{
	const struct ul_conv2d *c = &b->cv[0].conv;
	return (size_t)c->n * c->h * c->w * c->c_in;
}

/* Both maps have c4 channels at the input's size. */
static size_t map_size(const struct ul_head_branch *b)
{
	return ul_size_max(ul_conv_module_out(&b->cv[0]), ul_conv_module_out(&b->cv[1]));
}

/* inner scratch, the feature's gradient and one more map-sized gradient
 * (the second output's share, then the first map's), the input gradient */
size_t ul_head_branch_workspace(const struct ul_head_branch *b)
{
	return inner(b) + 2 * map_size(b) + input_size(b);
}

void ul_head_branch_forward(const struct ul_head_branch *b, const float *x, float *const *y, float *saved,
			    float *workspace, bool train)
{
	struct layout l = lay_out(b, saved);
	ul_conv_module_forward(&b->cv[0], x, l.map[0], l.conv_saved[0], workspace, train);
	ul_conv_module_forward(&b->cv[1], l.map[0], l.map[1], l.conv_saved[1], workspace, train);
	for (int i = 0; i < b->nout; i++)
		if (y[i])
			ul_ops->conv2d_forward(&b->out[i].conv, l.map[1], b->out[i].weight, b->out[i].bias, y[i], workspace);
}

void ul_head_branch_backward(const struct ul_head_branch *b, const float *x, const float *saved,
			     const float *const *dy, float *dx, float *workspace)
{
	struct layout l = lay_out(b, (float *)saved);
	size_t nmap = map_size(b), nx = input_size(b);
	float *dfeat = workspace + inner(b), *spare = dfeat + nmap, *dinput = spare + nmap;
	/* the outputs all read the feature: their gradients sum there */
	for (int i = 0; i < b->nout; i++) {
		const struct ul_biased_conv *o = &b->out[i];
		ul_ops->conv2d_backward(&o->conv, l.map[1], o->weight, dy[i], i == 0 ? dfeat : spare, o->dweight, o->dbias,
				   workspace);
		if (i > 0)
			ul_ops->add(nmap, spare, dfeat);
	}
	ul_conv_module_backward(&b->cv[1], l.map[0], l.conv_saved[1], dfeat, spare, workspace);
	bool pass = dx && !b->detached;
	ul_conv_module_backward(&b->cv[0], x, l.conv_saved[0], spare, pass ? dinput : NULL, workspace);
	if (pass)
		ul_ops->add(nx, dinput, dx);
}
