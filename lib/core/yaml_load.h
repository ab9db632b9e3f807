/* YAML files to JSON values, with libyaml.
 *
 * Scalars are typed as Ultralytics' YAML files expect (see core/scalar.h);
 * quoted scalars are always strings; mapping keys become strings ("0" for
 * the 0: of a names map). Anchors and aliases work. Errors are
 * jv_invalid_with_msg("FILE:LINE:COLUMN: what went wrong"), never a crash:
 * tabs used for indentation, unclosed quotes, duplicate keys, more than one
 * document, unsupported tags, nesting deeper than 256 levels. */
#ifndef UL_CORE_YAML_LOAD_H
#define UL_CORE_YAML_LOAD_H

#include <stddef.h>

#include <jv.h>

/* Files larger than this are refused: no config or dataset YAML is near. */
#define UL_YAML_MAX_BYTES (64u << 20)

/* The document in path, jv_null() for an empty file, or an invalid jv with
 * a message naming the file, line and column. */
jv ul_yaml_load_file(const char *path);

/* The same for text in memory; name is used in messages. */
jv ul_yaml_load_string(const char *text, size_t len, const char *name);

#endif
