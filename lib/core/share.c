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

int ul_program_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	if (n <= 0)
		return -1;
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

jv ul_share_path(const char *name)
{
	const char *env = getenv("UL_SHARE");
	if (env && *env) {
		jv path = found(env, name);
		return jv_is_valid(path) ? path : jv_invalid_with_msg(jv_string_fmt("%s not found in UL_SHARE=%s", name, env));
	}
	char dir[PATH_MAX];
	if (ul_program_dir(dir, sizeof dir - sizeof "/../share/ul") == 0) {
		strcat(dir, "/../share/ul");  /* bin/ul-tool -> bin/../share/ul */
		jv path = found(dir, name);
		if (jv_is_valid(path))
			return path;
	}
	jv path = found(UL_DATADIR, name);
	if (jv_is_valid(path))
		return path;
	return jv_invalid_with_msg(jv_string_fmt("%s not found beside the program or in %s; set UL_SHARE", name, UL_DATADIR));
}
