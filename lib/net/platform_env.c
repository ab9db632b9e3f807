#include "net/platform_env.h"

#include <stdlib.h>
#include <string.h>

const char *ul_env_first(const char *a, const char *b)
{
	const char *v = getenv(a);
	if (!v || !*v)
		v = getenv(b);
	return v && *v ? v : NULL;
}

jv ul_platform_web_url(void)
{
	const char *web = ul_env_first("UL_PLATFORM_URL", "ULTRALYTICS_PLATFORM_URL");
	if (!web)
		web = "https://platform.ultralytics.com";
	size_t n = strlen(web);
	while (n > 0 && web[n - 1] == '/')
		n--;
	return jv_string_sized(web, (int)n);
}

jv ul_platform_webhooks_url(void)
{
	const char *api = ul_env_first("UL_PLATFORM_API_URL", "PLATFORM_API_URL");
	if (api)
		return jv_string(api);
	jv web = ul_platform_web_url();
	jv out = jv_string_fmt("%s/api/webhooks", jv_string_value(web));
	jv_free(web);
	return out;
}

const char *ul_platform_key(void)
{
	return ul_env_first("UL_API_KEY", "ULTRALYTICS_API_KEY");
}
