/* safetensors: what is written reads back the same, a replaced file is
 * whole, and every damaged file gives an error naming what is wrong, never a
 * crash (run under make check SAN=1). */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/fs.h"
#include "nn/safetensors.h"
#include "tap.h"

static char dir[] = "/tmp/ul-safetensors-XXXXXX";

static const char *at(const char *name)
{
	static char path[2][256];
	static int turn;
	turn = !turn;
	snprintf(path[turn], sizeof path[turn], "%s/%s", dir, name);
	return path[turn];
}

/* A file of a declared header length, then header, then n data bytes. */
static void raw(const char *path, uint64_t length, const char *header, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 8; i++)
		fputc((int)(length >> 8 * i & 0xff), f);
	fputs(header, f);
	if (n)
		fwrite(data, 1, n, f);
	fclose(f);
}

/* raw() with the header's true length. */
static void file_with(const char *header, const void *data, size_t n)
{
	raw(at("bad.safetensors"), strlen(header), header, data, n);
}

/* The message of an error; the caller frees it. */
static char *message(jv err)
{
	jv msg = jv_invalid_get_msg(err);
	char *text = strdup(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(no message)");
	jv_free(msg);
	return text;
}

/* The message of opening path (with its data or only its header), or
 * NULL when it opened. */
static char *open_error(const char *path, bool data)
{
	struct ul_safetensors st;
	jv err;
	if ((data ? ul_safetensors_open(&st, path, &err) : ul_safetensors_open_header(&st, path, &err)) == 0) {
		ul_safetensors_close(&st);
		return NULL;
	}
	return message(err);
}

static void refused(const char *header, const void *data, size_t n, const char *want, const char *what)
{
	file_with(header, data, n);
	char *got = open_error(at("bad.safetensors"), true);
	contains(got, want, "%s", what);
	free(got);
}

static size_t files_in_dir(void)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void round_trip(void)
{
	float a[6] = { 1, -2, 3.5f, 0, 1e-30f, -0.0f }, b[16], s[1] = { 42 };
	for (int i = 0; i < 16; i++)
		b[i] = (float)i / 7;
	struct ul_safetensors_entry entries[] = {
		{ "model.0.conv.weight", 2, (int[]){ 2, 3 }, a },
		{ "grad.input", 4, (int[]){ 1, 2, 2, 4 }, b },
		{ "scalar", 0, NULL, s },
	};
	jv meta = jv_object_set(jv_object(), jv_string("task"), jv_string("detect"));
	meta = jv_object_set(meta, jv_string("names"), jv_string("[\"a\", \"b\"]"));
	jv err;
	const char *path = at("w.safetensors");
	is_int(ul_safetensors_write(path, entries, 3, meta, &err), 0, "writes three tensors and metadata");
	is_int(files_in_dir(), 1, "and leaves no temporary file");

	struct ul_safetensors st;
	is_int(ul_safetensors_open(&st, path, &err), 0, "reads them back");
	jv task = jv_object_get(jv_copy(st.metadata), jv_string("task"));
	is_str(jv_string_value(task), "detect", "metadata kept");
	jv_free(task);
	struct ul_safetensor t;
	is_int(ul_safetensors_get(&st, "grad.input", &t, &err), 0, "a tensor by name");
	ok(!strcmp(t.dtype, "F32") && t.ndim == 4 && t.shape[0] == 1 && t.shape[3] == 4 && t.numel == 16 &&
	   t.nbytes == 64 && t.bytes, "its dtype, shape and bytes");
	float back[16];
	is_int(ul_safetensors_read_f32(&st, "model.0.conv.weight", back, 6, &err), 0, "copied as float32");
	ok(!memcmp(back, a, sizeof a), "bit for bit");
	is_int(ul_safetensors_read_f32(&st, "grad.input", back, 16, &err), 0, "the second");
	ok(!memcmp(back, b, sizeof b), "bit for bit too");
	is_int(ul_safetensors_get(&st, "scalar", &t, &err), 0, "a scalar");
	ok(t.ndim == 0 && t.numel == 1 && ul_safetensors_read_f32(&st, "scalar", back, 1, &err) == 0 && back[0] == 42,
	   "holds one value");

	ok(ul_safetensors_read_f32(&st, "nothing", back, 1, &err) < 0, "a missing name fails");
	char *why = message(err);
	contains(why, "has no tensor nothing", "and says so");
	free(why);
	ok(ul_safetensors_read_f32(&st, "grad.input", back, 15, &err) < 0, "a wrong count fails");
	why = message(err);
	contains(why, "has 16 values, not 15", "and says so");
	free(why);
	ul_safetensors_close(&st);

	is_int(ul_safetensors_open_header(&st, path, &err), 0, "the header alone");
	ok(ul_safetensors_get(&st, "grad.input", &t, &err) == 0 && t.numel == 16 && !t.bytes, "knows shapes, holds no data");
	ok(ul_safetensors_read_f32(&st, "grad.input", back, 16, &err) < 0, "and copies none");
	why = message(err);
	contains(why, "only its header was read", "saying why");
	free(why);
	ul_safetensors_close(&st);

	/* a second write replaces the file whole */
	is_int(ul_safetensors_write(path, entries + 2, 1, jv_null(), &err), 0, "rewrites over it");
	is_int(ul_safetensors_open(&st, path, &err), 0, "which reads");
	ok(jv_object_length(jv_copy(st.tensors)) == 1 && jv_object_length(jv_copy(st.metadata)) == 0,
	   "the new file, without metadata");
	ul_safetensors_close(&st);
	is_int(files_in_dir(), 1, "still no temporary file");
}

static void write_bytes(const char *path, const unsigned char *bytes, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(bytes, 1, n, f);
	fclose(f);
}

/* Every cut of a good file is refused; any byte of its length or header
 * changed gives an error or a file that checks out, never a crash. */
static void damaged_copies(void)
{
	float v[2] = { 1, 2 };
	struct ul_safetensors_entry entries[] = { { "a.weight", 2, (int[]){ 1, 2 }, v }, { "b", 0, NULL, v } };
	jv err;
	is_int(ul_safetensors_write(at("good.safetensors"), entries, 2, jv_null(), &err), 0, "a file to damage");
	FILE *f = fopen(at("good.safetensors"), "rb");
	unsigned char whole[512], copy[512];
	size_t size = fread(whole, 1, sizeof whole, f);
	fclose(f);
	ok(size > 8 && size < sizeof whole, "it is small");
	int opened = 0;
	for (size_t n = 0; n < size; n++) {
		write_bytes(at("bad.safetensors"), whole, n);
		char *why = open_error(at("bad.safetensors"), true);
		opened += why == NULL;
		free(why);
	}
	is_int(opened, 0, "each of its %zu shorter prefixes is refused", size);

	/* not into '"', a digit, a space or NUL: jq 1.6's parser leaks the
	 * strings of JSON such as {"a" "b"} */
	static const unsigned char into[] = { '-', 'x', ',', ':', '[', ']', '{', 0x7f, 0xff };
	int refusals = 0;
	for (size_t i = 0; i < 8 + whole[0] + 256u * whole[1] && i < size; i++) {
		for (size_t c = 0; c < sizeof into; c++) {
			memcpy(copy, whole, size);
			copy[i] = into[c];
			write_bytes(at("bad.safetensors"), copy, size);
			char *why = open_error(at("bad.safetensors"), true);
			refusals += why != NULL;
			free(why);
		}
	}
	ok(refusals > 0, "changed headers: %d refused, none crashed", refusals);
	remove(at("good.safetensors"));
	remove(at("bad.safetensors"));
}

static void writer_errors(void)
{
	float v[2] = { 1, 2 };
	jv err;
	struct ul_safetensors_entry twice[] = { { "x", 1, (int[]){ 2 }, v }, { "x", 1, (int[]){ 2 }, v } };
	ok(ul_safetensors_write(at("e.safetensors"), twice, 2, jv_null(), &err) < 0, "a name given twice is refused");
	char *why = message(err);
	contains(why, "tensor x is given twice", "and named");
	free(why);
	struct ul_safetensors_entry meta_name[] = { { "__metadata__", 1, (int[]){ 2 }, v } };
	ok(ul_safetensors_write(at("e.safetensors"), meta_name, 1, jv_null(), &err) < 0, "so is a tensor named __metadata__");
	jv_free(err);
	jv meta = jv_object_set(jv_object(), jv_string("epoch"), jv_number(3));
	ok(ul_safetensors_write(at("e.safetensors"), twice, 1, meta, &err) < 0, "metadata that is not all strings");
	why = message(err);
	contains(why, "object of strings", "says what metadata must be");
	free(why);
	ok(ul_safetensors_write(at("no/such/dir/e.safetensors"), twice, 1, jv_null(), &err) < 0, "a folder that is not there");
	why = message(err);
	contains(why, "cannot write", "is an error");
	contains(why, "No such file", "with the system's reason");
	free(why);
	is_int(files_in_dir(), 1, "nothing was left behind");
}

static void damaged(void)
{
	char *why = open_error(at("absent.safetensors"), true);
	contains(why, "No such file or directory", "a missing file");
	free(why);
	FILE *f = fopen(at("bad.safetensors"), "wb");
	fputs("abc", f);
	fclose(f);
	why = open_error(at("bad.safetensors"), true);
	contains(why, "3 bytes, fewer than the 8", "a file shorter than the length field");
	free(why);
	raw(at("bad.safetensors"), UINT64_MAX, "{}", NULL, 0);
	why = open_error(at("bad.safetensors"), false);
	contains(why, "over the 100 MiB limit", "a huge header length");
	free(why);
	raw(at("bad.safetensors"), 4000, "{\"__metadata__\": {}}", NULL, 0);
	why = open_error(at("bad.safetensors"), false);
	contains(why, "runs past the end of the file", "a header length beyond the file");
	free(why);

	refused("", NULL, 0, "not a JSON object", "an empty header");
	refused("{\"x\": {\"dtype\"", NULL, 0, "not a JSON object", "a header that is not JSON");
	refused("[1, 2]", NULL, 0, "not a JSON object", "a header that is a list");
	refused("{\"__metadata__\": {\"epoch\": 3}}", NULL, 0, "__metadata__ is not an object of strings", "metadata numbers");
	refused("{\"__metadata__\": \"x\"}", NULL, 0, "__metadata__ is not an object of strings", "metadata a string");
	refused("{\"x\": 3}", NULL, 0, "tensor x is not an object", "an entry that is not an object");

	float data[4] = { 1, 2, 3, 4 };
	refused("{\"x\": {\"dtype\": \"F33\", \"shape\": [4], \"data_offsets\": [0, 16]}}", data, 16,
		"its dtype \"F33\" is not a safetensors dtype", "an unknown dtype");
	refused("{\"x\": {\"shape\": [4], \"data_offsets\": [0, 16]}}", data, 16, "tensor x has no dtype", "no dtype");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", data, 8,
		"its data [0, 16) runs past the 8 bytes of data", "data cut short");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 12]}}", data, 16,
		"holds 12 bytes, its shape and dtype need 16", "offsets that disagree with the shape");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", data, 16,
		"data_offsets are not [begin, end]", "offsets backwards");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", data, 16,
		"data_offsets are not [begin, end]", "a negative offset");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": 0}}", data, 16,
		"data_offsets are not [begin, end]", "offsets not a list");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", data, 16,
		"its shape is not a list", "a negative size");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", data, 16,
		"its shape is not a list", "a fractional size");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 4]}}", data, 16,
		"at most 8 sizes", "too many dimensions");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [1099511627776, 1099511627776], \"data_offsets\": [0, 16]}}",
		data, 16, "its shape needs more bytes than the 16 of the data", "a shape too large for the file");
	refused("{\"x\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 16]}}",
		data, 16, "its shape is not a list", "a size beyond 2^53");

	/* a well-formed tensor of another dtype: found, but not as float32 */
	file_with("{\"h\": {\"dtype\": \"F16\", \"shape\": [2, 0], \"data_offsets\": [0, 0]}, "
		  "\"x\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", data, 4);
	struct ul_safetensors st;
	jv err;
	is_int(ul_safetensors_open(&st, at("bad.safetensors"), &err), 0, "F16 tensors open, an empty one too");
	float out[2];
	ok(ul_safetensors_read_f32(&st, "x", out, 2, &err) < 0, "but are not read as float32");
	why = message(err);
	contains(why, "tensor x is F16, not F32", "saying which dtype it is");
	free(why);
	ul_safetensors_close(&st);
}

int main(void)
{
	ok(mkdtemp(dir) != NULL, "temp dir");
	round_trip();
	damaged_copies();
	writer_errors();
	remove(at("w.safetensors"));
	damaged();
	is_int(ul_remove_tree(dir), 0, "cleaned up");
	return done_testing();
}
