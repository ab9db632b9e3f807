/* The thread pool: every piece runs exactly once per call, over many calls
 * in a row (the hand-over between loops is where a pool races); a loop
 * started inside a piece, or from a second thread while one runs, still
 * runs every piece; pieces cover a range without gaps; UL_THREADS sets the
 * pool's size. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "core/parallel.h"
#include "tap.h"

#define N 257

struct counts {
	atomic_int hits[N];
	int n;
};

static void count(void *ctx, int i)
{
	struct counts *c = ctx;
	atomic_fetch_add(&c->hits[i], 1);
}

static bool each_once(const struct counts *c, int times)
{
	for (int i = 0; i < c->n; i++)
		if (atomic_load(&c->hits[i]) != times)
			return false;
	return true;
}

static void nested(void *ctx, int i)
{
	struct counts *inner = ctx;
	(void)i;
	ul_parallel_for(inner->n, count, inner);
}

static void *loops(void *arg)
{
	struct counts *c = arg;
	for (int k = 0; k < 500; k++)
		ul_parallel_for(c->n, count, c);
	return NULL;
}

int main(void)
{
	/* the size from the environment, in a child that starts its own pool */
	pid_t pid = fork();
	if (pid == 0) {
		setenv("UL_THREADS", "3", 1);
		_exit(ul_parallel_threads() == 3 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "UL_THREADS=3 gives a pool of 3");

	ok(ul_parallel_threads() >= 1, "a pool of %d threads", ul_parallel_threads());

	static struct counts c;
	c.n = N;
	for (int k = 0; k < 3000; k++)
		ul_parallel_for(k % 5 == 0 ? 1 : N, count, &c);
	bool once = true;
	for (int i = 0; i < N; i++)
		once = once && atomic_load(&c.hits[i]) == (i == 0 ? 3000 : 2400);
	ok(once, "3000 loops in a row run each piece exactly once per loop");

	static struct counts inner;
	inner.n = 7;
	ul_parallel_for(5, nested, &inner);
	ok(each_once(&inner, 5), "a loop inside a piece runs all its pieces");

	static struct counts a, b;
	a.n = b.n = N;
	pthread_t t;
	pthread_create(&t, NULL, loops, &a);
	loops(&b);
	pthread_join(t, NULL);
	ok(each_once(&a, 500) && each_once(&b, 500), "two threads' loops at once each run every piece");

	bool covered = true;
	for (size_t total = 0; total < 200; total += 13)
		for (int pieces = 1; pieces <= 9; pieces++) {
			size_t expect = 0, smallest = (size_t)-1, largest = 0;
			for (int i = 0; i < pieces; i++) {
				size_t begin, end;
				ul_parallel_piece(total, pieces, i, &begin, &end);
				covered = covered && begin == expect && end >= begin;
				expect = end;
				smallest = end - begin < smallest ? end - begin : smallest;
				largest = end - begin > largest ? end - begin : largest;
			}
			covered = covered && expect == total && largest - smallest <= 1;
		}
	ok(covered, "pieces cover a range in order, without gaps, within one item of each other");
	is_int(ul_parallel_pieces(1000, 100), 10, "pieces of at least the grain");
	is_int(ul_parallel_pieces(50, 100), 1, "at least one piece");
	is_int(ul_parallel_pieces((size_t)1 << 30, 1), 64, "at most 64 pieces");
	return done_testing();
}
