#include "push/slug.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SLUG_MAX 128

/* Decodes one UTF-8 character at s (the reader has checked the encoding);
 * its length in *n. */
static uint32_t next_char(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80 || !s[1]) { *n = 1; return s[0]; }
	if ((s[0] & 0xE0) == 0xC0) { *n = 2; return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F); }
	if ((s[0] & 0xF0) == 0xE0 && s[2]) { *n = 3; return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F); }
	if (s[2] && s[3]) { *n = 4; return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F); }
	*n = 1;
	return s[0];
}

/* Python's str.isspace(), which is what \s matches in a str pattern. */
static bool py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

jv ul_slugify(const char *text)
{
	char out[4 * SLUG_MAX + 8];  /* kept whitespace may be up to 3 bytes */
	size_t len = 0, chars = 0;
	bool dash = false;           /* a '-' is owed before the next kept character */
	const unsigned char *s = (const unsigned char *)text;
	while (*s && chars < SLUG_MAX) {
		size_t n;
		uint32_t c = next_char(s, &n);
		const unsigned char *at = s;
		s += n;
		/* Two non-ASCII letters lower-case to ASCII ones: KELVIN SIGN to k,
		 * and I WITH DOT ABOVE to i (plus a combining dot, dropped). */
		if (c == 0x212A)
			c = 'k';
		else if (c == 0x130)
			c = 'i';
		else if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == ' ' || c == '-') {
			dash = len > 0;  /* leading dashes are trimmed */
			continue;
		}
		bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!keep && !py_space(c))
			continue;
		if (dash) {
			out[len++] = '-';
			chars++;
			dash = false;
			if (chars == SLUG_MAX)
				break;
		}
		if (keep || c < 0x80) {
			out[len++] = (char)c;
		} else {
			memcpy(out + len, at, n);
			len += n;
		}
		chars++;
	}
	/* Python cuts at 128 after trimming, so the cut may end on a '-', as
	 * here. */
	return jv_string_sized(out, (int)len);
}

jv ul_project_slug(const char *project)
{
	const char *slash = strchr(project, '/');
	if (!slash)
		return ul_slugify(project);
	jv name = ul_slugify(slash + 1);
	jv out = jv_string_fmt("%.*s/%s", (int)(slash - project), project, jv_string_value(name));
	jv_free(name);
	return out;
}
