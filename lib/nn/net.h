/* The engine's executor: a graph's layers bound to a model's weights for
 * one input shape, run forward and backward layer by layer, each layer's
 * `from` routing as Ultralytics' BaseModel does it.
 *
 * Memory is planned once, at creation: every activation, every module's
 * saved state and every gradient of an activation gets an offset in one
 * arena, and blocks whose lifetimes do not overlap share space (the
 * gradient of a layer's output lives only between its consumers' backward
 * and its own). A step allocates nothing.
 *
 * The net's outputs are the head's raw maps, NHWC: for Detect, per level
 * l (stride 8, 16, 32), "one2many.box.l" (4: left, top, right, bottom
 * distances in grid units), "one2many.cls.l" (nc logits), then the same
 * for "one2one", whose branches see detached features; Segment26, Pose26
 * and OBB26 add theirs (head.h); for Classify, "logits" (n, 1, 1, nc); for a headless graph (a backbone, or a
 * test's few layers) the last layer's map, "output". The loss writes each output's grad,
 * then calls backward. */
#ifndef UL_NN_NET_H
#define UL_NN_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "nn/weights.h"

#define UL_NET_OUTPUTS 32

struct ul_net_output {
	char name[24];
	int n, h, w, c;
	int stride;           /* of the map against the image; 0 for logits */
	float *data, *grad;   /* on the host; grad: set by the loss before backward */
	float *dev_data, *dev_grad;  /* the same in the backend's memory (on the CPU, the same pointers) */
};

struct ul_net_layer;

struct ul_net {
	const struct ul_graph *graph;
	const struct ul_weights *weights;
	int batch, h, w;
	float dropout;        /* Classify, training only */
	uint64_t seed;        /* this step's dropout mask */
	const float *images;  /* the last forward's, read again by backward (the backend's memory) */
	float *dimages;       /* the caller's, if it wants the images' gradient (CPU only) */
	bool dimages_filled;
	struct ul_net_layer *layers;
	int noutputs;
	struct ul_net_output outputs[UL_NET_OUTPUTS];
	float *arena, *workspace, *scratch;
	size_t arena_floats, workspace_floats, scratch_floats;  /* planned */
	size_t arena_cap, workspace_cap, scratch_cap;           /* held, at least one more */
	/* when the backend's memory is not the host's: the images' copy there,
	 * and a 1 there for the BatchNorms' batch counters */
	float *dev_images, *one;
};

/* Binds g's layers to w for batch x h x w images (each side a multiple of
 * the largest stride), everything in the memory of the backend's ops
 * (ul_ops), w too (nn/weights.h: ul_weights_mirror). 0, or -1 with a
 * message in *err. */
int ul_net_create(struct ul_net *net, const struct ul_graph *g, const struct ul_weights *w, int batch, int h, int w_,
		  float dropout, jv *err);
void ul_net_free(struct ul_net *net);

/* The same net bound again for batch x h x w images, in the memory it
 * holds where that is big enough (a shape seen before costs no new
 * pages). On failure the net is freed: -1 with a message in *err. */
int ul_net_reshape(struct ul_net *net, int batch, int h, int w, jv *err);

/* The planned floats: arena, workspace and scratch together. */
size_t ul_net_floats(const struct ul_net *net);

/* images: (batch, h, w, 3) NHWC in [0, 1] on the host, kept until backward.
 * Training uses batch statistics, updates the running ones and keeps what
 * backward needs. The outputs' data is on the host when it returns. */
void ul_net_forward(struct ul_net *net, const float *images, bool train);

/* After a training forward and the outputs' grads (on the host): parameter gradients
 * added into the weights' grads (zero them between steps), and the images'
 * gradient written to dimages when the caller set it (training never
 * needs it; the reference tests do). */
void ul_net_backward(struct ul_net *net);

/* Adds an output (the head's binding does); its index. */
int ul_net_add_output(struct ul_net *net, const char *name, int n, int h, int w, int c, int stride);

/* The output of that name (the loss writes its grad), or NULL. */
struct ul_net_output *ul_net_output(struct ul_net *net, const char *name);

#endif
