/* YOLO26 graphs from their YAML: parameter counts equal Ultralytics' own
 * (yolo26.md 1.6), state-dict names and shapes, and bad YAMLs refused. */
#include "core/yaml_load.h"
#include "nn/graph.h"
#include "tap.h"

/* Parameters and GFLOPs at 640 of an official config; zeros if it fails. */
static void measure(const char *file, char scale, int nc, size_t *params, double *gflops)
{
	char path[256];
	snprintf(path, sizeof path, "share/ul/models/%s", file);
	jv yaml = ul_yaml_load_file(path);
	struct ul_graph g;
	jv err = jv_invalid();
	bool built = ul_graph_build(&g, yaml, scale, nc, 640, &err) == 0;
	*params = built ? ul_graph_parameters(&g) : 0;
	*gflops = built ? g.gflops : 0;
	jv_free(err);
	jv_free(yaml);
	ul_graph_free(&g);
}

static size_t count(const char *file, char scale, int nc)
{
	size_t params;
	double gflops;
	measure(file, scale, nc, &params, &gflops);
	return params;
}

static double gflops(const char *file, char scale, int nc)
{
	size_t params;
	double gf;
	measure(file, scale, nc, &params, &gf);
	return gf;
}

static char *build_error(const char *text)
{
	jv yaml = ul_yaml_load_string(text, strlen(text), "t.yaml");
	struct ul_graph g;
	jv err = jv_invalid();
	char *out = NULL;
	if (ul_graph_build(&g, yaml, 'n', 0, 640, &err) < 0) {
		jv msg = jv_invalid_get_msg(err);
		out = strdup(jv_string_value(msg));
		jv_free(msg);
	} else {
		jv_free(err);
	}
	ul_graph_free(&g);
	jv_free(yaml);
	return out;
}

int main(void)
{
	/* All 25, at the YAMLs' nc (80; cls 1000), as Ultralytics' model.info()
	 * counts them: the summaries in its YOLO26 YAMLs (commit a343ddd8). */
	static const struct { const char *file; long long n[5]; } expected[] = {
		{ "yolo26.yaml", { 2572280, 10009784, 21896248, 26299704, 58993368 } },
		{ "yolo26-seg.yaml", { 3126280, 11505800, 27112072, 31515528, 70693800 } },
		{ "yolo26-pose.yaml", { 3747554, 11870498, 24344482, 28747938, 62914350 } },
		{ "yolo26-obb.yaml", { 2715614, 10582142, 23593918, 27997374, 62811678 } },
		{ "yolo26-cls.yaml", { 2812104, 6724008, 11634216, 14115624, 29637064 } },
	};
	for (size_t f = 0; f < sizeof expected / sizeof expected[0]; f++)
		for (int k = 0; k < 5; k++)
			is_int(count(expected[f].file, "nsmlx"[k], 0), expected[f].n[k], "%s at scale %c", expected[f].file, "nsmlx"[k]);
	is_int(count("yolo26.yaml", 'n', 3), 2504970, "yolo26n with nc 3");

	/* GFLOPs at 640 as Ultralytics reports them (thop's counting; yolo26.md 1.6) */
	static const struct { const char *file; char scale; int nc; double gflops; } cost[] = {
		{ "yolo26.yaml", 'n', 0, 6.2 }, { "yolo26.yaml", 's', 0, 23.1 }, { "yolo26.yaml", 'm', 0, 75.6 },
		{ "yolo26.yaml", 'l', 0, 94.2 }, { "yolo26.yaml", 'x', 0, 210.1 }, { "yolo26-seg.yaml", 'n', 0, 10.6 },
		{ "yolo26-pose.yaml", 'n', 0, 10.8 }, { "yolo26-obb.yaml", 'n', 0, 6.7 }, { "yolo26-cls.yaml", 'n', 0, 3.3 },
		{ "yolo26.yaml", 'n', 3, 5.9 },
	};
	for (size_t i = 0; i < sizeof cost / sizeof cost[0]; i++)
		is_double(gflops(cost[i].file, cost[i].scale, cost[i].nc), cost[i].gflops, 0.1, "%s %c nc %d: %.1f GFLOPs at 640",
			  cost[i].file, cost[i].scale, cost[i].nc, cost[i].gflops);

	jv yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml");
	struct ul_graph g;
	jv err = jv_invalid();
	ok(ul_graph_build(&g, yaml, 'n', 0, 640, &err) == 0, "yolo26n builds");
	ok(g.strides[0] == 8 && g.strides[1] == 16 && g.strides[2] == 32, "strides 8 16 32 from the graph");
	is_str(g.task, "detect", "its task");
	const struct ul_tensor_spec *s = ul_tensor_find(&g.tensors, "model.0.conv.weight");
	ok(s && s->ndim == 4 && s->shape[0] == 16 && s->shape[1] == 3 && s->shape[2] == 3 && s->shape[3] == 3,
	   "model.0.conv.weight is 16x3x3x3");
	s = ul_tensor_find(&g.tensors, "model.23.one2one_cv3.2.2.bias");
	ok(s && s->ndim == 1 && s->shape[0] == 80 && !s->buffer, "model.23.one2one_cv3.2.2.bias (level 2, last conv) has 80 classes");
	s = ul_tensor_find(&g.tensors, "model.10.m.0.attn.qkv.conv.weight");
	ok(s && s->shape[0] == 256 && s->shape[1] == 128, "C2PSA attention qkv: 128 -> 256");
	s = ul_tensor_find(&g.tensors, "model.22.m.0.1.attn.pe.conv.weight");
	ok(s && s->shape[1] == 1 && s->shape[2] == 3, "the attention C3k2's positional conv is depthwise 3x3");
	s = ul_tensor_find(&g.tensors, "model.23.dfl.conv.weight");
	ok(s == NULL, "reg_max 1: no DFL weights");
	s = ul_tensor_find(&g.tensors, "model.9.bn.running_var");
	ok(s == NULL, "SPPF has no bn of its own");
	s = ul_tensor_find(&g.tensors, "model.9.cv1.bn.num_batches_tracked");
	ok(s && s->buffer && s->ndim == 0, "BN counters are buffers, not parameters");
	ok(g.layers[2].repeats == 1 && g.layers[22].repeats == 1, "depth 0.5 makes 2 repeats 1");
	is_int(g.layers[12].c2, 384, "concat of layer 12 has 384 channels (n)");
	/* offsets are contiguous: one buffer for every parameter */
	size_t next = 0;
	bool contiguous = true;
	for (size_t i = 0; i < g.tensors.n; i++) {
		if (g.tensors.specs[i].buffer)
			continue;
		contiguous &= g.tensors.specs[i].offset == next;
		next += ul_tensor_numel(&g.tensors.specs[i]);
	}
	ok(contiguous && next == g.tensors.params, "parameters lie end to end in one buffer");
	ul_graph_free(&g);

	/* the heads' own tensors, named as in Ultralytics' state dict */
	jv seg = ul_yaml_load_file("share/ul/models/yolo26-seg.yaml");
	ok(ul_graph_build(&g, seg, 'n', 0, 640, &err) == 0 && !strcmp(g.task, "segment"), "yolo26n-seg builds, task segment");
	s = ul_tensor_find(&g.tensors, "model.23.proto.upsample.weight");
	ok(s && s->shape[0] == 64 && s->shape[1] == 64 && s->shape[2] == 2, "Proto26's transposed conv is 64x64x2x2 (in, out, k, k)");
	s = ul_tensor_find(&g.tensors, "model.23.proto.feat_refine.1.conv.weight");
	ok(s && s->shape[0] == 64 && s->shape[1] == 256, "P5 refined from 256 to P3's 64 channels");
	s = ul_tensor_find(&g.tensors, "model.23.one2one_cv4.2.2.bias");
	ok(s && s->shape[0] == 32, "32 mask coefficients in the one-to-one branch");
	ul_graph_free(&g);
	jv_free(seg);
	jv pose = ul_yaml_load_file("share/ul/models/yolo26-pose.yaml");
	ok(ul_graph_build(&g, pose, 'n', 1, 640, &err) == 0 && !strcmp(g.task, "pose"), "yolo26n-pose builds with nc 1");
	is_int(ul_graph_parameters(&g), 3679464, "yolo26n-pose at nc 1");
	s = ul_tensor_find(&g.tensors, "model.23.flow_model.mask");
	ok(s && s->buffer && s->shape[0] == 6 && s->shape[1] == 2, "RealNVP masks are a buffer");
	s = ul_tensor_find(&g.tensors, "model.23.one2one_cv4_kpts.0.weight");
	ok(s && s->shape[0] == 51 && s->shape[1] == 85, "17x3 keypoints from 85 channels");
	ul_graph_free(&g);
	jv_free(pose);

	ok(ul_graph_build(&g, yaml, 'q', 0, 640, &err) < 0, "an unknown scale is refused");
	jv msg = jv_invalid_get_msg(err);
	contains(jv_string_value(msg), "no scale q", "saying so");
	jv_free(msg);
	ul_graph_free(&g);
	jv_free(yaml);

	const char *head = "scales: {n: [0.5, 0.25, 1024]}\nbackbone:\n";
	char text[512];
	snprintf(text, sizeof text, "%s  - [-1, 1, Conv]\n", head);
	char *why = build_error(text);
	contains(why, "a row is [from, repeats, module, args]", "a short row");
	free(why);
	snprintf(text, sizeof text, "%s  - [5, 1, Conv, [64, 3, 2]]\n", head);
	why = build_error(text);
	contains(why, "inputs must be earlier layers", "an input from the future");
	free(why);
	snprintf(text, sizeof text, "%s  - [-1, 1, Conv, [64, 3, 2]]\n  - [-1, 1, Magic, []]\n", head);
	why = build_error(text);
	contains(why, "layer 1: module Magic is not known", "an unknown module");
	free(why);
	/* no scales: multiples of 1, and channels as written */
	const char *plain = "nc: 3\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [32, 3, 2]]\nhead:\n"
			    "  - [-1, 1, Classify, [nc]]\n";
	jv py = ul_yaml_load_string(plain, strlen(plain), "plain.yaml");
	ok(ul_graph_build(&g, py, 0, 0, 64, &err) == 0, "a YAML without scales builds");
	is_int(g.layers[1].c2, 32, "with its channels as written");
	/* 3*16*9 + 2*16 + 16*32*9 + 2*32 + 32*1280 + 2*1280 + 1280*3 + 3 */
	is_int(ul_graph_parameters(&g), 432 + 32 + 4608 + 64 + 40960 + 2560 + 3840 + 3, "and its parameters");
	ul_graph_free(&g);
	jv_free(py);
	snprintf(text, sizeof text, "%s  - [-1, 1, Conv, 64]\n", head);
	why = build_error(text);
	ok(why == NULL, "args that are not a list fall back to defaults, no crash");
	free(why);
	return done_testing();
}
