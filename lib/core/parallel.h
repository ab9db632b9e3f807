/* The engine's threads: one pool, started on first use, that runs a loop's
 * pieces on every core. OpenBLAS is told to stay on the calling thread, so
 * GEMMs split by the engine and its own loops never compete with a second
 * pool spinning on the same cores.
 *
 * UL_THREADS in the environment sets the pool's size (default: the online
 * CPUs). A loop split into pieces whose bounds depend only on the work, not
 * on the thread count, gives the same bits on any number of threads. */
#ifndef UL_CORE_PARALLEL_H
#define UL_CORE_PARALLEL_H

#include <stddef.h>

/* Threads that run pieces, the caller's included. */
int ul_parallel_threads(void);

/* Runs task(ctx, i) once for every i in [0, n), on the pool and the calling
 * thread, and returns when all have finished. Called from inside a task, or
 * while another thread's loop runs, it runs the pieces in order itself. */
void ul_parallel_for(int n, void (*task)(void *ctx, int i), void *ctx);

/* Piece i of [0, total) cut into `pieces` nearly equal runs. */
void ul_parallel_piece(size_t total, int pieces, int i, size_t *begin, size_t *end);

/* Pieces for a loop of `total` items when each should hold at least `grain`:
 * between 1 and 64, fixed by the work alone. */
int ul_parallel_pieces(size_t total, size_t grain);

#endif
