#include "nn/attention.h"

#include <math.h>
#include <string.h>

#include "nn/gemm.h"

/* Channels of one head in the qkv input: q, k, v. */
static int per_head(const struct ul_attention *a)
{
	return 2 * a->key_dim + a->head_dim;
}

int ul_attention_qkv_channels(const struct ul_attention *a)
{
	return a->heads * per_head(a);
}

int ul_attention_out_channels(const struct ul_attention *a)
{
	return a->heads * a->head_dim;
}

size_t ul_attention_probs_size(const struct ul_attention *a)
{
	size_t np = (size_t)a->h * a->w;
	return (size_t)a->n * a->heads * np * np;
}

size_t ul_attention_workspace(const struct ul_attention *a)
{
	size_t np = (size_t)a->h * a->w;
	return np * np;
}

/* Python's key_dim ** -0.5, rounded to float as PyTorch does when it
 * multiplies a float tensor by it. */
static float scale(const struct ul_attention *a)
{
	return (float)pow(a->key_dim, -0.5);
}

/* Each row of s (rows x rows) becomes its softmax; the row's maximum is
 * subtracted first so exp cannot overflow, and one reciprocal per row
 * replaces a division per element. */
static void softmax_rows(float *s, int rows)
{
	for (int i = 0; i < rows; i++) {
		float *row = s + (size_t)i * rows, max = row[0], sum = 0;
		for (int j = 1; j < rows; j++)
			max = row[j] > max ? row[j] : max;  /* fmaxf is a libm call */
		for (int j = 0; j < rows; j++)
			sum += row[j] = expf(row[j] - max);
		float inv = 1 / sum;
		for (int j = 0; j < rows; j++)
			row[j] *= inv;
	}
}

/* dp (the gradient of the probabilities p) becomes the gradient of the
 * scores: ds_ij = p_ij (dp_ij - sum_k p_ik dp_ik). */
static void softmax_rows_backward(const float *p, float *dp, int rows)
{
	for (int i = 0; i < rows; i++) {
		const float *prow = p + (size_t)i * rows;
		float *drow = dp + (size_t)i * rows, dot = 0;
		for (int j = 0; j < rows; j++)
			dot += prow[j] * drow[j];
		for (int j = 0; j < rows; j++)
			drow[j] = prow[j] * (drow[j] - dot);
	}
}

/* Per (image, head), with Q, K (N x key_dim) and V (N x head_dim) read in
 * place from the qkv rows (leading dimension: all qkv channels), and O the
 * head's columns of out:
 *   P = softmax(scale Q K^T)   (N x N, row i = query i)
 *   O = P V */
void ul_attention_forward(const struct ul_attention *a, const float *qkv, float *out, float *v, float *probs)
{
	int np = a->h * a->w, kd = a->key_dim, hd = a->head_dim;
	int c3 = ul_attention_qkv_channels(a), co = ul_attention_out_channels(a);
	for (int b = 0; b < a->n; b++) {
		for (int head = 0; head < a->heads; head++) {
			const float *q = qkv + (size_t)b * np * c3 + head * per_head(a), *k = q + kd, *vh = k + kd;
			float *p = probs + ((size_t)b * a->heads + head) * np * np;
			size_t o = (size_t)b * np * co + head * hd;
			ul_gemm(false, true, np, np, kd, scale(a), q, c3, k, c3, 0.0f, p, np);
			softmax_rows(p, np);
			ul_gemm(false, false, np, hd, np, 1.0f, p, np, vh, c3, 0.0f, out + o, co);
			for (int i = 0; i < np; i++)
				memcpy(v + o + (size_t)i * co, vh + (size_t)i * c3, sizeof *v * hd);
		}
	}
}

/* With dO the head's columns of d_out:
 *   dV = d_v + P^T dO
 *   dS = softmax'(dO V^T)
 *   dQ = scale dS K,  dK = scale dS^T Q
 * Every qkv channel belongs to one head's q, k or v, so d_qkv is entirely
 * written. */
void ul_attention_backward(const struct ul_attention *a, const float *qkv, const float *probs, const float *d_out,
			   const float *d_v, float *d_qkv, float *workspace)
{
	int np = a->h * a->w, kd = a->key_dim, hd = a->head_dim;
	int c3 = ul_attention_qkv_channels(a), co = ul_attention_out_channels(a);
	for (int b = 0; b < a->n; b++) {
		for (int head = 0; head < a->heads; head++) {
			size_t in = (size_t)b * np * c3 + head * per_head(a), o = (size_t)b * np * co + head * hd;
			const float *q = qkv + in, *k = q + kd, *vh = k + kd;
			float *dq = d_qkv + in, *dk = dq + kd, *dvh = dk + kd;
			const float *p = probs + ((size_t)b * a->heads + head) * np * np;
			for (int i = 0; i < np; i++)
				memcpy(dvh + (size_t)i * c3, d_v + o + (size_t)i * co, sizeof *dvh * hd);
			ul_gemm(true, false, np, hd, np, 1.0f, p, np, d_out + o, co, 1.0f, dvh, c3);
			ul_gemm(false, true, np, np, hd, 1.0f, d_out + o, co, vh, c3, 0.0f,
				    workspace, np);
			softmax_rows_backward(p, workspace, np);
			ul_gemm(false, false, np, kd, np, scale(a), workspace, np, k, c3, 0.0f,
				    dq, c3);
			ul_gemm(true, false, np, kd, np, scale(a), workspace, np, q, c3, 0.0f,
				    dk, c3);
		}
	}
}
