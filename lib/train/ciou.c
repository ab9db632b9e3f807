#include "train/ciou.h"

#include <math.h>
#include <stddef.h>

#define EPS 1e-7

double ul_ciou(const double a[4], const double b[4], double grad_a[4])
{
	double w1 = a[2] - a[0], h1 = a[3] - a[1] + EPS, w2 = b[2] - b[0], h2 = b[3] - b[1] + EPS;
	double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]), ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
	double cw_ = iw > 0 ? iw : 0, ch_ = ih > 0 ? ih : 0, inter = cw_ * ch_;
	double uni = w1 * h1 + w2 * h2 - inter + EPS, iou = inter / uni;
	double cw = fmax(a[2], b[2]) - fmin(a[0], b[0]), ch = fmax(a[3], b[3]) - fmin(a[1], b[1]);
	double c2 = cw * cw + ch * ch + EPS;
	double dx = b[0] + b[2] - a[0] - a[2], dy = b[1] + b[3] - a[1] - a[3], rho2 = (dx * dx + dy * dy) / 4;
	double k = 4 / (M_PI * M_PI), angle = atan(w2 / h2) - atan(w1 / h1), v = k * angle * angle;
	double alpha = v / (v - iou + (1 + EPS));
	double ciou = iou - (rho2 / c2 + v * alpha);
	if (!grad_a)
		return ciou;

	/* the intersection's sides move with a's coordinate only where a's
	 * side is the inner one; the enclosing box's where a's is the outer */
	double dinter[4] = {
		iw > 0 && ih > 0 && a[0] > b[0] ? -ch_ : 0, iw > 0 && ih > 0 && a[1] > b[1] ? -cw_ : 0,
		iw > 0 && ih > 0 && a[2] < b[2] ? ch_ : 0, iw > 0 && ih > 0 && a[3] < b[3] ? cw_ : 0,
	};
	double darea[4] = { -h1, -w1, h1, w1 };  /* of w1 h1 */
	double dcw[4] = { a[0] < b[0] ? -1 : 0, 0, a[2] > b[2] ? 1 : 0, 0 };
	double dch[4] = { 0, a[1] < b[1] ? -1 : 0, 0, a[3] > b[3] ? 1 : 0 };
	double drho2[4] = { -dx / 2, -dy / 2, -dx / 2, -dy / 2 };
	/* v through atan(w1 / h1): d/dw1 = h1 / (w1^2 + h1^2), d/dh1 = -w1 / (...) */
	double r = w1 * w1 + h1 * h1, dv_dw1 = -2 * k * angle * h1 / r, dv_dh1 = 2 * k * angle * w1 / r;
	double dv[4] = { -dv_dw1, -dv_dh1, dv_dw1, dv_dh1 };
	for (int i = 0; i < 4; i++) {
		double dunion = darea[i] - dinter[i];
		double diou = (dinter[i] * uni - inter * dunion) / (uni * uni);
		double dc2 = 2 * cw * dcw[i] + 2 * ch * dch[i];
		double ddist = (drho2[i] * c2 - rho2 * dc2) / (c2 * c2);
		grad_a[i] = diou - ddist - alpha * dv[i];
	}
	return ciou;
}
