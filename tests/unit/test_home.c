/* The state directory: $UL_HOME or ~/.ul, created private on demand. */
#include <sys/stat.h>

#include "core/home.h"
#include "tap.h"

int main(void)
{
	char base[] = "/tmp/ul-home-XXXXXX";
	ok(mkdtemp(base) != NULL, "temp dir");
	char dir[256], file[300], nested[320];

	snprintf(dir, sizeof dir, "%s/a/b/state", base);
	setenv("UL_HOME", dir, 1);
	jv home = ul_home();
	is_str(jv_is_valid(home) ? jv_string_value(home) : "invalid", dir, "UL_HOME is used");
	jv_free(home);
	struct stat st;
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "it was created with its parents");
	is_int(st.st_mode & 0777, 0700, "readable by its owner only");
	jv again = ul_home();
	ok(jv_is_valid(again), "a second call finds it");
	jv_free(again);

	jv path = ul_home_path("ledger.db");
	snprintf(file, sizeof file, "%s/ledger.db", dir);
	is_str(jv_string_value(path), file, "paths inside it");
	jv_free(path);

	unsetenv("UL_HOME");
	setenv("HOME", base, 1);
	home = ul_home();
	snprintf(dir, sizeof dir, "%s/.ul", base);
	is_str(jv_is_valid(home) ? jv_string_value(home) : "invalid", dir, "default is ~/.ul");
	jv_free(home);

	snprintf(file, sizeof file, "%s/plain-file", base);
	FILE *f = fopen(file, "w");
	fclose(f);
	setenv("UL_HOME", file, 1);
	home = ul_home();
	jv msg = jv_invalid_get_msg(home);
	contains(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "", "plain-file: Not a directory",
		 "a file in the way is an error");
	jv_free(msg);

	snprintf(nested, sizeof nested, "%s/x/state", file);
	setenv("UL_HOME", nested, 1);
	home = ul_home();
	msg = jv_invalid_get_msg(home);
	contains(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "", "Not a directory",
		 "a file in the middle of the path is an error");
	jv_free(msg);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	ok(system(cmd) == 0, "cleaned up");
	return done_testing();
}
