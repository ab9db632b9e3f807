/* The ledger on a real SQLite file: top-ups, idempotent charges, pay per
 * job, bills and calibration, and the balance always the top-ups less the
 * charges paid. */
#include <stdlib.h>

#include "billing/ledger.h"
#include "scratch_files.h"
#include "tap.h"

int main(void)
{
	const char *home = scratch_begin();
	if (!home) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	setenv("UL_HOME", home, 1);
	struct ul_ledger l;
	jv err;
	if (ul_ledger_open(&l, 5, &err)) {
		printf("Bail out! cannot open the ledger\n");
		return 1;
	}
	int64_t balance = -1;
	ok(!ul_ledger_balance(&l, &balance, &err) && balance == 0, "a new ledger holds $0");
	ok(!ul_ledger_topup(&l, 1000000, &balance, &err) && balance == 1000000, "a top-up of $1");

	struct ul_charge c = { .run = "r", .epoch = 1, .ms = 2000, .micros = 300, .gpu = "L4", .micros_per_hour = 390000, .pay = true };
	bool fresh = false;
	ok(!ul_ledger_charge(&l, &c, &fresh, &balance, &err) && fresh && balance == 999700, "a charge is debited");
	struct ul_charge again = c;
	again.micros = 999;
	ok(!ul_ledger_charge(&l, &again, &fresh, &balance, &err) && !fresh && balance == 999700, "the same epoch again changes nothing");
	is_int(again.micros, 300, "and reports what was charged then");

	struct ul_charge job = { .run = "j", .epoch = 1, .ms = 1000, .micros = 50, .gpu = "L4", .micros_per_hour = 390000 };
	ok(!ul_ledger_charge(&l, &job, &fresh, &balance, &err) && balance == 999700, "pay per job: recorded, not yet paid");
	job.epoch = 2;
	ul_ledger_charge(&l, &job, &fresh, &balance, &err);
	jv bill = ul_ledger_bill(&l, "j", &err);
	jv due = jv_object_get(bill, jv_string("due_usd"));
	is_double(jv_number_value(due), 0.0001, 1e-12, "the bill shows it due");
	jv_free(due);
	int64_t paid = 0;
	ok(!ul_ledger_settle(&l, "j", &paid, &balance, &err) && paid == 100 && balance == 999600, "settled in one go at the end");
	ok(!ul_ledger_settle(&l, "j", &paid, &balance, &err) && paid == 0 && balance == 999600, "and only once");

	bill = ul_ledger_bill(&l, "r", &err);
	jv epochs = jv_object_get(jv_copy(bill), jv_string("epochs")), usd = jv_object_get(bill, jv_string("usd"));
	ok(jv_number_value(epochs) == 1 && jv_number_value(usd) == 0.0003, "a run's bill");
	jv_free(epochs);
	jv_free(usd);
	bill = ul_ledger_bill(&l, "nobody", &err);
	ok(jv_get_kind(bill) == JV_KIND_NULL, "no bill for a run never charged");

	struct ul_run_facts f = { .model = "yolo26n.yaml", .imgsz = 640, .batch = 16, .images = 100 };
	ok(!ul_ledger_note_run(&l, "r", &f, &err), "a run's shape noted");
	double per_image = 0;
	int n = -1;
	ok(!ul_ledger_calibration(&l, &f, "L4", &per_image, &n, &err) && n == 1 && per_image == 0.02,
	   "calibration: 2 s over 100 images is 20 ms an image");
	ok(!ul_ledger_calibration(&l, &f, "A40", &per_image, &n, &err) && n == 0, "nothing measured on another GPU");

	jv history = ul_ledger_history(&l, &err);
	is_int(jv_array_length(jv_copy(history)), 4, "history: the top-up and three charges");
	jv_free(history);
	ul_ledger_close(&l);
	scratch_end();
	return done_testing();
}
