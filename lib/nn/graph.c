#include "nn/graph.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Building: where tensors go and under which name prefix; and the cost of
 * one image, counted as thop counts it for Ultralytics' GFLOPs (eval mode:
 * training-only branches are not counted). */
struct build {
	struct ul_tensor_table *t;
	char prefix[UL_TENSOR_NAME];
	double hw;       /* pixels of the feature map the next op writes */
	double level_hw[3];  /* pixels of each head level (P3, P4, P5) */
	bool eval;       /* false inside branches that run only in training */
	double macs;
};

static void count(struct build *b, double macs)
{
	if (b->eval)
		b->macs += macs;
}

/* prefix.suffix into out; names here are far shorter than the limit, so
 * one that is not is a bug, and marks the table failed. */
static void join(struct ul_tensor_table *t, char *out, const char *prefix, const char *suffix)
{
	if (snprintf(out, UL_TENSOR_NAME, "%s.%s", prefix, suffix) >= UL_TENSOR_NAME)
		t->failed = true;
}

#define name(out, prefix, suffix) join(b->t, out, prefix, suffix)

/* Runs the statements with the prefix extended by ".part", then restores it. */
#define WITH(b, part, ...) do { \
	char saved_[UL_TENSOR_NAME]; \
	memcpy(saved_, (b)->prefix, sizeof saved_); \
	join((b)->t, (b)->prefix, saved_, part); \
	__VA_ARGS__; \
	memcpy((b)->prefix, saved_, sizeof saved_); \
} while (0)

static void batchnorm(struct build *b, int c)
{
	char n[UL_TENSOR_NAME];
	count(b, 4.0 * c * b->hw);  /* thop: 2 per element, doubled when affine */
	name(n, b->prefix, "weight"), ul_tensor_add(b->t, false, n, 1, c);
	name(n, b->prefix, "bias"), ul_tensor_add(b->t, false, n, 1, c);
	name(n, b->prefix, "running_mean"), ul_tensor_add(b->t, true, n, 1, c);
	name(n, b->prefix, "running_var"), ul_tensor_add(b->t, true, n, 1, c);
	name(n, b->prefix, "num_batches_tracked"), ul_tensor_add(b->t, true, n, 0);
}

/* nn.Conv2d */
static void conv2d(struct build *b, int c1, int c2, int k, int groups, bool bias)
{
	char n[UL_TENSOR_NAME];
	count(b, b->hw * c2 * (double)(c1 / groups) * k * k);
	name(n, b->prefix, "weight"), ul_tensor_add(b->t, false, n, 4, c2, c1 / groups, k, k);
	if (bias)
		name(n, b->prefix, "bias"), ul_tensor_add(b->t, false, n, 1, c2);
}

static void linear(struct build *b, int in, int out)
{
	char n[UL_TENSOR_NAME];
	count(b, (double)in * out);
	name(n, b->prefix, "weight"), ul_tensor_add(b->t, false, n, 2, out, in);
	name(n, b->prefix, "bias"), ul_tensor_add(b->t, false, n, 1, out);
}

/* Conv: Conv2d without bias, BatchNorm2d, then SiLU (or nothing). */
static void conv(struct build *b, int c1, int c2, int k, int groups)
{
	WITH(b, "conv", conv2d(b, c1, c2, k, groups, false));
	WITH(b, "bn", batchnorm(b, c2));
}

static int gcd(int a, int b)
{
	while (b) {
		int r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/* DWConv: a Conv with groups gcd(c1, c2). */
static void dwconv(struct build *b, int c1, int c2, int k)
{
	conv(b, c1, c2, k, gcd(c1, c2));
}

/* Bottleneck(c1, c2, shortcut, g=1, k=(3,3), e): hidden int(c2 * e). */
static void bottleneck(struct build *b, int c1, int c2, double e)
{
	int c = (int)(c2 * e);
	WITH(b, "cv1", conv(b, c1, c, 3, 1));
	WITH(b, "cv2", conv(b, c, c2, 3, 1));
}

/* Weights PyTorch initialises for blocks that are then replaced, which
 * shift every draw after them (nn/init.c). */
static void discarded(struct build *b, size_t draws)
{
	b->t->pending_draws += draws;
}

/* C3k(c1, c2, n): two 1x1 branches, n Bottlenecks (e 1.0) on the first. */
static void c3k(struct build *b, int c1, int c2, int n)
{
	int c = (int)(c2 * 0.5);
	WITH(b, "cv1", conv(b, c1, c, 1, 1));
	WITH(b, "cv2", conv(b, c1, c, 1, 1));
	WITH(b, "cv3", conv(b, 2 * c, c2, 1, 1));
	discarded(b, (size_t)n * c * c * (1 + 9));  /* C3's own m: Bottlenecks of kernels 1 and 3 */
	for (int i = 0; i < n; i++) {
		char part[16];
		snprintf(part, sizeof part, "m.%d", i);
		WITH(b, part, bottleneck(b, c, c, 1.0));
	}
}

/* Attention(dim, heads, ratio 0.5): qkv, proj and the positional pe. */
static void attention(struct build *b, int dim, int heads)
{
	int key_dim = (int)((dim / heads) * 0.5);
	/* the two matmuls, as Ultralytics' custom thop rule counts them */
	count(b, (double)heads * b->hw * b->hw * (key_dim + dim / heads));
	WITH(b, "qkv", conv(b, dim, dim + 2 * key_dim * heads, 1, 1));
	WITH(b, "proj", conv(b, dim, dim, 1, 1));
	WITH(b, "pe", conv(b, dim, dim, 3, dim));
}

/* PSABlock(c, heads): attention, then a 1x1 FFN c -> 2c -> c. */
static void psablock(struct build *b, int c, int heads)
{
	WITH(b, "attn", attention(b, c, heads));
	WITH(b, "ffn.0", conv(b, c, 2 * c, 1, 1));
	WITH(b, "ffn.1", conv(b, 2 * c, c, 1, 1));
}

/* C3k2(c1, c2, n, c3k, e, attn): C2f's split and concat; cv2 registers
 * before the inner blocks m.*. */
static void c3k2(struct build *b, int c1, int c2, int n, bool use_c3k, double e, bool attn)
{
	int c = (int)(c2 * e);
	WITH(b, "cv1", conv(b, c1, 2 * c, 1, 1));
	WITH(b, "cv2", conv(b, (2 + n) * c, c2, 1, 1));
	discarded(b, (size_t)n * 2 * c * c * 9);  /* C2f's own m: Bottlenecks of two 3x3 convs */
	for (int i = 0; i < n; i++) {
		char part[16];
		snprintf(part, sizeof part, "m.%d", i);
		if (attn) {
			char inner[24];
			snprintf(inner, sizeof inner, "%s.0", part);
			WITH(b, inner, bottleneck(b, c, c, 0.5));
			snprintf(inner, sizeof inner, "%s.1", part);
			WITH(b, inner, psablock(b, c, c / 64 > 1 ? c / 64 : 1));
		} else if (use_c3k) {
			WITH(b, part, c3k(b, c, c, 2));
		} else {
			WITH(b, part, bottleneck(b, c, c, 0.5));
		}
	}
}

/* SPPF(c1, c2): cv1 1x1 to c1/2 (no activation, BN kept), 3 max pools, cv2. */
static void sppf(struct build *b, int c1, int c2, int pools)
{
	int c = c1 / 2;
	WITH(b, "cv1", conv(b, c1, c, 1, 1));
	WITH(b, "cv2", conv(b, c * (pools + 1), c2, 1, 1));
}

/* C2PSA(c1, c2, n): split, n PSABlocks on one half, concat, cv2 back to c1. */
static void c2psa(struct build *b, int c1, int n)
{
	int c = (int)(c1 * 0.5);
	WITH(b, "cv1", conv(b, c1, 2 * c, 1, 1));
	WITH(b, "cv2", conv(b, 2 * c, c1, 1, 1));
	for (int i = 0; i < n; i++) {
		char part[16];
		snprintf(part, sizeof part, "m.%d", i);
		WITH(b, part, psablock(b, c, c / 64));
	}
}

/* One level of the box branch: Conv 3x3, Conv 3x3, Conv2d 1x1 -> 4. */
static void box_branch(struct build *b, int x, int c2)
{
	WITH(b, "0", conv(b, x, c2, 3, 1));
	WITH(b, "1", conv(b, c2, c2, 3, 1));
	WITH(b, "2", conv2d(b, c2, 4, 1, 1, true));
}

/* One level of the class branch: (DWConv 3x3, Conv 1x1) twice, Conv2d -> nc. */
static void class_branch(struct build *b, int x, int c3, int nc)
{
	WITH(b, "0.0", dwconv(b, x, x, 3));
	WITH(b, "0.1", conv(b, x, c3, 1, 1));
	WITH(b, "1.0", dwconv(b, c3, c3, 3));
	WITH(b, "1.1", conv(b, c3, c3, 1, 1));
	WITH(b, "2", conv2d(b, c3, nc, 1, 1, true));
}

/* Detect, end to end: cv2 and cv3 for each level, then their one-to-one copies. */
static void detect(struct build *b, const int *ch, int nc)
{
	int c2 = ch[0] / 4 > 16 ? ch[0] / 4 : 16;
	int c3 = ch[0] > (nc < 100 ? nc : 100) ? ch[0] : (nc < 100 ? nc : 100);
	for (int copy = 0; copy < 2; copy++) {
		for (int i = 0; i < 3; i++) {
			char part[32];
			snprintf(part, sizeof part, "%scv2.%d", copy ? "one2one_" : "", i);
			b->hw = b->level_hw[i];
			WITH(b, part, box_branch(b, ch[i], c2));
		}
		for (int i = 0; i < 3; i++) {
			char part[32];
			snprintf(part, sizeof part, "%scv3.%d", copy ? "one2one_" : "", i);
			b->hw = b->level_hw[i];
			WITH(b, part, class_branch(b, ch[i], c3, nc));
		}
	}
}

/* One level of an extra head branch (cv4): Conv 3x3 x->c, Conv 3x3 c->c,
 * and, when out > 0, Conv2d 1x1 c->out. */
static void extra_branch(struct build *b, int x, int c, int out)
{
	WITH(b, "0", conv(b, x, c, 3, 1));
	WITH(b, "1", conv(b, c, c, 3, 1));
	if (out > 0)
		WITH(b, "2", conv2d(b, c, out, 1, 1, true));
}

/* cv4 (or one2one_cv4, ...) for the three levels. */
static void per_level(struct build *b, const char *what, const int *ch, int c, int out)
{
	for (int i = 0; i < 3; i++) {
		char part[40];
		snprintf(part, sizeof part, "%s.%d", what, i);
		b->hw = b->level_hw[i];
		WITH(b, part, extra_branch(b, ch[i], c, out));
	}
}

/* Proto26: P4 and P5 refined to P3's channels and summed into P3, fused,
 * then Proto's 3x3, transposed 2x2 upsample, 3x3 and 1x1 to nm masks; the
 * training-only semseg branch last. Registered as Proto's cv1, upsample,
 * cv2, cv3, then feat_refine, feat_fuse, semseg. */
static void proto26(struct build *b, const int *ch, int npr, int nm, int nc)
{
	char n[UL_TENSOR_NAME];
	b->hw = b->level_hw[0];
	WITH(b, "cv1", conv(b, npr, npr, 3, 1));
	/* ConvTranspose2d weights are (in, out, kh, kw); thop counts its input */
	count(b, b->level_hw[0] * npr * (double)npr * 4);
	name(n, b->prefix, "upsample.weight"), ul_tensor_add(b->t, false, n, 4, npr, npr, 2, 2);
	name(n, b->prefix, "upsample.bias"), ul_tensor_add(b->t, false, n, 1, npr);
	b->hw = b->level_hw[0] * 4;  /* stride 4 */
	WITH(b, "cv2", conv(b, npr, npr, 3, 1));
	WITH(b, "cv3", conv(b, npr, nm, 1, 1));
	b->hw = b->level_hw[1];
	WITH(b, "feat_refine.0", conv(b, ch[1], ch[0], 1, 1));
	b->hw = b->level_hw[2];
	WITH(b, "feat_refine.1", conv(b, ch[2], ch[0], 1, 1));
	b->hw = b->level_hw[0];
	WITH(b, "feat_fuse", conv(b, ch[0], npr, 3, 1));
	bool eval = b->eval;
	b->eval = false;  /* semseg trains only */
	WITH(b, "semseg.0", conv(b, ch[0], npr, 3, 1));
	WITH(b, "semseg.1", conv(b, npr, npr, 3, 1));
	WITH(b, "semseg.2", conv2d(b, npr, nc, 1, 1, true));
	b->eval = eval;
}

/* RealNVP, for the RLE keypoint loss: prior and masks as buffers, then 6
 * scale nets and 6 translation nets of Linear 2-64-64-2. */
static void realnvp(struct build *b)
{
	char n[UL_TENSOR_NAME];
	name(n, b->prefix, "loc"), ul_tensor_add(b->t, true, n, 1, 2);
	name(n, b->prefix, "cov"), ul_tensor_add(b->t, true, n, 2, 2, 2);
	name(n, b->prefix, "mask"), ul_tensor_add(b->t, true, n, 2, 6, 2);
	static const char *const nets[] = { "s", "t" };
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 6; i++) {
			char part[32];
			snprintf(part, sizeof part, "%s.%d.0", nets[k], i);
			WITH(b, part, linear(b, 2, 64));
			snprintf(part, sizeof part, "%s.%d.2", nets[k], i);
			WITH(b, part, linear(b, 64, 64));
			snprintf(part, sizeof part, "%s.%d.4", nets[k], i);
			WITH(b, part, linear(b, 64, 2));
		}
	}
}

/* 1x1 Conv2d per level: cv4_kpts and the like. */
static void per_level_1x1(struct build *b, const char *what, int c, int out)
{
	for (int i = 0; i < 3; i++) {
		char part[40];
		snprintf(part, sizeof part, "%s.%d", what, i);
		b->hw = b->level_hw[i];
		WITH(b, part, conv2d(b, c, out, 1, 1, true));
	}
}

static int max2(int a, int b)
{
	return a > b ? a : b;
}

/* The task heads: Detect's branches, then what each adds, in the order
 * PyTorch registers them. */
static void segment26(struct build *b, const int *ch, int nc, int nm, int npr)
{
	detect(b, ch, nc);
	WITH(b, "proto", proto26(b, ch, npr, nm, nc));
	int c4 = max2(ch[0] / 4, nm);
	per_level(b, "cv4", ch, c4, nm);
	per_level(b, "one2one_cv4", ch, c4, nm);
}

static void pose26(struct build *b, const int *ch, int nc, int kpts, int dims)
{
	detect(b, ch, nc);
	int c4 = max2(ch[0] / 4, kpts * (dims + 2));
	per_level(b, "cv4", ch, c4, 0);
	per_level(b, "one2one_cv4", ch, c4, 0);
	bool eval = b->eval;
	b->eval = false;  /* the flow and the sigma heads serve the loss only */
	WITH(b, "flow_model", realnvp(b));
	b->eval = eval;
	per_level_1x1(b, "cv4_kpts", c4, kpts * dims);
	b->eval = false;
	per_level_1x1(b, "cv4_sigma", c4, kpts * 2);
	b->eval = eval;
	per_level_1x1(b, "one2one_cv4_kpts", c4, kpts * dims);
	b->eval = false;
	per_level_1x1(b, "one2one_cv4_sigma", c4, kpts * 2);
	b->eval = eval;
}

static void obb26(struct build *b, const int *ch, int nc, int ne)
{
	detect(b, ch, nc);
	int c4 = max2(ch[0] / 4, ne);
	per_level(b, "cv4", ch, c4, ne);
	per_level(b, "one2one_cv4", ch, c4, ne);
}

/* Classify: Conv 1x1 to 1280, pool, dropout, Linear to nc. */
static void classify(struct build *b, int c1, int nc)
{
	WITH(b, "conv", conv(b, c1, 1280, 1, 1));
	count(b, 1280 * b->hw + 1280);  /* adaptive average pool: its inputs and outputs */
	WITH(b, "linear", linear(b, 1280, nc));
}

/* A feature map's side at this stride: each stride-2 conv halves it,
 * rounding up, as a 3x3 conv with padding 1 does. */
static int side(int imgsz, int stride)
{
	int n = imgsz;
	for (int s = 1; s < stride && s > 0; s *= 2)
		n = (n + 1) / 2;
	return n;
}

static int make_divisible(double x, int d)
{
	return (int)ceil(x / d) * d;
}

/* Python's round(): halves to even. */
static int round_half_even(double x)
{
	double r = nearbyint(x);  /* the default rounding mode is to nearest even */
	return (int)r;
}

/* list[i] when list is a list holding a number there (jq asserts on a
 * non-list, and a user's YAML may hold anything). */
static double number_at(jv list, int i, double fallback)
{
	if (jv_get_kind(list) != JV_KIND_ARRAY || i >= jv_array_length(jv_copy(list)))
		return fallback;
	jv v = jv_array_get(jv_copy(list), i);
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : fallback;
	jv_free(v);
	return x;
}

static bool bool_at(jv list, int i, bool fallback)
{
	if (jv_get_kind(list) != JV_KIND_ARRAY || i >= jv_array_length(jv_copy(list)))
		return fallback;
	jv v = jv_array_get(jv_copy(list), i);
	bool x = jv_get_kind(v) == JV_KIND_TRUE ? true : jv_get_kind(v) == JV_KIND_FALSE ? false : fallback;
	jv_free(v);
	return x;
}

/* The rows of backbone then head, as one list. */
static jv all_rows(jv yaml)
{
	jv rows = jv_array();
	static const char *const parts[] = { "backbone", "head" };
	for (int p = 0; p < 2; p++) {
		jv part = jv_object_get(jv_copy(yaml), jv_string(parts[p]));
		if (jv_get_kind(part) == JV_KIND_ARRAY)
			rows = jv_array_concat(rows, part);
		else
			jv_free(part);
	}
	return rows;
}

int ul_graph_build(struct ul_graph *g, jv yaml, char scale, int nc, int imgsz, jv *err)
{
	memset(g, 0, sizeof *g);
	g->imgsz = imgsz;
	ul_tensor_table_init(&g->tensors);
	g->scale = scale;
	jv yaml_nc = jv_object_get(jv_copy(yaml), jv_string("nc"));
	g->nc = nc > 0 ? nc : jv_get_kind(yaml_nc) == JV_KIND_NUMBER ? (int)jv_number_value(yaml_nc) : 80;
	jv_free(yaml_nc);
	jv channels = jv_object_get(jv_copy(yaml), jv_string("channels"));
	g->channels = jv_get_kind(channels) == JV_KIND_NUMBER && jv_number_value(channels) >= 1 ? (int)jv_number_value(channels) : 3;
	jv_free(channels);
	jv kpt = jv_object_get(jv_copy(yaml), jv_string("kpt_shape"));
	g->kpt_shape[0] = (int)number_at(kpt, 0, 0);
	g->kpt_shape[1] = (int)number_at(kpt, 1, 0);
	jv_free(kpt);

	/* A YAML without scales uses depth_multiple and width_multiple (or 1);
	 * with scales and none asked for, the first, as Ultralytics does. */
	jv scales = jv_object_get(jv_copy(yaml), jv_string("scales"));
	double depth, width, max_ch;
	if (jv_get_kind(scales) != JV_KIND_OBJECT || jv_object_length(jv_copy(scales)) == 0) {
		jv_free(scales);
		jv d = jv_object_get(jv_copy(yaml), jv_string("depth_multiple"));
		jv w = jv_object_get(jv_copy(yaml), jv_string("width_multiple"));
		depth = jv_get_kind(d) == JV_KIND_NUMBER ? jv_number_value(d) : 1.0;
		width = jv_get_kind(w) == JV_KIND_NUMBER ? jv_number_value(w) : 1.0;
		max_ch = INFINITY;
		jv_free(d);
		jv_free(w);
	} else {
		if (!scale) {
			jv keys = jv_keys_unsorted(jv_copy(scales));
			jv first = jv_array_get(keys, 0);
			scale = jv_get_kind(first) == JV_KIND_STRING ? jv_string_value(first)[0] : 'n';
			jv_free(first);
			g->scale = scale;
		}
		jv factors = jv_object_get(scales, jv_string_fmt("%c", scale));
		if (jv_get_kind(factors) != JV_KIND_ARRAY) {
			jv_free(factors);
			return ul_invalid(err, "the model YAML has no scale %c", scale);
		}
		depth = number_at(factors, 0, 1), width = number_at(factors, 1, 1), max_ch = number_at(factors, 2, 1024);
		jv_free(factors);
	}
	bool big = scale == 'm' || scale == 'l' || scale == 'x';

	jv rows = all_rows(yaml);
	int n = jv_array_length(jv_copy(rows));
	g->layers = calloc((size_t)(n ? n : 1), sizeof *g->layers);
	int rc = g->layers ? 0 : ul_invalid(err, "out of memory");
	struct build b = { .t = &g->tensors, .eval = true };
	for (int i = 0; rc == 0 && i < n; i++) {
		jv row = jv_array_get(jv_copy(rows), i);
		if (jv_get_kind(row) != JV_KIND_ARRAY || jv_array_length(jv_copy(row)) != 4) {
			jv_free(row);
			rc = ul_invalid(err, "layer %d: a row is [from, repeats, module, args]", i);
			break;
		}
		jv from = jv_array_get(jv_copy(row), 0);
		jv module = jv_array_get(jv_copy(row), 2);
		jv args = jv_array_get(jv_copy(row), 3);
		struct ul_layer *L = &g->layers[i];
		snprintf(L->module, sizeof L->module, "%s", jv_get_kind(module) == JV_KIND_STRING ? jv_string_value(module) : "?");
		int repeats = (int)number_at(row, 1, 1);
		L->repeats = repeats > 1 ? (round_half_even(repeats * depth) > 1 ? round_half_even(repeats * depth) : 1) : repeats;
		/* inputs: -1 is the previous layer, others absolute */
		jv list = jv_get_kind(from) == JV_KIND_ARRAY ? jv_copy(from) : jv_array_append(jv_array(), jv_copy(from));
		L->nfrom = jv_array_length(jv_copy(list));
		bool inputs_ok = L->nfrom >= 1 && L->nfrom <= UL_MAX_FROM;
		for (int k = 0; inputs_ok && k < L->nfrom; k++) {
			int f = (int)number_at(list, k, -1);
			L->from[k] = f < 0 ? i + f : f;
			inputs_ok = L->from[k] >= -1 && L->from[k] < i;  /* only earlier layers, or the image */
		}
		jv_free(list);
		if (!inputs_ok) {
			rc = ul_invalid(err, "layer %d: its inputs must be earlier layers", i);
			jv_free(row);
			jv_free(from);
			jv_free(module);
			jv_free(args);
			break;
		}
		int first = L->from[0];
		L->c1 = first < 0 ? g->channels : g->layers[first].c2;
		L->stride = first < 0 ? 1 : g->layers[first].stride;
		L->first = g->tensors.n;
		snprintf(b.prefix, sizeof b.prefix, "model.%d", i % 1000);
		const char *m = L->module;
		int c2 = make_divisible(fmin(number_at(args, 0, 0), max_ch) * width, 8);
		b.hw = side(imgsz, L->stride) * (double)side(imgsz, L->stride);
		if (!strcmp(m, "Conv")) {
			L->c2 = c2;
			L->k = (int)number_at(args, 1, 1), L->s = (int)number_at(args, 2, 1);
			L->stride *= L->s;
			b.hw = side(imgsz, L->stride) * (double)side(imgsz, L->stride);
			conv(&b, L->c1, c2, L->k, 1);
		} else if (!strcmp(m, "C3k2")) {
			L->c2 = c2;
			L->c3k = big || bool_at(args, 1, false), L->e = number_at(args, 2, 0.5), L->attn = bool_at(args, 3, false);
			c3k2(&b, L->c1, c2, L->repeats, L->c3k, L->e, L->attn);
		} else if (!strcmp(m, "SPPF")) {
			L->c2 = c2;
			L->k = (int)number_at(args, 1, 5), L->shortcut = bool_at(args, 3, false);
			sppf(&b, L->c1, c2, (int)number_at(args, 2, 3));
		} else if (!strcmp(m, "C2PSA")) {
			L->c2 = L->c1;  /* C2PSA returns c1 channels whatever its c2 */
			if (L->c1 < 128)  /* its attention has c1 / 128 heads */
				rc = ul_invalid(err, "layer %d: C2PSA needs at least 128 input channels, not %d", i, L->c1);
			else
				c2psa(&b, L->c1, L->repeats);
		} else if (!strcmp(m, "nn.Upsample")) {
			L->c2 = L->c1;
			L->factor = (int)number_at(args, 1, 2);
			L->stride /= L->factor;
		} else if (!strcmp(m, "Concat")) {
			for (int k = 0; k < L->nfrom; k++)
				L->c2 += L->from[k] < 0 ? g->channels : g->layers[L->from[k]].c2;
		} else if (!strcmp(m, "Detect") || !strcmp(m, "Segment26") || !strcmp(m, "Pose26") || !strcmp(m, "OBB26")) {
			if (L->nfrom != 3) {
				rc = ul_invalid(err, "layer %d: %s takes three inputs (P3, P4, P5)", i, m);
			} else {
				int ch[3];
				for (int k = 0; k < 3; k++) {
					ch[k] = g->layers[L->from[k]].c2;
					g->strides[k] = g->layers[L->from[k]].stride;
					b.level_hw[k] = side(imgsz, g->strides[k]) * (double)side(imgsz, g->strides[k]);
				}
				const char *task = "detect";
				if (!strcmp(m, "Detect")) {
					detect(&b, ch, g->nc);
				} else if (!strcmp(m, "Segment26")) {
					/* nm mask coefficients; npr prototype channels, scaled like a width */
					L->npr = make_divisible(fmin(number_at(args, 2, 256), max_ch) * width, 8);
					L->nm = (int)number_at(args, 1, 32);
					segment26(&b, ch, g->nc, L->nm, L->npr);
					task = "segment";
				} else if (!strcmp(m, "Pose26")) {
					if (g->kpt_shape[0] < 1 || (g->kpt_shape[1] != 2 && g->kpt_shape[1] != 3))
						rc = ul_invalid(err, "layer %d: Pose26 needs kpt_shape [keypoints, 2 or 3]", i);
					else
						pose26(&b, ch, g->nc, g->kpt_shape[0], g->kpt_shape[1]);
					task = "pose";
				} else {
					L->ne = (int)number_at(args, 1, 1);
					obb26(&b, ch, g->nc, L->ne);
					task = "obb";
				}
				snprintf(g->task, sizeof g->task, "%s", task);
				L->c2 = g->nc;  /* its class maps, for the summary */
			}
		} else if (!strcmp(m, "Classify")) {
			L->c2 = g->nc;
			classify(&b, L->c1, g->nc);
			snprintf(g->task, sizeof g->task, "classify");
		} else {
			rc = ul_invalid(err, "layer %d: module %s is not known", i, m);
		}
		L->last = g->tensors.n;
		g->nlayers = i + 1;
		jv_free(row);
		jv_free(from);
		jv_free(module);
		jv_free(args);
	}
	jv_free(rows);
	g->gflops = b.macs * 2 / 1e9;
	if (rc == 0 && g->tensors.failed)
		rc = ul_invalid(err, "out of memory");
	return rc;
}

void ul_graph_free(struct ul_graph *g)
{
	free(g->layers);
	ul_tensor_table_free(&g->tensors);
	memset(g, 0, sizeof *g);
}

size_t ul_graph_parameters(const struct ul_graph *g)
{
	return g->tensors.params;
}

jv ul_graph_layers(const struct ul_graph *g)
{
	jv rows = jv_array();
	for (int i = 0; i < g->nlayers; i++) {
		const struct ul_layer *L = &g->layers[i];
		size_t params = 0;
		for (size_t t = L->first; t < L->last; t++)
			if (!g->tensors.specs[t].buffer)
				params += ul_tensor_numel(&g->tensors.specs[t]);
		jv from = jv_array();
		for (int k = 0; k < L->nfrom; k++)
			from = jv_array_append(from, jv_number(L->from[k]));
		jv row = jv_object();
		row = jv_object_set(row, jv_string("index"), jv_number(i));
		row = jv_object_set(row, jv_string("from"), from);
		row = jv_object_set(row, jv_string("repeats"), jv_number(L->repeats));
		row = jv_object_set(row, jv_string("module"), jv_string(L->module));
		row = jv_object_set(row, jv_string("parameters"), jv_number((double)params));
		row = jv_object_set(row, jv_string("c1"), jv_number(L->c1));
		row = jv_object_set(row, jv_string("c2"), jv_number(L->c2));
		row = jv_object_set(row, jv_string("stride"), jv_number(L->stride));
		rows = jv_array_append(rows, row);
	}
	return rows;
}
