/* Project and run slugs, against what Ultralytics' own slugify() gives
 * (ultralytics/utils/callbacks/platform.py; the expected values were made
 * with it). */
#include "push/slug.h"
#include "tap.h"

static void slug_is(const char *text, const char *want, const char *name)
{
	jv got = ul_slugify(text);
	is_str(jv_string_value(got), want, "%s", name);
	jv_free(got);
}

int main(void)
{
	slug_is("My Project 1", "my-project-1", "lower case, spaces to dashes");
	slug_is("Exp 1!", "exp-1", "other characters dropped");
	slug_is("--a--b--", "a-b", "dashes squeezed and trimmed");
	slug_is("a - b", "a-b", "spaces and dashes together make one");
	slug_is("\xc3\x9c" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9" " name", "ncd-name", "non-ASCII letters dropped");
	slug_is("r\xc3\xa9sum\xc3\xa9" "-2026_v3", "rsum-2026v3", "underscores dropped");
	slug_is("a\tb c", "a\tb-c", "other whitespace kept, as Python's \\s does");
	slug_is("KELVIN \xe2\x84\xaa \xc4\xb0" "stanbul", "kelvin-k-istanbul", "the two letters that lower-case to ASCII");
	slug_is("   ", "", "nothing left");

	char longer[200];
	memset(longer, 'x', 127);
	strcpy(longer + 127, " y");
	char want[129];
	memset(want, 'x', 127);
	strcpy(want + 127, "-");
	slug_is(longer, want, "cut at 128 characters after trimming, as Python does");

	jv p = ul_project_slug("Me/My Pets");
	is_str(jv_string_value(p), "Me/my-pets", "OWNER/NAME keeps the owner as given");
	jv_free(p);
	p = ul_project_slug("My Pets");
	is_str(jv_string_value(p), "my-pets", "a project without owner is one slug");
	jv_free(p);
	return done_testing();
}
