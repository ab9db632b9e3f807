#include "data/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/signals.h"

#define DEFAULT_MAX_BYTES   (200LL << 30)
#define DEFAULT_MAX_ENTRIES 10000000LL
#define DEFAULT_MAX_RATIO   1000.0
#define BLOCK_SIZE          (64 * 1024)

/* A symbolic link, made only once every other entry is on disk. */
struct link {
	char *path;
	struct archive_entry *entry;
};

struct job {
	const char *archive;        /* as the caller named it, for messages */
	struct archive *in, *out;
	long long max_bytes, max_entries;
	double max_ratio;
	long long archive_size;
	long long written;          /* bytes of the entries finished so far */
	long long entries;
	char last[PATH_MAX];        /* the last entry read, for "the entry after" */
	struct link *links;
	size_t nlinks, links_cap;
	size_t *slots;              /* a hash of link paths: index + 1, 0 when free */
	size_t nslots;
	jv *err;
};

/* An entry name fit for one line of a terminal: control bytes become '?'. */
static void printable(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	for (; *name && n + 4 < cap; name++)
		out[n++] = (unsigned char)*name < 0x20 || *name == 0x7f ? '?' : *name;
	if (*name) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int fail(struct job *j, const char *code, const char *entry, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sets *err and returns -1. A stop request wins over whatever it broke: a
 * read cut short by the signal is no corrupt archive. */
static int fail(struct job *j, const char *code, const char *entry, const char *fmt, ...)
{
	char why[1024], name[512], message[2048];
	if (ul_stop_requested()) {
		code = "stopped";
		snprintf(why, sizeof why, "stopped by signal %d before it was unpacked", ul_stop_signal());
	} else {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
	}
	if (entry) {
		printable(entry, name, sizeof name);
		snprintf(message, sizeof message, "%s: entry \"%s\": %s", j->archive, name, why);
	} else {
		snprintf(message, sizeof message, "%s: %s", j->archive, why);
	}
	*j->err = ul_error_record(code, message, NULL);
	return -1;
}

static int check_stop(struct job *j, const char *entry)
{
	return ul_stop_requested() ? fail(j, "stopped", entry, "stopped") : 0;
}

static bool failed(la_ssize_t r)
{
	return r != ARCHIVE_OK && r != ARCHIVE_WARN;
}

static const char *why_of(struct archive *a)
{
	const char *s = archive_error_string(a);
	return s ? s : "unknown error";
}

/* "io" when libarchive failed on the disk, "archive" when on the archive:
 * a corrupt stream, a file where a folder must go, its own safety checks. */
static const char *code_for(struct archive *a)
{
	switch (archive_errno(a)) {
	case ENOSPC: case EDQUOT: case EIO: case EROFS: case EACCES: case EPERM:
	case EMFILE: case ENFILE: case ENOMEM:
		return "io";
	default:
		return "archive";
	}
}

/* "48.8 KiB": sizes in messages are for people. */
static const char *human_size(double bytes, char *buf, size_t cap)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
	return buf;
}

/* --- names ---------------------------------------------------------------- */

/* Rewrites name as a plain relative path ("./a//b/" -> "a/b") in out, or
 * returns why it is unsafe. An empty result is the destination itself. */
static const char *clean_path(const char *name, char *out, size_t cap)
{
	if (!name || !*name)
		return "has no name (or one that is not valid UTF-8)";
	if (*name == '/')
		return "has an absolute path";
	size_t n = 0;
	for (const char *p = name; *p;) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return "has a \"..\" in its path, which could climb out of the destination";
		if (len && !(len == 1 && *p == '.')) {
			if (n + len + 2 > cap)
				return "has a path too long to unpack";
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = *end ? end + 1 : end;
	}
	out[n] = '\0';
	return NULL;
}

static bool has_component(const char *path, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = path;; p++) {
		if (!strncmp(p, name, len) && (p[len] == '/' || !p[len]))
			return true;
		if (!(p = strchr(p, '/')))
			return false;
	}
}

/* What macOS adds to the zips it makes: resource forks and Finder state. */
static bool macos_junk(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, "._", 2) || !strcmp(base, ".DS_Store") || has_component(path, "__MACOSX");
}

/* --- links ---------------------------------------------------------------- */

static size_t hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;  /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return (size_t)h;
}

/* The link whose path is the first len bytes of path, or NULL. */
static const struct link *find_link(const struct job *j, const char *path, size_t len)
{
	if (!j->nslots)
		return NULL;
	for (size_t i = hash(path, len) & (j->nslots - 1);; i = (i + 1) & (j->nslots - 1)) {
		if (!j->slots[i])
			return NULL;
		const struct link *l = &j->links[j->slots[i] - 1];
		if (!strncmp(l->path, path, len) && !l->path[len])
			return l;
	}
}

static void insert_slot(struct job *j, size_t k)
{
	size_t i = hash(j->links[k].path, strlen(j->links[k].path)) & (j->nslots - 1);
	while (j->slots[i])
		i = (i + 1) & (j->nslots - 1);
	j->slots[i] = k + 1;
}

/* Rebuilds the hash with at least twice the slots it needs. */
static int index_links(struct job *j)
{
	size_t n = 16;
	while (n < 2 * j->nlinks + 2)
		n *= 2;
	size_t *slots = calloc(n, sizeof *slots);
	if (!slots)
		return -1;
	free(j->slots);
	j->slots = slots;
	j->nslots = n;
	for (size_t k = 0; k < j->nlinks; k++)
		insert_slot(j, k);
	return 0;
}

/* The link that path lies under or is, or NULL. */
static const struct link *link_on_path(const struct job *j, const char *path)
{
	if (!j->nlinks)
		return NULL;
	for (size_t len = 1;; len++) {
		if (path[len] != '/' && path[len] != '\0')
			continue;
		const struct link *l = find_link(j, path, len);
		if (l || !path[len])
			return l;
	}
}

/* Why a link at path pointing to target is unsafe, or NULL. The target is
 * resolved the way the kernel would, one name at a time from the link's
 * folder, and must never climb above the destination. Once every link is
 * known (all_known), a target that goes through another link is refused
 * too: after a link, ".." leaves wherever that link points. */
static const char *check_target(const struct job *j, const char *path, const char *target, bool all_known)
{
	char at[PATH_MAX];
	if (!*target)
		return "is a link with an empty target";
	if (*target == '/')
		return "is a link to an absolute path";
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	memcpy(at, path, n);
	for (const char *p = target; *p;) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len && !(len == 1 && *p == '.')) {
			/* at is about to be used as a folder */
			if (all_known && n && find_link(j, at, n))
				return "is a link whose target goes through another link";
			if (len == 2 && p[0] == '.' && p[1] == '.') {
				if (!n)
					return "is a link that points outside the destination";
				while (n && at[n - 1] != '/')
					n--;
				if (n)
					n--;
			} else {
				if (n + len + 2 > sizeof at)
					return "is a link with a target too long to follow";
				if (n)
					at[n++] = '/';
				memcpy(at + n, p, len);
				n += len;
			}
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

static int keep_link(struct job *j, struct archive_entry *e, const char *path)
{
	const char *target = archive_entry_symlink(e);
	const char *why = check_target(j, path, target ? target : "", false);
	if (why) {
		char shown[512];
		printable(target ? target : "", shown, sizeof shown);
		return fail(j, "archive", path, "%s: %s", why, shown);
	}
	if (j->nlinks == j->links_cap) {
		size_t cap = j->links_cap ? 2 * j->links_cap : 16;
		struct link *links = realloc(j->links, cap * sizeof *links);
		if (!links)
			return fail(j, "io", path, "out of memory");
		j->links = links;
		j->links_cap = cap;
	}
	struct link *l = &j->links[j->nlinks];
	l->path = strdup(path);
	l->entry = archive_entry_clone(e);
	if (!l->path || !l->entry) {
		free(l->path);
		archive_entry_free(l->entry);
		return fail(j, "io", path, "out of memory");
	}
	j->nlinks++;
	if (2 * j->nlinks + 2 > j->nslots) {
		if (index_links(j) < 0)
			return fail(j, "io", path, "out of memory");
	} else {
		insert_slot(j, j->nlinks - 1);
	}
	return 0;
}

/* --- writing --------------------------------------------------------------- */

/* Counts an entry as reaching end bytes before any of them is written. */
static int charge(struct job *j, const char *path, long long *extent, long long end)
{
	char size[32];
	if (end <= *extent)
		return 0;
	long long total = j->written + end;
	if (total > j->max_bytes)
		return fail(j, "archive", path, "unpacks to more than the limit of %s",
			human_size((double)j->max_bytes, size, sizeof size));
	if ((double)total > j->max_ratio * (double)j->archive_size)
		return fail(j, "archive", path, "unpacks to more than %g times the archive's own size of %s,"
			" the mark of a zip bomb", j->max_ratio, human_size((double)j->archive_size, size, sizeof size));
	*extent = end;
	return 0;
}

static int copy_data(struct job *j, struct archive_entry *e, const char *path)
{
	/* How far into the file we have written: holes count, so a sparse
	 * file cannot hide a bomb. */
	long long extent = 0;
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(j->in, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (failed(r))
			return fail(j, code_for(j->in), path, "cannot be read: %s", why_of(j->in));
		if (check_stop(j, path) < 0 || charge(j, path, &extent, offset + (long long)size) < 0)
			return -1;
		if (failed(archive_write_data_block(j->out, buf, size, offset)))
			return fail(j, code_for(j->out), path, "cannot be written: %s", why_of(j->out));
	}
	/* Finishing the entry grows the file to the size its header gives. */
	if (archive_entry_size_is_set(e) && charge(j, path, &extent, archive_entry_size(e)) < 0)
		return -1;
	j->written += extent;
	return 0;
}

static int write_entry(struct job *j, struct archive_entry *e, const char *path, bool with_data)
{
	if (failed(archive_write_header(j->out, e)))
		return fail(j, code_for(j->out), path, "cannot be written: %s", why_of(j->out));
	if (with_data && copy_data(j, e, path) < 0)
		return -1;
	if (failed(archive_write_finish_entry(j->out)))
		return fail(j, code_for(j->out), path, "cannot be written: %s", why_of(j->out));
	return 0;
}

/* A hard link must name a regular file this archive has already unpacked:
 * anything else could tie a name inside to a file outside. */
static int write_hardlink(struct job *j, struct archive_entry *e, const char *path, const char *target)
{
	char to[PATH_MAX], shown[512];
	struct stat st;
	const char *why = clean_path(target, to, sizeof to);
	if (why)
		return fail(j, "archive", path, "is a hard link whose target %s", why);
	if (!*to || link_on_path(j, to) || lstat(to, &st) < 0 || !S_ISREG(st.st_mode)) {
		printable(target, shown, sizeof shown);
		return fail(j, "archive", path, "is a hard link to \"%s\", which is not a file unpacked before it", shown);
	}
	archive_entry_set_hardlink(e, to);
	return write_entry(j, e, path, true);
}

static int unpack_entry(struct job *j, struct archive_entry *e)
{
	char path[PATH_MAX];
	const char *name = archive_entry_pathname(e);
	const char *why = clean_path(name, path, sizeof path);
	if (why)
		return fail(j, "archive", name ? name : "", "%s", why);
	snprintf(j->last, sizeof j->last, "%s", path);
	if (!*path || macos_junk(path))
		return 0;  /* the destination itself, or debris: its data is skipped */
	const struct link *l = link_on_path(j, path);
	if (l)
		return fail(j, "archive", path, strcmp(l->path, path) ? "lies under the link \"%s\": nothing is unpacked"
			" through a link" : "has the same path as the link \"%s\" before it", l->path);
	archive_entry_set_pathname(e, path);
	if (archive_entry_hardlink(e))
		return write_hardlink(j, e, path, archive_entry_hardlink(e));
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		archive_entry_set_perm(e, 0755);
		return write_entry(j, e, path, false);
	case AE_IFREG:
		archive_entry_set_perm(e, archive_entry_perm(e) & 0111 ? 0755 : 0644);
		return write_entry(j, e, path, true);
	case AE_IFLNK:
		return keep_link(j, e, path);
	case AE_IFCHR:
	case AE_IFBLK:
		return fail(j, "archive", path, "is a device file");
	case AE_IFIFO:
		return fail(j, "archive", path, "is a named pipe (fifo)");
	case AE_IFSOCK:
		return fail(j, "archive", path, "is a socket");
	default:
		return fail(j, "archive", path, "is of an unknown kind");
	}
}

/* Deepest path first: a link is made before any that could hold it (one
 * whose path is a prefix of its own), so making one never follows another. */
static int deepest_first(const void *a, const void *b)
{
	return strcmp(((const struct link *)b)->path, ((const struct link *)a)->path);
}

static int make_links(struct job *j)
{
	if (!j->nlinks)
		return 0;
	qsort(j->links, j->nlinks, sizeof *j->links, deepest_first);
	if (index_links(j) < 0)
		return fail(j, "io", NULL, "out of memory");
	for (size_t k = 0; k < j->nlinks; k++) {
		const struct link *l = &j->links[k];
		const char *why = check_target(j, l->path, archive_entry_symlink(l->entry), true);
		struct stat st;
		if (check_stop(j, l->path) < 0)
			return -1;
		if (why)
			return fail(j, "archive", l->path, "%s", why);
		if (lstat(l->path, &st) == 0)
			return fail(j, "archive", l->path, "is a link, and other entries lie under it or have its path");
		if (write_entry(j, l->entry, l->path, false) < 0)
			return -1;
	}
	return 0;
}

static int unpack_all(struct job *j)
{
	for (;;) {
		struct archive_entry *e;
		if (check_stop(j, NULL) < 0)
			return -1;
		int r = archive_read_next_header(j->in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (failed(r)) {
			char last[512];
			if (!j->entries)
				return fail(j, code_for(j->in), NULL, "cannot be read: %s", why_of(j->in));
			printable(j->last, last, sizeof last);
			return fail(j, code_for(j->in), NULL, "the entry after \"%s\" cannot be read: %s", last, why_of(j->in));
		}
		if (++j->entries > j->max_entries)
			return fail(j, "archive", archive_entry_pathname(e) ? archive_entry_pathname(e) : "",
				"is entry %lld, over the limit of %lld entries", j->entries, j->max_entries);
		if (unpack_entry(j, e) < 0)
			return -1;
	}
	return make_links(j);
}

/* --- the whole ------------------------------------------------------------- */

/* A reader for exactly the kinds we unpack, or NULL when out of memory. */
static struct archive *new_reader(void)
{
	struct archive *a = archive_read_new();
	if (a) {
		archive_read_support_format_tar(a);
		archive_read_support_format_zip(a);
		archive_read_support_filter_gzip(a);
		archive_read_support_filter_bzip2(a);
		archive_read_support_filter_xz(a);
		archive_read_support_filter_zstd(a);
	}
	return a;
}

bool ul_archive_detect(const char *path)
{
	unsigned char head[4] = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	/* A zip is known by its first signature (a file, or the end of an
	 * empty zip): reading it properly starts at its end, and a damaged one
	 * is better reported by ul_archive_extract than taken for no archive. */
	if (n == 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
		return true;
	struct archive *a = new_reader();
	struct archive_entry *e;
	if (!a)
		return false;
	int r = archive_read_open_filename(a, path, BLOCK_SIZE);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	archive_read_free(a);
	return r == ARCHIVE_OK || r == ARCHIVE_WARN || r == ARCHIVE_EOF;
}

/* Unpacks into dir, from inside it: libarchive's own checks then see only
 * paths relative to the destination. */
static int unpack_into(struct job *j, const char *dir)
{
	int rc = -1;
	int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	j->in = new_reader();
	j->out = archive_write_disk_new();
	if (home < 0)
		fail(j, "io", NULL, "cannot open the working folder: %s", strerror(errno));
	else if (!j->in || !j->out)
		fail(j, "io", NULL, "out of memory");
	else if (archive_read_open_filename(j->in, j->archive, BLOCK_SIZE) != ARCHIVE_OK)
		fail(j, code_for(j->in), NULL, "is not an archive we can read: %s", why_of(j->in));
	else if (chdir(dir) < 0)
		fail(j, "io", NULL, "cannot enter %s: %s", dir, strerror(errno));
	else {
		/* The second line of defence: our own checks come first, with
		 * clearer messages. No owners, times or permissions are restored;
		 * the modes we set are applied less the umask. */
		archive_write_disk_set_options(j->out, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
		rc = unpack_all(j);
		/* closing sets the folders' modes, deferred until their files are in */
		if (rc == 0 && failed(archive_write_close(j->out)))
			rc = fail(j, code_for(j->out), NULL, "cannot finish unpacking: %s", why_of(j->out));
	}
	archive_read_free(j->in);
	archive_write_free(j->out);
	if (home >= 0) {
		/* Cannot fail short of the folder vanishing; the partial folder
		 * would then stay behind. */
		if (fchdir(home) < 0 && rc == 0)
			rc = fail(j, "io", NULL, "cannot return to the working folder: %s", strerror(errno));
		close(home);
	}
	return rc;
}

/* Makes the finished folder appear under its real name, all at once. */
static int publish(struct job *j, const char *tmp, const char *dest)
{
	mode_t mask = umask(0);
	umask(mask);
	if (chmod(tmp, 0755 & ~mask) < 0)
		return fail(j, "io", NULL, "cannot set the mode of %s: %s", tmp, strerror(errno));
	if (ul_rename_new(tmp, dest) == 0)
		return 0;
	return fail(j, "io", NULL, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
}

int ul_archive_extract(const char *archive, const char *dest, const struct ul_archive_limits *limits, jv *err)
{
	struct job j = { .archive = archive, .err = err };
	j.max_bytes = limits && limits->max_bytes > 0 ? limits->max_bytes : DEFAULT_MAX_BYTES;
	j.max_entries = limits && limits->max_entries > 0 ? limits->max_entries : DEFAULT_MAX_ENTRIES;
	j.max_ratio = limits && limits->max_ratio > 0 ? limits->max_ratio : DEFAULT_MAX_RATIO;

	struct stat st;
	if (lstat(dest, &st) == 0)
		return fail(&j, "io", NULL, "cannot unpack into %s: it already exists", dest);
	if (errno != ENOENT)
		return fail(&j, "io", NULL, "cannot unpack into %s: %s", dest, strerror(errno));
	if (stat(archive, &st) < 0)
		return fail(&j, "io", NULL, "cannot read it: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(&j, "archive", NULL, "is not a file");
	j.archive_size = st.st_size;

	size_t n = strlen(dest);
	while (n > 1 && dest[n - 1] == '/')
		n--;
	char *tmp = malloc(n + sizeof ".partial-XXXXXX");
	if (!tmp)
		return fail(&j, "io", NULL, "out of memory");
	memcpy(tmp, dest, n);
	memcpy(tmp + n, ".partial-XXXXXX", sizeof ".partial-XXXXXX");
	if (!mkdtemp(tmp)) {
		int e = errno;
		free(tmp);
		return fail(&j, "io", NULL, "cannot create a folder beside %s: %s", dest, strerror(e));
	}

	/* Names are UTF-8 whatever the caller's locale: in the C locale
	 * libarchive would drop the names of zips that say they are UTF-8. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t saved = utf8 ? uselocale(utf8) : (locale_t)0;
	int rc = unpack_into(&j, tmp);
	if (utf8) {
		uselocale(saved);
		freelocale(utf8);
	}
	if (rc == 0)
		rc = publish(&j, tmp, dest);
	if (rc < 0)
		ul_remove_tree(tmp);

	for (size_t k = 0; k < j.nlinks; k++) {
		free(j.links[k].path);
		archive_entry_free(j.links[k].entry);
	}
	free(j.links);
	free(j.slots);
	free(tmp);
	return rc;
}
