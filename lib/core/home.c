#include "core/home.h"

#include "core/fs.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

jv ul_home(void)
{
	const char *env = getenv("UL_HOME");
	jv dir;
	if (env && *env) {
		dir = jv_string(env);
	} else {
		const char *home = getenv("HOME");
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return jv_invalid_with_msg(jv_string("no home directory: set UL_HOME"));
		dir = jv_string_fmt("%s/.ul", home);
	}
	if (ul_mkdirs(jv_string_value(dir), 0700) < 0) {
		jv msg = jv_string_fmt("state directory %s: %s", jv_string_value(dir), strerror(errno));
		jv_free(dir);
		return jv_invalid_with_msg(msg);
	}
	return dir;
}

jv ul_home_path(const char *name)
{
	jv dir = ul_home();
	if (!jv_is_valid(dir))
		return dir;
	jv path = jv_string_fmt("%s/%s", jv_string_value(dir), name);
	jv_free(dir);
	return path;
}
