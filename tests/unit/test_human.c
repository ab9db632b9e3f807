/* Notes and progress bars: stderr only, never when not a terminal or quiet.
 * (tests/cli/progress.t draws on a real pseudo-terminal.) */
#include "core/error.h"
#include "core/human.h"
#include "tap.h"

int main(void)
{
	ul_set_program("ul-test");
	capture_begin(1);
	capture_begin(2);
	ul_note("downloading %d files", 3);
	struct ul_progress bar;
	ul_progress_begin(&bar, "epoch", 10);
	for (long i = 1; i <= 10; i++)
		ul_progress_update(&bar, i);
	ul_progress_end(&bar);
	ul_human_set_quiet(true);
	ul_note("silenced");
	ul_warn("warnings still print");
	char *err = capture_end(2);
	char *out = capture_end(1);
	is_str(out, "", "nothing goes to stdout");
	is_str(err, "ul-test: downloading 3 files\nul-test: warning: warnings still print\n",
	       "notes print unless quiet; no bar when stderr is not a terminal; warnings always");
	ok(!bar.active, "the bar was never active");
	is_int(bar.done, 10, "but it counted");
	free(err);
	free(out);
	return done_testing();
}
