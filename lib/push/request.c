#include "push/request.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/grow.h"
#include "core/version.h"

#include <jv.h>

/* Ultralytics waits 30 s for an event; a stalled server costs no more. */
#define POST_TIMEOUT_S 30L
#define CONNECT_TIMEOUT_S 10L

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct ul_request *r = arg;
	size_t len = size * n;
	/* An answer is a small JSON object; more is not read. */
	if (r->resp_len + len > (1u << 20))
		return len;
	if (ul_grow(&r->resp, &r->resp_cap, r->resp_len + len + 1, 1) < 0)
		return 0;
	memcpy(r->resp + r->resp_len, data, len);
	r->resp_len += len;
	r->resp[r->resp_len] = '\0';
	return len;
}

int ul_request_init(struct ul_request *r)
{
	memset(r, 0, sizeof *r);
	r->h = curl_easy_init();
	if (!r->h)
		return -1;
	const char *version = ul_version_string();
	char agent[64];
	snprintf(agent, sizeof agent, "ul-push/%.*s", (int)strcspn(version, " "), version);
	curl_easy_setopt(r->h, CURLOPT_USERAGENT, agent);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	return 0;
}

static void release(struct ul_request *r)
{
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	free(r->body);
	r->body = NULL;
	if (r->file)
		fclose(r->file);
	r->file = NULL;
}

void ul_request_free(struct ul_request *r)
{
	release(r);
	free(r->resp);
	if (r->h)
		curl_easy_cleanup(r->h);
	memset(r, 0, sizeof *r);
}

static void begin(struct ul_request *r, const char *url)
{
	release(r);
	r->resp_len = 0;
	if (r->resp)
		r->resp[0] = '\0';
	curl_easy_setopt(r->h, CURLOPT_URL, url);
}

void ul_request_post(struct ul_request *r, const char *url, const char *key, const char *idem, char *body)
{
	begin(r, url);
	r->body = body;
	r->headers = curl_slist_append(r->headers, "Content-Type: application/json");
	/* No "Expect: 100-continue": a server that ignores it would cost a
	 * second per event. */
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (key) {
		jv h = jv_string_fmt("Authorization: Bearer %s", key);
		r->headers = curl_slist_append(r->headers, jv_string_value(h));
		jv_free(h);
	}
	if (idem) {
		jv h = jv_string_fmt("Idempotency-Key: %s", idem);
		r->headers = curl_slist_append(r->headers, jv_string_value(h));
		jv_free(h);
	}
	curl_easy_setopt(r->h, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(r->h, CURLOPT_POST, 1L);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT, POST_TIMEOUT_S);
	curl_easy_setopt(r->h, CURLOPT_LOW_SPEED_LIMIT, 0L);
}

int ul_request_put(struct ul_request *r, const char *url, const char *path, long long *bytes)
{
	begin(r, url);
	r->file = fopen(path, "rb");
	struct stat st;
	if (!r->file || fstat(fileno(r->file), &st) < 0)
		return -1;
	*bytes = (long long)st.st_size;
	r->headers = curl_slist_append(r->headers, "Content-Type: application/octet-stream");
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(r->h, CURLOPT_READDATA, r->file);
	curl_easy_setopt(r->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	/* A file takes as long as it takes, unless it stops moving. */
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(r->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(r->h, CURLOPT_LOW_SPEED_TIME, POST_TIMEOUT_S);
	return 0;
}

enum ul_verdict ul_request_done(struct ul_request *r, CURLcode rc, long *status, double *retry_after)
{
	*status = 0;
	*retry_after = 0;
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, status);
	curl_off_t after = 0;
	if (curl_easy_getinfo(r->h, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
		*retry_after = (double)after;
	release(r);
	if (rc != CURLE_OK || *status == 0)
		return UL_RETRY;
	if (*status / 100 == 2)
		return UL_DELIVERED;
	if (*status == 401)
		return UL_UNAUTHORIZED;
	if (*status == 408 || *status == 429 || *status >= 500)
		return UL_RETRY;
	return UL_REFUSED;
}
