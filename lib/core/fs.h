/* Folders: make a path whole, remove a tree, publish one built aside. */
#ifndef UL_CORE_FS_H
#define UL_CORE_FS_H

#include <sys/types.h>

/* mkdir -p: makes what is missing of path with mode. 0, or -1 with errno. */
int ul_mkdirs(const char *path, mode_t mode);

/* rm -rf: removes path and everything below it, never following a link.
 * 0 (also when path does not exist), or -1 with errno. */
int ul_remove_tree(const char *path);

/* Renames from to to unless to exists (then EEXIST), atomically where the
 * file system can (RENAME_NOREPLACE): how a folder built beside its final
 * place appears whole, and never over one another process made. 0 or -1. */
int ul_rename_new(const char *from, const char *to);

/* fsync of the folder holding path: a rename or a new name lives in its
 * entries, and a crash could otherwise bring back the old one after the
 * new was reported. 0, or -1 with errno. */
int ul_sync_folder_of(const char *path);

/* to becomes a second name of from's file, atomically (the old to stays
 * whole until then) and synced: a copy that costs no bytes, for files
 * only ever replaced by rename, never written in place. 0, or -1 with
 * errno (no hard links here: EPERM, EXDEV ...), to unchanged. */
int ul_link_over(const char *from, const char *to);

#include <stddef.h>

/* A whole file read into memory (the caller frees it; not NUL-ended), its
 * size in *len; NULL when it does not exist or cannot be read. */
char *ul_read_file(const char *path, size_t *len);

#endif
