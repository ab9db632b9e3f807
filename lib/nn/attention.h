/* The core of YOLO26's Attention (Ultralytics block.py), on the CPU: what
 * lies between the qkv convolution and the pe and proj convolutions.
 *
 * The input is the qkv conv's output, NHWC (n, h, w, heads * (2 key_dim +
 * head_dim)). PyTorch views it as (B, heads, 2 key_dim + head_dim, N = h w),
 * so channel head * (2 key_dim + head_dim) + j is row j of that head: q for
 * j < key_dim, then k (key_dim rows), then v (head_dim rows). Per head,
 * attn = softmax over keys of (q scale)^T k, N x N with scale = key_dim^-0.5,
 * and out = v attn^T. Both out and v come back as NHWC images
 * (n, h, w, heads * head_dim) with channel head * head_dim + d: the caller
 * applies pe to v and adds it to out, then proj. */
#ifndef UL_NN_ATTENTION_H
#define UL_NN_ATTENTION_H

#include <stddef.h>

struct ul_attention {
	int n, h, w;          /* batch and size; N = h w positions */
	int heads, key_dim, head_dim;
};

/* Channels of the qkv input and of the out and v images. */
int ul_attention_qkv_channels(const struct ul_attention *a);
int ul_attention_out_channels(const struct ul_attention *a);

/* Floats of the softmax probabilities the forward pass keeps for backward:
 * n heads N N. */
size_t ul_attention_probs_size(const struct ul_attention *a);

/* Floats of scratch space the backward pass needs: N N. */
size_t ul_attention_workspace(const struct ul_attention *a);

/* out and v (n, h, w, heads head_dim) from qkv; probs receives the
 * attention weights, (n, heads, N queries, N keys). */
void ul_attention_forward(const struct ul_attention *a, const float *qkv, float *out, float *v, float *probs);

/* From d_out and d_v (the gradient reaching the v image through pe):
 * d_qkv, overwritten. probs is the forward pass's, left unchanged. */
void ul_attention_backward(const struct ul_attention *a, const float *qkv, const float *probs, const float *d_out,
			   const float *d_v, float *d_qkv, float *workspace);

#endif
