/* SHA-256 (FIPS 180-4): checksums of downloads and checkpoints, cache keys.
 *
 * Incremental: init, update as often as needed, final. The helpers give the
 * lowercase hex form that records and `sha256sum` use. */
#ifndef UL_CORE_SHA256_H
#define UL_CORE_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UL_SHA256_SIZE 32             /* digest bytes */
#define UL_SHA256_HEX  65             /* 64 hex digits and a NUL */

struct ul_sha256 {
	uint32_t state[8];
	uint64_t length;                  /* bytes hashed so far */
	unsigned char block[64];          /* the block being filled */
	size_t used;                      /* bytes of it filled */
};

/* The CPU's SHA instructions are used where it has them. Off, or on where
 * it has them; whether they are now in use. The tests compare the two. */
bool ul_sha256_use_hardware(bool on);

void ul_sha256_init(struct ul_sha256 *s);
void ul_sha256_update(struct ul_sha256 *s, const void *data, size_t len);
/* Pads, writes the digest; s must be initialized again before reuse. */
void ul_sha256_final(struct ul_sha256 *s, unsigned char digest[UL_SHA256_SIZE]);

/* The digest of len bytes at data, as lowercase hex. */
void ul_sha256_hex(const void *data, size_t len, char hex[UL_SHA256_HEX]);

/* The digest of a file's content, as lowercase hex. 0, or -1 with errno
 * set when the file cannot be read. */
int ul_sha256_file(const char *path, char hex[UL_SHA256_HEX]);

#endif
