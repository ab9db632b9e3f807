/* The backend table: the CPU's fills every slot, and modules reach their
 * ops only through ul_ops, so a table that counts its calls before passing
 * them on to the CPU sees a whole network's forward and backward, and gives
 * the same numbers. */
#include <math.h>
#include <string.h>

#include "core/yaml_load.h"
#include "nn/backend.h"
#include "nn/backend_open.h"
#include "nn/init.h"
#include "nn/net.h"
#include "numeric.h"
#include "tap.h"

static int conv_forwards, conv_backwards, bn_trains, bn_backwards, silu_forwards, pools, attentions;

static void count_conv_forward(const struct ul_conv2d *c, const float *x, const float *w, const float *b, float *y, float *ws)
{
	conv_forwards++;
	ul_cpu_backend.conv2d_forward(c, x, w, b, y, ws);
}

static void count_conv_backward(const struct ul_conv2d *c, const float *x, const float *w, const float *dy, float *dx,
				float *dw, float *db, float *ws)
{
	conv_backwards++;
	ul_cpu_backend.conv2d_backward(c, x, w, dy, dx, dw, db, ws);
}

static void count_bn_train(const struct ul_batchnorm *bn, const float *x, const float *g, const float *b, float *rm,
			   float *rv, float *y, float *sm, float *si, float *ws)
{
	bn_trains++;
	silu_forwards += bn->silu;
	ul_cpu_backend.batchnorm_forward_train(bn, x, g, b, rm, rv, y, sm, si, ws);
}

static void count_bn_backward(const struct ul_batchnorm *bn, const float *x, const float *g, const float *b,
			      const float *sm, const float *si, const float *dy, float *dx, float *dg, float *db, float *ws)
{
	bn_backwards++;
	ul_cpu_backend.batchnorm_backward(bn, x, g, b, sm, si, dy, dx, dg, db, ws);
}

static void count_pool(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax)
{
	pools++;
	ul_cpu_backend.maxpool_forward(p, x, y, argmax);
}

static void count_attention(const struct ul_attention *a, const float *qkv, float *out, float *v, float *probs)
{
	attentions++;
	ul_cpu_backend.attention_forward(a, qkv, out, v, probs);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

static int convs_in_table, batchnorms_in_table;

/* yolo26n at 64: its outputs and gradients, under whichever table is set;
 * and how many convs (4-d weights) and BatchNorms its size table holds. */
static void run(float *out, float *grads, size_t *nout, size_t *nparams)
{
	jv yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml"), err = jv_invalid();
	struct ul_graph g;
	struct ul_weights w;
	struct ul_net net;
	if (ul_graph_build(&g, yaml, 'n', 2, 64, &err) || ul_weights_alloc(&w, &g) ||
	    ul_net_create(&net, &g, &w, 2, 64, 64, 0, &err))
		abort();
	jv_free(yaml);
	convs_in_table = batchnorms_in_table = 0;
	for (size_t i = 0; i < g.tensors.n; i++) {
		const struct ul_tensor_spec *s = &g.tensors.specs[i];
		convs_in_table += s->ndim == 4 && !s->buffer;
		batchnorms_in_table += ends_with(s->name, ".bn.weight");
	}
	ul_init_weights(&g, w.params, w.buffers, 7);
	float *images = malloc(sizeof *images * 2 * 64 * 64 * 3);
	for (int i = 0; i < 2 * 64 * 64 * 3; i++)
		images[i] = (float)((i * 37) % 101) / 101;
	ul_net_forward(&net, images, true);
	*nout = 0;
	for (int k = 0; k < net.noutputs; k++) {
		struct ul_net_output *o = &net.outputs[k];
		size_t n = (size_t)o->n * o->h * o->w * o->c;
		for (size_t i = 0; i < n; i++)
			o->grad[i] = (float)(i % 5) - 2, out[(*nout)++] = o->data[i];
	}
	ul_net_backward(&net);
	*nparams = g.tensors.params;
	memcpy(grads, w.grads, sizeof *grads * g.tensors.params);
	free(images);
	ul_net_free(&net);
	ul_weights_free(&w);
	ul_graph_free(&g);
}

int main(void)
{
	bool full = true;
	void (*const *slot)(void) = (void (*const *)(void))&ul_cpu_backend.conv2d_forward;
	size_t slots = (sizeof ul_cpu_backend - offsetof(struct ul_backend, conv2d_forward)) / sizeof *slot;
	for (size_t i = 0; i < slots; i++)
		full = full && slot[i];
	ok(full && !strcmp(ul_cpu_backend.name, "cpu"), "the CPU backend fills all %zu slots", slots);
	ok(ul_ops == &ul_cpu_backend, "modules use the CPU's table unless told otherwise");

	enum { OUT = 100000, PARAMS = 3000000 };
	float *out_cpu = malloc(sizeof(float) * OUT), *out_counted = malloc(sizeof(float) * OUT);
	float *grads_cpu = malloc(sizeof(float) * PARAMS), *grads_counted = malloc(sizeof(float) * PARAMS);
	size_t nout, nparams;
	run(out_cpu, grads_cpu, &nout, &nparams);

	struct ul_backend counting = ul_cpu_backend;
	counting.name = "counting";
	counting.conv2d_forward = count_conv_forward;
	counting.conv2d_backward = count_conv_backward;
	counting.batchnorm_forward_train = count_bn_train;
	counting.batchnorm_backward = count_bn_backward;
	counting.maxpool_forward = count_pool;
	counting.attention_forward = count_attention;
	ul_ops = &counting;
	run(out_counted, grads_counted, &nout, &nparams);
	ul_ops = &ul_cpu_backend;

	ok(conv_forwards == convs_in_table && conv_backwards == convs_in_table,
	   "each of the %d convs goes through the table: %d forward, %d backward", convs_in_table, conv_forwards,
	   conv_backwards);
	ok(bn_trains == batchnorms_in_table && bn_backwards == batchnorms_in_table,
	   "each of the %d BatchNorms: %d forward, %d backward", batchnorms_in_table, bn_trains, bn_backwards);
	ok(silu_forwards > 80 && silu_forwards < bn_trains, "SiLU fused into most of them (%d)", silu_forwards);
	ok(pools == 3 && attentions == 2, "SPPF's three pools and two attentions (%d, %d)", pools, attentions);
	ok(!memcmp(out_cpu, out_counted, sizeof(float) * nout) && !memcmp(grads_cpu, grads_counted, sizeof(float) * nparams),
	   "and the same outputs and gradients, bit for bit");
	free(out_cpu), free(out_counted), free(grads_cpu), free(grads_counted);

	/* device names as ul-train takes them */
	is_int(ul_backend_gpu_index("cpu"), -1, "cpu is the CPU");
	is_int(ul_backend_gpu_index("0"), 0, "0 is the first GPU");
	is_int(ul_backend_gpu_index("cuda"), 0, "so is cuda");
	is_int(ul_backend_gpu_index("cuda:3"), 3, "cuda:3 the fourth");
	const char *not_devices[] = { "", "mps", "cuda:", "cuda:x", "-1", "0,1", "1.5", "99999999999", "gpu" };
	for (size_t i = 0; i < sizeof not_devices / sizeof *not_devices; i++)
		is_int(ul_backend_gpu_index(not_devices[i]), -2, "'%s' names no device", not_devices[i]);
	const struct ul_backend *b = NULL;
	jv err = jv_invalid();
	ok(ul_backend_open("cpu", &b, &err) == 0 && b == &ul_cpu_backend, "cpu opens the CPU's table");
	ok(ul_backend_open("tpu", &b, &err) == -1 && jv_invalid_has_msg(jv_copy(err)), "tpu is refused with a message");
	jv_free(err);

	/* the CPU's memory slots: host memory, plain copies */
	float host[4] = { 1, 2, 3, 4 }, back[4];
	float *mem = ul_cpu_backend.alloc(sizeof host);
	ul_cpu_backend.to_device(mem, host, sizeof host);
	ul_cpu_backend.zero(2, mem);
	ul_cpu_backend.to_host(back, mem, sizeof back);
	char why[64];
	ok(back[0] == 0 && back[1] == 0 && back[2] == 3 && back[3] == 4 && ul_cpu_backend.sync(why, sizeof why) == 0,
	   "alloc, copies, zero and sync on the CPU");
	ul_cpu_backend.release(mem);
	return done_testing();
}
