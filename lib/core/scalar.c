#include "core/scalar.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_one_of(const char *text, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(*words, text, len) == 0)
			return true;
	return false;
}

static bool equals_nocase(const char *text, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(text, word, len) == 0;
}

jv ul_scalar_null(const char *text, size_t len, enum ul_scalar_dialect dialect)
{
	static const char *const yaml_nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	if (dialect == UL_SCALAR_YAML ? is_one_of(text, len, yaml_nulls)
	    : equals_nocase(text, len, "none") || equals_nocase(text, len, "null"))
		return jv_null();
	return jv_invalid();
}

jv ul_scalar_bool(const char *text, size_t len, enum ul_scalar_dialect dialect)
{
	static const char *const yaml_true[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const yaml_false[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };
	if (dialect == UL_SCALAR_YAML) {
		if (is_one_of(text, len, yaml_true))
			return jv_true();
		if (is_one_of(text, len, yaml_false))
			return jv_false();
	} else {
		if (equals_nocase(text, len, "true"))
			return jv_true();
		if (equals_nocase(text, len, "false"))
			return jv_false();
	}
	return jv_invalid();
}

/* strtoll/strtod need a terminated string; scalars this long are not numbers. */
static bool copy_short(char *dst, size_t cap, const char *text, size_t len)
{
	if (len == 0 || len >= cap)
		return false;
	memcpy(dst, text, len);
	dst[len] = '\0';
	return true;
}

jv ul_scalar_int(const char *text, size_t len)
{
	char s[64];
	if (!copy_short(s, sizeof s, text, len))
		return jv_invalid();
	const char *digits = s + (s[0] == '-' || s[0] == '+');
	int base = 10;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
		base = digits[1] == 'x' ? 16 : 8;
		digits += 2;
	}
	if (!*digits)
		return jv_invalid();
	for (const char *p = digits; *p; p++) {
		bool ok = base == 16 ? strchr("0123456789abcdefABCDEF", *p) != NULL
			: base == 8 ? (*p >= '0' && *p <= '7') : (*p >= '0' && *p <= '9');
		if (!ok)
			return jv_invalid();
	}
	errno = 0;
	long long v = strtoll(digits, NULL, base);
	if (errno == ERANGE)  /* beyond 64 bits: still a number, as a double */
		return jv_number((s[0] == '-' ? -1 : 1) * strtod(digits, NULL));
	return jv_number((double)(s[0] == '-' ? -v : v));
}

jv ul_scalar_float(const char *text, size_t len)
{
	static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
	static const char *const neg_infs[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
	if (is_one_of(text, len, infs))
		return jv_number(INFINITY);
	if (is_one_of(text, len, neg_infs))
		return jv_number(-INFINITY);
	if (is_one_of(text, len, nans))
		return jv_number(NAN);

	/* [-+]? ( .digits | digits [. digits?] ) ( [eE] [-+]? digits )? */
	char s[128];
	if (!copy_short(s, sizeof s, text, len))
		return jv_invalid();
	const char *p = s + (s[0] == '-' || s[0] == '+');
	size_t int_digits = strspn(p, "0123456789");
	p += int_digits;
	size_t frac_digits = 0;
	if (*p == '.') {
		p++;
		frac_digits = strspn(p, "0123456789");
		p += frac_digits;
	}
	if (int_digits + frac_digits == 0)
		return jv_invalid();
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		size_t exp_digits = strspn(p, "0123456789");
		if (exp_digits == 0)
			return jv_invalid();
		p += exp_digits;
	}
	if (*p)
		return jv_invalid();
	return jv_number(strtod(s, NULL));
}

jv ul_scalar_parse(const char *text, size_t len, enum ul_scalar_dialect dialect)
{
	jv v = ul_scalar_null(text, len, dialect);
	if (!jv_is_valid(v))
		v = ul_scalar_bool(text, len, dialect);
	if (!jv_is_valid(v))
		v = ul_scalar_int(text, len);
	if (!jv_is_valid(v))
		v = ul_scalar_float(text, len);
	/* .inf and .nan are YAML spellings; on a command line they stay text. */
	if (dialect == UL_SCALAR_CLI && jv_get_kind(v) == JV_KIND_NUMBER && !isfinite(jv_number_value(v)))
		v = jv_invalid();
	if (!jv_is_valid(v))
		v = jv_string_sized(text, (int)len);
	return v;
}
