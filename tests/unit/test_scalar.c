/* Typing of bare scalars in the YAML and command-line dialects. */
#include <math.h>

#include "core/scalar.h"
#include "tap.h"

/* The JSON text of ul_scalar_parse(text, dialect). */
static char *typed(const char *text, enum ul_scalar_dialect dialect)
{
	jv v = ul_scalar_parse(text, strlen(text), dialect);
	jv s = jv_dump_string(v, 0);
	char *out = strdup(jv_string_value(s));
	jv_free(s);
	return out;
}

static void check(const char *text, enum ul_scalar_dialect dialect, const char *want)
{
	char *got = typed(text, dialect);
	is_str(got, want, "%s '%s' -> %s", dialect == UL_SCALAR_YAML ? "yaml" : "cli", text, want);
	free(got);
}

int main(void)
{
	enum ul_scalar_dialect Y = UL_SCALAR_YAML, C = UL_SCALAR_CLI;

	/* nulls: YAML's ~ and null; the CLI's none/null in any case */
	check("", Y, "null");
	check("~", Y, "null");
	check("null", Y, "null");
	check("NULL", Y, "null");
	check("None", Y, "\"None\"");  /* PyYAML keeps None a string */
	check("None", C, "null");
	check("none", C, "null");
	check("~", C, "\"~\"");

	/* booleans: PyYAML's YAML 1.1 set; the CLI's true/false in any case */
	check("true", Y, "true");
	check("False", Y, "false");
	check("yes", Y, "true");
	check("Off", Y, "false");
	check("tRuE", Y, "\"tRuE\"");
	check("tRuE", C, "true");
	check("yes", C, "\"yes\"");

	/* integers */
	check("640", Y, "640");
	check("-3", Y, "-3");
	check("+7", C, "7");
	check("0x1F", Y, "31");
	check("0o17", Y, "15");
	check("007", Y, "7");
	check("0x", Y, "\"0x\"");
	check("12ab", Y, "\"12ab\"");
	check("99999999999999999999", Y, "1e+20");

	/* floats: YAML 1.2, so 1e-3 is a number (PyYAML would say string) */
	check("0.01", Y, "0.01");
	check("1e-3", Y, "0.001");
	check("1E3", C, "1000");
	check(".5", Y, "0.5");
	check("5.", Y, "5");
	check("-2.5e+2", Y, "-250");
	check("1e", Y, "\"1e\"");
	check(".", Y, "\".\"");
	check("1.2.3", Y, "\"1.2.3\"");
	check("e5", Y, "\"e5\"");
	jv inf = ul_scalar_parse(".inf", 4, Y);
	ok(isinf(jv_number_value(inf)) && jv_number_value(inf) > 0, ".inf is +infinity");
	jv_free(inf);
	check(".inf", C, "\".inf\"");  /* the command line takes finite numbers only */
	check(".nan", C, "\".nan\"");
	jv nan = ul_scalar_parse(".nan", 4, Y);
	ok(isnan(jv_number_value(nan)), ".nan is NaN");
	jv_free(nan);

	/* strings */
	check("adamw", Y, "\"adamw\"");
	check("yolo26n.yaml", C, "\"yolo26n.yaml\"");
	check("runs/detect", Y, "\"runs/detect\"");

	/* strict readers for tagged scalars */
	ok(!jv_is_valid(ul_scalar_int("1.5", 3)), "!!int refuses 1.5");
	ok(!jv_is_valid(ul_scalar_bool("maybe", 5, Y)), "!!bool refuses maybe");
	jv f = ul_scalar_float("3", 1);
	is_double(jv_number_value(f), 3.0, 0, "!!float takes 3");
	jv_free(f);
	/* a very long digit string is not read past its length */
	char longnum[300];
	memset(longnum, '9', sizeof longnum);
	jv big = ul_scalar_parse(longnum, sizeof longnum, Y);
	ok(jv_get_kind(big) == JV_KIND_STRING, "a 300-digit scalar stays a string");
	jv_free(big);

	return done_testing();
}
