/* Initial weights: PyTorch's default ranges, BatchNorm's ones and zeros,
 * the Detect bias init, one-to-one branches equal to their twins, the
 * RealNVP prior and masks, a seed that decides everything, and for
 * detection, OBB and classification the very weights Ultralytics builds
 * for that seed (digests from tests/reference/make_init_vectors.py). */
#include <math.h>

#include "core/sha256.h"
#include "core/yaml_load.h"
#include "nn/init.h"
#include "tap.h"

struct model {
	struct ul_graph g;
	float *params, *buffers;
};

static void build_scaled(struct model *m, const char *file, char scale, int nc, uint64_t seed)
{
	char path[256];
	snprintf(path, sizeof path, "share/ul/models/%s", file);
	jv yaml = ul_yaml_load_file(path), err = jv_invalid();
	if (ul_graph_build(&m->g, yaml, scale, nc, 640, &err) < 0)
		abort();
	jv_free(yaml);
	m->params = malloc(sizeof(float) * m->g.tensors.params);
	m->buffers = malloc(sizeof(float) * (m->g.tensors.buffers + 1));
	ul_init_weights(&m->g, m->params, m->buffers, seed);
}

static void build(struct model *m, const char *file, uint64_t seed)
{
	build_scaled(m, file, 'n', 0, seed);
}

static void drop(struct model *m)
{
	free(m->params);
	free(m->buffers);
	ul_graph_free(&m->g);
}

/* The tensor of that name; a missing one is the test's own bug. */
static const struct ul_tensor_spec *find(const struct model *m, const char *name)
{
	const struct ul_tensor_spec *s = ul_tensor_find(&m->g.tensors, name);
	if (!s) {
		fprintf(stderr, "no tensor %s\n", name);
		abort();
	}
	return s;
}

static float *at(const struct model *m, const char *name)
{
	const struct ul_tensor_spec *s = find(m, name);
	return (s->buffer ? m->buffers : m->params) + s->offset;
}

/* Every value equal to want. */
static bool all(const struct model *m, const char *name, float want)
{
	const float *p = at(m, name);
	for (size_t i = 0; i < ul_tensor_numel(find(m, name)); i++)
		if (p[i] != want)
			return false;
	return true;
}

/* The digests of make_init_vectors.py against ours: one of the whole model
 * per case, and one per tensor where the file lists them. */
static void pytorch_weights(void)
{
	const char *path = "tests/reference/vectors/init_digests.txt";
	FILE *f = fopen(path, "r");
	if (!f) {
		ok(0, "%s opens", path);
		return;
	}
	char line[256], kase[64] = "", name[96], file[64], want[80];
	struct model m;
	bool open = false;
	size_t next = 0, tensors = 0, differ = 0;
	while (fgets(line, sizeof line, f)) {
		char scale;
		int nc;
		unsigned long long seed;
		if (sscanf(line, "case %63s %63s %c %d %llu", kase, file, &scale, &nc, &seed) == 5) {
			if (open)
				drop(&m);
			build_scaled(&m, file, scale, nc, seed);
			open = true, next = 0;
			continue;
		}
		if (!open || sscanf(line, "%95s %79s", name, want) != 2)
			continue;
		if (!strcmp(name, "all")) {
			struct ul_sha256 h;
			ul_sha256_init(&h);
			for (size_t i = 0; i < m.g.tensors.n; i++) {
				const struct ul_tensor_spec *s = &m.g.tensors.specs[i];
				if (s->ndim > 0)  /* num_batches_tracked is an integer in PyTorch */
					ul_sha256_update(&h, at(&m, s->name), sizeof(float) * ul_tensor_numel(s));
			}
			unsigned char digest[UL_SHA256_SIZE];
			ul_sha256_final(&h, digest);
			char hex[UL_SHA256_HEX];
			for (int k = 0; k < UL_SHA256_SIZE; k++)
				snprintf(hex + 2 * k, 3, "%02x", digest[k]);
			ok(!strcmp(hex, want), "%s: every initial weight is the one Ultralytics builds for the seed", kase);
			continue;
		}
		while (next < m.g.tensors.n && m.g.tensors.specs[next].ndim == 0)
			next++;
		const struct ul_tensor_spec *s = next < m.g.tensors.n ? &m.g.tensors.specs[next++] : NULL;
		char hex[UL_SHA256_HEX] = "";
		if (s && !strcmp(s->name, name))
			ul_sha256_hex(at(&m, s->name), sizeof(float) * ul_tensor_numel(s), hex);
		tensors++;
		if (strncmp(hex, want, 16) && differ++ < 5)
			printf("# %s differs from PyTorch's (ours: %s)\n", name, s ? s->name : "no more tensors");
	}
	fclose(f);
	if (open)
		drop(&m);
	ok(tensors > 500 && differ == 0, "and tensor by tensor, in state-dict order: %zu of %zu differ", differ, tensors);
}

int main(void)
{
	struct model m;
	build(&m, "yolo26.yaml", 7);
	bool bn_ok = true, inside = true;
	for (size_t i = 0; i < m.g.tensors.n; i++) {
		const struct ul_tensor_spec *s = &m.g.tensors.specs[i];
		if (strstr(s->name, ".bn.weight"))
			bn_ok &= all(&m, s->name, 1);
		else if (strstr(s->name, ".bn.bias") || strstr(s->name, ".running_mean"))
			bn_ok &= all(&m, s->name, 0);
		else if (strstr(s->name, ".running_var"))
			bn_ok &= all(&m, s->name, 1);
		if (s->ndim == 4 && !s->buffer) {
			double bound = 1 / sqrt((double)s->shape[1] * s->shape[2] * s->shape[3]);
			const float *p = at(&m, s->name);
			for (size_t k = 0; k < ul_tensor_numel(s); k++)
				inside &= fabs(p[k]) <= bound;
		}
	}
	ok(bn_ok, "BatchNorm: weight 1, bias 0, running mean 0, running variance 1");
	ok(inside, "every conv weight lies in +-1/sqrt(fan_in)");

	/* a uniform draw in +-b has variance b^2/3 */
	const struct ul_tensor_spec *big = find(&m, "model.8.cv2.conv.weight");
	const float *w = at(&m, big->name);
	size_t n = ul_tensor_numel(big);
	double mean = 0, var = 0, b = 1 / sqrt((double)big->shape[1]);
	for (size_t k = 0; k < n; k++)
		mean += w[k];
	mean /= n;
	for (size_t k = 0; k < n; k++)
		var += (w[k] - mean) * (w[k] - mean);
	var /= n;
	ok(fabs(mean) < 0.05 * b && fabs(var / (b * b / 3) - 1) < 0.05, "%zu weights: mean %.2g, variance %.3g of b^2/3", n, mean, var / (b * b / 3));

	/* Detect's bias init, for both branches */
	ok(all(&m, "model.23.cv2.0.2.bias", 2.0f) && all(&m, "model.23.one2one_cv2.2.2.bias", 2.0f), "box biases are 2.0");
	ok(all(&m, "model.23.cv3.0.2.bias", (float)log(5.0 / 80 / (80.0 * 80.0))), "class biases at stride 8: log(5/nc/80^2)");
	ok(all(&m, "model.23.one2one_cv3.2.2.bias", (float)log(5.0 / 80 / (20.0 * 20.0))), "and at stride 32: log(5/nc/20^2)");
	drop(&m);

	/* every one-to-one tensor of every head: it draws nothing, so only
	 * the copy gives it its values */
	static const char *const files[] = { "yolo26.yaml", "yolo26-seg.yaml", "yolo26-pose.yaml", "yolo26-obb.yaml" };
	for (int f = 0; f < 4; f++) {
		build(&m, files[f], 3);
		int copies = 0, equal = 0;
		for (size_t i = 0; i < m.g.tensors.n; i++) {
			const struct ul_tensor_spec *s = &m.g.tensors.specs[i];
			const char *o2o = strstr(s->name, "one2one_");
			if (!o2o || s->buffer)
				continue;
			char twin[UL_TENSOR_NAME];
			snprintf(twin, sizeof twin, "%.*s%s", (int)(o2o - s->name), s->name, o2o + strlen("one2one_"));
			const struct ul_tensor_spec *t = ul_tensor_find(&m.g.tensors, twin);
			copies++;
			equal += t && !memcmp(at(&m, s->name), at(&m, twin), sizeof(float) * ul_tensor_numel(s));
		}
		ok(copies > 0 && equal == copies, "%s: each of the %d one-to-one tensors starts as a copy of its twin", files[f],
		   copies);
		drop(&m);
	}

	/* the seed decides everything */
	struct model a, c;
	build(&a, "yolo26.yaml", 7);
	build(&c, "yolo26.yaml", 8);
	build(&m, "yolo26.yaml", 7);
	ok(!memcmp(a.params, m.params, sizeof(float) * a.g.tensors.params), "the same seed gives the same weights");
	ok(memcmp(a.params, c.params, sizeof(float) * a.g.tensors.params) != 0, "another seed gives others");
	drop(&a), drop(&c), drop(&m);

	/* pose: RealNVP */
	build(&m, "yolo26-pose.yaml", 1);
	const float *mask = at(&m, "model.23.flow_model.mask"), *cov = at(&m, "model.23.flow_model.cov");
	static const float masks[12] = { 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0 };
	ok(!memcmp(mask, masks, sizeof masks), "the flow's masks alternate [0,1] and [1,0]");
	ok(cov[0] == 1 && cov[1] == 0 && cov[2] == 0 && cov[3] == 1, "its prior has identity covariance");
	const float *s0 = at(&m, "model.23.flow_model.s.0.0.weight");
	double xb = 0.01 * sqrt(6.0 / (64 + 2));
	bool small = true;
	for (int k = 0; k < 128; k++)
		small &= fabs(s0[k]) <= xb;
	ok(small, "its weights are Xavier-uniform with gain 0.01");
	drop(&m);

	pytorch_weights();
	return done_testing();
}
