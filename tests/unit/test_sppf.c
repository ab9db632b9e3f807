/* SPPF: its forward is cv1, three chained max pools, concat, cv2 and the
 * shortcut; its gradients match finite differences through the pools'
 * chain and both convs. Tolerance 2e-3 relative, as for the ops. */
#include "nn/concat.h"
#include "nn/maxpool.h"
#include "nn/sppf.h"
#include "conv_params.h"
#include "tap.h"

struct probe {
	struct ul_sppf *s;
	float *x, *y, *saved, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_sppf_forward(p->s, p->x, p->y, p->saved, p->ws, true);
	return dot(p->y, p->r, p->ny);
}

int main(void)
{
	const int n = 1, h = 6, w = 5, c1 = 8, half = 4;
	struct ul_sppf s = { .pool_k = 5, .add = true };
	struct conv_params *p1 = random_conv(&s.cv1, (struct ul_conv2d){ n, h, w, c1, half, 1, 1, 0, 1 }, false);
	struct conv_params *p2 = random_conv(&s.cv2, (struct ul_conv2d){ n, h, w, 4 * half, c1, 1, 1, 0, 1 }, true);
	size_t nx = (size_t)n * h * w * c1, nh = (size_t)n * h * w * half;
	float *x = randoms(nx, 0, 1), *r = randoms(nx, 0, 1), *y = malloc(sizeof *y * nx), *dx = malloc(sizeof *dx * nx);
	float *saved = malloc(sizeof *saved * ul_sppf_saved(&s)), *ws = malloc(sizeof *ws * ul_sppf_workspace(&s));

	/* by hand, in eval */
	float *maps[4], *cat = malloc(sizeof *cat * 4 * nh), *want = malloc(sizeof *want * nx);
	float *s1 = malloc(sizeof *s1 * ul_conv_module_saved(&s.cv1)), *s2 = malloc(sizeof *s2 * ul_conv_module_saved(&s.cv2));
	for (int i = 0; i < 4; i++)
		maps[i] = malloc(sizeof(float) * nh);
	struct ul_maxpool pool = { n, h, w, half, 5, 1, 2 };
	ul_conv_module_forward(&s.cv1, x, maps[0], s1, ws, false);
	for (int i = 0; i < 3; i++)
		ul_maxpool_forward(&pool, maps[i], maps[i + 1], NULL);
	int channels[4] = { half, half, half, half };
	struct ul_concat cc = { (size_t)n * h * w, 4, channels };
	ul_concat_forward(&cc, (const float *const *)maps, cat);
	ul_conv_module_forward(&s.cv2, cat, want, s2, ws, false);
	for (size_t i = 0; i < nx; i++)
		want[i] += x[i];
	ul_sppf_forward(&s, x, y, saved, ws, false);
	ok(!memcmp(y, want, sizeof *y * nx), "forward is cv2(concat(cv1 x, 3 chained pools)) + x");

	ul_sppf_forward(&s, x, y, saved, ws, true);
	ul_sppf_backward(&s, x, saved, r, dx, ws);
	struct probe pr = { &s, x, y, saved, ws, r, nx };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "dx matches finite differences (through the pools' chain)");
	ok(fd_worst(loss, &pr, p1->w, p1->dw, p1->nw) < 2e-3, "cv1's dweight matches");
	ok(fd_worst(loss, &pr, p2->w, p2->dw, p2->nw) < 2e-3, "cv2's dweight matches");
	ok(fd_worst(loss, &pr, p1->gamma, p1->dg, (size_t)half) < 2e-3, "cv1's dgamma matches");
	ok(fd_worst(loss, &pr, p2->beta, p2->db, (size_t)c1) < 2e-3, "cv2's dbeta matches");

	free_random_convs();
	for (int i = 0; i < 4; i++)
		free(maps[i]);
	free(x), free(r), free(y), free(dx), free(saved), free(ws), free(cat), free(want), free(s1), free(s2);
	return done_testing();
}
