#include "core/upstream.h"

#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/reader.h"
#include "core/writer.h"

bool ul_pass_upstream(const char *const *keep_types, jv *kept, int *rc)
{
	if (isatty(STDIN_FILENO))
		return true;
	struct ul_reader reader;
	ul_reader_init(&reader, STDIN_FILENO, UL_MAX_LINE_DEFAULT);
	bool failed = false;
	for (;;) {
		struct ul_record rec;
		enum ul_read_status status = ul_read(&reader, &rec);
		if (status == UL_READ_RECORD) {
			failed |= !strcmp(rec.type, "error");
			ul_write_line(rec.line, rec.len);
			int k = 0;
			while (keep_types && keep_types[k] && strcmp(rec.type, keep_types[k]))
				k++;
			if (keep_types && keep_types[k]) {
				jv_free(kept[k]);
				kept[k] = rec.value;
			} else {
				jv_free(rec.value);
			}
		} else if (status == UL_READ_BAD || status == UL_READ_IO_ERROR) {
			*rc = ul_fail(UL_EXIT_FAILED, rec.error);
			if (status == UL_READ_IO_ERROR)
				break;
		} else {
			break;  /* the end, or a stop signal: the caller sees ul_stop_requested() */
		}
	}
	ul_reader_free(&reader);
	return !failed;
}
