#include "nn/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fs.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian, and is copied as it lies"
#endif

/* The safetensors library's own limit: a larger length is a damaged file. */
#define MAX_HEADER (100u << 20)

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	{ "BOOL", 1 }, { "U8", 1 }, { "I8", 1 }, { "F8_E5M2", 1 }, { "F8_E4M3", 1 }, { "I16", 2 }, { "U16", 2 },
	{ "F16", 2 }, { "BF16", 2 }, { "I32", 4 }, { "U32", 4 }, { "F32", 4 }, { "F64", 8 }, { "I64", 8 }, { "U64", 8 },
};

/* Bytes per element, 0 for what is not a safetensors dtype. */
static size_t dtype_size(jv dtype)
{
	for (size_t i = 0; jv_get_kind(dtype) == JV_KIND_STRING && i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (!strcmp(jv_string_value(dtype), dtypes[i].name))
			return dtypes[i].size;
	return 0;
}

/* A whole number that a double holds exactly, or -1. Consumes v. */
static int64_t count_of(jv v)
{
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
	jv_free(v);
	return x >= 0 && x <= 0x1p53 && x == floor(x) ? (int64_t)x : -1;
}

#define WHY 160

/* Reads a header entry (borrowed) into t and *begin, checked against size
 * bytes of data: 0, or -1 with the reason in why. */
static int describe(jv entry, size_t size, struct ul_safetensor *t, size_t *begin, char why[WHY])
{
	memset(t, 0, sizeof *t);
	if (jv_get_kind(entry) != JV_KIND_OBJECT) {
		snprintf(why, WHY, "is not an object");
		return -1;
	}
	jv dtype = jv_object_get(jv_copy(entry), jv_string("dtype"));
	jv shape = jv_object_get(jv_copy(entry), jv_string("shape"));
	jv offsets = jv_object_get(jv_copy(entry), jv_string("data_offsets"));
	size_t elsize = dtype_size(dtype);
	int ndim = jv_get_kind(shape) == JV_KIND_ARRAY ? jv_array_length(jv_copy(shape)) : -1;
	int64_t b = -1, e = -1;
	if (jv_get_kind(offsets) == JV_KIND_ARRAY && jv_array_length(jv_copy(offsets)) == 2)
		b = count_of(jv_array_get(jv_copy(offsets), 0)), e = count_of(jv_array_get(jv_copy(offsets), 1));
	bool zero = false, sizes = ndim >= 0 && ndim <= UL_SAFETENSORS_MAX_DIMS;
	for (int i = 0; sizes && i < ndim; i++) {
		t->shape[i] = count_of(jv_array_get(jv_copy(shape), i));
		sizes = t->shape[i] >= 0;
		zero |= t->shape[i] == 0;
	}
	/* the element count, unless it cannot fit in the data (nor in a size_t) */
	bool fits = true;
	t->numel = zero ? 0 : 1;
	for (int i = 0; elsize && sizes && !zero && i < ndim; i++) {
		fits = fits && (uint64_t)t->shape[i] <= size / elsize / t->numel;
		t->numel = fits ? t->numel * (size_t)t->shape[i] : 0;
	}
	int rc = -1;
	if (!jv_is_valid(dtype)) {
		snprintf(why, WHY, "has no dtype");
	} else if (!elsize) {
		jv shown = jv_dump_string(jv_copy(dtype), 0);
		snprintf(why, WHY, "its dtype %.60s is not a safetensors dtype", jv_string_value(shown));
		jv_free(shown);
	} else if (!sizes) {
		snprintf(why, WHY, "its shape is not a list of at most %d sizes", UL_SAFETENSORS_MAX_DIMS);
	} else if (b < 0 || e < b) {
		snprintf(why, WHY, "its data_offsets are not [begin, end] with begin <= end");
	} else if ((uint64_t)e > size) {
		snprintf(why, WHY, "its data [%lld, %lld) runs past the %zu bytes of data", (long long)b, (long long)e, size);
	} else if (!fits) {
		snprintf(why, WHY, "its shape needs more bytes than the %zu of the data", size);
	} else if ((size_t)(e - b) != t->numel * elsize) {
		snprintf(why, WHY, "its data [%lld, %lld) holds %lld bytes, its shape and dtype need %zu", (long long)b,
			 (long long)e, (long long)(e - b), t->numel * elsize);
	} else {
		snprintf(t->dtype, sizeof t->dtype, "%s", jv_string_value(dtype));
		t->ndim = ndim;
		t->nbytes = (size_t)(e - b);
		*begin = (size_t)b;
		rc = 0;
	}
	jv_free(dtype);
	jv_free(shape);
	jv_free(offsets);
	return rc;
}

/* Every value of an object a string. Borrows o. */
static bool strings_only(jv o)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return false;
	bool ok = true;
	jv_object_foreach(o, key, value) {
		ok = ok && jv_get_kind(value) == JV_KIND_STRING;
		jv_free(key);
		jv_free(value);
	}
	return ok;
}

/* Splits a parsed header (consumed) into st's tensors and metadata, and
 * checks every tensor against the data. */
static int take_header(struct ul_safetensors *st, jv header, jv *err)
{
	const char *path = st->path;
	if (jv_get_kind(header) != JV_KIND_OBJECT) {
		jv why = jv_get_kind(header) == JV_KIND_INVALID ? jv_invalid_get_msg(jv_copy(header)) : jv_null();
		/* jq's message ends by quoting the whole text: megabytes for a model */
		const char *text = jv_get_kind(why) == JV_KIND_STRING ? jv_string_value(why) : NULL;
		const char *quote = text ? strstr(text, " (while parsing") : NULL;
		ul_invalid(err, "%s is not a safetensors file: its header is not a JSON object%s%.*s", path, text ? ": " : "",
			   text ? (quote ? (int)(quote - text) : (int)strlen(text)) : 0, text ? text : "");
		jv_free(why);
		jv_free(header);
		return -1;
	}
	jv meta = jv_object_get(jv_copy(header), jv_string("__metadata__"));
	st->metadata = jv_is_valid(meta) ? meta : (jv_free(meta), jv_object());
	st->tensors = jv_object_delete(header, jv_string("__metadata__"));
	if (!strings_only(st->metadata))
		return ul_invalid(err, "%s is not a safetensors file: its __metadata__ is not an object of strings", path);
	int rc = 0;
	jv_object_foreach(st->tensors, name, entry) {
		struct ul_safetensor t;
		size_t begin;
		char why[WHY];
		if (rc == 0 && describe(entry, st->size, &t, &begin, why) < 0)
			rc = ul_invalid(err, "%s is not a safetensors file: tensor %s %s", path, jv_string_value(name), why);
		jv_free(name);
		jv_free(entry);
	}
	return rc;
}

static int load(struct ul_safetensors *st, const char *path, bool with_data, jv *err)
{
	memset(st, 0, sizeof *st);
	st->tensors = jv_null();
	st->metadata = jv_null();
	FILE *f = fopen(path, "rb");
	if (!f)
		return ul_invalid(err, "%s: %s", path, strerror(errno));
	st->path = strdup(path);
	struct stat info;
	unsigned char len8[8];
	uint64_t len = 0;
	int rc = 0;
	if (!st->path) {
		rc = ul_invalid(err, "out of memory");
	} else if (fstat(fileno(f), &info) < 0) {
		rc = ul_invalid(err, "%s: %s", path, strerror(errno));
	} else if (info.st_size < 8 || fread(len8, 1, 8, f) != 8) {
		rc = ul_invalid(err, "%s is not a safetensors file: %lld bytes, fewer than the 8 of its header length", path,
			  (long long)info.st_size);
	} else {
		for (int i = 7; i >= 0; i--)
			len = len << 8 | len8[i];
		if (len > MAX_HEADER)
			rc = ul_invalid(err, "%s is not a safetensors file: its header length %llu is over the %u MiB limit", path,
				  (unsigned long long)len, MAX_HEADER >> 20);
		else if (len > (uint64_t)info.st_size - 8)
			rc = ul_invalid(err, "%s is not a safetensors file: its header length %llu runs past the end of the file "
				  "(%lld bytes): is it cut short?", path, (unsigned long long)len, (long long)info.st_size);
	}
	char *text = rc == 0 ? malloc(len ? len : 1) : NULL;
	if (rc == 0 && !text)
		rc = ul_invalid(err, "out of memory");
	if (rc == 0 && fread(text, 1, len, f) != len)
		rc = ul_invalid(err, "%s: cannot read its header: %s", path, ferror(f) ? strerror(errno) : "the file shrank");
	if (rc == 0) {
		st->size = (size_t)((uint64_t)info.st_size - 8 - len);
		rc = take_header(st, jv_parse_sized(text, (int)len), err);
	}
	free(text);
	if (rc == 0 && with_data) {
		st->data = malloc(st->size ? st->size : 1);
		if (!st->data)
			rc = ul_invalid(err, "%s: out of memory for its %zu bytes of data", path, st->size);
		else if (fread(st->data, 1, st->size, f) != st->size)
			rc = ul_invalid(err, "%s: cannot read its data: %s", path, ferror(f) ? strerror(errno) : "the file shrank");
	}
	fclose(f);
	if (rc < 0)
		ul_safetensors_close(st);
	return rc;
}

int ul_safetensors_open(struct ul_safetensors *st, const char *path, jv *err)
{
	return load(st, path, true, err);
}

int ul_safetensors_open_header(struct ul_safetensors *st, const char *path, jv *err)
{
	return load(st, path, false, err);
}

void ul_safetensors_close(struct ul_safetensors *st)
{
	free(st->path);
	jv_free(st->tensors);
	jv_free(st->metadata);
	free(st->data);
	memset(st, 0, sizeof *st);
	st->tensors = jv_null();
	st->metadata = jv_null();
}

int ul_safetensors_get(const struct ul_safetensors *st, const char *name, struct ul_safetensor *t, jv *err)
{
	jv entry = jv_object_get(jv_copy(st->tensors), jv_string(name));
	size_t begin = 0;
	char why[WHY];
	int rc = 0;
	if (!jv_is_valid(entry))
		rc = ul_invalid(err, "%s has no tensor %s", st->path, name);
	else if (describe(entry, st->size, t, &begin, why) < 0)  /* checked at open: never */
		rc = ul_invalid(err, "%s: tensor %s %s", st->path, name, why);
	else
		t->bytes = st->data ? st->data + begin : NULL;
	jv_free(entry);
	return rc;
}

int ul_safetensors_read_f32(const struct ul_safetensors *st, const char *name, float *out, size_t n, jv *err)
{
	struct ul_safetensor t;
	if (ul_safetensors_get(st, name, &t, err) < 0)
		return -1;
	if (strcmp(t.dtype, "F32") != 0)
		return ul_invalid(err, "%s: tensor %s is %s, not F32", st->path, name, t.dtype);
	if (t.numel != n)
		return ul_invalid(err, "%s: tensor %s has %zu values, not %zu", st->path, name, t.numel, n);
	if (!t.bytes)
		return ul_invalid(err, "%s: only its header was read", st->path);
	memcpy(out, t.bytes, t.nbytes);
	return 0;
}

/* The header for the tensors: each one's dtype, shape and place. */
static int header_of(const struct ul_safetensors_entry *tensors, size_t n, jv metadata, jv *header, jv *err)
{
	if (jv_get_kind(metadata) == JV_KIND_NULL) {
		jv_free(metadata);
		metadata = jv_object();
	}
	if (!strings_only(metadata)) {
		jv_free(metadata);
		return ul_invalid(err, "the metadata of a safetensors file is an object of strings");
	}
	*header = jv_object_set(jv_object(), jv_string("__metadata__"), metadata);
	size_t offset = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ul_safetensors_entry *e = &tensors[i];
		if (jv_object_has(jv_copy(*header), jv_string(e->name)))  /* __metadata__ too */
			return ul_invalid(err, "tensor %s is given twice", e->name);
		if (e->ndim < 0 || e->ndim > UL_SAFETENSORS_MAX_DIMS)
			return ul_invalid(err, "tensor %s: %d dimensions, at most %d", e->name, e->ndim, UL_SAFETENSORS_MAX_DIMS);
		jv shape = jv_array();
		size_t numel = 1;
		for (int d = 0; d < e->ndim; d++) {
			if (e->shape[d] < 0) {
				jv_free(shape);
				return ul_invalid(err, "tensor %s: a negative size", e->name);
			}
			shape = jv_array_append(shape, jv_number(e->shape[d]));
			numel *= (size_t)e->shape[d];
		}
		jv entry = jv_object_set(jv_object(), jv_string("dtype"), jv_string("F32"));
		entry = jv_object_set(entry, jv_string("shape"), shape);
		jv place = jv_array_append(jv_array_append(jv_array(), jv_number((double)offset)),
					   jv_number((double)(offset + numel * sizeof(float))));
		entry = jv_object_set(entry, jv_string("data_offsets"), place);
		*header = jv_object_set(*header, jv_string(e->name), entry);
		offset += numel * sizeof(float);
	}
	return 0;
}

static size_t numel_of(const struct ul_safetensors_entry *e)
{
	size_t n = 1;
	for (int d = 0; d < e->ndim; d++)
		n *= (size_t)e->shape[d];
	return n;
}

int ul_safetensors_write(const char *path, const struct ul_safetensors_entry *tensors, size_t n, jv metadata, jv *err)
{
	jv header = jv_null();
	if (header_of(tensors, n, metadata, &header, err) < 0) {
		jv_free(header);
		return -1;
	}
	jv text = jv_dump_string(header, 0);
	size_t len = (size_t)jv_string_length_bytes(jv_copy(text));
	size_t pad = (8 - len % 8) % 8;  /* spaces, so the data starts 8-aligned, as the safetensors library writes */
	uint64_t total = len + pad;
	unsigned char len8[8];
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)(total >> 8 * i);

	jv tmp = jv_string_fmt("%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(jv_string_value(tmp), "wbx");
	bool ok = f && fwrite(len8, 1, 8, f) == 8 && fwrite(jv_string_value(text), 1, len, f) == len &&
		  fwrite("        ", 1, pad, f) == pad;
	for (size_t i = 0; ok && i < n; i++) {
		size_t numel = numel_of(&tensors[i]);
		ok = fwrite(tensors[i].data, sizeof(float), numel, f) == numel;
	}
	/* synced before the rename, so a crash cannot leave a whole-looking file with lost blocks */
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	int error = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = false;
		error = errno;
	}
	if (ok && rename(jv_string_value(tmp), path) != 0) {
		ok = false;
		error = errno;
	}
	if (!ok) {
		if (f)
			unlink(jv_string_value(tmp));
		ul_invalid(err, "cannot write %s: %s", path, strerror(error));
	} else if (ul_sync_folder_of(path) != 0) {
		ok = false;
		ul_invalid(err, "wrote %s, but cannot sync its folder: %s", path, strerror(errno));
	}
	jv_free(tmp);
	jv_free(text);
	return ok ? 0 : -1;
}
