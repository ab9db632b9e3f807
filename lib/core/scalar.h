/* Typing a bare scalar ("640", "true", "0.01", "null", "adamw") into JSON.
 *
 * Two dialects, because users bring both from Ultralytics:
 *  - YAML: what PyYAML's safe_load gives for a plain scalar (YAML 1.1
 *    booleans yes/no/on/off included), except that numbers follow YAML 1.2,
 *    so `1e-3` is a float and not the string PyYAML would make of it.
 *  - CLI: what the `yolo` command does with key=value: true/false and
 *    none/null in any case, finite numbers, everything else a string. */
#ifndef UL_CORE_SCALAR_H
#define UL_CORE_SCALAR_H

#include <stddef.h>

#include <jv.h>

enum ul_scalar_dialect { UL_SCALAR_YAML, UL_SCALAR_CLI };

jv ul_scalar_parse(const char *text, size_t len, enum ul_scalar_dialect dialect);

/* Strict readers for an explicitly tagged YAML scalar (!!int, !!float,
 * !!bool, !!null): the typed value, or jv_invalid() if text does not fit. */
jv ul_scalar_int(const char *text, size_t len);
jv ul_scalar_float(const char *text, size_t len);
jv ul_scalar_bool(const char *text, size_t len, enum ul_scalar_dialect dialect);
jv ul_scalar_null(const char *text, size_t len, enum ul_scalar_dialect dialect);

#endif
