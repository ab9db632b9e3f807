/* Unpacking archives: every format we read, links that stay inside, each
 * unsafe entry refused with nothing left behind, bombs, corrupt input, a
 * stop signal, and a real dataset byte for byte. The archives are made
 * here, with libarchive's writer, in a temporary folder. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/error.h"
#include "core/signals.h"
#include "data/archive.h"
#include "datasets.h"
#include "tap.h"

enum kind { ZIP, TAR, TAR_GZ, TAR_XZ, TAR_ZST, TAR_BZ2 };

/* One member of a test archive. type: 'f' file, 'd' folder, 'l' symbolic
 * link, 'h' hard link, 'c' character device, 'p' fifo, 's' a sparse file of
 * size bytes holding data only in its first 4 KiB. A file without data is
 * size zero bytes. mode 0 means 0644 for files, 0755 for folders. */
struct member {
	char type;
	const char *name;
	const char *data;
	long long size;
	int mode;
	const char *link;
};

static char root[64];       /* the test's own temporary folder */
static char in_dir[128];    /* the archives */
static char out_dir[128];   /* holds only dest, and only after a success */
static char dest[160];
static char outside[128];   /* what escapes would land here: stays empty */

static void write_zeros(struct archive *a, long long n)
{
	static char zeros[1 << 20];
	for (long long done = 0; done < n;) {
		long long step = n - done < (long long)sizeof zeros ? n - done : (long long)sizeof zeros;
		if (archive_write_data(a, zeros, (size_t)step) != step)
			abort();
		done += step;
	}
}

/* Writes the members as an archive of that kind. -1 when this libarchive
 * cannot write the kind (a filter it was built without). */
static int write_archive(const char *path, enum kind kind, const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();
	int r = kind == ZIP ? archive_write_set_format_zip(a) : archive_write_set_format_pax(a);
	if (kind == TAR_GZ)
		r = archive_write_add_filter_gzip(a);
	else if (kind == TAR_XZ)
		r = archive_write_add_filter_xz(a);
	else if (kind == TAR_ZST)
		r = archive_write_add_filter_zstd(a);
	else if (kind == TAR_BZ2)
		r = archive_write_add_filter_bzip2(a);
	if (r != ARCHIVE_OK || archive_write_open_filename(a, path) != ARCHIVE_OK) {
		archive_write_free(a);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		long long size = m[i].data && !m[i].size ? (long long)strlen(m[i].data) : m[i].size;
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_perm(e, m[i].mode ? m[i].mode : m[i].type == 'd' ? 0755 : 0644);
		archive_entry_set_filetype(e, m[i].type == 'd' ? AE_IFDIR : m[i].type == 'l' ? AE_IFLNK :
			m[i].type == 'c' ? AE_IFCHR : m[i].type == 'p' ? AE_IFIFO : AE_IFREG);
		if (m[i].type == 'l')
			archive_entry_set_symlink(e, m[i].link);
		if (m[i].type == 'h')
			archive_entry_set_hardlink(e, m[i].link);
		if (m[i].type == 'c')
			archive_entry_set_rdev(e, makedev(1, 3));
		if (m[i].type == 'f' || m[i].type == 's')
			archive_entry_set_size(e, size);
		if (m[i].type == 's')
			archive_entry_sparse_add_entry(e, 0, 4096);
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			abort();
		if (m[i].type == 'f' && m[i].data)
			archive_write_data(a, m[i].data, (size_t)size);
		else if (m[i].type == 'f')
			write_zeros(a, size);
		else if (m[i].type == 's')
			write_zeros(a, 4096);
		archive_entry_free(e);
	}
	r = archive_write_close(a);
	archive_write_free(a);
	return r == ARCHIVE_OK ? 0 : -1;
}

static const char *in(const char *name)
{
	static char path[4][256];
	static int turn;
	char *p = path[turn++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", in_dir, name);
	return p;
}

static const char *out(const char *name)
{
	static char path[4][PATH_MAX];
	static int turn;
	char *p = path[turn++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", dest, name);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static bool has_bytes(const char *path, const char *want, size_t want_len)
{
	size_t len = 0;
	char *got = slurp(path, &len);
	bool same = got && len == want_len && !memcmp(got, want, len);
	free(got);
	return same;
}

static int mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *de; (de = readdir(d));)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *message_of(jv err, const char *field)
{
	jv v = jv_object_get(jv_copy(err), jv_string(field));
	char *s = strdup(jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "(none)");
	jv_free(v);
	return s;
}

/* Unpacking archive into dest must work. */
static bool unpacks(const char *archive, const struct ul_archive_limits *limits, const char *name)
{
	jv err = jv_null();
	int rc = ul_archive_extract(archive, dest, limits, &err);
	is_int(rc, 0, "%s: unpacks", name);
	if (rc < 0) {
		char *msg = message_of(err, "message");
		printf("#   %s\n", msg);
		free(msg);
		jv_free(err);
	}
	return rc == 0;
}

/* Unpacking archive must fail with code, a message that names the archive
 * and holds needle, and leave nothing behind: no dest, no partial folder,
 * nothing beside them or outside. */
static void refused(const char *archive, const struct ul_archive_limits *limits, const char *code,
	const char *needle, const char *name)
{
	jv err = jv_null();
	int rc = ul_archive_extract(archive, dest, limits, &err);
	is_int(rc, -1, "%s: refused", name);
	char *got_code = message_of(err, "code"), *msg = message_of(err, "message");
	is_str(got_code, code, "%s: code %s", name, code);
	contains(msg, archive, "%s: the message names the archive", name);
	contains(msg, needle, "%s: the message says %s", name, needle);
	ok(!exists(dest), "%s: dest does not exist", name);
	is_int(count_entries(out_dir), 0, "%s: no partial folder or stray file beside it", name);
	is_int(count_entries(outside), 0, "%s: nothing written outside", name);
	free(got_code);
	free(msg);
	jv_free(err);
	if (rc == 0)
		remove_tree(dest);
}

/* The small dataset every format carries, with debris macOS adds. */
static const struct member dataset[] = {
	{ 'd', "images/", NULL, 0, 0700, NULL },
	{ 'd', "images/train/", NULL, 0, 0, NULL },
	{ 'f', "images/train/a.jpg", "\xff\xd8\xff\xe0 not really a jpeg \x00\x01\x02", 27, 0, NULL },
	{ 'f', "labels/train/a.txt", "0 0.5 0.5 0.2 0.3\n", 0, 0600, NULL },
	{ 'f', "data.yaml", "path: .\ntrain: images/train\nval: images/train\nnames:\n  0: thing\n", 0, 0, NULL },
	{ 'f', "tools/run.sh", "#!/bin/sh\necho hi\n", 0, 04775, NULL },
	{ 'f', "__MACOSX/images/train/._a.jpg", "resource fork", 0, 0, NULL },
	{ 'f', "images/train/._a.jpg", "resource fork", 0, 0, NULL },
	{ 'f', "images/.DS_Store", "finder", 0, 0, NULL },
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void check_dataset(const char *name)
{
	ok(has_bytes(out("images/train/a.jpg"), dataset[2].data, 27), "%s: a.jpg has its bytes, NULs included", name);
	ok(has_bytes(out("labels/train/a.txt"), dataset[3].data, strlen(dataset[3].data)), "%s: a.txt has its bytes", name);
	ok(has_bytes(out("data.yaml"), dataset[4].data, strlen(dataset[4].data)), "%s: data.yaml has its bytes", name);
	is_int(mode_of(out("images/train/a.jpg")), 0644, "%s: a file is 0644", name);
	is_int(mode_of(out("labels/train/a.txt")), 0644, "%s: a 0600 file is 0644", name);
	is_int(mode_of(out("tools/run.sh")), 0755, "%s: an executable is 0755, setuid and setgid dropped", name);
	is_int(mode_of(out("images")), 0755, "%s: a 0700 folder is 0755", name);
	is_int(mode_of(out("labels")), 0755, "%s: a folder made for a file is 0755", name);
	is_int(mode_of(dest), 0755, "%s: dest is 0755", name);
	ok(!exists(out("__MACOSX")) && !exists(out("images/train/._a.jpg")) && !exists(out("images/.DS_Store")),
		"%s: macOS debris is skipped", name);
	is_int(count_entries(out_dir), 1, "%s: nothing but dest beside it", name);
	remove_tree(dest);
}

static void happy_paths(void)
{
	static const struct { enum kind kind; const char *file, *name; } kinds[] = {
		{ ZIP, "dataset.zip", "zip" },
		{ TAR, "dataset.tar", "tar" },
		{ TAR_GZ, "dataset.tgz", "tar.gz" },
		{ TAR_XZ, "dataset.tar.xz", "tar.xz" },
		{ TAR_ZST, "dataset.tar.zst", "tar.zst" },
		{ TAR_BZ2, "dataset.tar.bz2", "tar.bz2" },
	};
	for (size_t k = 0; k < COUNT(kinds); k++) {
		if (write_archive(in(kinds[k].file), kinds[k].kind, dataset, COUNT(dataset)) < 0) {
			ok(0, "%s: libarchive writes the test archive", kinds[k].name);
			continue;
		}
		ok(ul_archive_detect(in(kinds[k].file)), "%s: detected", kinds[k].name);
		if (unpacks(in(kinds[k].file), NULL, kinds[k].name))
			check_dataset(kinds[k].name);
	}

	/* names are the archive's, not the extension's, business */
	ok(rename(in("dataset.tgz"), in("download")) == 0, "rename");
	ok(ul_archive_detect(in("download")), "a tar.gz without an extension is detected");
	if (unpacks(in("download"), NULL, "tar.gz without an extension"))
		check_dataset("tar.gz without an extension");

	/* "./" prefixes, doubled slashes and the root entry itself */
	static const struct member dotted[] = {
		{ 'd', "./", NULL, 0, 0, NULL },
		{ 'f', "./images//train/./a.jpg", "x", 0, 0, NULL },
	};
	write_archive(in("dotted.tar"), TAR, dotted, COUNT(dotted));
	if (unpacks(in("dotted.tar"), NULL, "./ names")) {
		ok(has_bytes(out("images/train/a.jpg"), "x", 1), "./images//train/./a.jpg lands at images/train/a.jpg");
		remove_tree(dest);
	}

	/* UTF-8 names survive although this process runs in the C locale */
	static const struct member utf8[] = { { 'f', "images/caf\xc3\xa9.jpg", "x", 0, 0, NULL } };
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	uselocale(loc);
	write_archive(in("utf8.zip"), ZIP, utf8, COUNT(utf8));
	uselocale(LC_GLOBAL_LOCALE);
	freelocale(loc);
	if (unpacks(in("utf8.zip"), NULL, "a zip with a UTF-8 name")) {
		ok(has_bytes(out("images/caf\xc3\xa9.jpg"), "x", 1), "the UTF-8 name is kept byte for byte");
		remove_tree(dest);
	}

	/* a trailing slash on dest */
	char slashed[192];
	snprintf(slashed, sizeof slashed, "%s/", dest);
	jv err = jv_null();
	is_int(ul_archive_extract(in("dotted.tar"), slashed, NULL, &err), 0, "dest with a trailing slash");
	ok(has_bytes(out("images/train/a.jpg"), "x", 1), "unpacks into dest");
	remove_tree(dest);
}

static void links_that_stay_inside(void)
{
	static const struct member links[] = {
		{ 'f', "images/train/a.jpg", "jpeg", 0, 0, NULL },
		{ 'l', "images/val", NULL, 0, 0, "train" },
		{ 'l', "labels", NULL, 0, 0, "images/../meta/./labels" },
		{ 'f', "meta/labels/a.txt", "label", 0, 0, NULL },
		{ 'h', "images/train/b.jpg", NULL, 0, 0, "./images/train/a.jpg" },
		{ 'l', "deep/er/chain", NULL, 0, 0, "../../images/val" },
	};
	write_archive(in("links.tgz"), TAR_GZ, links, COUNT(links));
	if (!unpacks(in("links.tgz"), NULL, "links inside"))
		return;
	char target[64] = "";
	ok(readlink(out("images/val"), target, sizeof target - 1) > 0 && !strcmp(target, "train"),
		"images/val -> train is a link, as it was packed");
	ok(has_bytes(out("images/val/a.jpg"), "jpeg", 4), "and reads through");
	ok(has_bytes(out("labels/a.txt"), "label", 5), "a link through ../ that stays inside");
	ok(has_bytes(out("deep/er/chain/a.jpg"), "jpeg", 4), "a link to a link");
	struct stat st;
	ok(lstat(out("images/train/b.jpg"), &st) == 0 && st.st_nlink == 2 && S_ISREG(st.st_mode),
		"a hard link to a file before it");
	ok(has_bytes(out("images/train/b.jpg"), "jpeg", 4), "with the same bytes");
	remove_tree(dest);
}

static void unsafe_entries(void)
{
	char abs_evil[192], abs_out[192];
	snprintf(abs_evil, sizeof abs_evil, "%s/evil-abs.txt", outside);
	snprintf(abs_out, sizeof abs_out, "%s", outside);

	const struct member dotdot[] = { { 'f', "data.yaml", "x", 0, 0, NULL }, { 'f', "../evil.txt", "evil", 0, 0, NULL } };
	write_archive(in("dotdot.zip"), ZIP, dotdot, COUNT(dotdot));
	refused(in("dotdot.zip"), NULL, "archive", "\"../evil.txt\": has a \"..\"", "zip entry ../evil.txt");
	write_archive(in("dotdot.tgz"), TAR_GZ, dotdot, COUNT(dotdot));
	refused(in("dotdot.tgz"), NULL, "archive", "\"../evil.txt\"", "tar.gz entry ../evil.txt");

	const struct member inner[] = { { 'f', "images/../../../outside/evil.txt", "evil", 0, 0, NULL } };
	write_archive(in("inner.tar"), TAR, inner, COUNT(inner));
	refused(in("inner.tar"), NULL, "archive", "images/../../../outside/evil.txt", "a .. in the middle");

	const struct member absolute[] = { { 'f', abs_evil, "evil", 0, 0, NULL } };
	write_archive(in("absolute.tar"), TAR, absolute, COUNT(absolute));
	refused(in("absolute.tar"), NULL, "archive", "has an absolute path", "an absolute path");
	write_archive(in("absolute.zip"), ZIP, absolute, COUNT(absolute));
	refused(in("absolute.zip"), NULL, "archive", abs_evil, "an absolute path in a zip");

	/* link -> an absolute folder, then a file through it (the folder is
	 * the test's own, so a failure cannot touch /etc) */
	const struct member through[] = {
		{ 'l', "link", NULL, 0, 0, abs_out },
		{ 'f', "link/passwd", "root::0:0::/:/bin/sh\n", 0, 0, NULL },
	};
	write_archive(in("through.tar"), TAR, through, COUNT(through));
	refused(in("through.tar"), NULL, "archive", "\"link\": is a link to an absolute path", "link -> /abs, then link/passwd");
	const struct member etc[] = { { 'l', "link", NULL, 0, 0, "/etc" }, { 'f', "link/passwd", "x", 0, 0, NULL } };
	write_archive(in("etc.zip"), ZIP, etc, COUNT(etc));
	refused(in("etc.zip"), NULL, "archive", "\"link\": is a link to an absolute path: /etc", "zip link -> /etc");

	const struct member climb[] = { { 'l', "images/up", NULL, 0, 0, "../../outside" }, { 'f', "images/up/x", "x", 0, 0, NULL } };
	write_archive(in("climb.tgz"), TAR_GZ, climb, COUNT(climb));
	refused(in("climb.tgz"), NULL, "archive", "\"images/up\": is a link that points outside", "a link out with ../../");

	/* a link that stays inside, then an entry written through it */
	const struct member under[] = {
		{ 'f', "images/train/a.jpg", "x", 0, 0, NULL },
		{ 'l', "images/val", NULL, 0, 0, "train" },
		{ 'f', "images/val/b.jpg", "x", 0, 0, NULL },
	};
	write_archive(in("under.tar"), TAR, under, COUNT(under));
	refused(in("under.tar"), NULL, "archive", "\"images/val/b.jpg\": lies under the link \"images/val\"",
		"an entry through an earlier link");

	/* an entry first, then a link over its folder */
	const struct member over[] = { { 'f', "a/x", "x", 0, 0, NULL }, { 'l', "a", NULL, 0, 0, "b" } };
	write_archive(in("over.tar"), TAR, over, COUNT(over));
	refused(in("over.tar"), NULL, "archive", "\"a\": is a link, and other entries lie under it", "a link over a folder");

	/* Each link alone stays inside by name, but s leads to the top, so
	 * s/../.. leaves it: t would reach the test's outside folder. */
	const struct member chain[] = {
		{ 'l', "a/b/c/s", NULL, 0, 0, "../../.." },
		{ 'l', "t", NULL, 0, 0, "a/b/c/s/../../outside" },
	};
	write_archive(in("chain.tar"), TAR, chain, COUNT(chain));
	refused(in("chain.tar"), NULL, "archive", "\"t\": is a link whose target goes through another link",
		"a link whose target runs through another link");

	const struct member hard_out[] = { { 'h', "h", NULL, 0, 0, "../../outside/x" } };
	write_archive(in("hard_out.tar"), TAR, hard_out, COUNT(hard_out));
	refused(in("hard_out.tar"), NULL, "archive", "\"h\": is a hard link whose target has a \"..\"", "a hard link out");
	const struct member hard_abs[] = { { 'h', "h", NULL, 0, 0, "/etc/passwd" } };
	write_archive(in("hard_abs.tar"), TAR, hard_abs, COUNT(hard_abs));
	refused(in("hard_abs.tar"), NULL, "archive", "\"h\": is a hard link whose target has an absolute path",
		"a hard link to an absolute path");
	const struct member hard_dir[] = { { 'd', "d", NULL, 0, 0, NULL }, { 'h', "h", NULL, 0, 0, "d" } };
	write_archive(in("hard_dir.tar"), TAR, hard_dir, COUNT(hard_dir));
	refused(in("hard_dir.tar"), NULL, "archive", "\"h\": is a hard link to \"d\", which is not a file", "a hard link to a folder");

	const struct member dev[] = { { 'c', "dev/null", NULL, 0, 0, NULL } };
	write_archive(in("dev.tar"), TAR, dev, COUNT(dev));
	refused(in("dev.tar"), NULL, "archive", "\"dev/null\": is a device file", "a device file");
	const struct member fifo[] = { { 'p', "fifo", NULL, 0, 0, NULL } };
	write_archive(in("fifo.tar"), TAR, fifo, COUNT(fifo));
	refused(in("fifo.tar"), NULL, "archive", "\"fifo\": is a named pipe", "a fifo");
}

static void limits(void)
{
	/* 50 MB of zeros deflate to about 49 KB: a ratio just over 1000 */
	const struct member bomb[] = { { 'f', "zeros.bin", NULL, 50000000, 0, NULL } };
	write_archive(in("bomb.zip"), ZIP, bomb, COUNT(bomb));
	refused(in("bomb.zip"), NULL, "archive", "\"zeros.bin\": unpacks to more than 1000 times", "a zip bomb, default limits");
	struct ul_archive_limits small = { .max_bytes = 1 << 20, .max_ratio = 1e9 };
	refused(in("bomb.zip"), &small, "archive", "\"zeros.bin\": unpacks to more than the limit of 1.0 MiB",
		"a zip bomb with a 1 MiB max_bytes");
	struct ul_archive_limits loose = { .max_ratio = 2000 };
	if (unpacks(in("bomb.zip"), &loose, "the same zip with max_ratio 2000")) {
		struct stat st;
		ok(stat(out("zeros.bin"), &st) == 0 && st.st_size == 50000000, "holds its 50 MB");
		remove_tree(dest);
	}

	/* 16 GiB of holes around 4 KiB of data: small on disk, huge to read */
	const struct member sparse[] = { { 's', "holes.bin", NULL, 16LL << 30, 0, NULL } };
	write_archive(in("sparse.tar"), TAR, sparse, COUNT(sparse));
	refused(in("sparse.tar"), NULL, "archive", "\"holes.bin\": unpacks to more than 1000 times", "a sparse file bomb");

	struct member many[12];
	char names[12][24];
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "f%02d.txt", i + 1);
		many[i] = (struct member){ 'f', names[i], "x", 0, 0, NULL };
	}
	write_archive(in("many.zip"), ZIP, many, COUNT(many));
	struct ul_archive_limits ten = { .max_entries = 10 };
	refused(in("many.zip"), &ten, "archive", "\"f11.txt\": is entry 11, over the limit of 10 entries", "too many entries");
	struct ul_archive_limits twelve = { .max_entries = 12 };
	jv err = jv_null();
	is_int(ul_archive_extract(in("many.zip"), dest, &twelve, &err), 0, "exactly max_entries entries is fine");
	remove_tree(dest);
}

static void corrupt(void)
{
	char junk[4096] = "PK\3\4";
	srand(7);
	for (size_t i = 4; i < sizeof junk; i++)
		junk[i] = (char)rand();
	FILE *f = fopen(in("corrupt.zip"), "wb");
	fwrite(junk, 1, sizeof junk, f);
	fclose(f);
	ok(ul_archive_detect(in("corrupt.zip")), "a zip signature is enough to be taken for an archive");
	refused(in("corrupt.zip"), NULL, "archive", "corrupt.zip: cannot be read: ", "random bytes behind a zip header");

	/* 256 KiB that will not compress, cut in half */
	char *noise = malloc(256 << 10);
	for (size_t i = 0; i < (256 << 10); i++)
		noise[i] = (char)rand();
	const struct member big[] = { { 'f', "data.yaml", "x", 0, 0, NULL }, { 'f', "images/noise.bin", noise, 256 << 10, 0, NULL } };
	write_archive(in("truncated.tgz"), TAR_GZ, big, COUNT(big));
	free(noise);
	struct stat st;
	stat(in("truncated.tgz"), &st);
	ok(truncate(in("truncated.tgz"), st.st_size / 2) == 0, "truncate");
	refused(in("truncated.tgz"), NULL, "archive", "\"images/noise.bin\": cannot be read: ", "a truncated tar.gz");

	f = fopen(in("empty"), "wb");
	fclose(f);
	refused(in("empty"), NULL, "archive", "empty: is not an archive we can read", "an empty file");

	jv err = jv_null();
	char missing[192];
	snprintf(missing, sizeof missing, "%s/no-such.zip", in_dir);
	is_int(ul_archive_extract(missing, dest, NULL, &err), -1, "a missing archive");
	char *code = message_of(err, "code");
	is_str(code, "io", "is an io error");
	free(code);
	jv_free(err);
}

static void dest_exists(void)
{
	char keep[192];
	ok(mkdir(dest, 0755) == 0, "make dest");
	snprintf(keep, sizeof keep, "%s/keep", dest);
	fclose(fopen(keep, "w"));
	jv err = jv_null();
	is_int(ul_archive_extract(in("dataset.zip"), dest, NULL, &err), -1, "dest already existing is refused");
	char *code = message_of(err, "code"), *msg = message_of(err, "message");
	is_str(code, "io", "as an io error");
	contains(msg, "already exists", "saying so");
	ok(exists(keep) && count_entries(dest) == 1, "dest is left as it was");
	is_int(count_entries(out_dir), 1, "no partial folder beside it");
	free(code);
	free(msg);
	jv_free(err);
	remove_tree(dest);
}

static void detection(void)
{
	ok(ul_archive_detect(in("links.tgz")), "detect: tar.gz");
	ok(ul_archive_detect(in("dev.tar")), "detect: tar");
	FILE *f = fopen(in("data.yaml"), "w");
	fputs("path: .\ntrain: images\nval: images\nnames: [a]\n", f);
	fclose(f);
	ok(!ul_archive_detect(in("data.yaml")), "detect: a YAML file is no archive");
	ok(!ul_archive_detect(in("empty")), "detect: an empty file is no archive");
	ok(!ul_archive_detect(in("no-such.zip")), "detect: a missing file is no archive");
	ok(!ul_archive_detect(in_dir), "detect: a folder is no archive");

	/* a lone gzipped file is compressed, but no archive of files */
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, in("data.yaml.gz"));
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_filetype(e, AE_IFREG);
	archive_write_header(a, e);
	archive_write_data(a, "path: .\n", 8);
	archive_entry_free(e);
	archive_write_free(a);
	ok(!ul_archive_detect(in("data.yaml.gz")), "detect: a gzipped YAML file is no archive");
}

/* --- a real dataset, through a zip and back ------------------------------- */

static const char *walk_root;
static struct archive *walk_zip;
static int walk_files;

static int add_to_zip(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	size_t len = 0;
	char *data = slurp(path, &len);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path + strlen(walk_root) + 1);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, st->st_mode & 0777);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_write_header(walk_zip, e);
	archive_write_data(walk_zip, data, len);
	archive_entry_free(e);
	free(data);
	walk_files++;
	return 0;
}

static int walk_same, walk_checked;

static int compare_out(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	size_t len = 0;
	char *want = slurp(path, &len);
	walk_checked++;
	walk_same += has_bytes(out(path + strlen(walk_root) + 1), want, len);
	free(want);
	return 0;
}

static void real_dataset(void)
{
	static char source[PATH_MAX];
	char where[PATH_MAX];
	if (!realpath(dataset_path(where, sizeof where, "coco8"), source)) {
		ok(0, "the real coco8 is at %s", where);
		return;
	}
	walk_root = source;
	walk_zip = archive_write_new();
	archive_write_set_format_zip(walk_zip);
	archive_write_open_filename(walk_zip, in("coco8.zip"));
	nftw(source, add_to_zip, 16, FTW_PHYS);
	archive_write_free(walk_zip);
	ok(walk_files >= 17, "coco8 packed: %d files", walk_files);
	ok(ul_archive_detect(in("coco8.zip")), "coco8.zip is detected");
	if (!unpacks(in("coco8.zip"), NULL, "coco8.zip"))
		return;
	nftw(source, compare_out, 16, FTW_PHYS);
	is_int(walk_checked, walk_files, "every coco8 file is compared");
	is_int(walk_same, walk_files, "every coco8 file comes out byte for byte");
	remove_tree(dest);
}

static void stop_signal(void)
{
	ok(ul_signals_install() == 0, "signal handlers installed");
	raise(SIGTERM);
	refused(in("dataset.zip"), NULL, "stopped", "stopped by signal 15", "SIGTERM stops unpacking");
}

int main(void)
{
	ul_set_program("ul-test");
	umask(022);
	snprintf(root, sizeof root, "%s", "/tmp/ul-test-archive-XXXXXX");
	if (!mkdtemp(root))
		return perror("mkdtemp"), 1;
	snprintf(in_dir, sizeof in_dir, "%s/in", root);
	snprintf(out_dir, sizeof out_dir, "%s/out", root);
	snprintf(dest, sizeof dest, "%s/dest", out_dir);
	snprintf(outside, sizeof outside, "%s/outside", root);
	mkdir(in_dir, 0755);
	mkdir(out_dir, 0755);
	mkdir(outside, 0755);

	happy_paths();
	links_that_stay_inside();
	unsafe_entries();
	limits();
	corrupt();
	dest_exists();
	detection();
	real_dataset();
	stop_signal();

	remove_tree(root);
	return done_testing();
}
