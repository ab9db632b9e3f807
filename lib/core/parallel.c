#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cblas.h>

#define MAX_THREADS 64
#define MAX_PIECES 64
/* Polls of the claim word before a worker sleeps: long enough to catch
 * the next loop of a training step (microseconds away), short enough that
 * an idle pool stops using the CPU at once. */
#define SPINS 20000

/* The loop on the pool. Pieces are claimed by compare-and-swap on one
 * word, (loop number << 32) | (pieces << 16) | next piece, so a worker
 * that wakes late, after its loop is over, claims nothing and touches
 * nothing else: the caller waits for its pieces to finish, never for a
 * worker that the OS has not scheduled yet (on a busy machine, a time
 * slice away). The count is in the word, not beside it: a worker that read
 * the next loop's count beside its own loop's word once claimed a piece
 * that loop did not have, ran the next loop's piece twice and let it
 * return early. task and ctx stay as they are while any piece of their
 * loop is unfinished. */
static struct {
	pthread_once_t once;
	int threads;
	pthread_mutex_t lock;   /* guards sleeping on `wake` */
	pthread_cond_t wake;
	pthread_mutex_t submit; /* one loop at a time */
	void (*task)(void *ctx, int i);
	void *ctx;
	uint32_t loops;         /* loops started; the submitter's own */
	_Atomic uint64_t claim;
	atomic_int done;
} pool = { .once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
	   .submit = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local bool in_pool;

static uint32_t loop_of(uint64_t claim)
{
	return (uint32_t)(claim >> 32);
}

static int pieces_of(uint64_t claim)
{
	return (int)(claim >> 16 & 0xffff);
}

static int next_of(uint64_t claim)
{
	return (int)(claim & 0xffff);
}

/* Runs pieces of loop `loop` until none is left to claim. */
static void run_pieces(uint32_t loop)
{
	uint64_t c = atomic_load_explicit(&pool.claim, memory_order_acquire);
	while (loop_of(c) == loop && next_of(c) < pieces_of(c)) {
		if (!atomic_compare_exchange_weak_explicit(&pool.claim, &c, c + 1, memory_order_acquire,
							   memory_order_acquire))
			continue;
		pool.task(pool.ctx, next_of(c));
		atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
		c = atomic_load_explicit(&pool.claim, memory_order_acquire);
	}
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
	uint32_t seen = 0;
	for (;;) {
		uint32_t loop = loop_of(atomic_load_explicit(&pool.claim, memory_order_acquire));
		for (int spin = 0; loop == seen && spin < SPINS; spin++) {
			relax();
			loop = loop_of(atomic_load_explicit(&pool.claim, memory_order_acquire));
		}
		if (loop == seen) {
			pthread_mutex_lock(&pool.lock);
			while ((loop = loop_of(atomic_load(&pool.claim))) == seen)
				pthread_cond_wait(&pool.wake, &pool.lock);
			pthread_mutex_unlock(&pool.lock);
		}
		seen = loop;
		run_pieces(loop);
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
	/* the claim word holds up to 0xffff pieces; callers cut far fewer */
	if (n <= 1 || n > 0xffff || workers == 0 || in_pool || pthread_mutex_trylock(&pool.submit) != 0) {
		for (int i = 0; i < n; i++)
			task(ctx, i);
		return;
	}
	pool.task = task, pool.ctx = ctx;
	atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
	uint32_t loop = ++pool.loops;
	pthread_mutex_lock(&pool.lock);
	atomic_store_explicit(&pool.claim, (uint64_t)loop << 32 | (uint64_t)n << 16, memory_order_release);
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	in_pool = true;
	run_pieces(loop);
	in_pool = false;
	while (atomic_load_explicit(&pool.done, memory_order_acquire) < n)
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
