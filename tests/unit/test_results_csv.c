/* results.csv (lib/val/results_csv) against lines of a results.csv
 * Ultralytics 8.4.117 wrote here (yolo26n on coco8, AdamW): the header
 * once, losses and metrics rounded to 5 decimals and every value in
 * "%.6g" whatever digits it carries (2.99e-05 as Python prints it), and
 * MuSGD's eight lr columns. */
#include "core/fs.h"
#include "scratch_files.h"
#include "tap.h"
#include "val/results_csv.h"

int main(void)
{
	ok(scratch_begin() != NULL, "a scratch folder");
	char path[512];
	snprintf(path, sizeof path, "%s/results.csv", scratch_dir);
	const char *names[UL_DETECT_RESULT_COLUMNS + 8];
	char lr[8][24];
	int n = ul_detect_result_names(3, names, lr);
	is_int(n, 13, "detect with 3 groups: 13 columns after epoch and time");
	double first[13] = { 2.768218, 5.5799104, 0.0708598, 0, 0, 0, 0, 3.2712851, 5.4151149, 0.0826803, 0, 0, 0.1 };
	double last[13] = { 2.6089812, 1.5165797, 0.0459512, 0.6515903, 0.75, 0.9115641, 0.4662748, 2.1919651, 1.3114388,
			    0.0381104, 2.99e-05, 2.99e-05, 2.99e-05 };
	jv err = jv_invalid();
	ok(ul_results_csv_append(path, 1, 0.40369612, names, first, n, &err) == 0 &&
	   ul_results_csv_append(path, 200, 78.500213, names, last, n, &err) == 0, "two rows appended");
	size_t len;
	char *text = ul_read_file(path, &len);
	const char *want =
		"epoch,time,train/box_loss,train/cls_loss,train/l1_loss,metrics/precision(B),metrics/recall(B),"
		"metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/l1_loss,lr/pg0,lr/pg1,lr/pg2\n"
		"1,0.403696,2.76822,5.57991,0.07086,0,0,0,0,3.27129,5.41511,0.08268,0,0,0.1\n"
		"200,78.5002,2.60898,1.51658,0.04595,0.65159,0.75,0.91156,0.46627,2.19197,1.31144,0.03811,2.99e-05,2.99e-05,2.99e-05\n";
	ok(text && len == strlen(want) && !memcmp(text, want, len), "the file Ultralytics wrote, byte for byte");
	free(text);
	n = ul_detect_result_names(8, names, lr);
	ok(n == 18 && !strcmp(names[17], "lr/pg7"), "MuSGD: lr/pg0 .. lr/pg7");
	ok(ul_results_csv_append("/nonexistent/dir/results.csv", 1, 0, names, first, 13, &err) == -1, "an unwritable path fails");
	jv msg = jv_invalid_get_msg(err);
	ok(jv_get_kind(msg) == JV_KIND_STRING && strstr(jv_string_value(msg), "/nonexistent/dir"), "naming it");
	jv_free(msg);
	scratch_end();
	return done_testing();
}
