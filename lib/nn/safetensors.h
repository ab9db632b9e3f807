/* safetensors files: ul-train's checkpoints and the PyTorch reference
 * vectors (tests/reference). The format: 8 bytes of little-endian header
 * length, a JSON header {name: {"dtype", "shape", "data_offsets": [begin,
 * end]}, "__metadata__": {string: string}}, then the tensors' bytes, offsets
 * counted from the end of the header. Reading checks every entry against
 * the file once, so a lookup never reads outside it. */
#ifndef UL_NN_SAFETENSORS_H
#define UL_NN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#define UL_SAFETENSORS_MAX_DIMS 8

struct ul_safetensors {
	char *path;            /* for messages */
	jv tensors;            /* name -> {"dtype", "shape", "data_offsets"}, each checked */
	jv metadata;           /* __metadata__: an object of strings, {} when the file has none */
	unsigned char *data;   /* the bytes after the header, read once; NULL when only the header was read */
	size_t size;           /* bytes after the header */
};

/* One tensor of an open file. */
struct ul_safetensor {
	char dtype[8];                           /* "F32", "F16", "I64" ... */
	int ndim;                                /* 0 for a scalar */
	int64_t shape[UL_SAFETENSORS_MAX_DIMS];  /* outermost first */
	size_t numel;
	const unsigned char *bytes;              /* little-endian, in st->data, not always aligned; NULL without data */
	size_t nbytes;
};

/* Reads and checks the header and the data of path. 0, or -1 with a
 * message in *err (st then holds nothing to close). */
int ul_safetensors_open(struct ul_safetensors *st, const char *path, jv *err);

/* The same without reading the data: for what the metadata says. */
int ul_safetensors_open_header(struct ul_safetensors *st, const char *path, jv *err);

void ul_safetensors_close(struct ul_safetensors *st);

/* The tensor of that name. 0, or -1 with a message. */
int ul_safetensors_get(const struct ul_safetensors *st, const char *name, struct ul_safetensor *t, jv *err);

/* Copies the F32 tensor of that name, n values, into out. 0, or -1 with a
 * message when it is missing, of another dtype, or not n values. */
int ul_safetensors_read_f32(const struct ul_safetensors *st, const char *name, float *out, size_t n, jv *err);

/* One float32 tensor to write; shape has ndim sizes. */
struct ul_safetensors_entry {
	const char *name;
	int ndim;
	const int *shape;
	const float *data;
};

/* Writes the n tensors, their bytes in that order, and metadata (an object
 * of strings, or null; consumed) to path: built beside it, synced, renamed
 * over it and the folder synced, so a reader, or a crash, sees the old file
 * or the whole new one. 0, or -1 with a message: the old file stays (but
 * for a failed folder sync, which comes after the rename). */
int ul_safetensors_write(const char *path, const struct ul_safetensors_entry *tensors, size_t n, jv metadata, jv *err);

#endif
