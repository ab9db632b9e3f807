/* The two smoothings Ultralytics draws: a Gaussian for the training
 * curves (scipy's gaussian_filter1d: kernel to 4 sigma, edges mirrored)
 * and a box filter for the mean F1, P and R curves (its smooth(): an odd
 * window of about a fraction f of the points, edges held). */
#ifndef UL_PLOT_SMOOTH_H
#define UL_PLOT_SMOOTH_H

/* n values of y into out (not y). Non-finite values spread as they would
 * in numpy. 0, or -1 when out of memory. */
int ul_smooth_gaussian(const double *y, int n, double sigma, double *out);
void ul_smooth_box(const double *y, int n, double f, double *out);

#endif
