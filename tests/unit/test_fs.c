/* mkdir -p and rm -rf, and that rm -rf never follows a link out. */
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "tap.h"

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

int main(void)
{
	char base[] = "/tmp/ul-fs-XXXXXX";
	ok(mkdtemp(base) != NULL, "temp dir");
	char path[512], outside[512], link[512], file[512];

	snprintf(path, sizeof path, "%s/a/b/c", base);
	is_int(ul_mkdirs(path, 0755), 0, "mkdirs makes a nested path");
	struct stat st;
	ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "it is a folder");
	is_int(ul_mkdirs(path, 0755), 0, "and again is fine");
	snprintf(file, sizeof file, "%s/a/file", base);
	touch(file);
	snprintf(path, sizeof path, "%s/a/file/x", base);
	ok(ul_mkdirs(path, 0755) < 0 && errno == ENOTDIR, "a file in the way: ENOTDIR");
	ok(ul_mkdirs(file, 0755) < 0 && errno == ENOTDIR, "a file at the path itself: ENOTDIR");

	/* a tree with files and a link to something outside it */
	snprintf(outside, sizeof outside, "%s/keep", base);
	ul_mkdirs(outside, 0755);
	snprintf(file, sizeof file, "%s/keep/precious", base);
	touch(file);
	snprintf(file, sizeof file, "%s/a/b/c/leaf", base);
	touch(file);
	snprintf(link, sizeof link, "%s/a/b/out", base);
	ok(symlink(outside, link) == 0, "a link out of the tree");
	snprintf(path, sizeof path, "%s/a", base);
	is_int(ul_remove_tree(path), 0, "remove_tree removes it");
	ok(stat(path, &st) != 0, "the tree is gone");
	snprintf(file, sizeof file, "%s/keep/precious", base);
	ok(stat(file, &st) == 0, "what the link pointed at is untouched");
	is_int(ul_remove_tree(path), 0, "removing what is not there is fine");

	/* publishing a folder built aside: never over one that exists */
	char from[512], to[512];
	snprintf(from, sizeof from, "%s/built.partial", base);
	snprintf(to, sizeof to, "%s/built", base);
	ul_mkdirs(from, 0755);
	is_int(ul_rename_new(from, to), 0, "rename_new publishes a folder");
	ok(stat(to, &st) == 0 && stat(from, &st) != 0, "it moved");
	ul_mkdirs(from, 0755);
	ok(ul_rename_new(from, to) < 0 && errno == EEXIST, "not over one that exists: EEXIST");
	ok(stat(from, &st) == 0 && stat(to, &st) == 0, "both are left as they were");

	/* a whole file into memory, however long */
	char big[512];
	snprintf(big, sizeof big, "%s/big", base);
	FILE *f = fopen(big, "wb");
	for (int i = 0; f && i < 30000; i++)
		fputc('a' + i % 26, f);
	if (f)
		fclose(f);
	size_t len = 1;
	char *text = ul_read_file(big, &len);
	bool same = text && len == 30000;
	for (size_t i = 0; same && i < len; i++)
		same = text[i] == 'a' + (int)(i % 26);
	ok(same, "read_file reads all 30000 bytes (%zu)", len);
	free(text);
	ok(ul_read_file("/nonexistent/file", &len) == NULL && len == 0, "a missing file gives NULL and 0");

	/* a second name over an old file: the old one's readers keep it whole */
	char old_text[16] = "", new_text[16] = "", best[512];
	snprintf(best, sizeof best, "%s/best", base);
	FILE *w = fopen(best, "w");
	ok(w && fputs("old", w) >= 0 && fclose(w) == 0, "an old best");
	FILE *held = fopen(best, "r");
	is_int(ul_link_over(big, best), 0, "link_over puts a second name over it");
	struct stat a, b;
	ok(stat(big, &a) == 0 && stat(best, &b) == 0 && a.st_ino == b.st_ino && b.st_nlink == 2, "the same file, twice linked");
	ok(held && fgets(old_text, sizeof old_text, held) && !strcmp(old_text, "old"), "a reader of the old one still reads it");
	if (held)
		fclose(held);
	snprintf(from, sizeof from, "%s/missing", base);
	ok(ul_link_over(from, best) < 0 && errno == ENOENT, "from a missing file: ENOENT");
	FILE *r = fopen(best, "r");
	ok(r && fgets(new_text, 4, r) && !strcmp(new_text, "abc"), "and to is left as it was");
	if (r)
		fclose(r);
	snprintf(to, sizeof to, "%s/best.%ld.link", base, (long)getpid());
	ok(stat(to, &st) != 0, "no temporary name is left behind");
	is_int(ul_sync_folder_of(best), 0, "sync_folder_of syncs the folder of a path");
	ok(ul_sync_folder_of("/nonexistent/dir/file") < 0 && errno == ENOENT, "and fails for a missing folder");

	is_int(ul_remove_tree(base), 0, "cleaned up");
	return done_testing();
}
