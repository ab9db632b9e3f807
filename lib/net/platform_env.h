/* Where the platform is and who we are to it, from the environment: ours
 * (UL_*) first, then Ultralytics' own variable names, so a user of the
 * real platform needs to set nothing new. ul-fetch's ul:// and ul-push
 * read the same ones. */
#ifndef UL_NET_PLATFORM_ENV_H
#define UL_NET_PLATFORM_ENV_H

#include <jv.h>

/* $a, or $b when $a is unset or empty; NULL when both are. */
const char *ul_env_first(const char *a, const char *b);

/* The web address: UL_PLATFORM_URL or ULTRALYTICS_PLATFORM_URL, default
 * https://platform.ultralytics.com, without trailing slashes. */
jv ul_platform_web_url(void);

/* The base of the training webhooks ul-push calls: UL_PLATFORM_API_URL or
 * PLATFORM_API_URL (Ultralytics' name, which means this), default the web
 * address + /api/webhooks. */
jv ul_platform_webhooks_url(void);

/* The API key: UL_API_KEY or ULTRALYTICS_API_KEY, NULL when unset. */
const char *ul_platform_key(void);

#endif
