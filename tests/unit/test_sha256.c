/* SHA-256: the NIST example messages, every padding boundary, and
 * files checked against sha256sum, with the CPU's SHA instructions and
 * without; and the two block functions on the same random bytes. */
#include <errno.h>

#include "core/sha256.h"
#include "tap.h"

static void digest_is(const char *msg, const char *want, const char *name)
{
	char hex[UL_SHA256_HEX];
	ul_sha256_hex(msg, strlen(msg), hex);
	is_str(hex, want, "%s", name);
}

/* What sha256sum says of the file. */
static void sha256sum(const char *path, char hex[UL_SHA256_HEX])
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");
	hex[0] = '\0';
	if (p && fscanf(p, "%64s", hex) != 1)
		hex[0] = '\0';
	if (p)
		pclose(p);
}

static void write_file(const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static void against_sha256sum(const char *which);

int main(void)
{
	bool hardware = ul_sha256_use_hardware(true);
	printf("# this CPU's SHA instructions: %s\n", hardware ? "in use" : "absent");
	against_sha256sum(hardware ? "SHA instructions" : "portable");
	if (hardware) {
		ul_sha256_use_hardware(false);
		against_sha256sum("portable");
		/* every length to two blocks and then some, from every offset into
		 * a random buffer, both ways */
		static unsigned char bytes[4096];
		unsigned x = 777;
		for (size_t i = 0; i < sizeof bytes; i++)
			bytes[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
		int differ = 0;
		for (size_t len = 0; len <= 200; len++)
			for (size_t at = 0; at < 16; at++) {
				char portable[UL_SHA256_HEX], fast[UL_SHA256_HEX];
				ul_sha256_use_hardware(false);
				ul_sha256_hex(bytes + at, len, portable);
				ul_sha256_use_hardware(true);
				ul_sha256_hex(bytes + at, len, fast);
				differ += strcmp(portable, fast) != 0;
			}
		is_int(differ, 0, "the SHA instructions give the portable digest for 0 to 200 bytes from 16 offsets");
		char portable[UL_SHA256_HEX], fast[UL_SHA256_HEX];
		ul_sha256_use_hardware(false);
		ul_sha256_hex(bytes, sizeof bytes, portable);
		ul_sha256_use_hardware(true);
		ul_sha256_hex(bytes, sizeof bytes, fast);
		is_str(fast, portable, "and for %zu bytes", sizeof bytes);
	}
	return done_testing();
}

static void against_sha256sum(const char *which)
{
	const char *abc448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	const char *abc896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	printf("# %s\n", which);
	digest_is("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "the empty message");
	digest_is("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
	digest_is(abc448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "the 448-bit message");
	digest_is(abc896, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", "the 896-bit message");

	/* A million 'a', fed in uneven pieces so updates straddle blocks. */
	static char million[1000000];
	memset(million, 'a', sizeof million);
	struct ul_sha256 s;
	unsigned char digest[UL_SHA256_SIZE];
	ul_sha256_init(&s);
	for (size_t at = 0, step = 1; at < sizeof million; at += step, step = step % 97 + 13)
		ul_sha256_update(&s, million + at, at + step <= sizeof million ? step : sizeof million - at);
	ul_sha256_final(&s, digest);
	char hex[UL_SHA256_HEX];
	for (int i = 0; i < UL_SHA256_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "one million 'a', incrementally");
	ul_sha256_hex(million, sizeof million, hex);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "one million 'a' at once");

	char dir[] = "/tmp/ul-sha256-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	char path[300], want[UL_SHA256_HEX];
	snprintf(path, sizeof path, "%s/data", dir);

	/* Lengths around the 56-byte padding edge and the 64-byte block. */
	unsigned char bytes[300000];
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof bytes; i++) {
		x = x * 1103515245u + 12345u;
		bytes[i] = (unsigned char)(x >> 16);
	}
	static const size_t lengths[] = { 1, 55, 56, 57, 63, 64, 65, 119, 120, 128 };
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		write_file(path, bytes, lengths[i]);
		sha256sum(path, want);
		ul_sha256_hex(bytes, lengths[i], hex);
		is_str(hex, want, "%zu bytes: the same digest as sha256sum", lengths[i]);
	}

	write_file(path, bytes, sizeof bytes);
	sha256sum(path, want);
	is_int(ul_sha256_file(path, hex), 0, "a file is hashed");
	is_str(hex, want, "a %zu-byte file: the same digest as sha256sum", sizeof bytes);

	snprintf(path, sizeof path, "%s/missing", dir);
	is_int(ul_sha256_file(path, hex), -1, "a missing file fails");
	is_int(errno, ENOENT, "with ENOENT");

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "cleaned up");
}
