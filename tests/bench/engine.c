/* How fast the engine trains on the CPU: one forward and backward pass of
 * a YOLO26 detector (nc 3, as the peer's synthetic set) per step, timed over
 * a few steps after a warm-up, each model in a child process so its peak
 * RSS is its own. Printed against two baselines measured in this same run:
 * an OpenBLAS SGEMM of a typical shape (the ceiling any conv can reach
 * here), and Ultralytics on the same model and shape (peer_engine.py,
 * PyTorch's CPU path, a thread per core) when UL_PEER names its source
 * folder and UL_PEER_PYTHON (default python3) can import torch: its bare
 * forward and backward, the like-for-like ratio, and its whole training
 * step (loss, optimizer, EMA too), the rate issue 5 quotes as the
 * yardstick ("trains at"). Without the peer, yolo26n is compared with the
 * figures issue 5 quotes for that training on a 2-core machine (13.6
 * images/s and 2.0 GB at imgsz 320, batch 16), and says so. Both sides
 * count the fastest of their steps after a warm-up: neighbours on a shared
 * machine only ever add time, and a mean carries whatever they took.
 *
 * usage: engine [IMGSZ [BATCH [STEPS [SCALES]]]]   defaults 320 16 3 ns */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/yaml_load.h"
#include "nn/init.h"
#include "nn/net.h"

#define QUOTED_IMAGES_PER_S 13.6
#define QUOTED_PEAK_MB 2000.0

/* The baselines one model is compared with: images/s of the peer's bare
 * pass (0 when only quoted) and of its training step. */
struct peer {
	double pass_per_s, train_per_s, peak_mb;
	const char *basis;  /* "measured" or "quoted" */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* GFLOP/s of an SGEMM the size of a mid-network 3x3 conv at imgsz 320,
 * batch 16: (64 x 576) by (576 x 25600). */
static double gemm_ceiling(void)
{
	const int m = 64, k = 576, n = 25600;
	float *a = calloc((size_t)m * k, sizeof *a), *b = calloc((size_t)k * n, sizeof *b), *c = calloc((size_t)m * n, sizeof *c);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
	double t0 = now();
	int reps = 10;
	for (int r = 0; r < reps; r++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
	double gflops = 2.0 * m * n * k * reps / (now() - t0) / 1e9;
	free(a), free(b), free(c);
	return gflops;
}

/* Ultralytics on the same model and shape, or the quoted figures for
 * yolo26n at 320x16 when it cannot be run; train_per_s 0 when neither. */
static struct peer peer_for(char scale, int imgsz, int batch, int steps)
{
	const char *source = getenv("UL_PEER"), *python = getenv("UL_PEER_PYTHON");
	if (source && *source) {
		char command[4096];
		snprintf(command, sizeof command, "YOLO_OFFLINE=1 '%s' tests/bench/peer_engine.py '%s' %c %d %d %d 2>/dev/null",
			 python && *python ? python : "python3", source, scale, imgsz, batch, steps);
		FILE *p = popen(command, "r");
		struct peer measured = { 0, 0, 0, "measured" };
		char line[256];
		while (p && fgets(line, sizeof line, p))
			sscanf(line, "%lf %lf %lf", &measured.pass_per_s, &measured.train_per_s, &measured.peak_mb);
		if (p && pclose(p) == 0 && measured.pass_per_s > 0 && measured.train_per_s > 0)
			return measured;
		fprintf(stderr, "engine: the peer at %s did not run; comparing with quoted figures\n", source);
	}
	if (scale == 'n' && imgsz == 320 && batch == 16)
		return (struct peer){ 0, QUOTED_IMAGES_PER_S, QUOTED_PEAK_MB, "quoted" };
	return (struct peer){ 0, 0, 0, "none" };
}

/* One model's run, in this (child) process. */
static int run(char scale, int imgsz, int batch, int steps, double ceiling)
{
	jv yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml"), err = jv_invalid();
	struct ul_graph g;
	struct ul_weights w;
	struct ul_net net;
	if (ul_graph_build(&g, yaml, scale, 3, imgsz, &err) || ul_weights_alloc(&w, &g) ||
	    ul_net_create(&net, &g, &w, batch, imgsz, imgsz, 0, &err)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "engine: yolo26%c: %s\n", scale, jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		return 1;
	}
	jv_free(yaml);
	ul_init_weights(&g, w.params, w.buffers, 0);
	size_t pixels = (size_t)batch * imgsz * imgsz * 3;
	float *images = malloc(sizeof *images * pixels);
	for (size_t i = 0; i < pixels; i++)
		images[i] = (float)(i % 251) / 251;
	double seconds = 1e30;
	for (int step = 0; step <= steps; step++) {
		double t0 = now();
		ul_net_forward(&net, images, true);
		for (int k = 0; k < net.noutputs; k++) {
			struct ul_net_output *o = &net.outputs[k];
			size_t n = (size_t)o->n * o->h * o->w * o->c;
			for (size_t i = 0; i < n; i++)
				o->grad[i] = 1e-3f * (float)((i % 7) - 3);
		}
		ul_net_backward(&net);
		/* step 0 warms caches and page-faults the arena in */
		if (step > 0 && now() - t0 < seconds)
			seconds = now() - t0;
	}
	double images_per_s = batch / seconds;
	/* a training step costs about three forward passes */
	double gflops = 3 * g.gflops * images_per_s;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double peak_mb = ru.ru_maxrss / 1024.0;
	printf("yolo26%c  imgsz %d batch %d: %.3f s/step  %.1f images/s  %.1f GFLOP/s (%.0f%% of the SGEMM ceiling)  "
	       "peak RSS %.0f MB, arena %.0f MB\n",
	       scale, imgsz, batch, seconds, images_per_s, gflops, 100 * gflops / ceiling, peak_mb,
	       ul_net_floats(&net) * sizeof(float) / 1048576.0);
	free(images);
	ul_net_free(&net);
	ul_weights_free(&w);
	ul_graph_free(&g);
	/* the peer after ours, so the two never share the machine */
	fflush(stdout);
	struct peer peer = peer_for(scale, imgsz, batch, steps);
	if (peer.pass_per_s > 0)
		printf("         Ultralytics (%s) forward + backward: %.1f images/s  ->  ours %.2fx (like for like)\n",
		       peer.basis, peer.pass_per_s, images_per_s / peer.pass_per_s);
	if (peer.train_per_s > 0)
		printf("         Ultralytics (%s) training step: %.1f images/s, peak RSS %.0f MB  ->  ours %.2fx its speed "
		       "(issue 5's yardstick), %.2fx its memory\n",
		       peer.basis, peer.train_per_s, peer.peak_mb, images_per_s / peer.train_per_s, peak_mb / peer.peak_mb);
	fflush(stdout);  /* the child leaves by _exit */
	return 0;
}

int main(int argc, char **argv)
{
	int imgsz = argc > 1 ? atoi(argv[1]) : 320, batch = argc > 2 ? atoi(argv[2]) : 16;
	int steps = argc > 3 ? atoi(argv[3]) : 3;
	const char *scales = argc > 4 ? argv[4] : "ns";
	if (imgsz < 32 || batch < 1 || steps < 1) {
		fprintf(stderr, "usage: engine [IMGSZ [BATCH [STEPS [SCALES]]]]\n");
		return 2;
	}
	double ceiling = gemm_ceiling();
	printf("engine: SGEMM ceiling on this machine %.1f GFLOP/s (the same run's baseline)\n", ceiling);
	fflush(stdout);
	int rc = 0;
	for (const char *s = scales; *s; s++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(run(*s, imgsz, batch, steps, ceiling));
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	}
	return rc;
}
