/* Money as integer micro-dollars: every charge is exact and every sum of
 * charges is exact, which floating point dollars are not. JSON records
 * carry dollars (micros / 1e6, at most six decimals). */
#ifndef UL_BILLING_MONEY_H
#define UL_BILLING_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define UL_MICROS_PER_USD 1000000LL

/* "12", "12.50", "$0.000001", "-3" to micro-dollars: 0, or -1 when text is
 * not a decimal amount with at most six decimals (or is beyond a billion
 * dollars). The sign is kept, so callers can refuse a negative one. */
int ul_money_parse(const char *text, int64_t *micros);

/* Dollars as a JSON number. */
double ul_money_usd(int64_t micros);

/* "$4.999540", "-$0.000123", for people. */
void ul_money_format(int64_t micros, char *out, size_t cap);

/* Dollars (a table's 0.59) to micro-dollars, rounded to the nearest. */
int64_t ul_money_from_usd(double usd);

/* The price of ms milliseconds at micros_per_hour, rounded half up. */
int64_t ul_money_for_ms(int64_t ms, int64_t micros_per_hour);

#endif
