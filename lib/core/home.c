#include "core/home.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p with mode 0700 for everything it creates. */
static int make_dirs(char *path)
{
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		int rc = mkdir(path, 0700);
		int err = errno;
		*p = saved;
		if (rc < 0 && err != EEXIST) {
			errno = err;
			return -1;
		}
		if (saved == '\0')
			return 0;
	}
}

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
	char *path = strdup(jv_string_value(dir));
	int rc = path ? make_dirs(path) : -1;
	int err = errno;
	free(path);
	struct stat st;
	if (rc < 0 || stat(jv_string_value(dir), &st) < 0) {
		jv msg = jv_string_fmt("state directory %s: %s", jv_string_value(dir), strerror(rc < 0 ? err : errno));
		jv_free(dir);
		return jv_invalid_with_msg(msg);
	}
	if (!S_ISDIR(st.st_mode)) {
		jv msg = jv_string_fmt("state directory %s is not a directory", jv_string_value(dir));
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
