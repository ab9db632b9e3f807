/* Channel concat of NHWC tensors (torch.cat(dim=1) on NCHW), and the split
 * that C2f/C3k2 and C2PSA do with chunk(2, 1): one operation read in either
 * direction, so each one's backward is the other's forward.
 *
 * Part i is a channel slice of the whole: channels [offset_i, offset_i + c_i)
 * of every pixel, pixels ul_concat_channels() floats apart. A later version
 * can skip the copies by letting the producer of a part write straight into
 * its slice (conv2d's GEMM already writes with a pixel stride, its ldc) and
 * the consumers of a split read from theirs; ul_channels_copy is the strided
 * move that then disappears. */
#ifndef UL_NN_CONCAT_H
#define UL_NN_CONCAT_H

#include <stddef.h>

struct ul_concat {
	size_t pixels;    /* n * h * w, the same for every part */
	int nparts;
	const int *c;     /* channels of each part */
};

/* Channels of the whole. */
int ul_concat_channels(const struct ul_concat *cat);

/* A concat of parts equal parts of c channels each over pixels: what
 * C3k, C3k2, C2PSA and SPPF split and join. channels needs parts slots and
 * must live as long as the result. */
struct ul_concat ul_concat_equal(size_t pixels, int parts, int c, int *channels);

/* Copies c channels per pixel from src to dst, whose pixels lie src_stride
 * and dst_stride floats apart. */
void ul_channels_copy(size_t pixels, int c, const float *src, int src_stride, float *dst, int dst_stride);

/* y = concat(x[0], ..., x[nparts - 1]) along channels. */
void ul_concat_forward(const struct ul_concat *cat, const float *const *x, float *y);

/* dx[i] (overwritten; NULL to skip, as for a part that needs no gradient)
 * = part i's slice of dy. */
void ul_concat_backward(const struct ul_concat *cat, const float *dy, float *const *dx);

/* The same two, named for a split of x into parts y[i]: forward is the
 * concat's backward, backward (dx overwritten) the concat's forward. */
void ul_split_forward(const struct ul_concat *cat, const float *x, float *const *y);
void ul_split_backward(const struct ul_concat *cat, const float *const *dy, float *dx);

#endif
