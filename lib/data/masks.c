#include "data/masks.h"

#include <stdlib.h>
#include <string.h>

#include "data/letterbox.h"

/* OpenCV's drawing fixed point: x carries 16 fractional bits. */
#define XY_SHIFT 16
#define XY_ONE ((int64_t)1 << XY_SHIFT)

/* Coordinates are clamped to +-2^20: x * 2^16 times a row count stays
 * under 2^63 in every product below. */
#define COORD_LIMIT ((int64_t)1 << 20)

struct point {
	int64_t x, y;
};

/* Where pixels go: w x h of them, `step` bytes apart along a row, rows
 * w * step bytes apart (step 3: one channel of an RGB buffer). */
struct plane {
	unsigned char *p;
	int w, h;
	size_t step;
};

/* One non-horizontal edge: rows [y0, y1), x (16.16) at y0 and per row. */
struct edge {
	int64_t y0, y1, x, dx;
};

/* A fill's working memory for polygons of up to n points. */
struct scratch {
	struct edge *edges;
	int *active;
	int64_t *xs;
};

static int scratch_init(struct scratch *s, int n)
{
	size_t count = n > 0 ? (size_t)n : 1;
	s->edges = malloc(sizeof *s->edges * count);
	s->active = malloc(sizeof *s->active * count);
	s->xs = malloc(sizeof *s->xs * count);
	return s->edges && s->active && s->xs ? 0 : -1;
}

static void scratch_free(struct scratch *s)
{
	free(s->edges), free(s->active), free(s->xs);
}

/* numpy's astype(np.int32) of a float32 pixel: toward zero (NaN to the
 * far negative side, where numpy's cast also lands it). */
static int64_t to_int(float v)
{
	if (!(v > -(float)COORD_LIMIT))
		return -COORD_LIMIT;
	return v > (float)COORD_LIMIT ? COORD_LIMIT : (int64_t)v;
}

static bool inside(const struct plane *m, struct point a)
{
	return a.x >= 0 && a.x < m->w && a.y >= 0 && a.y < m->h;
}

/* Cohen-Sutherland outcode against [0, right] x [0, bottom]. */
static int outcode(struct point a, int64_t right, int64_t bottom)
{
	return (a.x < 0) + (a.x > right) * 2 + (a.y < 0) * 4 + (a.y > bottom) * 8;
}

/* OpenCV's clipLine: the segment cut to the w x h plane, first to its rows
 * then to its columns, each end moved along the line by a truncating
 * integer division (the second end with the first already moved); false
 * when the segment misses the plane. */
static bool clip_line(int64_t w, int64_t h, struct point *a, struct point *b)
{
	int64_t right = w - 1, bottom = h - 1;
	int ca = outcode(*a, right, bottom), cb = outcode(*b, right, bottom);
	if ((ca & cb) != 0 || (ca | cb) == 0)
		return (ca | cb) == 0;
	if (ca & 12) {
		int64_t y = ca < 8 ? 0 : bottom;
		a->x += (y - a->y) * (b->x - a->x) / (b->y - a->y);
		a->y = y;
		ca = (a->x < 0) + (a->x > right) * 2;
	}
	if (cb & 12) {
		int64_t y = cb < 8 ? 0 : bottom;
		b->x += (y - b->y) * (b->x - a->x) / (b->y - a->y);
		b->y = y;
		cb = (b->x < 0) + (b->x > right) * 2;
	}
	if ((ca & cb) == 0 && (ca | cb) != 0) {
		if (ca) {
			int64_t x = ca == 1 ? 0 : right;
			a->y += (x - a->x) * (b->y - a->y) / (b->x - a->x);
			a->x = x;
			ca = 0;
		}
		if (cb) {
			int64_t x = cb == 1 ? 0 : right;
			b->y += (x - b->x) * (b->y - a->y) / (b->x - a->x);
			b->x = x;
			cb = 0;
		}
	}
	return (ca | cb) == 0;
}

static void put(const struct plane *m, int64_t x, int64_t y, unsigned char colour)
{
	/* clip_line leaves a drawn line's ends inside (so millions of random
	 * segments say; OpenCV relies on it): this keeps a polygon in a
	 * label from ever writing past the mask if not */
	if (x >= 0 && x < m->w && y >= 0 && y < m->h)
		m->p[((size_t)y * m->w + (size_t)x) * m->step] = colour;
}

/* OpenCV's 8-connected line (LineIterator, left to right): clipped first
 * when an end is outside; along the longer axis one pixel a step, a step
 * across too whenever the error, from major - 2 minor, is negative. */
static void draw_line(const struct plane *m, struct point a, struct point b, unsigned char colour)
{
	if ((!inside(m, a) || !inside(m, b)) && !clip_line(m->w, m->h, &a, &b))
		return;
	if (b.x < a.x) {
		struct point t = a;
		a = b, b = t;
	}
	int64_t dx = b.x - a.x, dy = b.y - a.y, sy = dy < 0 ? -1 : 1;
	dy *= sy;
	bool steep = dy > dx;
	int64_t major = steep ? dy : dx, minor = steep ? dx : dy, err = major - 2 * minor;
	int64_t x = a.x, y = a.y;
	for (int64_t k = 0; k <= major; k++) {
		put(m, x, y, colour);
		bool across = err < 0;
		err += -2 * minor + (across ? 2 * major : 0);
		if (steep)
			y += sy, x += across;
		else
			x++, y += across ? sy : 0;
	}
}

/* OpenCV 4.6's CollectPolyEdges for lineType 8, shift 0: draws every edge,
 * and keeps the non-horizontal ones with their own ends, however far
 * outside (later versions take an edge's slope from its clipped ends). */
static int collect_edges(const struct plane *m, const float *xy, int n, unsigned char colour, struct edge *edges)
{
	int count = 0;
	struct point p0 = { to_int(xy[2 * (n - 1)]), to_int(xy[2 * (n - 1) + 1]) };
	for (int i = 0; i < n; i++) {
		struct point p1 = { to_int(xy[2 * i]), to_int(xy[2 * i + 1]) };
		draw_line(m, p0, p1, colour);
		if (p0.y != p1.y) {
			struct edge *e = &edges[count++];
			e->dx = (p1.x - p0.x) * XY_ONE / (p1.y - p0.y);
			bool down = p0.y < p1.y;
			e->y0 = down ? p0.y : p1.y, e->y1 = down ? p1.y : p0.y;
			e->x = (down ? p0.x : p1.x) * XY_ONE;
		}
		p0 = p1;
	}
	return count;
}

static int by_top(const void *a, const void *b)
{
	int64_t ya = ((const struct edge *)a)->y0, yb = ((const struct edge *)b)->y0;
	return (ya > yb) - (ya < yb);
}

/* OpenCV's FillEdgeCollection: on each row the active edges' x sorted and
 * filled in pairs, ceiling to floor, clipped to the plane. */
static void fill_edges(const struct plane *m, struct scratch *s, int count, unsigned char colour)
{
	if (count < 2)
		return;
	qsort(s->edges, (size_t)count, sizeof *s->edges, by_top);
	int64_t bottom = 0;
	for (int i = 0; i < count; i++)
		bottom = s->edges[i].y1 > bottom ? s->edges[i].y1 : bottom;
	bottom = bottom < m->h ? bottom : m->h;
	int next = 0, live = 0;
	for (int64_t y = s->edges[0].y0 > 0 ? s->edges[0].y0 : 0; y < bottom; y++) {
		while (next < count && s->edges[next].y0 <= y)
			s->active[live++] = next++;
		int kept = 0;
		for (int i = 0; i < live; i++) {
			const struct edge *e = &s->edges[s->active[i]];
			if (e->y1 <= y)
				continue;
			s->active[kept] = s->active[i];
			int64_t x = e->x + (y - e->y0) * e->dx;
			int k = kept++;
			for (; k > 0 && s->xs[k - 1] > x; k--)
				s->xs[k] = s->xs[k - 1];
			s->xs[k] = x;
		}
		live = kept;
		unsigned char *row = m->p + (size_t)y * m->w * m->step;
		for (int i = 0; i + 1 < live; i += 2) {
			int64_t x1 = (s->xs[i] + XY_ONE - 1) >> XY_SHIFT, x2 = s->xs[i + 1] >> XY_SHIFT;
			if (x1 >= m->w || x2 < 0)
				continue;
			x1 = x1 < 0 ? 0 : x1;
			x2 = x2 >= m->w ? m->w - 1 : x2;
			for (int64_t x = x1; x <= x2; x++)
				row[(size_t)x * m->step] = colour;
		}
	}
}

static void fill(const struct plane *m, const float *xy, int n, unsigned char colour, struct scratch *s)
{
	if (n > 0)
		fill_edges(m, s, collect_edges(m, xy, n, colour, s->edges), colour);
}

int ul_fill_polygon(unsigned char *mask, int w, int h, const float *xy, int n, unsigned char colour)
{
	struct scratch s;
	int rc = scratch_init(&s, n);
	if (!rc)
		fill(&(struct plane){ mask, w, h, 1 }, xy, n, colour, &s);
	scratch_free(&s);
	return rc;
}

/* An instance's mask, by its pixel count. */
struct area {
	uint64_t pixels;
	int index;
};

/* np.argsort(-areas) of uint64 areas: an empty mask's key is 0, the
 * smallest, the others' 2^64 - area, largest first; ties by index. */
static int by_negated_area(const void *pa, const void *pb)
{
	const struct area *a = pa, *b = pb;
	uint64_t ka = -a->pixels, kb = -b->pixels;
	return ka != kb ? (ka > kb) - (ka < kb) : (a->index > b->index) - (a->index < b->index);
}

/* polygons2masks_overlap's running maximum: pixel = k + 1 for the last
 * instance in order covering it. */
static int overlap_masks(const unsigned char *each, int n, size_t plane, uint16_t *mask, int *order)
{
	struct area *areas = malloc(sizeof *areas * (size_t)n);
	if (!areas)
		return -1;
	for (int i = 0; i < n; i++) {
		areas[i] = (struct area){ 0, i };
		for (size_t p = 0; p < plane; p++)
			areas[i].pixels += each[(size_t)i * plane + p];
	}
	qsort(areas, (size_t)n, sizeof *areas, by_negated_area);
	for (int k = 0; k < n; k++) {
		order[k] = areas[k].index;
		const unsigned char *m = each + (size_t)order[k] * plane;
		for (size_t p = 0; p < plane; p++)
			if (m[p])
				mask[p] = (uint16_t)(k + 1);
	}
	free(areas);
	return 0;
}

/* Each polygon filled with 1 at full size and shrunk by cv2.resize; the
 * three channels of one RGB buffer carry three instances through one
 * resize (OpenCV resizes channels apart). Into each: n small masks. */
static int shrink_polygons(const struct ul_sample *s, int mw, int mh, unsigned char *each)
{
	int w = s->img.w, h = s->img.h;
	size_t plane = (size_t)mw * mh, points = (size_t)s->seg_points * 2;
	unsigned char *full = malloc((size_t)w * h * 3), *small = malloc(plane * 3);
	struct scratch scratch;
	int rc = scratch_init(&scratch, s->seg_points) || !full || !small ? -1 : 0;
	for (int first = 0; !rc && first < s->n; first += 3) {
		int count = s->n - first < 3 ? s->n - first : 3;
		memset(full, 0, (size_t)w * h * 3);
		for (int c = 0; c < count; c++)
			fill(&(struct plane){ full + c, w, h, 3 }, s->segments + points * (size_t)(first + c), s->seg_points, 1,
			     &scratch);
		rc = ul_resize_linear(full, w, h, (size_t)w * 3, small, mw, mh, (size_t)mw * 3);
		for (int c = 0; !rc && c < count; c++)
			for (size_t p = 0; p < plane; p++)
				each[(size_t)(first + c) * plane + p] = small[3 * p + (size_t)c];
	}
	scratch_free(&scratch);
	free(full);
	free(small);
	return rc;
}

int ul_sample_masks(const struct ul_sample *s, int mask_ratio, bool overlap, uint16_t *masks, int *order)
{
	int w = s->img.w, h = s->img.h, n = s->n;
	if (mask_ratio < 1 || mask_ratio > w || mask_ratio > h || (overlap && n > UL_MASK_MAX_INSTANCES))
		return -1;
	int mw = w / mask_ratio, mh = h / mask_ratio;
	size_t plane = (size_t)mw * mh;
	for (int i = 0; i < n; i++)
		order[i] = i;
	if (overlap)
		memset(masks, 0, plane * sizeof *masks);
	if (n == 0)
		return 0;
	unsigned char *each = malloc(plane * (size_t)n);
	int rc = each ? shrink_polygons(s, mw, mh, each) : -1;
	if (!rc && overlap)
		rc = overlap_masks(each, n, plane, masks, order);
	else if (!rc)
		for (size_t p = 0; p < plane * (size_t)n; p++)
			masks[p] = each[p];
	free(each);
	return rc;
}
