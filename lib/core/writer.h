/* Writing JSON lines to stdout.
 *
 * One compact line per record, written and flushed at once so a pipeline is
 * live. Records a tool does not own are passed through as their original
 * bytes. A failed write is never silent: EPIPE (the reader went away) marks
 * the output closed, anything else is reported once on stderr. */
#ifndef UL_CORE_WRITER_H
#define UL_CORE_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* The version of the record contract, ul-records(7). */
#define UL_RECORD_VERSION 1

/* A new record {"type":TYPE,"v":1}; add fields with jv_object_set. */
jv ul_record(const char *type);

/* Must run before anything can open a file: if stdout is closed, parks
 * /dev/null, read-only, on descriptor 1, so no file lands there by accident
 * and every write still fails with EBADF, as a write to a closed stdout
 * should. */
void ul_writer_init(void);

/* Writes one record (consumed) as a compact line. 0 on success, -1 once the
 * output has failed or closed. */
int ul_write_record(jv record);

/* Writes a line exactly as given, adding the newline. 0 or -1. */
int ul_write_line(const char *line, size_t len);

/* True once the reader of stdout has gone away (EPIPE). */
bool ul_output_closed(void);

/* True once a write to stdout failed for another reason (disk full...). */
bool ul_output_failed(void);

/* Flushes stdio and closes stdout, reporting a failure. 0 or -1. */
int ul_writer_finish(void);

#endif
