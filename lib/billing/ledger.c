#include "billing/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "billing/money.h"
#include "core/error.h"
#include "core/home.h"
#include "core/writer.h"

#define LEDGER_VERSION 1

/* One table of movements, in the order they happened: a top-up adds to the
 * balance, a charge takes from it once paid. UNIQUE (run, epoch) is what
 * makes a charge idempotent. */
static const char *const schema =
	"CREATE TABLE IF NOT EXISTS account ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  balance INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO account VALUES (1, 0);"
	"CREATE TABLE IF NOT EXISTS entries ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
	"  kind TEXT NOT NULL CHECK (kind IN ('topup', 'charge')),"
	"  micros INTEGER NOT NULL CHECK (micros >= 0),"
	"  run TEXT, epoch INTEGER, ms INTEGER, gpu TEXT, rate INTEGER,"
	"  paid INTEGER NOT NULL DEFAULT 1,"
	"  balance INTEGER,"
	"  UNIQUE (run, epoch));"
	"CREATE TABLE IF NOT EXISTS runs ("
	"  run TEXT PRIMARY KEY, model TEXT, imgsz INTEGER, batch INTEGER, images REAL);"
	"PRAGMA user_version = 1;";

static int db_error(struct ul_ledger *l, int rc, const char *doing, jv *err)
{
	char message[5200];
	const char *code = "ledger", *hint = NULL;
	int base = rc & 0xff;
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED) {
		code = "ledger_locked";
		hint = "another process holds the ledger: wait for it, or give wait= more seconds";
	} else if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT) {
		code = "ledger_corrupt";
		hint = "restore the file from a backup, or move it aside to start a new, empty ledger";
	}
	snprintf(message, sizeof message, "ledger %s: %s: %s", l->path, doing,
		 l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
	*err = ul_error_record(code, message, hint);
	return -1;
}

static int exec(struct ul_ledger *l, const char *sql, const char *doing, jv *err)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_error(l, rc, doing, err);
}

static sqlite3_stmt *prepare(struct ul_ledger *l, const char *sql, jv *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		db_error(l, rc, "preparing a statement", err);
		return NULL;
	}
	return s;
}

/* Steps a statement that returns no row, or one row it leaves there. */
static int step(struct ul_ledger *l, sqlite3_stmt *s, const char *doing, jv *err)
{
	int rc = sqlite3_step(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? rc : db_error(l, rc, doing, err);
}

static int begin(struct ul_ledger *l, jv *err)
{
	return exec(l, "BEGIN IMMEDIATE", "starting a transaction", err);
}

static int commit(struct ul_ledger *l, jv *err)
{
	if (exec(l, "COMMIT", "committing", err)) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Gives up a transaction after a failure (already in *err). */
static int rollback(struct ul_ledger *l)
{
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int ul_ledger_open(struct ul_ledger *l, double wait_s, jv *err)
{
	memset(l, 0, sizeof *l);
	jv path = ul_home_path("ledger.db");
	if (!jv_is_valid(path)) {
		jv why = jv_invalid_get_msg(path);
		*err = ul_error_record("ledger", jv_string_value(why), "set UL_HOME to a folder you can write");
		jv_free(why);
		return -1;
	}
	snprintf(l->path, sizeof l->path, "%s", jv_string_value(path));
	jv_free(path);
	int rc = sqlite3_open_v2(l->path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		db_error(l, rc, "opening", err);
		ul_ledger_close(l);
		return -1;
	}
	sqlite3_busy_timeout(l->db, wait_s > 0 ? (int)(wait_s * 1000) : 0);
	sqlite3_stmt *s = NULL;
	int version = 0;
	if (exec(l, "PRAGMA journal_mode = WAL", "turning on the write-ahead log", err) ||
	    exec(l, "PRAGMA synchronous = FULL", "setting durability", err) || !(s = prepare(l, "PRAGMA user_version", err)) ||
	    step(l, s, "reading its version", err) < 0)
		goto bad;
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s), s = NULL;
	if (version > LEDGER_VERSION) {
		char message[4200];
		snprintf(message, sizeof message, "ledger %s is version %d; this ul-meter knows up to %d", l->path, version,
			 LEDGER_VERSION);
		*err = ul_error_record("ledger", message, "use the newer ul tools that wrote it");
		goto bad;
	}
	if (version < LEDGER_VERSION && (begin(l, err) || exec(l, schema, "creating its tables", err) || commit(l, err)))
		goto bad;
	return 0;
bad:
	sqlite3_finalize(s);
	ul_ledger_close(l);
	return -1;
}

void ul_ledger_close(struct ul_ledger *l)
{
	if (l->db)
		sqlite3_close(l->db);
	l->db = NULL;
}

static int read_balance(struct ul_ledger *l, int64_t *balance, jv *err)
{
	sqlite3_stmt *s = prepare(l, "SELECT balance FROM account WHERE id = 1", err);
	int rc = s ? step(l, s, "reading the balance", err) : -1;
	if (rc == SQLITE_ROW)
		*balance = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc < 0 ? -1 : db_error(l, SQLITE_CORRUPT, "the account row is missing", err);
}

static int write_balance(struct ul_ledger *l, int64_t balance, jv *err)
{
	sqlite3_stmt *s = prepare(l, "UPDATE account SET balance = ?1 WHERE id = 1", err);
	int rc = s ? (sqlite3_bind_int64(s, 1, balance), step(l, s, "updating the balance", err)) : -1;
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}

int ul_ledger_balance(struct ul_ledger *l, int64_t *balance, jv *err)
{
	return read_balance(l, balance, err);
}

int ul_ledger_topup(struct ul_ledger *l, int64_t micros, int64_t *balance, jv *err)
{
	if (begin(l, err) || read_balance(l, balance, err))
		return rollback(l);
	*balance += micros;
	sqlite3_stmt *s = prepare(l, "INSERT INTO entries (kind, micros, balance) VALUES ('topup', ?1, ?2)", err);
	int rc = s ? (sqlite3_bind_int64(s, 1, micros), sqlite3_bind_int64(s, 2, *balance), step(l, s, "adding the top-up", err))
		   : -1;
	sqlite3_finalize(s);
	if (rc < 0 || write_balance(l, *balance, err))
		return rollback(l);
	return commit(l, err);
}

int ul_ledger_note_run(struct ul_ledger *l, const char *run, const struct ul_run_facts *f, jv *err)
{
	sqlite3_stmt *s = prepare(l, "INSERT OR IGNORE INTO runs VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, run, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, f->model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, f->imgsz);
	sqlite3_bind_int(s, 4, f->batch);
	sqlite3_bind_double(s, 5, f->images);
	int rc = step(l, s, "noting the run", err);
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}

int ul_ledger_charge(struct ul_ledger *l, struct ul_charge *c, bool *fresh, int64_t *balance, jv *err)
{
	if (begin(l, err) || read_balance(l, balance, err))
		return rollback(l);
	sqlite3_stmt *s = prepare(l, "SELECT ms, micros, rate, paid FROM entries WHERE run = ?1 AND epoch = ?2", err);
	if (!s)
		return rollback(l);
	sqlite3_bind_text(s, 1, c->run, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, c->epoch);
	int rc = step(l, s, "looking for the charge", err);
	*fresh = rc == SQLITE_DONE;
	if (rc == SQLITE_ROW) {
		c->ms = sqlite3_column_int64(s, 0);
		c->micros = sqlite3_column_int64(s, 1);
		c->micros_per_hour = sqlite3_column_int64(s, 2);
		c->pay = sqlite3_column_int(s, 3);
	}
	sqlite3_finalize(s);
	if (rc < 0)
		return rollback(l);
	if (!*fresh)
		return commit(l, err);
	if (c->pay)
		*balance -= c->micros;
	s = prepare(l, "INSERT INTO entries (kind, micros, run, epoch, ms, gpu, rate, paid, balance)"
		       " VALUES ('charge', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
	if (!s)
		return rollback(l);
	sqlite3_bind_int64(s, 1, c->micros);
	sqlite3_bind_text(s, 2, c->run, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, c->epoch);
	sqlite3_bind_int64(s, 4, c->ms);
	sqlite3_bind_text(s, 5, c->gpu, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, c->micros_per_hour);
	sqlite3_bind_int(s, 7, c->pay);
	if (c->pay)
		sqlite3_bind_int64(s, 8, *balance);
	rc = step(l, s, "adding the charge", err);
	sqlite3_finalize(s);
	if (rc < 0 || (c->pay && write_balance(l, *balance, err)))
		return rollback(l);
	return commit(l, err);
}

int ul_ledger_settle(struct ul_ledger *l, const char *run, int64_t *paid, int64_t *balance, jv *err)
{
	if (begin(l, err) || read_balance(l, balance, err))
		return rollback(l);
	sqlite3_stmt *s = prepare(l, "SELECT COALESCE(SUM(micros), 0) FROM entries WHERE run = ?1 AND paid = 0", err);
	int rc = s ? (sqlite3_bind_text(s, 1, run, -1, SQLITE_TRANSIENT), step(l, s, "adding up what is due", err)) : -1;
	*paid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc < 0)
		return rollback(l);
	*balance -= *paid;
	s = prepare(l, "UPDATE entries SET paid = 1, balance = ?2 WHERE run = ?1 AND paid = 0", err);
	rc = s ? (sqlite3_bind_text(s, 1, run, -1, SQLITE_TRANSIENT), sqlite3_bind_int64(s, 2, *balance),
		  step(l, s, "paying the job", err))
	       : -1;
	sqlite3_finalize(s);
	if (rc < 0 || write_balance(l, *balance, err))
		return rollback(l);
	return commit(l, err);
}

static double seconds(int64_t ms)
{
	return (double)ms / 1000;
}

jv ul_ledger_bill(struct ul_ledger *l, const char *run, jv *err)
{
	sqlite3_stmt *s = prepare(l, "SELECT epoch, ms, micros, gpu, rate, paid FROM entries"
				     " WHERE kind = 'charge' AND run = ?1 ORDER BY epoch", err);
	if (!s)
		return jv_invalid();
	sqlite3_bind_text(s, 1, run, -1, SQLITE_TRANSIENT);
	jv per_epoch = jv_array(), gpu = jv_null();
	int64_t ms = 0, micros = 0, due = 0, rate = 0;
	int n = 0, rc;
	while ((rc = step(l, s, "reading the run's charges", err)) == SQLITE_ROW) {
		int64_t e_ms = sqlite3_column_int64(s, 1), e_micros = sqlite3_column_int64(s, 2);
		jv e = jv_object();
		e = jv_object_set(e, jv_string("epoch"), jv_number(sqlite3_column_int(s, 0)));
		e = jv_object_set(e, jv_string("seconds"), jv_number(seconds(e_ms)));
		e = jv_object_set(e, jv_string("usd"), jv_number(ul_money_usd(e_micros)));
		per_epoch = jv_array_append(per_epoch, e);
		jv_free(gpu);
		gpu = jv_string((const char *)sqlite3_column_text(s, 3));
		rate = sqlite3_column_int64(s, 4);
		ms += e_ms, micros += e_micros, n++;
		if (!sqlite3_column_int(s, 5))
			due += e_micros;
	}
	sqlite3_finalize(s);
	if (rc < 0 || n == 0) {
		jv_free(per_epoch);
		jv_free(gpu);
		return rc < 0 ? jv_invalid() : jv_null();
	}
	jv b = ul_record("bill");
	b = jv_object_set(b, jv_string("run"), jv_string(run));
	b = jv_object_set(b, jv_string("gpu"), gpu);
	b = jv_object_set(b, jv_string("usd_per_hour"), jv_number(ul_money_usd(rate)));
	b = jv_object_set(b, jv_string("gpu_seconds"), jv_number(seconds(ms)));
	b = jv_object_set(b, jv_string("usd"), jv_number(ul_money_usd(micros)));
	b = jv_object_set(b, jv_string("due_usd"), jv_number(ul_money_usd(due)));
	b = jv_object_set(b, jv_string("epochs"), jv_number(n));
	return jv_object_set(b, jv_string("per_epoch"), per_epoch);
}

jv ul_ledger_runs(struct ul_ledger *l, jv *err)
{
	sqlite3_stmt *s = prepare(l, "SELECT run FROM entries WHERE kind = 'charge' GROUP BY run ORDER BY MIN(id)", err);
	if (!s)
		return jv_invalid();
	jv runs = jv_array();
	int rc;
	while ((rc = step(l, s, "listing the runs", err)) == SQLITE_ROW)
		runs = jv_array_append(runs, jv_string((const char *)sqlite3_column_text(s, 0)));
	sqlite3_finalize(s);
	if (rc < 0) {
		jv_free(runs);
		return jv_invalid();
	}
	return runs;
}

jv ul_ledger_history(struct ul_ledger *l, jv *err)
{
	sqlite3_stmt *s = prepare(l, "SELECT kind, time, micros, balance, run, epoch, ms, paid FROM entries ORDER BY id", err);
	if (!s)
		return jv_invalid();
	jv list = jv_array();
	int rc;
	while ((rc = step(l, s, "reading the history", err)) == SQLITE_ROW) {
		bool topup = !strcmp((const char *)sqlite3_column_text(s, 0), "topup");
		jv r = ul_record(topup ? "topup" : "charge");
		if (!topup) {
			r = jv_object_set(r, jv_string("run"), jv_string((const char *)sqlite3_column_text(s, 4)));
			r = jv_object_set(r, jv_string("epoch"), jv_number(sqlite3_column_int(s, 5)));
			r = jv_object_set(r, jv_string("seconds"), jv_number(seconds(sqlite3_column_int64(s, 6))));
		}
		r = jv_object_set(r, jv_string("usd"), jv_number(ul_money_usd(sqlite3_column_int64(s, 2))));
		/* a pay-per-job epoch still due has no balance after it yet */
		r = jv_object_set(r, jv_string("balance_usd"), sqlite3_column_type(s, 3) == SQLITE_NULL
					  ? jv_null() : jv_number(ul_money_usd(sqlite3_column_int64(s, 3))));
		r = jv_object_set(r, jv_string("time"), jv_string((const char *)sqlite3_column_text(s, 1)));
		list = jv_array_append(list, r);
	}
	sqlite3_finalize(s);
	if (rc < 0) {
		jv_free(list);
		return jv_invalid();
	}
	return list;
}

int ul_ledger_calibration(struct ul_ledger *l, const struct ul_run_facts *f, const char *gpu, double *s_per_image,
			  int *epochs, jv *err)
{
	sqlite3_stmt *s = prepare(l, "SELECT COALESCE(SUM(e.ms), 0), COALESCE(SUM(r.images), 0), COUNT(*)"
				     " FROM entries e JOIN runs r ON r.run = e.run"
				     " WHERE e.kind = 'charge' AND r.model = ?1 AND r.imgsz = ?2 AND r.batch = ?3 AND e.gpu = ?4"
				     " AND r.images > 0", err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, f->model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, f->imgsz);
	sqlite3_bind_int(s, 3, f->batch);
	sqlite3_bind_text(s, 4, gpu, -1, SQLITE_TRANSIENT);
	int rc = step(l, s, "reading measured epochs", err);
	*epochs = 0;
	if (rc == SQLITE_ROW && sqlite3_column_int(s, 2) > 0) {
		*epochs = sqlite3_column_int(s, 2);
		*s_per_image = seconds(sqlite3_column_int64(s, 0)) / sqlite3_column_double(s, 1);
	}
	sqlite3_finalize(s);
	return rc < 0 ? -1 : 0;
}
