/* Downloading over HTTP(S) with libcurl: one file, a cached file, or many.
 *
 * Bytes go to DEST.part and DEST appears, by rename, only once they are all
 * there and match the expected SHA-256: a reader never sees half a file. A
 * .part left by an interrupted run is continued with a Range request.
 * Connection failures, timeouts, stalls, 408, 429 and 5xx are retried with
 * exponential backoff (Retry-After, when sent, sets the wait); other
 * failures are final. TLS certificates are always verified.
 *
 * Failures are `error` records (core/error.h) with "url" and, when the
 * server answered, "status". Codes: unauthorized (401), forbidden (403),
 * not_found (404), not_ready (409), http (any other status, a redirect
 * loop), network (cannot connect, timed out, stalled, cut off), too_large
 * (over max_bytes), checksum (SHA-256 mismatch), io (local files), stopped
 * (SIGINT or SIGTERM, core/signals.h). Messages name the URL without its
 * query string and user info, which may hold secrets; the bearer token is
 * never in a message. */
#ifndef UL_NET_DOWNLOAD_H
#define UL_NET_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

struct ul_download {
	const char *url;            /* http or https; other schemes are refused, redirects included */
	const char *dest;           /* the final path; its missing parent directories are created */
	const char *bearer_token;   /* sent as "Authorization: Bearer ...", only to the URL's own host; NULL for none */
	const char *sha256;         /* expected hex digest, or NULL */
	long long max_bytes;        /* refuse a body larger than this (announced or received); 0 = no cap */
	long connect_timeout_s;     /* 0 means 10 */
	long stall_timeout_s;       /* abort when under 1 byte/s for this long; 0 means 30 */
	int attempts;               /* tries in all; 0 means 5 */
	double backoff_s;           /* first retry delay, doubled each time, at most 60; 0 means 2 */
	bool no_redirects;          /* true: do not follow a 3xx; report its Location instead */
	const char *progress_label; /* progress bar on stderr, drawn only on a terminal; NULL for none */
};

struct ul_download_result {
	long status;       /* last HTTP status, 0 when none came */
	jv location;       /* the absolute Location of a 3xx when no_redirects, else jv_null(); the caller frees it */
	long long bytes;   /* size of the finished file */
	bool resumed;      /* a previous DEST.part was continued with a Range request */
};

/* 0 on success; -1 with *err set to an error record otherwise. With
 * no_redirects, a 3xx is a success that writes no file: see res->location.
 * res may be NULL. A 416 answer to a Range, or a SHA-256
 * mismatch, starts over from zero once. */
int ul_download_file(const struct ul_download *d, struct ul_download_result *res, jv *err);

/* Downloads d->url once into $UL_HOME/cache/downloads/<first 16 hex digits
 * of sha256(url)>/<last path segment of the URL, or "download"> and returns
 * that path as a jv string; when the file is already there nothing is
 * downloaded. d->dest is ignored. On failure: jv_invalid(), *err set. */
jv ul_download_cached(const struct ul_download *d, jv *err);

/* Downloads n files, up to `parallel` at a time over shared connections,
 * each with its own retry rules. Returns how many failed and appends one
 * error record per failure to *errors (a jv array). Per-file bars are not
 * drawn: list[0].progress_label, when set, labels one bar counting files. */
int ul_download_many(const struct ul_download *list, size_t n, int parallel, jv *errors);

#endif
