/* Downloads against a real HTTP server on 127.0.0.1 (tests/servers/httpd.py):
 * success, the cache, resume, retries, every error code, size caps,
 * checksums, redirects, many files at once, and Ctrl-C. The server's own
 * request log shows what was asked for, independently of the code under
 * test. */
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "core/error.h"
#include "core/sha256.h"
#include "core/signals.h"
#include "net/download.h"
#include "tap.h"

#define TOKEN_WRONG "wrong-secret-token-8231"

static char dir[] = "/tmp/ul-download-XXXXXX";
static pid_t server;
static int port;
static jv messages; /* every error message, to check no token leaked */

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A path under the temp dir; sixteen can be in use at once. */
static const char *at(const char *fmt, const char *name)
{
	static char ring[16][512];
	static int next;
	char *buf = ring[next++ % 16];
	char rel[400];
	snprintf(rel, sizeof rel, fmt, name);
	snprintf(buf, 512, "%s/%s", dir, rel);
	return buf;
}

static const char *url(const char *path)
{
	static char ring[16][512];
	static int next;
	char *buf = ring[next++ % 16];
	snprintf(buf, 512, "http://127.0.0.1:%d%s", port, path);
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Writes size pseudo-random bytes, different for each name. */
static void write_bytes(const char *path, size_t size, unsigned seed)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		fputc((int)(seed >> 16 & 0xff), f);
	}
	if (fclose(f) != 0)
		abort();
}

static void fixture(const char *name, size_t size)
{
	write_bytes(at("files/%s", name), size, (unsigned)strlen(name) * 7919u + (unsigned)name[0]);
}

/* A file's bytes, malloc'd, with their count in *size; NULL when unreadable. */
static char *slurp(const char *path, long *size)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	if (f && fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)*size + 1);
		if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) {
			free(data);
			data = NULL;
		}
	}
	if (f)
		fclose(f);
	return data;
}

/* The first len bytes of a fixture, as a .part left by an earlier run. */
static void part_from(const char *name, const char *part, long len)
{
	long size;
	char *all = slurp(at("files/%s", name), &size);
	FILE *f = fopen(part, "wb");
	if (!all || size < len || !f || fwrite(all, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0)
		abort();
	free(all);
}

static bool same_file(const char *a, const char *b)
{
	long na = -1, nb = -2;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	bool same = x && y && na == nb && !memcmp(x, y, (size_t)na);
	free(x);
	free(y);
	return same;
}

static void start_server(void)
{
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	const char *root = getenv("UL_ROOT");
	char script[512];
	snprintf(script, sizeof script, "%s/tests/servers/httpd.py", root ? root : ".");
	server = fork();
	if (server == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", script, at("files", ""), (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (!f || fscanf(f, "%d", &port) != 1) {
		printf("Bail out! the test server did not start (python3 %s)\n", script);
		exit(1);
	}
	fclose(f);
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	jv *text = arg;
	*text = jv_string_append_buf(*text, data, (int)(size * n));
	return size * n;
}

/* The Range of each request the server saw for path, "-" for none,
 * space-separated: "- bytes=1000-" is two requests, the second ranged.
 * Asked with a curl handle of its own, not through the code under test. */
static const char *requests(const char *path)
{
	static char out[4096];
	jv text = jv_string("");
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url("/__log"));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &text);
	if (curl_easy_perform(c) != CURLE_OK)
		abort();
	curl_easy_cleanup(c);
	jv log = jv_parse(jv_string_value(text));
	jv_free(text);
	size_t used = 0;
	out[0] = '\0';
	jv_array_foreach(log, i, entry) {
		jv p = jv_object_get(jv_copy(entry), jv_string("path"));
		jv range = jv_object_get(entry, jv_string("range"));
		if (!strcmp(jv_string_value(p), path))
			used += (size_t)snprintf(out + used, sizeof out - used, "%s%s", used ? " " : "",
				jv_get_kind(range) == JV_KIND_STRING ? jv_string_value(range) : "-");
		jv_free(p);
		jv_free(range);
	}
	jv_free(log);
	return out;
}

/* Fast retries, so the tests stay quick. */
static struct ul_download quick(const char *from, const char *dest)
{
	return (struct ul_download){ .url = from, .dest = dest, .attempts = 3, .backoff_s = 0.01, .stall_timeout_s = 5 };
}

/* Downloads, expecting failure with code; the message goes to *message
 * (static) and to the list searched for tokens at the end. */
static void fails(const struct ul_download *d, const char *code, const char **message, const char *name)
{
	static char text[1024];
	jv err = jv_null();
	struct ul_download_result res;
	int rc = ul_download_file(d, &res, &err);
	jv_free(res.location);
	jv got = jv_get_kind(err) == JV_KIND_OBJECT ? jv_object_get(jv_copy(err), jv_string("code")) : jv_string("");
	jv msg = jv_get_kind(err) == JV_KIND_OBJECT ? jv_object_get(jv_copy(err), jv_string("message")) : jv_string("");
	ok(rc == -1 && !strcmp(jv_string_value(got), code), "%s: %s", name, code);
	snprintf(text, sizeof text, "%s", jv_string_value(msg));
	if (message)
		*message = text;
	messages = jv_array_append(messages, msg);
	jv_free(got);
	jv_free(err);
}

static void test_plain(void)
{
	fixture("a.bin", 300000);
	struct ul_download d = quick(url("/a.bin"), at("out/deep/er/%s", "a.bin"));
	d.progress_label = "a.bin";
	struct ul_download_result res;
	jv err = jv_null();
	is_int(ul_download_file(&d, &res, &err), 0, "a plain download succeeds");
	ok(same_file(d.dest, at("files/%s", "a.bin")), "into missing directories, the same bytes");
	is_int(res.bytes, 300000, "result.bytes");
	is_int(res.status, 200, "result.status");
	ok(!res.resumed && jv_get_kind(res.location) == JV_KIND_NULL, "not resumed, no location");
	ok(!exists(at("out/deep/er/%s.part", "a.bin")), "no .part is left");

	char sum[UL_SHA256_HEX];
	ul_sha256_file(at("files/%s", "a.bin"), sum);
	d = quick(url("/a.bin"), at("out/%s", "a-sum.bin"));
	d.sha256 = sum;
	is_int(ul_download_file(&d, NULL, NULL), 0, "the right SHA-256 passes");
	ok(same_file(d.dest, at("files/%s", "a.bin")), "and the file is there");

	d = quick(url("/a.bin"), at("files/%s/x", "a.bin"));
	fails(&d, "io", NULL, "a file in the way of the destination's directory");
}

static void test_cache(void)
{
	fixture("c.bin", 5000);
	setenv("UL_HOME", at("home", ""), 1);
	struct ul_download d = quick(url("/c.bin?token=abc"), NULL);
	jv err = jv_null();
	jv path = ul_download_cached(&d, &err);
	char key[UL_SHA256_HEX];
	ul_sha256_hex(d.url, strlen(d.url), key);
	char want[600];
	snprintf(want, sizeof want, "%s/home/cache/downloads/%.16s/c.bin", dir, key);
	is_str(jv_is_valid(path) ? jv_string_value(path) : "invalid", want, "the cache path: a hash of the URL, the file's name");
	ok(same_file(want, at("files/%s", "c.bin")), "the cached file is right");
	jv again = ul_download_cached(&d, &err);
	ok(jv_equal(jv_copy(path), again), "a second call returns the same path");
	is_str(requests("/c.bin"), "-", "and downloads nothing");
	jv_free(path);

	d = quick(url("/nothing.bin"), NULL);
	path = ul_download_cached(&d, &err);
	ok(!jv_is_valid(path), "a failed cached download is invalid");
	jv code = jv_object_get(err, jv_string("code"));
	is_str(jv_string_value(code), "not_found", "with the error record");
	jv_free(code);
	jv_free(path);
}

static void test_resume(void)
{
	fixture("r.bin", 200000);
	struct ul_download d = quick(url("/truncate/1/r.bin"), at("out/%s", "r.bin"));
	struct ul_download_result res;
	is_int(ul_download_file(&d, &res, NULL), 0, "a cut connection is retried");
	is_str(requests("/truncate/1/r.bin"), "- bytes=100000-", "continuing with a Range from the .part size");
	ok(res.resumed && res.status == 206, "result.resumed, status 206");
	ok(same_file(d.dest, at("files/%s", "r.bin")), "the file is whole");

	fixture("p.bin", 50000);
	d = quick(url("/p.bin"), at("out/%s", "p.bin"));
	part_from("p.bin", at("out/%s.part", "p.bin"), 1000);
	is_int(ul_download_file(&d, &res, NULL), 0, "a .part from an earlier run");
	is_str(requests("/p.bin"), "bytes=1000-", "is continued");
	ok(res.resumed && same_file(d.dest, at("files/%s", "p.bin")), "resumed, and right");

	fixture("n.bin", 50000);
	d = quick(url("/norange/n.bin"), at("out/%s", "n.bin"));
	write_bytes(at("out/%s.part", "n.bin"), 700, 1);
	is_int(ul_download_file(&d, &res, NULL), 0, "a server that ignores Range");
	is_str(requests("/norange/n.bin"), "bytes=700-", "was asked for the rest");
	ok(!res.resumed && same_file(d.dest, at("files/%s", "n.bin")), "sent everything, and the download started over");

	fixture("f.bin", 4000);
	d = quick(url("/f.bin"), at("out/%s", "f.bin"));
	write_bytes(at("out/%s.part", "f.bin"), 4000, 2);
	is_int(ul_download_file(&d, &res, NULL), 0, "a .part as long as the file (416)");
	is_str(requests("/f.bin"), "bytes=4000- -", "starts over once, without Range");
	ok(same_file(d.dest, at("files/%s", "f.bin")), "and gets the right bytes");

	/* A .part of someone else's bytes: the checksum catches it. */
	fixture("s.bin", 30000);
	char sum[UL_SHA256_HEX];
	ul_sha256_file(at("files/%s", "s.bin"), sum);
	d = quick(url("/s.bin"), at("out/%s", "s.bin"));
	d.sha256 = sum;
	write_bytes(at("out/%s.part", "s.bin"), 1000, 3);
	is_int(ul_download_file(&d, &res, NULL), 0, "a stale .part with a SHA-256");
	is_str(requests("/s.bin"), "bytes=1000- -", "fails the check, then starts over");
	ok(same_file(d.dest, at("files/%s", "s.bin")), "and ends right");
}

static void test_statuses(void)
{
	const char *msg;
	struct ul_download d = quick(url("/status/404?sig=SECRET"), at("out/%s", "404"));
	fails(&d, "not_found", &msg, "404");
	contains(msg, url("/status/404"), "the message names the URL");
	ok(!strstr(msg, "SECRET") && !strstr(msg, "?"), "without its query string: '%s'", msg);
	ok(!exists(d.dest) && !exists(at("out/%s.part", "404")), "no file is written");
	is_str(requests("/status/404"), "-", "a 404 is not retried");

	d = quick(url("/status/403"), at("out/%s", "403"));
	fails(&d, "forbidden", &msg, "403");
	d = quick(url("/status/409"), at("out/%s", "409"));
	fails(&d, "not_ready", &msg, "409");
	contains(msg, "try again later", "a dataset still being processed");
	d = quick(url("/status/418"), at("out/%s", "418"));
	fails(&d, "http", &msg, "another status");
	contains(msg, "HTTP 418", "names the status");
	is_str(requests("/status/418"), "-", "other 4xx are not retried");

	d = quick(url("/status/503"), at("out/%s", "503"));
	fails(&d, "http", &msg, "a 503 every time");
	is_str(requests("/status/503"), "- - -", "is tried `attempts` times");
	contains(msg, "HTTP 503 (3 tries)", "and says so");

	fixture("fl.bin", 1000);
	d = quick(url("/flaky/2/fl.bin"), at("out/%s", "fl.bin"));
	is_int(ul_download_file(&d, NULL, NULL), 0, "two 500s, then success");
	is_str(requests("/flaky/2/fl.bin"), "- - -", "in three requests");

	fixture("sr.bin", 1000);
	d = quick(url("/slowretry/sr.bin"), at("out/%s", "sr.bin"));
	double t0 = seconds();
	is_int(ul_download_file(&d, NULL, NULL), 0, "429 with Retry-After, then success");
	ok(seconds() - t0 >= 0.9, "after waiting the second Retry-After asked (%.2f s)", seconds() - t0);
	ok(same_file(d.dest, at("files/%s", "sr.bin")), "the file is right");
}

static void test_auth(void)
{
	fixture("k.bin", 2000);
	const char *msg;
	struct ul_download d = quick(url("/auth/k.bin"), at("out/%s", "k.bin"));
	fails(&d, "unauthorized", &msg, "no token");
	d.bearer_token = TOKEN_WRONG;
	fails(&d, "unauthorized", &msg, "a wrong token");
	contains(msg, "the API key was refused", "is refused");
	d.bearer_token = "test-key";
	is_int(ul_download_file(&d, NULL, NULL), 0, "the right token is accepted");
	ok(same_file(d.dest, at("files/%s", "k.bin")), "the file is right");

	/* "localhost" is another host to curl, as a storage service would be. */
	char to[200];
	snprintf(to, sizeof to, "/redirect?to=http://localhost:%d/auth/k.bin", port);
	d = quick(url(to), at("out/%s", "k2.bin"));
	d.bearer_token = "test-key";
	fails(&d, "unauthorized", &msg, "the token does not follow a redirect to another host");
}

static void test_broken(void)
{
	const char *msg;
	fixture("big.bin", 100000);
	struct ul_download d = quick(url("/stall/big.bin"), at("out/%s", "stall.bin"));
	d.stall_timeout_s = 2;
	d.attempts = 1;
	double t0 = seconds();
	fails(&d, "network", &msg, "a stalled server");
	double took = seconds() - t0;
	ok(took >= 1.5 && took < 5, "gives up after the stall timeout (%.2f s)", took);
	contains(msg, "stalled", "says it stalled");
	contains(msg, "127.0.0.1", "names the host");
	ok(!exists(d.dest), "no DEST");

	fixture("t.bin", 80000);
	d = quick(url("/truncate/99/t.bin"), at("out/%s", "t.bin"));
	fails(&d, "network", &msg, "a body that never completes");
	contains(msg, "closed after", "the connection closed early");
	is_str(requests("/truncate/99/t.bin"), "- bytes=40000- bytes=60000-", "each try continued the last");
	ok(!exists(d.dest), "no DEST");

	char sum[UL_SHA256_HEX];
	ul_sha256_hex("not it", 6, sum);
	d = quick(url("/big.bin"), at("out/%s", "sum.bin"));
	d.sha256 = sum;
	fails(&d, "checksum", &msg, "a wrong SHA-256");
	contains(msg, sum, "names the expected digest");
	is_str(requests("/big.bin"), "- -", "one clean restart first");
	ok(!exists(d.dest) && !exists(at("out/%s.part", "sum.bin")), "no DEST, no .part");

	d = quick(url("/big.bin"), at("out/%s", "cap.bin"));
	d.max_bytes = 1000;
	fails(&d, "too_large", &msg, "Content-Length over max_bytes");
	contains(msg, "announces 100000 bytes", "refused before the body");
	ok(!exists(d.dest) && !exists(at("out/%s.part", "cap.bin")), "no DEST, no .part");

	d = quick(url("/nolength/big.bin"), at("out/%s", "cap2.bin"));
	d.max_bytes = 1000;
	fails(&d, "too_large", &msg, "a body without length over max_bytes");
	contains(msg, "larger than the limit of 1000 bytes", "stopped while receiving");
	ok(!exists(d.dest) && !exists(at("out/%s.part", "cap2.bin")), "no DEST, no .part");

	/* A bound socket that never listens refuses every connection. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;
	bind(s, (struct sockaddr *)&addr, sizeof addr);
	getsockname(s, (struct sockaddr *)&addr, &len);
	char closed[100];
	snprintf(closed, sizeof closed, "http://127.0.0.1:%d/x.bin", ntohs(addr.sin_port));
	d = quick(closed, at("out/%s", "x.bin"));
	fails(&d, "network", &msg, "an unreachable port");
	contains(msg, "cannot connect to 127.0.0.1", "says so, with the host");
	close(s);
}

static void test_redirect(void)
{
	struct ul_download d = quick(url("/redirect?to=/a.bin"), at("out/%s", "redir.bin"));
	d.no_redirects = true;
	struct ul_download_result res;
	is_int(ul_download_file(&d, &res, NULL), 0, "no_redirects: a 302 is an answer");
	is_int(res.status, 302, "its status");
	is_str(jv_get_kind(res.location) == JV_KIND_STRING ? jv_string_value(res.location) : "none", url("/a.bin"),
	       "result.location, made absolute");
	ok(!exists(d.dest), "no file");
	jv_free(res.location);
	d.no_redirects = false;
	is_int(ul_download_file(&d, NULL, NULL), 0, "followed by default");
	ok(same_file(d.dest, at("files/%s", "a.bin")), "to the right file");
}

static void test_many(void)
{
	static char urls[20][100], dests[20][600];
	struct ul_download list[20];
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof name, "m%02d.jpg", i);
		if (i != 7)
			fixture(name, 1000 + 997 * (size_t)i);
		snprintf(urls[i], sizeof urls[i], "%s%s", url(i % 5 ? "/" : "/flaky/1/"), name);
		snprintf(dests[i], sizeof dests[i], "%s", at("out/many/%s", name));
		list[i] = quick(urls[i], dests[i]);
	}
	jv errors = jv_array();
	double t0 = seconds();
	is_int(ul_download_many(list, 20, 4, &errors), 1, "20 files, 4 at a time: one missing fails");
	ok(seconds() - t0 < 5, "quickly (%.2f s)", seconds() - t0);
	is_int(jv_array_length(jv_copy(errors)), 1, "one error record");
	jv code = jv_object_get(jv_array_get(jv_copy(errors), 0), jv_string("code"));
	is_str(jv_get_kind(code) == JV_KIND_STRING ? jv_string_value(code) : "", "not_found", "it is not_found");
	jv_free(code);
	jv_free(errors);
	int right = 0;
	for (int i = 0; i < 20; i++)
		right += i != 7 && same_file(dests[i], at("files/%s", strrchr(urls[i], '/') + 1));
	is_int(right, 19, "the other 19 are right, the flaky ones too");
	is_str(requests("/flaky/1/m05.jpg"), "- -", "retried within the batch");
}

struct text { char buf[65536]; size_t used; };

static size_t collect_raw(char *data, size_t size, size_t n, void *arg)
{
	struct text *t = arg;
	size_t len = size * n, room = sizeof t->buf - 1 - t->used;
	memcpy(t->buf + t->used, data, len < room ? len : room);
	t->used += len < room ? len : room;
	t->buf[t->used] = '\0';
	return len;
}

/* Raises SIGINT once the server has the request. Plain text, no jv: jv
 * values are not for two threads at once. */
static void *interrupt(void *arg)
{
	(void)arg;
	static struct text log;
	struct timespec pause = { 0, 10000000 };
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url("/__log"));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_raw);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &log);
	for (;;) {
		log.used = 0;
		if (curl_easy_perform(c) != CURLE_OK || strstr(log.buf, "\"/stall/stop.bin\""))
			break;
		nanosleep(&pause, NULL);
	}
	curl_easy_cleanup(c);
	raise(SIGINT);
	return NULL;
}

static void test_stop(void)
{
	ok(ul_signals_install() == 0, "signal handlers");
	fixture("stop.bin", 100000);
	struct ul_download d = quick(url("/stall/stop.bin"), at("out/%s", "stop.bin"));
	d.stall_timeout_s = 20;
	pthread_t thread;
	pthread_create(&thread, NULL, interrupt, NULL);
	double t0 = seconds();
	fails(&d, "stopped", NULL, "SIGINT during a transfer");
	ok(seconds() - t0 < 5, "stops at once (%.2f s)", seconds() - t0);
	pthread_join(thread, NULL);
	ok(!exists(d.dest), "no DEST");
}

int main(void)
{
	ul_set_program("ul-test");
	if (!mkdtemp(dir))
		abort();
	mkdir(at("files", ""), 0755);
	messages = jv_array();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_server();

	test_plain();
	test_cache();
	test_resume();
	test_statuses();
	test_auth();
	test_broken();
	test_redirect();
	test_many();

	test_stop(); /* last: a stop, once requested, stays requested */

	int count = jv_array_length(jv_copy(messages));
	jv all = jv_dump_string(messages, 0);
	ok(!strstr(jv_string_value(all), TOKEN_WRONG) && !strstr(jv_string_value(all), "test-key"),
	   "no token in any of the %d error messages", count);
	jv_free(all);

	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	curl_global_cleanup();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "cleaned up");
	return done_testing();
}
