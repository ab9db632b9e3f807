/* Reading JSON lines.
 *
 * Each line must be one JSON object with a string "type". A line that is not
 * (bad JSON, invalid UTF-8, a NUL byte, an array, no type, too long) is
 * returned as UL_READ_BAD with a ready-made `error` record naming the line
 * number; reading goes on with the next line. Memory stays bounded by the
 * line limit whatever arrives. */
#ifndef UL_CORE_READER_H
#define UL_CORE_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* The longest line accepted, newline excluded (a CR before it counts). */
#define UL_MAX_LINE_DEFAULT (16u << 20)
#define UL_MAX_LINE_CEILING (1u << 30)

enum ul_read_status {
	UL_READ_RECORD,   /* rec->value, rec->type, rec->line are set */
	UL_READ_BAD,      /* rec->error is an `error` record for the line */
	UL_READ_EOF,      /* the input ended */
	UL_READ_STOPPED,  /* a stop signal arrived while waiting */
	UL_READ_IO_ERROR, /* reading failed; rec->error says why */
};

struct ul_record {
	jv value;          /* the parsed object */
	const char *type;  /* its "type", valid while value lives */
	const char *line;  /* the original bytes, no newline; valid until the next read */
	size_t len;
	long line_no;      /* 1-based */
	jv error;          /* UL_READ_BAD and UL_READ_IO_ERROR only */
};

struct ul_reader {
	int fd;
	size_t max_line;
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	long line_no;
	bool eof;
};

/* Reads from fd (not owned) with lines of at most max_line bytes, which is
 * taken into 1 .. UL_MAX_LINE_CEILING. */
void ul_reader_init(struct ul_reader *r, int fd, size_t max_line);
void ul_reader_free(struct ul_reader *r);

/* Reads the next record. The caller frees rec->value (RECORD) or rec->error
 * (BAD, IO_ERROR) with jv_free, or hands it on. Blank lines are skipped. */
enum ul_read_status ul_read(struct ul_reader *r, struct ul_record *rec);

#endif
