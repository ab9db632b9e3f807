/* What every CUDA op shares: the one stream they all queue on, the cuBLAS
 * and cuDNN handles bound to it, and the first failure since the last
 * sync. Ops return nothing (the backend table's contract), so a failed
 * launch or library call is kept here and reported by the table's sync,
 * the first place the host waits anyway. One thread calls the backend
 * (the trainer's and the validator's): the ops' caches and scratch
 * buffers are not shared between threads, and the device is the one that
 * thread selected. */
#ifndef UL_CUDA_CONTEXT_H
#define UL_CUDA_CONTEXT_H

#include <stddef.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

struct ul_cuda {
	int device;
	cudaStream_t stream;
	cublasHandle_t blas;
	cudnnHandle_t dnn;
	char error[256];  /* "" while all is well */
};

extern struct ul_cuda ul_cuda;

/* Keeps the first failure: what was being done, and the library's word. */
void ul_cuda_fail(const char *what, const char *detail);

/* Checks a runtime, cuBLAS or cuDNN call; on failure records where. */
#define UL_CUDA_RT(call) ul_cuda_rt((call), #call)
#define UL_CUBLAS(call) ul_cuda_cublas((call), #call)
#define UL_CUDNN(call) ul_cuda_cudnn((call), #call)
int ul_cuda_rt(cudaError_t e, const char *what);
int ul_cuda_cublas(cublasStatus_t s, const char *what);
int ul_cuda_cudnn(cudnnStatus_t s, const char *what);

/* After a kernel launch: a bad configuration shows here, not at sync. */
#define UL_CUDA_LAUNCHED(name) ul_cuda_rt(cudaGetLastError(), name)

/* Device scratch that grows to the largest size asked of it and is kept:
 * cuDNN's workspaces, reductions' partial sums. Queued work may still use
 * the old block, so growing waits for the stream first. NULL (and a
 * recorded failure) when out of memory. */
struct ul_cuda_scratch {
	void *p;
	size_t bytes;
};
void *ul_cuda_scratch(struct ul_cuda_scratch *s, size_t bytes);

/* Blocks of `threads` covering n items, at least one. */
static inline unsigned ul_cuda_blocks(size_t n, unsigned threads)
{
	size_t b = (n + threads - 1) / threads;
	return b ? (unsigned)(b < 0x7fffffffu ? b : 0x7fffffffu) : 1;
}

#endif
