/* ul-meter: bill each epoch's actual runtime into the ledger, and pause
 * the run when the credits run out.
 *
 *   ... | ul-estimate gpu="RTX 4090" | ul-train | ul-meter | ul-push ...
 *   ul-meter topup 10    ul-meter balance    ul-meter history
 *   ul-meter report run=detect/train format=csv
 *
 * Passes every record on as it arrives. For each `epoch` record it charges
 * the epoch's seconds at the GPU's price (the `estimate` record's GPU, or
 * gpu=) and writes a `charge` record; starting up is never charged. When
 * the balance cannot pay for another epoch like the last, it writes
 * `status` paused and the `bill`, closes its input and exits 3: ul-train
 * sees the closed pipe and stops at the next batch, keeping the last
 * epoch's checkpoint, and the same pipeline with resume= carries on after
 * a top-up. When the run ends it writes the `bill`. With payment=job the
 * epochs are recorded as they end and paid in one go at the end, without
 * pausing.
 *
 * On this machine ul-train trains on the CPU: its epochs are charged at
 * the chosen GPU's price all the same, which is what the ledger and the
 * calibrated estimates then measure. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "billing/estimate.h"
#include "core/fields.h"
#include "billing/gpus.h"
#include "billing/ledger.h"
#include "billing/money.h"
#include "core/args.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/human.h"
#include "core/reader.h"
#include "core/signals.h"
#include "core/tool.h"
#include "core/writer.h"

#define MAX_TOPUP_MICROS (100000LL * UL_MICROS_PER_USD)
#define MAX_EPOCH_S (1000.0 * 3600)

static const struct ul_arg meter_args[] = {
	{ "gpu", UL_ARG_STRING, "null" },
	{ "payment", UL_ARG_STRING, "balance" },
	{ "wait", UL_ARG_FLOAT, "30" },
	{ "run", UL_ARG_STRING, "null" },
	{ "format", UL_ARG_STRING, "json" },
	{ NULL },
};

static const struct ul_tool meter_tool = {
	.name = "ul-meter",
	.manual = ul_manual,
	.args = meter_args,
	.max_words = 2,
};

/* --- metering a run ------------------------------------------------------------ */

struct meter {
	const struct ul_args *args;
	struct ul_ledger l;
	struct ul_gpus gpus;
	bool pay_now;
	jv dataset, config, estimate;
	char run[256];     /* the run charged last, "" before any */
	bool billed;       /* its bill is written */
	int64_t balance;
};

/* The config's time= (hours): the platform sells pay per job for those
 * runs only, whose price is exact. */
static bool timed(const struct meter *m)
{
	jv args = jv_get_kind(m->config) == JV_KIND_OBJECT ? jv_object_get(jv_copy(m->config), jv_string("args")) : jv_null();
	double hours = ul_field_number(args, "time", 0);
	jv_free(args);
	return hours > 0;
}

/* The GPU to charge at: gpu=, else the estimate's. */
static const struct ul_gpu *charged_gpu(struct meter *m, jv *err)
{
	char name[64];
	const char *given = ul_arg_str(m->args, "gpu");
	if (!given)
		given = ul_field_string(m->estimate, "gpu", name, sizeof name);
	if (!given) {
		*err = ul_error_record("no_gpu", "no GPU to charge at: no estimate record arrived and no gpu= was given",
				       "put ul-estimate gpu=NAME before ul-train, or give ul-meter gpu=NAME");
		return NULL;
	}
	return ul_gpus_find(&m->gpus, given, err);
}

static int write_bill(struct meter *m, jv *err)
{
	if (!*m->run || m->billed)
		return 0;
	int64_t paid = 0;
	if (m->pay_now ? ul_ledger_balance(&m->l, &m->balance, err) : ul_ledger_settle(&m->l, m->run, &paid, &m->balance, err))
		return -1;
	jv bill = ul_ledger_bill(&m->l, m->run, err);
	if (!jv_is_valid(bill))
		return -1;
	m->billed = true;
	if (jv_get_kind(bill) == JV_KIND_NULL)
		return 0;
	bill = jv_object_set(bill, jv_string("payment"), jv_string(m->pay_now ? "balance" : "job"));
	bill = jv_object_set(bill, jv_string("balance_usd"), jv_number(ul_money_usd(m->balance)));
	char usd[32];
	jv total = jv_object_get(jv_copy(bill), jv_string("usd"));
	ul_money_format(ul_money_from_usd(jv_number_value(total)), usd, sizeof usd);
	jv_free(total);
	ul_note("%s: bill %s for %.0f epochs, %.1f GPU seconds", m->run, usd, ul_field_number(bill, "epochs", NAN),
		ul_field_number(bill, "gpu_seconds", NAN));
	ul_write_record(bill);
	return 0;
}

/* Out of credit: say so, bill, and close the pipe ul-train writes into. */
static int pause_run(struct meter *m, const char *run, const char *why, jv *err)
{
	close(STDIN_FILENO);  /* first: ul-train must not finish another epoch unseen */
	char balance[32], reason[512];
	ul_money_format(m->balance, balance, sizeof balance);
	snprintf(reason, sizeof reason, "credits: the balance %s %s; ul-meter topup AMOUNT, then resume", balance, why);
	jv s = ul_record("status");
	s = jv_object_set(s, jv_string("run"), jv_string(run));
	s = jv_object_set(s, jv_string("status"), jv_string("paused"));
	s = jv_object_set(s, jv_string("reason"), jv_string(reason));
	s = jv_object_set(s, jv_string("time"), ul_utc_now());
	ul_write_record(s);
	ul_note("paused: %s", reason);
	return write_bill(m, err) ? -1 : UL_EXIT_STOPPED;
}

/* The records now are about run: the last one's bill is due. */
static int switch_run(struct meter *m, const char *run, jv *err)
{
	if (!strcmp(m->run, run))
		return 0;
	if (write_bill(m, err))
		return -1;
	snprintf(m->run, sizeof m->run, "%s", run);
	m->billed = false;
	return 0;
}

/* A run is being charged: note what it is for later calibration. */
static int start_run(struct meter *m, const char *run, jv *err)
{
	if (!strcmp(m->run, run))
		return 0;
	if (switch_run(m, run, err))
		return -1;
	struct ul_run_shape shape;
	jv ignored;
	/* without the config the run is metered all the same; only calibration needs its shape */
	if (jv_get_kind(m->config) == JV_KIND_NULL)
		return 0;
	if (ul_run_shape_read(&shape, m->config, m->dataset, &ignored)) {
		jv_free(ignored);
		return 0;
	}
	struct ul_run_facts facts = ul_run_shape_facts(&shape);
	return ul_ledger_note_run(&m->l, run, &facts, err);
}

/* One epoch record: charge it. Returns -1 (error in *err), 0, or
 * UL_EXIT_STOPPED once paused. */
static int charge(struct meter *m, jv epoch, long line, jv *err)
{
	char run[256];
	double n = ul_field_number(epoch, "epoch", NAN), of = ul_field_number(epoch, "epochs", 0);
	double secs = ul_field_number(epoch, "seconds", NAN);
	if (!ul_field_string(epoch, "run", run, sizeof run) || !*run || !(n >= 1 && n == floor(n) && n < 1e9) ||
	    !(secs >= 0 && secs <= MAX_EPOCH_S)) {
		*err = jv_object_set(ul_error_record("bad_record", "an epoch record needs a run, an epoch from 1 and seconds"
						      " from 0 to 1000 hours; it was not charged", NULL),
				     jv_string("line"), jv_number(line));
		return -1;
	}
	if (!m->pay_now && !timed(m)) {
		*err = jv_object_set(ul_error_record("payment", "payment=job needs a timed run (time=HOURS): only its price is known"
							      " before it starts", "pay an epoch run from the balance: payment=balance"),
				     jv_string("param"), jv_string("payment"));
		return -1;
	}
	const struct ul_gpu *gpu = charged_gpu(m, err);
	if (!gpu || start_run(m, run, err))
		return -1;
	struct ul_charge c = { .run = run, .epoch = (int)n, .ms = llround(secs * 1000), .gpu = gpu->name,
			       .micros_per_hour = gpu->micros_per_hour, .pay = m->pay_now };
	c.micros = ul_money_for_ms(c.ms, c.micros_per_hour);
	bool fresh;
	if (ul_ledger_charge(&m->l, &c, &fresh, &m->balance, err))
		return -1;
	m->billed = false;
	if (!fresh) {
		ul_note("%s: epoch %d was charged before; not again", run, c.epoch);
	} else if (m->pay_now) {
		jv r = ul_record("charge");
		r = jv_object_set(r, jv_string("run"), jv_string(run));
		r = jv_object_set(r, jv_string("epoch"), jv_number(c.epoch));
		r = jv_object_set(r, jv_string("seconds"), jv_number((double)c.ms / 1000));
		r = jv_object_set(r, jv_string("usd"), jv_number(ul_money_usd(c.micros)));
		r = jv_object_set(r, jv_string("balance_usd"), jv_number(ul_money_usd(m->balance)));
		r = jv_object_set(r, jv_string("gpu"), jv_string(gpu->name));
		r = jv_object_set(r, jv_string("usd_per_hour"), jv_number(ul_money_usd(gpu->micros_per_hour)));
		ul_write_record(r);
	}
	/* the next epoch will cost about what this one did */
	if (m->pay_now && !(of > 0 && n >= of) && m->balance < c.micros) {
		char why[128], next[32];
		ul_money_format(c.micros, next, sizeof next);
		snprintf(why, sizeof why, "cannot pay for epoch %d (about %s)", c.epoch + 1, next);
		return pause_run(m, run, why, err);
	}
	return 0;
}

static int on_status(struct meter *m, jv rec, jv *err)
{
	char what[32], run[256];
	if (!ul_field_string(rec, "status", what, sizeof what) || !ul_field_string(rec, "run", run, sizeof run))
		return 0;
	if (!strcmp(what, "running") && m->pay_now) {
		/* a start, or a resume, needs a positive balance */
		if (ul_ledger_balance(&m->l, &m->balance, err))
			return -1;
		return m->balance > 0 ? 0 : pause_run(m, run, "is not positive", err);
	}
	/* an end: the bill, also of a run whose epochs were all charged before */
	if (!strcmp(what, "completed") || !strcmp(what, "failed") || !strcmp(what, "cancelled") || !strcmp(what, "paused"))
		return switch_run(m, run, err) ? -1 : write_bill(m, err);
	return 0;
}

static void keep(jv *slot, struct ul_record *rec)
{
	jv_free(*slot);
	*slot = rec->value;
	rec->value = jv_invalid();
}

static int meter(const struct ul_args *args)
{
	struct meter m = { .args = args, .dataset = jv_null(), .config = jv_null(), .estimate = jv_null() };
	const char *payment = ul_arg_str(args, "payment");
	if (strcmp(payment, "balance") && strcmp(payment, "job"))
		return ul_fail(UL_EXIT_USAGE, jv_object_set(ul_error_record("usage", "payment= is balance or job", NULL),
							      jv_string("param"), jv_string("payment")));
	m.pay_now = !strcmp(payment, "balance");
	if (isatty(STDIN_FILENO))
		return ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "ul-meter meters the records ul-train writes: pipe them in",
							    "... | ul-train | ul-meter, or ul-meter balance | topup | history | report"));
	jv err;
	if (ul_gpus_load(&m.gpus, &err))
		return ul_fail(UL_EXIT_FAILED, err);
	if (ul_arg_str(args, "gpu") && !ul_gpus_find(&m.gpus, ul_arg_str(args, "gpu"), &err))
		return ul_fail(UL_EXIT_USAGE, err);
	if (ul_ledger_open(&m.l, ul_arg_float(args, "wait"), &err))
		return ul_fail(UL_EXIT_FAILED, err);
	int rc = UL_EXIT_OK, done = 0;
	bool upstream_error = false;
	struct ul_reader reader;
	ul_reader_init(&reader, STDIN_FILENO, UL_MAX_LINE_DEFAULT);
	while (!done && !ul_output_closed()) {
		struct ul_record rec;
		enum ul_read_status st = ul_read(&reader, &rec);
		if (st == UL_READ_BAD) {
			rc = ul_fail(UL_EXIT_FAILED, rec.error);
			continue;
		}
		if (st != UL_READ_RECORD) {
			if (st == UL_READ_IO_ERROR)
				rc = ul_fail(UL_EXIT_FAILED, rec.error);
			break;
		}
		ul_write_line(rec.line, rec.len);
		if (!strcmp(rec.type, "dataset"))
			keep(&m.dataset, &rec);
		else if (!strcmp(rec.type, "config"))
			keep(&m.config, &rec);
		else if (!strcmp(rec.type, "estimate"))
			keep(&m.estimate, &rec);
		else if (!strcmp(rec.type, "error"))
			upstream_error = true;  /* passed on; what ran before it is still billed */
		else if (!strcmp(rec.type, "epoch"))
			done = charge(&m, rec.value, rec.line_no, &err);
		else if (!strcmp(rec.type, "status"))
			done = on_status(&m, rec.value, &err);
		jv_free(rec.value);
	}
	ul_reader_free(&reader);
	if (done < 0) {
		/* no epoch may run unmetered: stop the run */
		close(STDIN_FILENO);
		rc = ul_fail(UL_EXIT_FAILED, err);
	} else if (done == UL_EXIT_STOPPED) {
		rc = UL_EXIT_STOPPED;
	} else if (write_bill(&m, &err)) {
		rc = ul_fail(UL_EXIT_FAILED, err);
	}
	if (rc == UL_EXIT_OK && upstream_error)
		rc = UL_EXIT_FAILED;
	ul_ledger_close(&m.l);
	jv_free(m.dataset);
	jv_free(m.config);
	jv_free(m.estimate);
	return rc;
}

/* --- the account --------------------------------------------------------------- */

static jv balance_record(const char *type, int64_t balance)
{
	jv r = ul_record(type);
	r = jv_object_set(r, jv_string("balance_usd"), jv_number(ul_money_usd(balance)));
	return jv_object_set(r, jv_string("time"), ul_utc_now());
}

static int topup(struct ul_ledger *l, const char *amount)
{
	int64_t micros;
	char message[256];
	if (!amount || ul_money_parse(amount, &micros) || micros <= 0 || micros > MAX_TOPUP_MICROS) {
		snprintf(message, sizeof message, "top-up amount '%s': give dollars above 0 and at most 100000, to the micro-dollar",
			 amount ? amount : "");
		return ul_fail(UL_EXIT_USAGE, ul_error_record("amount", message, "ul-meter topup 10.50"));
	}
	int64_t balance;
	jv err;
	if (ul_ledger_topup(l, micros, &balance, &err))
		return ul_fail(UL_EXIT_FAILED, err);
	char added[32], now[32];
	ul_money_format(micros, added, sizeof added);
	ul_money_format(balance, now, sizeof now);
	ul_note("topped up %s: the balance is %s", added, now);
	jv r = balance_record("topup", balance);
	ul_write_record(jv_object_set(r, jv_string("usd"), jv_number(ul_money_usd(micros))));
	return UL_EXIT_OK;
}

static void csv_row(jv rec, const char *const *keys)
{
	for (int k = 0; keys[k]; k++) {
		jv v = jv_object_get(jv_copy(rec), jv_string(keys[k]));
		if (jv_get_kind(v) == JV_KIND_STRING)
			printf("%s%s", k ? "," : "", jv_string_value(v));  /* runs and times hold no commas or quotes */
		else if (jv_get_kind(v) == JV_KIND_NUMBER)  /* dollars to the micro-dollar, seconds to the millisecond */
			printf(strstr(keys[k], "usd") ? "%s%.6f" : strcmp(keys[k], "seconds") ? "%s%.0f" : "%s%.3f", k ? "," : "",
			       jv_number_value(v));
		else
			printf("%s", k ? "," : "");
		jv_free(v);
	}
	printf("\n");
}

static int history(struct ul_ledger *l, bool csv)
{
	jv err, list = ul_ledger_history(l, &err);
	if (!jv_is_valid(list))
		return ul_fail(UL_EXIT_FAILED, err);
	static const char *const keys[] = { "time", "type", "run", "epoch", "seconds", "usd", "balance_usd", NULL };
	if (csv)
		printf("time,kind,run,epoch,seconds,usd,balance_usd\n");
	jv_array_foreach(list, i, r) {
		if (csv) {
			csv_row(r, keys);
			jv_free(r);
		} else {
			ul_write_record(r);
		}
	}
	jv_free(list);
	return UL_EXIT_OK;
}

/* The cost report: each run's bill, or as CSV a row per epoch and a total. */
static int report(struct ul_ledger *l, const char *run, bool csv)
{
	jv err, runs = run ? jv_array_append(jv_array(), jv_string(run)) : ul_ledger_runs(l, &err);
	if (!jv_is_valid(runs))
		return ul_fail(UL_EXIT_FAILED, err);
	int rc = UL_EXIT_OK;
	if (csv)
		printf("run,epoch,seconds,usd\n");
	jv_array_foreach(runs, i, name) {
		jv bill = rc == UL_EXIT_OK ? ul_ledger_bill(l, jv_string_value(name), &err) : jv_null();
		if (!jv_is_valid(bill)) {
			rc = ul_fail(UL_EXIT_FAILED, err);
		} else if (jv_get_kind(bill) == JV_KIND_NULL && rc == UL_EXIT_OK) {
			char message[512];
			snprintf(message, sizeof message, "no charges for run '%s' in the ledger", jv_string_value(name));
			rc = ul_fail(UL_EXIT_FAILED, jv_object_set(ul_error_record("run_unknown", message, "ul-meter report lists every run"),
								  jv_string("param"), jv_string("run")));
		} else if (csv) {
			static const char *const keys[] = { "run", "epoch", "seconds", "usd", NULL };
			jv per_epoch = jv_object_get(jv_copy(bill), jv_string("per_epoch"));
			jv_array_foreach(per_epoch, k, e) {
				jv row = jv_object_set(e, jv_string("run"), jv_copy(name));
				csv_row(row, keys);
				jv_free(row);
			}
			jv_free(per_epoch);
			jv total = jv_object_set(jv_object(), jv_string("run"), jv_copy(name));
			total = jv_object_set(total, jv_string("epoch"), jv_string("total"));
			total = jv_object_set(total, jv_string("seconds"), jv_object_get(jv_copy(bill), jv_string("gpu_seconds")));
			total = jv_object_set(total, jv_string("usd"), jv_object_get(jv_copy(bill), jv_string("usd")));
			csv_row(total, keys);
			jv_free(total);
			jv_free(bill);
		} else {
			ul_write_record(bill);
		}
		jv_free(name);
	}
	jv_free(runs);
	return rc;
}

static int account(const struct ul_args *args, const char *command)
{
	const char *format = ul_arg_str(args, "format");
	int nwords = jv_array_length(jv_copy(args->words));
	jv second = nwords > 1 ? jv_array_get(jv_copy(args->words), 1) : jv_null();
	bool known = !strcmp(command, "balance") || !strcmp(command, "topup") || !strcmp(command, "history") ||
		     !strcmp(command, "report");
	int rc = -1;
	char message[256];
	if (!known) {
		snprintf(message, sizeof message, "unknown command '%s': balance, topup, history or report", command);
		rc = ul_fail(UL_EXIT_USAGE, ul_error_record("usage", message, "run 'ul-meter --help'"));
	} else if ((nwords > 1) != !strcmp(command, "topup")) {
		rc = ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "topup takes one amount; the other commands none",
							      "ul-meter topup 10"));
	} else if (strcmp(format, "json") && strcmp(format, "csv")) {
		rc = ul_fail(UL_EXIT_USAGE, jv_object_set(ul_error_record("usage", "format= is json or csv", NULL),
							    jv_string("param"), jv_string("format")));
	}
	if (rc >= 0) {
		jv_free(second);
		return rc;
	}
	struct ul_ledger l;
	jv err;
	if (ul_ledger_open(&l, ul_arg_float(args, "wait"), &err)) {
		jv_free(second);
		return ul_fail(UL_EXIT_FAILED, err);
	}
	bool csv = !strcmp(format, "csv");
	if (!strcmp(command, "topup")) {
		rc = topup(&l, jv_string_value(second));
	} else if (!strcmp(command, "history")) {
		rc = history(&l, csv);
	} else if (!strcmp(command, "report")) {
		rc = report(&l, ul_arg_str(args, "run"), csv);
	} else {
		int64_t balance;
		rc = ul_ledger_balance(&l, &balance, &err) ? ul_fail(UL_EXIT_FAILED, err) : UL_EXIT_OK;
		if (rc == UL_EXIT_OK) {
			char text[32];
			ul_money_format(balance, text, sizeof text);
			ul_note("balance %s", text);
			ul_write_record(balance_record("balance", balance));
		}
	}
	ul_ledger_close(&l);
	jv_free(second);
	return rc;
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	/* "topup -5" would read as an option; refuse it as the amount it is */
	if (argc == 3 && !strcmp(argv[1], "topup") && argv[2][0] == '-' && argv[2][1] >= '0' && argv[2][1] <= '9')
		return ul_tool_exit(topup(NULL, argv[2]));
	struct ul_args args;
	int rc = ul_args_parse(&args, &meter_tool, argc, argv);
	if (rc < 0) {
		jv first = jv_array_length(jv_copy(args.words)) ? jv_array_get(jv_copy(args.words), 0) : jv_null();
		rc = jv_get_kind(first) == JV_KIND_STRING ? account(&args, jv_string_value(first)) : meter(&args);
		jv_free(first);
	}
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
