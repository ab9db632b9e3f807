#include "core/share.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ul_config.h"

static jv found(const char *dir, const char *name)
{
	jv path = jv_string_fmt("%s/%s", dir, name);
	struct stat st;
	if (stat(jv_string_value(path), &st) == 0)
		return path;
	jv_free(path);
	return jv_invalid();
}

jv ul_share_path(const char *name)
{
	const char *env = getenv("UL_SHARE");
	if (env && *env) {
		jv path = found(env, name);
		return jv_is_valid(path) ? path : jv_invalid_with_msg(jv_string_fmt("%s not found in UL_SHARE=%s", name, env));
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			/* bin/ul-tool -> bin/../share/ul */
			strcpy(slash, "/../share/ul");
			jv path = found(exe, name);
			if (jv_is_valid(path))
				return path;
		}
	}
	jv path = found(UL_DATADIR, name);
	if (jv_is_valid(path))
		return path;
	return jv_invalid_with_msg(jv_string_fmt("%s not found beside the program or in %s; set UL_SHARE", name, UL_DATADIR));
}
