/* "Did you mean" suggestions. */
#include "core/suggest.h"
#include "tap.h"

int main(void)
{
	const char *names[] = { "epochs", "batch", "imgsz", "lr0", "lrf", "momentum", "mosaic", "mixup" };
	size_t n = sizeof names / sizeof names[0];
	is_str(ul_suggest("epoch", names, n), "epochs", "a missing letter");
	is_str(ul_suggest("bacth", names, n), "batch", "two letters swapped");
	is_str(ul_suggest("imgsize", names, n), "imgsz", "two letters more");
	is_str(ul_suggest("momentun", names, n), "momentum", "one letter wrong");
	is_str(ul_suggest("lr", names, n), "lr0", "short names: one edit");
	ok(ul_suggest("zzz", names, n) == NULL, "nothing close: no suggestion");
	ok(ul_suggest("device", names, n) == NULL, "a different word: no suggestion");
	ok(ul_suggest("x", names, 0) == NULL, "no candidates");
	char longword[200];
	memset(longword, 'a', 199);
	longword[199] = '\0';
	ok(ul_suggest(longword, names, n) == NULL, "a very long word is handled");
	return done_testing();
}
