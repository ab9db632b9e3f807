/* Reading a record's fields without caring whether they are there: a tool
 * reads records other tools wrote, and a missing or mistyped field is a
 * value to fall back from, not a crash. */
#ifndef UL_CORE_FIELDS_H
#define UL_CORE_FIELDS_H

#include <stddef.h>

#include <jv.h>

/* obj[key] when obj is an object and that is a number, else fallback.
 * obj is borrowed. */
double ul_field_number(jv obj, const char *key, double fallback);

/* Copies obj[key] into out when it is a string and returns out; else
 * leaves out empty and returns NULL. obj is borrowed. */
const char *ul_field_string(jv obj, const char *key, char *out, size_t cap);

#endif
