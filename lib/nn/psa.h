/* YOLO26's attention module and PSABlock (yolo26.md 3.6):
 *
 *   Attention(x) = proj(core(qkv(x)) + pe(v))   qkv, pe, proj: Convs without activation;
 *                                              pe depthwise 3x3 on v as an image
 *   PSABlock(x)  = a + ffn(a), a = x + Attention(x)   ffn: 1x1 c->2c (SiLU), 1x1 2c->c
 *
 * Memory as in conv_module.h; dx is required (overwritten). */
#ifndef UL_NN_PSA_H
#define UL_NN_PSA_H

#include "nn/attention.h"
#include "nn/conv_module.h"

struct ul_psa_attention {
	struct ul_conv_module qkv, pe, proj;
	struct ul_attention core;
};

struct ul_psablock {
	struct ul_psa_attention attn;
	struct ul_conv_module ffn0, ffn1;
};

size_t ul_psa_attention_saved(const struct ul_psa_attention *a);
size_t ul_psa_attention_workspace(const struct ul_psa_attention *a);
void ul_psa_attention_forward(const struct ul_psa_attention *a, const float *x, float *y, float *saved, float *workspace,
			      bool train);
void ul_psa_attention_backward(const struct ul_psa_attention *a, const float *x, const float *saved, const float *dy,
			       float *dx, float *workspace);

size_t ul_psablock_saved(const struct ul_psablock *b);
size_t ul_psablock_workspace(const struct ul_psablock *b);
void ul_psablock_forward(const struct ul_psablock *b, const float *x, float *y, float *saved, float *workspace, bool train);
void ul_psablock_backward(const struct ul_psablock *b, const float *x, const float *saved, const float *dy, float *dx,
			  float *workspace);

#endif
