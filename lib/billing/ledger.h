/* The ledger: the account's balance, its top-ups and every epoch charged,
 * in one SQLite database, $UL_HOME/ledger.db.
 *
 * Every change is one transaction (BEGIN IMMEDIATE, so writers queue on
 * the busy timeout instead of failing), in WAL mode with synchronous=FULL:
 * a process killed at any point leaves each change wholly done or not
 * done. A charge is keyed by (run, epoch), so charging the same epoch
 * twice, from a resumed run or a rerun, changes nothing the second time.
 * Amounts are integer micro-dollars; the balance kept in the account row
 * always equals the top-ups less the charges paid. */
#ifndef UL_BILLING_LEDGER_H
#define UL_BILLING_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

struct sqlite3;

struct ul_ledger {
	struct sqlite3 *db;
	char path[4096];
};

/* Opens (creating if need be) the ledger, waiting up to wait_s seconds for
 * a lock another process holds. All functions return 0, or -1 with an
 * `error` record in *err: code ledger_locked (still held after wait_s),
 * ledger_corrupt (not a ledger, or damaged) or ledger (anything else). */
int ul_ledger_open(struct ul_ledger *l, double wait_s, jv *err);
void ul_ledger_close(struct ul_ledger *l);

int ul_ledger_balance(struct ul_ledger *l, int64_t *balance, jv *err);
int ul_ledger_topup(struct ul_ledger *l, int64_t micros, int64_t *balance, jv *err);

/* What a run is, for calibrating later estimates: its model, imgsz, batch
 * and the images of one epoch (training images plus validation images
 * weighted as ul-estimate weighs them). Kept from the first sight of it. */
struct ul_run_facts {
	const char *model;
	int imgsz, batch;
	double images;
};
int ul_ledger_note_run(struct ul_ledger *l, const char *run, const struct ul_run_facts *f, jv *err);

struct ul_charge {
	const char *run;
	int epoch;
	int64_t ms;              /* the epoch's seconds, in milliseconds */
	int64_t micros;          /* its price */
	const char *gpu;
	int64_t micros_per_hour;
	bool pay;                /* debit now (account balance), or leave due (pay per job) */
};

/* Charges one epoch. *fresh is false when (run, epoch) was charged before:
 * nothing changes, and *c is filled in with what was charged then. */
int ul_ledger_charge(struct ul_ledger *l, struct ul_charge *c, bool *fresh, int64_t *balance, jv *err);

/* Pay per job: debits every epoch of run still due, in one transaction. */
int ul_ledger_settle(struct ul_ledger *l, const char *run, int64_t *paid, int64_t *balance, jv *err);

/* The run's `bill` record, from every epoch charged to it (all of its
 * sessions); a jv_null() when nothing was. */
jv ul_ledger_bill(struct ul_ledger *l, const char *run, jv *err);

/* The runs charged, oldest first: an array of strings. */
jv ul_ledger_runs(struct ul_ledger *l, jv *err);

/* Every movement, oldest first: `topup` and `charge` records with time. */
jv ul_ledger_history(struct ul_ledger *l, jv *err);

/* Seconds per (weighted) image measured on runs like this one: same
 * model, imgsz, batch and GPU. *epochs is how many epochs it comes from
 * (0: none, *s_per_image untouched). */
int ul_ledger_calibration(struct ul_ledger *l, const struct ul_run_facts *f, const char *gpu, double *s_per_image,
			  int *epochs, jv *err);

#endif
