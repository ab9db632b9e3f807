#include "billing/money.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>

int ul_money_parse(const char *text, int64_t *micros)
{
	const char *p = text;
	int sign = 1;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	if (*p == '$')
		p++;
	int64_t whole = 0, frac = 0;
	int digits = 0, decimals = 0;
	for (; isdigit((unsigned char)*p); p++, digits++)
		if ((whole = whole * 10 + (*p - '0')) > 1000000000LL)
			return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, decimals++) {
			if (decimals < 6)
				frac = frac * 10 + (*p - '0');
			else if (*p != '0')
				return -1;  /* below a micro-dollar: no rounding behind the user's back */
		}
	}
	if (*p || digits + decimals == 0)
		return -1;
	for (int d = decimals < 6 ? decimals : 6; d < 6; d++)
		frac *= 10;
	*micros = sign * (whole * UL_MICROS_PER_USD + frac);
	return 0;
}

double ul_money_usd(int64_t micros)
{
	return (double)micros / UL_MICROS_PER_USD;
}

void ul_money_format(int64_t micros, char *out, size_t cap)
{
	uint64_t m = micros < 0 ? (uint64_t)-micros : (uint64_t)micros;
	snprintf(out, cap, "%s$%llu.%06llu", micros < 0 ? "-" : "", (unsigned long long)(m / UL_MICROS_PER_USD),
		 (unsigned long long)(m % UL_MICROS_PER_USD));
}

int64_t ul_money_from_usd(double usd)
{
	return (int64_t)llround(usd * UL_MICROS_PER_USD);
}

int64_t ul_money_for_ms(int64_t ms, int64_t micros_per_hour)
{
	/* ms is capped by the callers (an epoch of at most 1000 hours) and
	 * rates at $1000/hour, so the product stays far inside 63 bits */
	return (ms * micros_per_hour + 1800000) / 3600000;
}
