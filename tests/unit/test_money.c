/* Money in integer micro-dollars: parsing what people type, formatting,
 * and pricing milliseconds at an hourly rate without losing a micro-dollar. */
#include "billing/money.h"
#include "tap.h"

int main(void)
{
	int64_t m = 0;
	ok(!ul_money_parse("12", &m) && m == 12000000, "12 is $12");
	ok(!ul_money_parse("10.50", &m) && m == 10500000, "10.50");
	ok(!ul_money_parse("$0.000001", &m) && m == 1, "$0.000001 is one micro-dollar");
	ok(!ul_money_parse(".5", &m) && m == 500000, ".5");
	ok(!ul_money_parse("1.2500000", &m) && m == 1250000, "trailing zeros past six decimals are fine");
	ok(!ul_money_parse("-3", &m) && m == -3000000, "the sign is kept for the caller to refuse");
	static const char *const bad[] = { "", "abc", "1e3", "0.0000001", "1.2.3", "$", "12$", "5000000000", ".", NULL };
	for (int i = 0; bad[i]; i++)
		ok(ul_money_parse(bad[i], &m) == -1, "'%s' is not an amount", bad[i]);

	char text[32];
	ul_money_format(4999540, text, sizeof text);
	is_str(text, "$4.999540", "formatted to the micro-dollar");
	ul_money_format(-123, text, sizeof text);
	is_str(text, "-$0.000123", "a negative balance");
	is_int(ul_money_from_usd(0.59), 590000, "a table's $0.59");
	is_int(ul_money_from_usd(4.99), 4990000, "and $4.99, despite binary fractions");

	is_int(ul_money_for_ms(3600000, 590000), 590000, "an hour at $0.59/hour");
	is_int(ul_money_for_ms(1500, 590000), 246, "1.5 s: 245.83 rounds to 246");
	is_int(ul_money_for_ms(1, 1800000), 1, "half a micro-dollar rounds up");
	is_int(ul_money_for_ms(0, 4990000), 0, "nothing costs nothing");
	is_int(ul_money_for_ms(3600000000LL, 1000000000LL), 1000000000000LL, "1000 hours at $1000/hour stays exact");
	int64_t sum = 0;
	for (int i = 0; i < 1000; i++)
		sum += ul_money_for_ms(1100, 1490000);
	is_int(sum, 455000, "a thousand 1.1 s epochs on an A100 SXM: exactly 1000 x 455");
	return done_testing();
}
