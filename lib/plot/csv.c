#include "plot/csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/grow.h"

void ul_csv_free(struct ul_csv *t)
{
	for (int i = 0; t->names && i < t->cols; i++)
		free(t->names[i]);
	free(t->names), free(t->v);
	*t = (struct ul_csv){ 0 };
}

/* The field from s to the next comma or the end, without its spaces,
 * ended in place; s moves past the comma, or to NULL after the last. */
static char *field(char **s)
{
	char *start = *s, *comma = strchr(start, ',');
	*s = comma ? comma + 1 : NULL;
	if (comma)
		*comma = '\0';
	while (*start == ' ' || *start == '\t')
		start++;
	char *end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return start;
}

static int count_fields(const char *line)
{
	int n = 1;
	for (; *line; line++)
		n += *line == ',';
	return n;
}

static int header(char *line, struct ul_csv *t, const char *path, int no, jv *err)
{
	int n = count_fields(line);
	t->names = calloc((size_t)n, sizeof *t->names);
	if (!t->names)
		return ul_invalid(err, "%s: out of memory", path);
	for (char *s = line; s && t->cols < n;) {
		const char *name = field(&s);
		if (!*name)
			return ul_invalid(err, "%s line %d: column %d has no name", path, no, t->cols + 1);
		if (!(t->names[t->cols++] = strdup(name)))
			return ul_invalid(err, "%s: out of memory", path);
	}
	return 0;
}

static int row(char *line, struct ul_csv *t, size_t *cap, const char *path, int no, jv *err)
{
	int n = count_fields(line);
	if (n != t->cols)
		return ul_invalid(err, "%s line %d: %d fields where the header names %d (is the file cut short?)", path, no, n,
				  t->cols);
	if (ul_grow(&t->v, cap, (size_t)(t->rows + 1) * t->cols, sizeof *t->v))
		return ul_invalid(err, "%s: out of memory", path);
	double *v = t->v + (size_t)t->rows * t->cols;
	char *s = line;
	for (int k = 0; k < n; k++) {
		const char *text = field(&s);
		char *end;
		v[k] = *text ? strtod(text, &end) : NAN;
		if (*text && *end)
			return ul_invalid(err, "%s line %d: \"%.24s\" in column %s is not a number", path, no, text, t->names[k]);
	}
	t->rows++;
	return 0;
}

static int parse(char *text, struct ul_csv *t, const char *path, jv *err)
{
	size_t cap = 0;
	int no = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		no++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strspn(line, " \t") == len)
			continue;
		if (!t->names ? header(line, t, path, no, err) : row(line, t, &cap, path, no, err))
			return -1;
	}
	if (!t->names)
		return ul_invalid(err, "%s: the file is empty (no header line)", path);
	if (!t->rows)
		return ul_invalid(err, "%s: no rows under the header", path);
	return 0;
}

int ul_csv_read(const char *path, struct ul_csv *t, jv *err)
{
	*t = (struct ul_csv){ 0 };
	size_t len;
	errno = 0;
	char *raw = ul_read_file(path, &len);
	if (!raw)
		return ul_invalid(err, "%s: %s", path, errno ? strerror(errno) : "it could not be read");
	char *text = memchr(raw, '\0', len) ? NULL : malloc(len + 1);
	if (!text) {
		int binary = memchr(raw, '\0', len) != NULL;
		free(raw);
		return ul_invalid(err, "%s: %s", path, binary ? "not a CSV file (it holds NUL bytes)" : "out of memory");
	}
	memcpy(text, raw, len), text[len] = '\0';
	free(raw);
	int rc = parse(text, t, path, err);
	free(text);
	if (rc)
		ul_csv_free(t);
	return rc;
}
