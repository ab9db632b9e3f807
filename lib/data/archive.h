/* Unpacking a dataset archive safely: zip and tar, plain or compressed with
 * gzip, xz, zstd or bzip2.
 *
 * An archive is untrusted input. These refuse the whole archive, naming the
 * archive file and the entry at fault:
 *   - a path that is absolute or has a ".." component;
 *   - a symbolic link whose target is absolute, or that leaves the
 *     destination once resolved from the link's own folder, or that goes
 *     through another link of the archive (after a link, ".." leaves
 *     wherever the link points, which no name check can follow);
 *   - an entry that lies under a link or replaces one: nothing is ever
 *     written through a link;
 *   - a hard link to anything but a regular file unpacked before it;
 *   - device files, named pipes and sockets;
 *   - more entries than max_entries, more bytes than max_bytes, or more
 *     than max_ratio times the archive's own size (a zip bomb). Bytes are
 *     counted as they are written, never taken on a header's word, and a
 *     sparse file counts its holes;
 *   - anything libarchive cannot read: corrupt, truncated, encrypted.
 * Links that pass are relative and stay inside, so a dataset that reuses
 * its train images for val through a link unpacks as it was packed. They
 * are made last, after every file, so no entry can be written through one.
 *
 * Files get mode 0644, or 0755 when any execute bit was set; folders 0755;
 * less the umask, as tar does for ordinary users. Owners, times, setuid
 * bits, ACLs and extended attributes are not restored. macOS debris
 * (__MACOSX/, ._* files, .DS_Store), which many published dataset zips
 * carry, is skipped. Names are taken as UTF-8 whatever the locale.
 *
 * ul_archive_extract changes the working directory while it runs (so
 * libarchive's own checks, ARCHIVE_EXTRACT_SECURE_*, see only paths inside
 * the destination) and restores it before returning: do not call it while
 * other threads rely on relative paths. */
#ifndef UL_DATA_ARCHIVE_H
#define UL_DATA_ARCHIVE_H

#include <stdbool.h>

#include <jv.h>

struct ul_archive_limits {
	long long max_bytes;    /* total unpacked size; 0 (or less) means 200 GiB */
	long long max_entries;  /* 0 (or less) means 10 million */
	double max_ratio;       /* unpacked size / archive size; 0 (or less) means 1000:
	                         * a zip bomb trips this long before max_bytes */
};

/* True if path is, by its content, an archive we unpack: a zip (by its
 * signature: a damaged one is reported by ul_archive_extract), or a tar,
 * plain or compressed, whose first header reads. A lone gzipped file, a
 * YAML file, a folder or a missing file are not. */
bool ul_archive_detect(const char *path);

/* Unpacks archive into dest, which must not exist yet. Everything goes into
 * a temporary folder beside dest (dest + ".partial-XXXXXX") that is renamed
 * to dest only when every entry is written; on any failure the temporary
 * folder is removed and dest does not exist. limits may be NULL for the
 * defaults. Returns 0, or -1 with *err an error record (core/error.h) whose
 * code is "archive" (a bad or unsafe archive; the message names the archive
 * file and the entry), "io" (the disk, or dest already exists) or "stopped"
 * (SIGINT or SIGTERM, see core/signals.h). */
int ul_archive_extract(const char *archive, const char *dest, const struct ul_archive_limits *limits, jv *err);

#endif
