/* One HTTP request to the platform, on a handle reused from request to
 * request so the connection stays open. */
#ifndef UL_PUSH_REQUEST_H
#define UL_PUSH_REQUEST_H

#include <curl/curl.h>
#include <stdio.h>

/* How the platform's answer is taken (ultralytics/utils/callbacks/platform.py). */
enum ul_verdict {
	UL_DELIVERED,     /* 2xx */
	UL_RETRY,         /* 408, 429, 5xx, a timeout, no connection: try again later */
	UL_REFUSED,       /* any other 4xx (or 3xx): trying again would not help */
	UL_UNAUTHORIZED,  /* 401: the key is wrong; stop */
};

struct ul_request {
	CURL *h;
	struct curl_slist *headers;
	char *body;
	char *resp;             /* the answer's body, NUL-ended */
	size_t resp_len, resp_cap;
	FILE *file;             /* the file a PUT sends */
};

/* 0, or -1 when libcurl cannot make a handle. */
int ul_request_init(struct ul_request *r);
void ul_request_free(struct ul_request *r);

/* A JSON POST with the bearer key and an Idempotency-Key (idem may be
 * NULL); takes body, a malloc'd string. */
void ul_request_post(struct ul_request *r, const char *url, const char *key, const char *idem, char *body);

/* PUT of a file's bytes to a signed URL, which gets no key. The size in
 * *bytes. 0, or -1 with errno when the file cannot be opened. */
int ul_request_put(struct ul_request *r, const char *url, const char *path, long long *bytes);

/* After the transfer ended with rc: the verdict, the status (0 when no
 * answer came) and the wait the server asked for (0 when none). Releases
 * what the request held, except the answer's body. */
enum ul_verdict ul_request_done(struct ul_request *r, CURLcode rc, long *status, double *retry_after);

#endif
