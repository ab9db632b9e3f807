#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <cblas.h>

#define MAX_THREADS 64
#define MAX_PIECES 64
/* Polls of the job counter before a worker sleeps: long enough to catch
 * the next loop of a training step (microseconds away), short enough that
 * an idle pool stops using the CPU at once. */
#define SPINS 20000

/* One call's loop. It lives on the caller's stack: every worker checks out
 * of it before the call returns, and touches it no more. */
struct job {
	void (*task)(void *ctx, int i);
	void *ctx;
	int n;
	atomic_int next;
	atomic_int checked_out;
};

static struct {
	pthread_once_t once;
	int threads;
	pthread_mutex_t lock;   /* guards sleeping on `wake` */
	pthread_cond_t wake;
	pthread_mutex_t submit; /* one loop at a time */
	struct job *_Atomic job;
	atomic_uint generation;
} pool = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
	   .submit = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local bool in_pool;

static void run_pieces(struct job *job)
{
	int i;
	while ((i = atomic_fetch_add(&job->next, 1)) < job->n)
		job->task(job->ctx, i);
}

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *worker(void *arg)
{
	(void)arg;
	in_pool = true;
	unsigned seen = 0;
	for (;;) {
		unsigned g = atomic_load_explicit(&pool.generation, memory_order_acquire);
		for (int spin = 0; g == seen && spin < SPINS; spin++) {
			relax();
			g = atomic_load_explicit(&pool.generation, memory_order_acquire);
		}
		if (g == seen) {
			pthread_mutex_lock(&pool.lock);
			while ((g = atomic_load(&pool.generation)) == seen)
				pthread_cond_wait(&pool.wake, &pool.lock);
			pthread_mutex_unlock(&pool.lock);
		}
		seen = g;
		struct job *job = atomic_load_explicit(&pool.job, memory_order_acquire);
		run_pieces(job);
		atomic_fetch_add_explicit(&job->checked_out, 1, memory_order_release);
	}
	return NULL;
}

static int threads_wanted(void)
{
	const char *env = getenv("UL_THREADS");
	long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void start(void)
{
	openblas_set_num_threads(1);
	pool.threads = threads_wanted();
	for (int i = 1; i < pool.threads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0) {
			pool.threads = i;  /* fewer threads, same results */
			break;
		}
		pthread_detach(t);
	}
}

int ul_parallel_threads(void)
{
	pthread_once(&pool.once, start);
	return pool.threads;
}

void ul_parallel_for(int n, void (*task)(void *ctx, int i), void *ctx)
{
	int workers = ul_parallel_threads() - 1;
	if (n <= 1 || workers == 0 || in_pool || pthread_mutex_trylock(&pool.submit) != 0) {
		for (int i = 0; i < n; i++)
			task(ctx, i);
		return;
	}
	struct job job = { .task = task, .ctx = ctx, .n = n };
	atomic_store_explicit(&pool.job, &job, memory_order_release);
	pthread_mutex_lock(&pool.lock);
	atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	in_pool = true;
	run_pieces(&job);
	in_pool = false;
	while (atomic_load_explicit(&job.checked_out, memory_order_acquire) < workers)
		relax();
	pthread_mutex_unlock(&pool.submit);
}

void ul_parallel_piece(size_t total, int pieces, int i, size_t *begin, size_t *end)
{
	*begin = total * (size_t)i / (size_t)pieces;
	*end = total * (size_t)(i + 1) / (size_t)pieces;
}

int ul_parallel_pieces(size_t total, size_t grain)
{
	size_t n = grain ? total / grain : total;
	return n < 1 ? 1 : n > MAX_PIECES ? MAX_PIECES : (int)n;
}
