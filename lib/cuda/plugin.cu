/* The CUDA backend as a plugin (ul-cuda.so): ul_cuda_open, the one symbol
 * nn/backend_open.c looks up, checks for a usable GPU, sets up the stream
 * and the library handles every op shares (context.h), and hands back the
 * table of ops (ops.h). Device memory comes from cudaMalloc; copies and
 * clears queue on the stream like every op, so the host waits only in
 * sync and in copies back. */
#include <stdio.h>
#include <string.h>

#include "cuda/context.h"
#include "cuda/ops.h"

struct ul_cuda ul_cuda;

void ul_cuda_fail(const char *what, const char *detail)
{
	if (!ul_cuda.error[0])
		snprintf(ul_cuda.error, sizeof ul_cuda.error, "%s: %s", what, detail);
}

int ul_cuda_rt(cudaError_t e, const char *what)
{
	if (e == cudaSuccess)
		return 0;
	ul_cuda_fail(what, cudaGetErrorString(e));
	return -1;
}

int ul_cuda_cublas(cublasStatus_t s, const char *what)
{
	if (s == CUBLAS_STATUS_SUCCESS)
		return 0;
	char code[32];
	snprintf(code, sizeof code, "cuBLAS status %d", (int)s);
	ul_cuda_fail(what, code);
	return -1;
}

int ul_cuda_cudnn(cudnnStatus_t s, const char *what)
{
	if (s == CUDNN_STATUS_SUCCESS)
		return 0;
	ul_cuda_fail(what, cudnnGetErrorString(s));
	return -1;
}

void *ul_cuda_scratch(struct ul_cuda_scratch *s, size_t bytes)
{
	if (bytes <= s->bytes)
		return s->p;
	/* queued ops may still read the old block */
	if (UL_CUDA_RT(cudaStreamSynchronize(ul_cuda.stream)))
		return NULL;
	UL_CUDA_RT(cudaFree(s->p));
	s->p = NULL, s->bytes = 0;
	if (UL_CUDA_RT(cudaMalloc(&s->p, bytes))) {
		cudaGetLastError();  /* recorded; not to be blamed on the next launch */
		return NULL;
	}
	s->bytes = bytes;
	return s->p;
}

static void *device_alloc(size_t bytes)
{
	void *p = NULL;
	/* an out-of-memory answer is the caller's to report, not a failed op */
	if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
		cudaGetLastError();
		return NULL;
	}
	return p;
}

static void device_release(void *p)
{
	if (p) {
		cudaStreamSynchronize(ul_cuda.stream);
		cudaFree(p);
	}
}

static void to_device(void *dst, const void *host, size_t bytes)
{
	UL_CUDA_RT(cudaMemcpyAsync(dst, host, bytes, cudaMemcpyHostToDevice, ul_cuda.stream));
}

/* The host reads what it asked for as soon as this returns: it waits. */
static void to_host(void *host, const void *src, size_t bytes)
{
	if (!UL_CUDA_RT(cudaMemcpyAsync(host, src, bytes, cudaMemcpyDeviceToHost, ul_cuda.stream)))
		UL_CUDA_RT(cudaStreamSynchronize(ul_cuda.stream));
}

static int device_sync(char *why, size_t size)
{
	UL_CUDA_RT(cudaStreamSynchronize(ul_cuda.stream));
	if (!ul_cuda.error[0])
		return 0;
	snprintf(why, size, "%s", ul_cuda.error);
	ul_cuda.error[0] = '\0';
	return -1;
}

static const struct ul_backend cuda_backend = {
	.name = "cuda",
	.host_memory = false,
	.alloc = device_alloc,
	.release = device_release,
	.to_device = to_device,
	.to_host = to_host,
	.zero = ul_cuda_zero,
	.sync = device_sync,
	.conv2d_forward = ul_cuda_conv2d_forward,
	.conv2d_backward = ul_cuda_conv2d_backward,
	.batchnorm_forward_train = ul_cuda_batchnorm_forward_train,
	.batchnorm_forward_eval = ul_cuda_batchnorm_forward_eval,
	.batchnorm_backward = ul_cuda_batchnorm_backward,
	.maxpool_forward = ul_cuda_maxpool_forward,
	.maxpool_backward = ul_cuda_maxpool_backward,
	.upsample_forward = ul_cuda_upsample_forward,
	.upsample_backward = ul_cuda_upsample_backward,
	.channels_copy = ul_cuda_channels_copy,
	.add = ul_cuda_add,
	.attention_forward = ul_cuda_attention_forward,
	.attention_backward = ul_cuda_attention_backward,
	.conv_transpose2d_forward = ul_cuda_conv_transpose2d_forward,
	.conv_transpose2d_backward = ul_cuda_conv_transpose2d_backward,
	.linear_forward = ul_cuda_linear_forward,
	.linear_backward = ul_cuda_linear_backward,
	.global_avgpool_forward = ul_cuda_global_avgpool_forward,
	.global_avgpool_backward = ul_cuda_global_avgpool_backward,
};

/* The first failure of opening, in words a user can act on; what was made
 * is undone, so a later open starts clean. */
static int refuse(char *why, size_t size, const char *what, const char *detail)
{
	snprintf(why, size, "%s (%s)", what, detail);
	if (ul_cuda.dnn)
		cudnnDestroy(ul_cuda.dnn);
	if (ul_cuda.stream)
		cudaStreamDestroy(ul_cuda.stream);
	memset(&ul_cuda, 0, sizeof ul_cuda);
	return -1;
}

extern "C" __attribute__((visibility("default"))) int ul_cuda_open(int index, const struct ul_backend **backend,
								  char *why, size_t size)
{
	int count = 0;
	cudaError_t e = cudaGetDeviceCount(&count);
	if (e != cudaSuccess)
		return refuse(why, size, "no usable CUDA GPU: the driver does not answer; is one installed and loaded?",
			      cudaGetErrorString(e));
	if (index >= count) {
		char have[64];
		snprintf(have, sizeof have, "this machine has %d", count);
		return refuse(why, size, "no such GPU", have);
	}
	if (ul_cuda.blas) {  /* opened before: one device per process, one thread calling */
		if (index != ul_cuda.device)
			return refuse(why, size, "one GPU per process", "another is already in use");
		*backend = &cuda_backend;
		return 0;
	}
	cudaDeviceProp prop;
	if ((e = cudaSetDevice(index)) != cudaSuccess || (e = cudaGetDeviceProperties(&prop, index)) != cudaSuccess)
		return refuse(why, size, "the GPU cannot be used", cudaGetErrorString(e));
	if (prop.major < 8)
		return refuse(why, size, "ul's CUDA backend needs a GPU of compute capability 8.0 or later (A100, H100, ...)",
			      prop.name);
	if ((e = cudaStreamCreateWithFlags(&ul_cuda.stream, cudaStreamNonBlocking)) != cudaSuccess)
		return refuse(why, size, "no CUDA stream", cudaGetErrorString(e));
	cudnnStatus_t dnn = cudnnCreate(&ul_cuda.dnn);
	if (dnn != CUDNN_STATUS_SUCCESS || (dnn = cudnnSetStream(ul_cuda.dnn, ul_cuda.stream)) != CUDNN_STATUS_SUCCESS)
		return refuse(why, size, "cuDNN does not start", cudnnGetErrorString(dnn));
	cublasHandle_t blas;
	if (cublasCreate(&blas) != CUBLAS_STATUS_SUCCESS)
		return refuse(why, size, "cuBLAS does not start", "cublasCreate");
	/* fp32 means fp32: no silent TF32 in cuBLAS */
	if (cublasSetStream(blas, ul_cuda.stream) != CUBLAS_STATUS_SUCCESS ||
	    cublasSetMathMode(blas, CUBLAS_PEDANTIC_MATH) != CUBLAS_STATUS_SUCCESS) {
		cublasDestroy(blas);
		return refuse(why, size, "cuBLAS does not start", "cublasSetStream or cublasSetMathMode");
	}
	ul_cuda.device = index;
	ul_cuda.blas = blas;
	*backend = &cuda_backend;
	return 0;
}
