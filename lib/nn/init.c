#include "nn/init.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/mt19937.h"

/* PyTorch's uniform_ on a CPU float tensor: 24 bits of each draw, scaled
 * and shifted in one rounding (the multiply-add its AVX2 kernel fuses). */
static void uniform_fill(float *p, size_t n, double bound, struct ul_mt19937 *mt)
{
	float from = (float)-bound, to = (float)bound;
	for (size_t i = 0; i < n; i++)
		p[i] = fmaf((float)(ul_mt19937_next(mt) & 0xffffff) * 0x1p-24f, to - from, from);
}

/* kaiming_uniform_(a=sqrt(5)), PyTorch's default for a weight, in its
 * own order of double operations, so the bound rounds as it does there. */
static double kaiming_bound(double fan_in)
{
	double a = sqrt(5.0), gain = sqrt(2.0 / (1 + a * a));
	return sqrt(3.0) * (gain / sqrt(fan_in));
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

/* The head-level index of a Detect bias ("....cv2.1.2.bias" -> 1), or -1
 * when name is not the last conv's bias of a box (cv2) or class (cv3)
 * branch. *box says which. */
static int detect_bias_level(const char *name, bool *box)
{
	static const char *const branches[] = { ".cv2.", ".one2one_cv2.", ".cv3.", ".one2one_cv3." };
	for (int b = 0; b < 4; b++) {
		const char *at = strstr(name, branches[b]);
		int level;
		char rest[16];
		if (at && sscanf(at + strlen(branches[b]), "%d.%15s", &level, rest) == 2 && !strcmp(rest, "2.bias")) {
			*box = b < 2;
			return level;
		}
	}
	return -1;
}

/* Ultralytics makes each one-to-one branch as a deep copy of its
 * one-to-many twin, so both start equal: copy cv2 into one2one_cv2 ... */
static void copy_one2one(const struct ul_graph *g, float *params)
{
	for (size_t i = 0; i < g->tensors.n; i++) {
		const struct ul_tensor_spec *copy = &g->tensors.specs[i];
		const char *at = strstr(copy->name, "one2one_");
		if (!at || copy->buffer)
			continue;
		char twin[UL_TENSOR_NAME];
		snprintf(twin, sizeof twin, "%.*s%s", (int)(at - copy->name), copy->name, at + strlen("one2one_"));
		for (size_t k = 0; k < g->tensors.n; k++) {
			const struct ul_tensor_spec *s = &g->tensors.specs[k];
			if (!s->buffer && !strcmp(s->name, twin) && ul_tensor_numel(s) == ul_tensor_numel(copy)) {
				memcpy(params + copy->offset, params + s->offset, sizeof *params * ul_tensor_numel(s));
				break;
			}
		}
	}
}

void ul_init_weights(const struct ul_graph *g, float *params, float *buffers, uint64_t seed)
{
	struct ul_mt19937 mt;
	ul_mt19937_seed(&mt, seed);
	double fan_in = 1;  /* of the last weight seen: its bias follows it */
	for (size_t i = 0; i < g->tensors.n; i++) {
		const struct ul_tensor_spec *s = &g->tensors.specs[i];
		size_t n = ul_tensor_numel(s);
		for (size_t k = 0; k < s->discarded_draws; k++)
			ul_mt19937_next(&mt);
		if (s->buffer) {
			float *b = buffers + s->offset;
			if (ends_with(s->name, ".running_var")) {
				for (size_t k = 0; k < n; k++)
					b[k] = 1;
			} else if (ends_with(s->name, "flow_model.cov")) {
				memcpy(b, (float[]){ 1, 0, 0, 1 }, sizeof(float) * 4);  /* the prior's identity covariance */
			} else if (ends_with(s->name, "flow_model.mask")) {
				for (size_t k = 0; k < n; k++)  /* [0,1], [1,0], three times */
					b[k] = (float)((k / 2 + k) % 2);
			} else {
				memset(b, 0, sizeof *b * n);  /* running means, counters, the prior's mean */
			}
			continue;
		}
		float *p = params + s->offset;
		if (strstr(s->name, "one2one_"))
			continue;  /* a deep copy, which draws nothing: copy_one2one fills it */
		if (strstr(s->name, ".bn.")) {
			float v = ends_with(s->name, ".weight") ? 1.0f : 0.0f;
			for (size_t k = 0; k < n; k++)
				p[k] = v;
		} else if (s->ndim >= 2) {
			/* fan_in = size(1) x kernel, for transposed convs too (PyTorch's rule) */
			fan_in = (double)s->shape[1] * (s->ndim == 4 ? s->shape[2] * s->shape[3] : 1);
			double bound = kaiming_bound(fan_in);
			if (strstr(s->name, ".flow_model.") && s->ndim == 2)  /* Xavier uniform, gain 0.01 */
				bound = 0.01 * sqrt(6.0 / (s->shape[0] + s->shape[1]));
			uniform_fill(p, n, bound, &mt);
		} else {
			/* drawn as PyTorch draws every bias, even those bias_init then sets */
			uniform_fill(p, n, 1 / sqrt(fan_in), &mt);
			bool box;
			int level = detect_bias_level(s->name, &box);
			if (level >= 0 && level < 3 && g->strides[level] > 0) {
				double cells = 640.0 / g->strides[level];
				float v = box ? 2.0f : (float)log(5.0 / g->nc / (cells * cells));
				for (size_t k = 0; k < n; k++)
					p[k] = v;
			}
		}
	}
	copy_one2one(g, params);
}
