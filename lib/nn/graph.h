/* A YOLO26 model built from its YAML: the layers, their channels and
 * strides, and every tensor in the size table, by Ultralytics' rules
 * (ultralytics/nn/tasks.py parse_model). No weights are allocated here. */
#ifndef UL_NN_GRAPH_H
#define UL_NN_GRAPH_H

#include <stdbool.h>

#include <jv.h>

#include "nn/tensor_table.h"

#define UL_MAX_FROM 4

struct ul_layer {
	char module[24];          /* "Conv", "C3k2", "Detect" ... */
	int from[UL_MAX_FROM];    /* absolute indices of its inputs; -1 is the image */
	int nfrom;
	int repeats;              /* after depth scaling */
	int c1, c2;               /* channels in (first input) and out */
	int stride;               /* of its output, against the input image */
	/* the arguments the engine runs it with, resolved from the YAML */
	int k, s;                 /* Conv: kernel and stride; SPPF: pool kernel in k */
	double e;                 /* C3k2: hidden width ratio */
	bool c3k, attn;           /* C3k2: inner block is a C3k, or Bottleneck + PSABlock */
	bool shortcut;            /* SPPF: the residual */
	int factor;               /* nn.Upsample */
	int nm, npr, ne;          /* Segment26 masks and prototype channels; OBB26 angles */
	size_t first, last;       /* its tensors in the table: [first, last) */
};

struct ul_graph {
	char task[16];
	char scale;               /* n s m l x */
	int nc;
	int channels;             /* of the input image: the YAML's "channels", or 3 */
	int kpt_shape[2];         /* pose */
	int nlayers;
	struct ul_layer *layers;
	int strides[3];           /* of the head's inputs: 8 16 32 */
	int imgsz;                /* the image side the cost is counted for */
	double gflops;            /* per image in eval, as Ultralytics reports it (thop's rules) */
	struct ul_tensor_table tensors;
};

/* Builds the graph of a model YAML (a jv object, borrowed) at scale (0:
 * the YAML's first, or its depth/width multiples when it has no scales), with
 * nc classes (0: the YAML's), its cost counted for imgsz x imgsz images.
 * 0, or -1 with a message in *err. */
int ul_graph_build(struct ul_graph *g, jv yaml, char scale, int nc, int imgsz, jv *err);
void ul_graph_free(struct ul_graph *g);

/* Trainable parameters, as Ultralytics counts them (buffers excluded). */
size_t ul_graph_parameters(const struct ul_graph *g);

/* The model summary's rows, one object per layer: index, from, repeats,
 * module, parameters, channels in and out, stride. */
jv ul_graph_layers(const struct ul_graph *g);

#endif
