/* The Bottleneck: its forward is two Conv modules and the shortcut, and
 * every gradient (input, both convs' weights and BatchNorm parameters)
 * matches finite differences. Tolerance 2e-3 relative, as for the ops. */
#include "nn/bottleneck.h"
#include "conv_params.h"
#include "tap.h"

struct probe {
	struct ul_bottleneck *b;
	float *x, *y, *saved, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_bottleneck_forward(p->b, p->x, p->y, p->saved, p->ws, true);
	return dot(p->y, p->r, p->ny);
}

static void run(int c1, int c2, int hidden, bool shortcut, const char *name)
{
	const int n = 2, h = 4, w = 5;
	struct ul_bottleneck b = { .add = shortcut && c1 == c2 };
	struct conv_params *p1 = random_conv(&b.cv1, (struct ul_conv2d){ n, h, w, c1, hidden, 3, 1, 1, 1 }, true);
	struct conv_params *p2 = random_conv(&b.cv2, (struct ul_conv2d){ n, h, w, hidden, c2, 3, 1, 1, 1 }, true);
	size_t nx = (size_t)n * h * w * c1, ny = (size_t)n * h * w * c2, nh = (size_t)n * h * w * hidden;
	float *x = randoms(nx, 0, 1), *r = randoms(ny, 0, 1), *y = malloc(sizeof *y * ny), *dx = malloc(sizeof *dx * nx);
	float *saved = malloc(sizeof *saved * ul_bottleneck_saved(&b)), *ws = malloc(sizeof *ws * ul_bottleneck_workspace(&b));

	/* forward: the two modules by hand (same parameters, their own saved state) */
	float *hid = malloc(sizeof *hid * nh), *want = malloc(sizeof *want * ny);
	float *s1 = malloc(sizeof *s1 * ul_conv_module_saved(&b.cv1)), *s2 = malloc(sizeof *s2 * ul_conv_module_saved(&b.cv2));
	ul_conv_module_forward(&b.cv1, x, hid, s1, ws, false);
	ul_conv_module_forward(&b.cv2, hid, want, s2, ws, false);
	for (size_t i = 0; b.add && i < ny; i++)
		want[i] += x[i];
	ul_bottleneck_forward(&b, x, y, saved, ws, false);
	ok(!memcmp(y, want, sizeof *y * ny), "%s: forward is cv2(cv1(x))%s", name, b.add ? " + x" : "");

	ul_bottleneck_forward(&b, x, y, saved, ws, true);
	ul_bottleneck_backward(&b, x, saved, r, dx, ws);
	struct probe pr = { &b, x, y, saved, ws, r, ny };
	size_t nw1 = (size_t)hidden * c1 * 9, nw2 = (size_t)c2 * hidden * 9;
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, p1->w, p1->dw, nw1) < 2e-3, "%s: cv1's dweight matches", name);
	ok(fd_worst(loss, &pr, p2->w, p2->dw, nw2) < 2e-3, "%s: cv2's dweight matches", name);
	ok(fd_worst(loss, &pr, p1->gamma, p1->dg, (size_t)hidden) < 2e-3, "%s: cv1's dgamma matches", name);
	ok(fd_worst(loss, &pr, p2->beta, p2->db, (size_t)c2) < 2e-3, "%s: cv2's dbeta matches", name);
	free_random_convs();
	free(x), free(r), free(y), free(dx), free(saved), free(ws), free(hid), free(want), free(s1), free(s2);
}

int main(void)
{
	run(4, 4, 2, true, "shortcut (c1 == c2, e 0.5)");
	run(4, 4, 4, false, "shortcut off (e 1.0)");
	run(3, 5, 2, true, "c1 != c2: no shortcut");
	return done_testing();
}
