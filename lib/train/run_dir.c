#include "train/run_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/scalar.h"

/* --- the folder ------------------------------------------------------------- */

#define LAST_NUMBER 9998  /* increment_path tries range(2, 9999) */

/* Python's Path.suffix: from the last dot, unless the name starts there. */
static const char *suffix_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && dot != name && dot[1] ? dot : name + strlen(name);
}

/* Claims the first free folder of want, want-2, want-3 ... into out. */
static int claim(const char *want, char out[PATH_MAX], jv *err)
{
	struct stat st;
	bool file = stat(want, &st) == 0 && !S_ISDIR(st.st_mode);
	const char *slash = strrchr(want, '/'), *name = slash ? slash + 1 : want;
	const char *suffix = file ? suffix_of(name) : want + strlen(want);
	int stem = (int)(suffix - want);
	for (int n = 1; n <= LAST_NUMBER; n++) {
		if (n == 1)
			snprintf(out, PATH_MAX, "%s", want);
		else if (snprintf(out, PATH_MAX, "%.*s-%d%s", stem, want, n, suffix) >= PATH_MAX)
			return ul_invalid(err, "run folder %s: %s", want, strerror(ENAMETOOLONG));
		if (mkdir(out, 0777) == 0)
			return 0;
		if (errno != EEXIST)
			return ul_invalid(err, "cannot make the run folder %s: %s", out, strerror(errno));
	}
	return ul_invalid(err, "cannot make a run folder: %s and %.*s-2 to -%d%s all exist", want, stem, want, LAST_NUMBER,
			  suffix);
}

/* Makes want, or takes it as it is. */
static int reuse(const char *want, char out[PATH_MAX], jv *err)
{
	struct stat st;
	snprintf(out, PATH_MAX, "%s", want);
	if (mkdir(want, 0777) == 0 || (errno == EEXIST && stat(want, &st) == 0 && S_ISDIR(st.st_mode)))
		return 0;
	if (errno == EEXIST)
		return ul_invalid(err, "cannot use %s as the run folder: it is a file", want);
	return ul_invalid(err, "cannot make the run folder %s: %s", want, strerror(errno));
}

int ul_run_dir_create(struct ul_run_dir *d, const char *task, const char *project, const char *name, bool exist_ok,
		      jv *err)
{
	memset(d, 0, sizeof *d);
	char want[PATH_MAX], made[PATH_MAX];
	name = name && *name ? name : "train";
	int len = !project || !*project ? snprintf(want, sizeof want, "runs/%s/%s", task, name)
		  : project[0] == '/'   ? snprintf(want, sizeof want, "%s/%s", project, name)
					: snprintf(want, sizeof want, "runs/%s/%s/%s", task, project, name);
	if (len >= (int)sizeof want)
		return ul_invalid(err, "run folder %s: %s", want, strerror(ENAMETOOLONG));
	char *slash = strrchr(want, '/');
	*slash = '\0';
	if (ul_mkdirs(want, 0777) < 0)
		return ul_invalid(err, "cannot make the folder of runs %s: %s", want, strerror(errno));
	*slash = '/';
	if ((exist_ok ? reuse(want, made, err) : claim(want, made, err)) < 0)
		return -1;
	if (!realpath(made, d->path))
		return ul_invalid(err, "run folder %s: %s", made, strerror(errno));
	d->name = strrchr(d->path, '/') + 1;
	if (snprintf(d->weights, sizeof d->weights, "%s/weights", d->path) >= (int)sizeof d->weights)
		return ul_invalid(err, "run folder %s: %s", d->path, strerror(ENAMETOOLONG));
	if (ul_mkdirs(d->weights, 0777) < 0)
		return ul_invalid(err, "cannot make %s: %s", d->weights, strerror(errno));
	return 0;
}

/* --- args.yaml, as PyYAML's safe_dump ---------------------------------------- */

#define DIGITS "0123456789"

/* [eE][-+][0-9]+ to the end, or nothing. */
static bool exponent_ends(const char *q)
{
	if (!*q)
		return true;
	if ((*q != 'e' && *q != 'E') || (q[1] != '-' && q[1] != '+') || !strchr(DIGITS, q[2]) || !q[2])
		return false;
	q += 2;
	return !q[strspn(q, DIGITS)];
}

/* YYYY-MM-DD, or YYYY-M-D then T or spaces and H:MM:SS (what follows
 * unchecked). */
static bool timestamp(const char *s)
{
	size_t month = strspn(s, DIGITS) == 4 && s[4] == '-' ? strspn(s + 5, DIGITS) : 0;
	const char *day = s + 6 + month;
	size_t n = (month == 1 || month == 2) && day[-1] == '-' ? strspn(day, DIGITS) : 0;
	if (n != 1 && n != 2)
		return false;
	const char *t = day + n;
	if (!*t)
		return month == 2 && n == 2;
	if (*t == 'T' || *t == 't')
		t++;
	else
		t += strspn(t, " \t");
	size_t h = strspn(t, DIGITS);
	return t > day + n && (h == 1 || h == 2) && t[h] == ':' && strspn(t + h + 1, DIGITS) == 2 && t[h + 3] == ':' &&
	       strspn(t + h + 4, DIGITS) >= 2;
}

/* What PyYAML's YAML 1.1 resolver types and ul_scalar_parse does not:
 * ints with _ or a 0b/0x prefix, sexagesimals (1:30), floats with _,
 * timestamps, the merge and value keys. Such text is quoted to stay a
 * string. (POSIX regex is not at hand: libonig's regcomp shadows libc's.) */
static bool yaml11_typed(const char *s)
{
	if (!strcmp(s, "<<") || !strcmp(s, "="))
		return true;
	if (timestamp(s))
		return true;
	const char *p = s + (*s == '-' || *s == '+');
	if (p[0] == '0' && (p[1] == 'b' || p[1] == 'x')) {
		const char *set = p[1] == 'b' ? "01_" : DIGITS "abcdefABCDEF_";
		return p[2] && !p[2 + strspn(p + 2, set)];
	}
	if (*p == '.')
		return strchr(DIGITS, p[1]) && p[1] && exponent_ends(p + 1 + strspn(p + 1, DIGITS "_"));
	if (!*p || !strchr(DIGITS, *p))
		return false;
	const char *q = p + strspn(p, DIGITS "_");
	while (*q == ':') {  /* :[0-5]?[0-9] */
		size_t n = strspn(q + 1, DIGITS);
		if (n == 0 || n > 2 || (n == 2 && q[1] > '5'))
			return false;
		q += 1 + n;
	}
	if (!*q)
		return true;
	return *q == '.' && exponent_ends(q + 1 + strspn(q + 1, DIGITS "_"));
}

static bool blank(char c)
{
	return c == ' ' || c == '\0';
}

/* Whether PyYAML's analyze_scalar allows s plain in block context. */
static bool plain(const char *s, size_t len)
{
	if (!len || s[0] == ' ' || s[len - 1] == ' ' || !strncmp(s, "---", 3) || !strncmp(s, "...", 3))
		return false;
	if (strchr("#,[]{}&*!|>'\"%@`", s[0]) || ((s[0] == '-' || s[0] == '?' || s[0] == ':') && blank(s[1])))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c == ':' && blank(s[i + 1])) || (c == '#' && i && s[i - 1] == ' '))
			return false;
	}
	jv typed = ul_scalar_parse(s, len, UL_SCALAR_YAML);
	bool text = jv_get_kind(typed) == JV_KIND_STRING;
	jv_free(typed);
	return text && !yaml11_typed(s);
}

static void put_string(FILE *f, jv s)
{
	const char *text = jv_string_value(s);
	size_t len = (size_t)jv_string_length_bytes(jv_copy(s));
	bool control = false;
	for (size_t i = 0; i < len; i++)
		control |= (unsigned char)text[i] < 0x20 || text[i] == 0x7f;
	if (plain(text, len) && strlen(text) == len) {
		fputs(text, f);
	} else if (control || strlen(text) != len) {
		jv quoted = jv_dump_string(jv_copy(s), 0);  /* JSON's escapes are YAML's double-quoted ones */
		fputs(jv_string_value(quoted), f);
		jv_free(quoted);
	} else {
		fputc('\'', f);
		for (const char *p = text; *p; p++) {
			if (*p == '\'')
				fputc('\'', f);  /* doubled, YAML's only escape in single quotes */
			fputc(*p, f);
		}
		fputc('\'', f);
	}
}

/* repr(x) as PyYAML's represent_float writes it: the shortest digits that
 * read back to x, fixed from 1e-4 up to 1e16, else with an exponent; a
 * mantissa without a dot gets ".0". */
static void put_float(FILE *f, double x)
{
	if (isnan(x) || isinf(x)) {
		fputs(isnan(x) ? ".nan" : x > 0 ? ".inf" : "-.inf", f);
		return;
	}
	char e[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	char *mark = strchr(e, 'e'), digits[20];
	int exp = atoi(mark + 1), n = 0;
	for (char *p = e; p < mark; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	digits[n] = '\0';
	if (signbit(x))
		fputc('-', f);
	if (exp >= 16 || exp < -4) {
		fprintf(f, "%c.%se%c%02d", digits[0], n > 1 ? digits + 1 : "0", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		fprintf(f, "0.%.*s%s", -exp - 1, "0000", digits);
	} else {
		for (int i = 0; i <= exp; i++)
			fputc(i < n ? digits[i] : '0', f);
		fprintf(f, ".%s", n > exp + 1 ? digits + exp + 1 : "0");
	}
}

static void put_scalar(FILE *f, jv v, bool as_float)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		fputs("null", f);
		break;
	case JV_KIND_TRUE:
		fputs("true", f);
		break;
	case JV_KIND_FALSE:
		fputs("false", f);
		break;
	case JV_KIND_NUMBER: {
		double x = jv_number_value(v);
		if (!as_float && x == trunc(x) && fabs(x) < 1e16)
			fprintf(f, "%.0f", x);
		else
			put_float(f, x);
		break;
	}
	case JV_KIND_STRING:
		put_string(f, v);
		break;
	case JV_KIND_ARRAY:
		fputs("[]", f);  /* only empty ones come here */
		break;
	default:
		fputs("{}", f);
		break;
	}
}

static bool nested(jv v)
{
	jv_kind k = jv_get_kind(v);
	return (k == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) > 0) ||
	       (k == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) > 0);
}

static void put_block(FILE *f, jv v, int indent, jv schema);

/* A mapping's value after "key:", or a sequence item's after "-". */
static void put_value(FILE *f, jv v, int indent, bool in_map, bool as_float)
{
	if (!nested(v)) {
		fputc(' ', f);
		put_scalar(f, v, as_float);
		fputc('\n', f);
	} else if (in_map) {
		fputc('\n', f);
		/* PyYAML indents a mapping under its key, not a sequence */
		put_block(f, v, jv_get_kind(v) == JV_KIND_OBJECT ? indent + 2 : indent, jv_null());
	} else {
		/* a block in a sequence starts on the dash's line: written as if
		 * indented, its first indent replaced by "- " */
		char *text = NULL;
		size_t size = 0;
		FILE *m = open_memstream(&text, &size);
		if (m) {
			put_block(m, v, indent + 2, jv_null());
			fclose(m);
			fprintf(f, " %s", text + indent + 2);
		}
		free(text);
	}
}

static bool typed_float(jv schema, jv key)
{
	if (jv_get_kind(schema) != JV_KIND_OBJECT)
		return false;
	jv param = jv_object_get(jv_copy(schema), jv_copy(key));
	jv type = jv_get_kind(param) == JV_KIND_OBJECT ? jv_object_get(param, jv_string("type")) : (jv_free(param), jv_null());
	bool yes = jv_get_kind(type) == JV_KIND_STRING && strstr(jv_string_value(type), "float");
	jv_free(type);
	return yes;
}

static void put_block(FILE *f, jv v, int indent, jv schema)
{
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_object_foreach(v, key, value) {
			fprintf(f, "%*s", indent, "");
			put_string(f, key);
			fputc(':', f);
			put_value(f, value, indent, true, typed_float(schema, key));
			jv_free(key);
			jv_free(value);
		}
		return;
	}
	jv_array_foreach(v, i, item) {
		fprintf(f, "%*s-", indent, "");
		put_value(f, item, indent, false, false);
		jv_free(item);
		(void)i;
	}
}

int ul_run_dir_save_args(const struct ul_run_dir *d, jv args, jv schema, jv *err)
{
	if (jv_get_kind(args) != JV_KIND_OBJECT)
		return ul_invalid(err, "the run's arguments are not an object");
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/args.yaml", d->path);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	/* as Ultralytics' trainer: the name it got, and where it saves */
	jv all = jv_object_set(jv_copy(args), jv_string("name"), jv_string(d->name));
	all = jv_object_set(all, jv_string("save_dir"), jv_string(d->path));
	FILE *f = fopen(tmp, "w");
	bool ok = f != NULL;
	int error = errno;
	if (f) {
		put_block(f, all, 0, schema);
		ok = fflush(f) == 0 && !ferror(f);
		error = errno;
		if (fclose(f) != 0 && ok)
			ok = false, error = errno;
	}
	jv_free(all);
	if (ok && rename(tmp, path) != 0)
		ok = false, error = errno;
	if (!ok) {
		unlink(tmp);
		return ul_invalid(err, "cannot write %s: %s", path, strerror(error));
	}
	return 0;
}

int ul_run_dir_check_writable(const struct ul_run_dir *d, jv *err)
{
	const char *const dirs[] = { d->path, d->weights };
	for (int i = 0; i < 2; i++) {
		char probe[PATH_MAX + 32];
		snprintf(probe, sizeof probe, "%s/.ul-probe.%ld", dirs[i], (long)getpid());
		int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return ul_invalid(err, "the run folder %s cannot be written: %s", dirs[i], strerror(errno));
		close(fd);
		unlink(probe);
	}
	return 0;
}
