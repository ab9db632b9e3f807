/* Project and run names as the platform stores them.
 *
 * The same rules as Ultralytics' platform callback, so a run pushed by
 * ul-push lands where `yolo train project=... name=...` would put it:
 * lower case; every character but a-z, 0-9, whitespace and '-' dropped;
 * spaces become '-'; runs of '-' become one; '-' trimmed at both ends; at
 * most 128 characters. A project OWNER/NAME keeps OWNER as given and
 * slugifies NAME. */
#ifndef UL_PUSH_SLUG_H
#define UL_PUSH_SLUG_H

#include <jv.h>

/* The slug of a UTF-8 string, as a jv string. */
jv ul_slugify(const char *text);

/* "OWNER/NAME" -> "OWNER/" + slug(NAME); anything else -> its slug. */
jv ul_project_slug(const char *project);

#endif
