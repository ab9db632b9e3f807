/* The engine against PyTorch running Ultralytics' own modules
 * (tests/reference/make_vectors.py): for each case, a small network (one
 * module, a head, or all of yolo26 at width 0.125) gets the same weights
 * (the fill rule of reference_fill.h, checked by its SHA-256), the same
 * input and the same output gradients; its outputs, input gradient,
 * parameter gradients and updated running statistics must match the float64
 * reference.
 *
 * Each group is compared as a whole: |ours - reference| / |reference|
 * (L2 norms) under 1e-4, or under 3x what PyTorch itself reaches in float32
 * where that is more (the file's float32_floor: the whole-model case's first
 * convs sum hundreds of cancelling terms). Tensors whose exact gradient is
 * zero (a shift a later BatchNorm removes) make per-element ratios
 * meaningless, hence norms. */
#include <math.h>

#include "nn/init.h"
#include "nn/net.h"
#include "nn/safetensors.h"
#include "reference_fill.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"

struct group {
	double diff2, ref2;
};

static void add(struct group *g, double got, double want)
{
	g->diff2 += (got - want) * (got - want);
	g->ref2 += want * want;
}

static double relative(const struct group *g)
{
	return sqrt(g->diff2) / fmax(sqrt(g->ref2), 1e-30);
}

/* Our output parts for one reference output: Ultralytics' name suffix to ours. */
static const char *our_part(const char *ref)
{
	static const char *const map[][2] = { { "boxes", "box" }, { "scores", "cls" }, { "mask_coefficient", "mask" },
					       { "kpts", "kpts" }, { "kpts_sigma", "sigma" }, { "angle", "angle" } };
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(ref, map[i][0]))
			return map[i][1];
	return NULL;
}

/* Walks reference output `name` (PyTorch's layout) against our maps: to_ours
 * copies ref into our grads, otherwise each of our values is compared. */
static bool walk(struct ul_net *net, const char *name, float *ref, size_t n, bool to_ours, struct group *g)
{
	static const char *const whole[][2] = { { "last", "output" }, { "logits", "logits" }, { "proto", "proto" },
						 { "semantic", "semseg" } };
	struct ul_net_output *maps[3] = { 0 };
	int nmaps = 0;
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
		if (!strcmp(name, whole[i][0]))
			maps[nmaps++] = ul_net_output(net, whole[i][1]);
	const char *dot = strchr(name, '.');
	if (!nmaps && dot) {
		for (int l = 0; l < 3; l++) {
			char ours[48];
			snprintf(ours, sizeof ours, "%.*s.%s.%d", (int)(dot - name), name, our_part(dot + 1) ? our_part(dot + 1) : "?", l);
			maps[nmaps++] = ul_net_output(net, ours);
		}
	}
	size_t anchors = 0, at = 0;
	for (int m = 0; m < nmaps; m++) {
		if (!maps[m])
			return false;
		anchors += (size_t)maps[m]->h * maps[m]->w;
	}
	int batch = maps[0]->n, c = maps[0]->c;
	if (n != (size_t)batch * c * anchors)
		return false;
	/* reference (b, c, a): a runs over the maps, then y, then x */
	for (int m = 0; m < nmaps; m++) {
		struct ul_net_output *o = maps[m];
		size_t cells = (size_t)o->h * o->w;
		for (int b = 0; b < batch; b++)
			for (int ch = 0; ch < c; ch++)
				for (size_t cell = 0; cell < cells; cell++) {
					size_t ours = ((size_t)b * cells + cell) * c + ch;
					float *r = &ref[((size_t)b * c + ch) * anchors + at + cell];
					if (to_ours)
						o->grad[ours] = *r;
					else
						add(g, o->data[ours], *r);
				}
		at += cells;
	}
	return true;
}

/* Element (b, ch, p) of an NCHW tensor, p a pixel, in NHWC. */
static size_t nhwc_at(int b, int ch, size_t p, int c, size_t pixels)
{
	return ((size_t)b * pixels + p) * c + ch;
}

static void to_nhwc(const float *nchw, float *nhwc, int n, int c, int h, int w)
{
	size_t pixels = (size_t)h * w;
	for (int b = 0; b < n; b++)
		for (int ch = 0; ch < c; ch++)
			for (size_t p = 0; p < pixels; p++)
				nhwc[nhwc_at(b, ch, p, c, pixels)] = nchw[((size_t)b * c + ch) * pixels + p];
}

static void to_nchw(const float *nhwc, float *nchw, int n, int c, int h, int w)
{
	size_t pixels = (size_t)h * w;
	for (int b = 0; b < n; b++)
		for (int ch = 0; ch < c; ch++)
			for (size_t p = 0; p < pixels; p++)
				nchw[((size_t)b * c + ch) * pixels + p] = nhwc[nhwc_at(b, ch, p, c, pixels)];
}

static double floor_of(jv floors, const char *group)
{
	jv g = jv_get_kind(floors) == JV_KIND_OBJECT ? jv_object_get(jv_copy(floors), jv_string(group)) : jv_null();
	jv v = jv_get_kind(g) == JV_KIND_OBJECT ? jv_object_get(g, jv_string("norm")) : (jv_free(g), jv_null());
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	return x;
}

static void check(const char *name, const char *what, const struct group *g, jv floors, const char *group)
{
	double tol = fmax(1e-4, 3 * floor_of(floors, group)), err = relative(g);
	ok(g->ref2 > 0 && err < tol, "%s: %s match (relative error %.2g, tolerance %.2g)", name, what, err, tol);
}

static void run_case(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, VECTORS "%s.safetensors", name);
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, path, &err)) {
		jv msg = jv_invalid_get_msg(err);
		ok(0, "%s: %s", name, jv_string_value(msg));
		jv_free(msg);
		return;
	}
	jv yaml = meta(&st, "yaml"), shape = meta(&st, "input_shape"), seed = meta(&st, "seed"), outputs = meta(&st, "outputs");
	jv floors = meta(&st, "float32_floor");
	int in[4];
	for (int k = 0; k < 4; k++) {
		jv d = jv_array_get(jv_copy(shape), k);
		in[k] = (int)jv_number_value(d);
		jv_free(d);
	}
	struct ul_graph g;
	struct ul_weights w;
	struct ul_net net;
	if (ul_graph_build(&g, yaml, 0, 0, in[2], &err) || ul_weights_alloc(&w, &g) ||
	    ul_net_create(&net, &g, &w, in[0], in[2], in[3], 0, &err)) {
		jv msg = jv_invalid_has_msg(jv_copy(err)) ? jv_invalid_get_msg(err) : jv_string("?");
		ok(0, "%s: builds (%s)", name, jv_string_value(msg));
		jv_free(msg);
		goto out;
	}
	ul_init_weights(&g, w.params, w.buffers, 0);
	char hex[UL_SHA256_HEX];
	reference_fill_table(&g.tensors, w.params, w.buffers, (uint64_t)jv_number_value(seed), hex);
	jv want_hex = jv_object_get(jv_copy(st.metadata), jv_string("fill_sha256"));
	ok(jv_get_kind(want_hex) == JV_KIND_STRING && !strcmp(hex, jv_string_value(want_hex)),
	   "%s: the same weights as PyTorch's (fill SHA-256 %.12s...)", name, hex);
	jv_free(want_hex);

	size_t n, nimg = (size_t)in[0] * in[1] * in[2] * in[3];
	float *input = read_tensor(&st, "input", &n), *images = malloc(sizeof *images * nimg);
	float *dimages = malloc(sizeof *dimages * nimg), *dref = malloc(sizeof *dref * nimg);
	to_nhwc(input, images, in[0], in[1], in[2], in[3]);
	ul_net_forward(&net, images, true);

	struct group out_g = { 0 }, din_g = { 0 }, grad_g = { 0 }, after_g = { 0 };
	bool mapped = true;
	for (int k = 0; k < net.noutputs; k++)
		memset(net.outputs[k].grad, 0, sizeof(float) * net.outputs[k].n * net.outputs[k].h * net.outputs[k].w * net.outputs[k].c);
	jv_array_foreach(outputs, i, o) {
		jv oname = jv_object_get(o, jv_string("name"));
		char key[96];
		snprintf(key, sizeof key, "output.%s", jv_string_value(oname));
		float *ref = read_tensor(&st, key, &n);
		mapped = mapped && ref && walk(&net, jv_string_value(oname), ref, n, false, &out_g);
		free(ref);
		snprintf(key, sizeof key, "grad.output.%s", jv_string_value(oname));
		ref = read_tensor(&st, key, &n);
		mapped = mapped && ref && walk(&net, jv_string_value(oname), ref, n, true, NULL);
		free(ref);
		jv_free(oname);
	}
	ok(mapped, "%s: every reference output maps onto ours", name);
	check(name, "outputs", &out_g, floors, "output");

	net.dimages = dimages;
	ul_net_backward(&net);
	float *grad_input = read_tensor(&st, "grad.input", &n);
	to_nchw(dimages, dref, in[0], in[1], in[2], in[3]);
	for (size_t e = 0; grad_input && e < nimg; e++)
		add(&din_g, dref[e], grad_input[e]);
	check(name, "input gradients", &din_g, floors, "grad.input");

	for (size_t t = 0; t < g.tensors.n; t++) {
		const struct ul_tensor_spec *s = &g.tensors.specs[t];
		char key[160];
		if (s->buffer) {
			snprintf(key, sizeof key, "after.%s", s->name);
			float *ref = read_tensor(&st, key, &n);
			for (size_t e = 0; ref && e < n && e < ul_tensor_numel(s); e++)
				add(&after_g, w.buffers[s->offset + e], ref[e]);
			free(ref);
			continue;
		}
		const float *ours = w.grads + s->offset;
		size_t numel = ul_tensor_numel(s);
		snprintf(key, sizeof key, "grad.%s", s->name);
		float *ref = read_tensor(&st, key, &n);
		if (ref) {
			for (size_t e = 0; e < n && e < numel; e++)
				add(&grad_g, ours[e], ref[e]);
		} else {
			/* summary: sum, L2 norm, then elements at floor(j (numel - 1) / (K - 1)) */
			snprintf(key, sizeof key, "summary.grad.%s", s->name);
			ref = read_tensor(&st, key, &n);
			if (!ref || n < 3) {
				grad_g.diff2 += 1;  /* a gradient the reference lacks: a failure */
			} else {
				double norm = 0;
				for (size_t e = 0; e < numel; e++)
					norm += (double)ours[e] * ours[e];
				add(&grad_g, sqrt(norm), ref[1]);
				size_t k = n - 2;
				for (size_t j = 0; j < k; j++)
					add(&grad_g, ours[k > 1 ? j * (numel - 1) / (k - 1) : 0], ref[2 + j]);
			}
		}
		free(ref);
	}
	check(name, "parameter gradients", &grad_g, floors, "grad");
	check(name, "running statistics after the step", &after_g, floors, "after");

	free(input), free(images), free(dimages), free(dref), free(grad_input);
	ul_net_free(&net);
	ul_weights_free(&w);
out:
	ul_graph_free(&g);
	jv_free(yaml), jv_free(shape), jv_free(seed), jv_free(outputs), jv_free(floors);
	ul_safetensors_close(&st);
}

int main(void)
{
	static const char *const cases[] = { "conv", "c3k2_bottleneck", "c3k2_c3k", "c3k2_attn", "sppf", "c2psa",
					      "upsample_concat", "classify", "detect", "seg", "pose", "obb", "tiny" };
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		run_case(cases[i]);
	return done_testing();
}
