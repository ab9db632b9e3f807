/* ul-train: train a YOLO26 detector, as `yolo train` does, as a filter.
 *
 *   ul-fetch data=coco8.yaml | ul-validate model=yolo26n.yaml epochs=3 | ul-train | ...
 *   ul-train model=yolo26n.yaml data=coco8.yaml epochs=3
 *
 * Reads the `dataset` and `config` records (passing every record on), or
 * fetches and checks the run itself with the same library code. Writes
 * `status` records through the lifecycle (pending while another run holds
 * the device, starting, running, then completed, failed, cancelled or
 * paused, each with its reason and time), an `epoch` record per epoch, a
 * `checkpoint` record per file saved, `system` records, and `log` records
 * of what the console shows. The run's folder is Ultralytics' own
 * (runs/detect/train, train-2 ...): args.yaml, results.csv, weights/.
 *
 * Stops: the epochs done, patience, or time= (completed); SIGINT or
 * SIGTERM within one batch (cancelled, exit 128+N); stdout closed, as when
 * ul-meter runs out of credit (paused, exit 3); a loss that stays not
 * finite through three reloads of the last checkpoint (failed). */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "config/model.h"
#include "config/params.h"
#include "config/run_args.h"
#include "config/run_config.h"
#include "core/args.h"
#include "core/clock.h"
#include "core/device_lock.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/human.h"
#include "core/sha256.h"
#include "core/signals.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"
#include "data/dataset_spec.h"
#include "data/fetch.h"
#include "data/loader.h"
#include "nn/backend_open.h"
#include "train/checkpoint.h"
#include "train/run_dir.h"
#include "train/trainer.h"
#include "val/plots.h"
#include "val/results_csv.h"
#include "val/val_table.h"
#include "val/validator.h"

#define EXIT_PAUSED 3
#define NAN_RELOADS 3
#define SYSTEM_EVERY_S 30.0

static const struct ul_arg train_args[] = {
	{ "model", UL_ARG_STRING, "null" },
	{ "data", UL_ARG_STRING, "null" },
	{ "task", UL_ARG_STRING, "null" },
	{ NULL },
};

static const struct ul_tool train_tool = {
	.name = "ul-train",
	.manual = ul_manual,
	.args = train_args,
	.open = true,
};

/* True once the reader of stdout has gone: a pipe's write end polls as an
 * error then, before anything is written to find out. */
static bool downstream_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };
	return ul_output_closed() || (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)));
}

struct run {
	jv dataset, config, args;
	char id[80];
	const char *task;
	struct ul_run_dir dir;
	char csv[PATH_MAX + 16];
	struct ul_graph g;
	struct ul_loader train_loader, val_loader;
	bool train_open, val_open, has_trainer;
	struct ul_trainer t;
	struct ul_val_options vo;
	struct ul_val_result last_val;
	bool has_val;
	struct ul_val_keep val_keep;  /* the validations' net, kept from epoch to epoch */
	struct ul_checkpoint resume;  /* the checkpoint a resumed run goes on from, open while resuming */
	bool resuming;
	int epochs, patience, save_period;
	bool validate, plots, save;
	double hours, start, last_system, cpu_at_last;
	double best_fitness;
	int best_epoch, nan_reloads;
	int last_saved;  /* the epoch this process last wrote last.safetensors at, or 0 */
	const char *lr_names[UL_DETECT_RESULT_COLUMNS + UL_OPTIM_GROUPS];
	char lr_room[UL_OPTIM_GROUPS][24];
	int ncolumns;
};

/* status: a record and a line on stderr; while stdout is gone, the line only. */
static void status(const struct run *r, const char *what, const char *reason)
{
	jv s = ul_record("status");
	s = jv_object_set(s, jv_string("run"), jv_string(r->id));
	s = jv_object_set(s, jv_string("status"), jv_string(what));
	s = jv_object_set(s, jv_string("reason"), jv_string(reason));
	s = jv_object_set(s, jv_string("time"), ul_utc_now());
	if (!ul_output_closed())
		ul_write_record(s);
	else
		jv_free(s);
	ul_note("%s: %s", what, reason);
}

static void log_line(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the console shows, as a `log` record too. */
static void log_line(const char *level, const char *fmt, ...)
{
	char message[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	ul_note("%s", message);
	jv l = ul_record("log");
	l = jv_object_set(l, jv_string("level"), jv_string(level));
	ul_write_record(jv_object_set(l, jv_string("message"), jv_string(message)));
}

static double process_cpu_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Percent of the machine's memory in use, from /proc/meminfo (what is
 * not available to a new program); NAN when it cannot be read. */
static double memory_in_use(void)
{
	double total = NAN, available = NAN, v;
	char key[64];
	FILE *f = fopen("/proc/meminfo", "r");
	while (f && fscanf(f, "%63s %lf kB", key, &v) == 2) {
		if (!strcmp(key, "MemTotal:"))
			total = v;
		else if (!strcmp(key, "MemAvailable:"))
			available = v;
	}
	if (f)
		fclose(f);
	return total > 0 ? 100 * (1 - available / total) : NAN;
}

static jv number_or_null(double v, double unit)
{
	return isnan(v) ? jv_null() : jv_number(round(v / unit) * unit);
}

/* The machine: the CPU time this process used since the last record, in
 * percent of all cores; memory and the run folder's disk in use, in
 * percent. No GPU on this path. */
static void system_record(struct run *r)
{
	double t = ul_seconds(), cpu = process_cpu_seconds(), cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
	struct statvfs fs;
	double disk = statvfs(r->dir.path, &fs) == 0 && fs.f_blocks ? 100 * (1 - (double)fs.f_bavail / fs.f_blocks) : NAN;
	double busy = t > r->last_system ? 100 * (cpu - r->cpu_at_last) / (t - r->last_system) / cores : NAN;
	jv s = ul_record("system");
	s = jv_object_set(s, jv_string("run"), jv_string(r->id));
	s = jv_object_set(s, jv_string("gpu"), jv_null());
	s = jv_object_set(s, jv_string("cpu"), number_or_null(busy, 0.1));
	s = jv_object_set(s, jv_string("ram"), number_or_null(memory_in_use(), 0.1));
	s = jv_object_set(s, jv_string("disk"), number_or_null(disk, 0.1));
	ul_write_record(s);
	r->last_system = t, r->cpu_at_last = cpu;
}

static int write_checkpoint(struct run *r, const char *path, jv *err)
{
	/* the model's facts without its layer table: enough to build it again */
	jv model = jv_object_delete(jv_object_get(jv_copy(r->config), jv_string("model_info")), jv_string("layers"));
	jv data = jv_object_get(jv_copy(r->config), jv_string("data"));
	struct ul_checkpoint_run run = { .run = r->id, .args = r->args, .model = model, .best_fitness = r->best_fitness,
					 .best_epoch = r->best_epoch,
					 .data = jv_get_kind(data) == JV_KIND_STRING ? jv_string_value(data) : NULL };
	int rc = ul_checkpoint_save(path, &r->t, &run, err);
	jv_free(data);
	jv_free(model);
	return rc;
}

/* A checkpoint saved: the file and its record. same_as: this epoch's
 * file of the same content (best and period ones after last), linked to
 * rather than written again where the file system can. 0, or -1 with a
 * message. */
static int save(struct run *r, const char *kind, const char *file, const char *same_as, jv *err)
{
	char path[PATH_MAX + 64], from[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", r->dir.weights, file);
	if (same_as)
		snprintf(from, sizeof from, "%s/%s", r->dir.weights, same_as);
	if (!(same_as && ul_link_over(from, path) == 0) && write_checkpoint(r, path, err))
		return -1;
	struct stat st;
	char sha[UL_SHA256_HEX] = "";
	jv c = ul_record("checkpoint");
	c = jv_object_set(c, jv_string("run"), jv_string(r->id));
	c = jv_object_set(c, jv_string("epoch"), jv_number(r->t.epoch));
	c = jv_object_set(c, jv_string("kind"), jv_string(kind));
	c = jv_object_set(c, jv_string("path"), jv_string(path));
	c = jv_object_set(c, jv_string("bytes"), jv_number(stat(path, &st) == 0 ? (double)st.st_size : 0));
	c = jv_object_set(c, jv_string("sha256"), ul_sha256_file(path, sha) == 0 ? jv_string(sha) : jv_null());
	ul_write_record(c);
	return 0;
}

/* Losses by Ultralytics' names, as results.csv has them. */
static jv losses_object(const struct ul_detect_items *items)
{
	jv l = jv_object();
	l = jv_object_set(l, jv_string("box_loss"), jv_number(items->box));
	l = jv_object_set(l, jv_string("cls_loss"), jv_number(items->cls));
	return jv_object_set(l, jv_string("l1_loss"), jv_number(items->l1));
}

static jv metrics_object(const struct ul_val_metrics *m)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("precision"), jv_number(m->mp));
	o = jv_object_set(o, jv_string("recall"), jv_number(m->mr));
	o = jv_object_set(o, jv_string("mAP50"), jv_number(m->map50));
	return jv_object_set(o, jv_string("mAP50_95"), jv_number(m->map));
}

static int number(jv args, const char *key, double fallback)
{
	double v;
	jv err = jv_invalid();
	if (ul_run_number(args, key, &v, &err)) {
		jv_free(err);
		return (int)fallback;
	}
	return (int)v;
}

/* --- the run's pieces ---------------------------------------------------------- */

/* resume=true: the last.safetensors of the run name= names, or the newest
 * of the task's runs. */
static int find_last(const char *task, jv args, char *out, size_t cap, jv *err)
{
	jv project = jv_object_get(jv_copy(args), jv_string("project")), name = jv_object_get(jv_copy(args), jv_string("name"));
	char runs[PATH_MAX];
	if (jv_get_kind(project) == JV_KIND_STRING && jv_string_value(project)[0] == '/')
		snprintf(runs, sizeof runs, "%s", jv_string_value(project));
	else if (jv_get_kind(project) == JV_KIND_STRING)
		snprintf(runs, sizeof runs, "runs/%s/%s", task, jv_string_value(project));
	else
		snprintf(runs, sizeof runs, "runs/%s", task);
	char pattern[PATH_MAX + 64];
	snprintf(pattern, sizeof pattern, "%s/%s/weights/last.safetensors", runs,
		 jv_get_kind(name) == JV_KIND_STRING ? jv_string_value(name) : "*");
	jv_free(project), jv_free(name);
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return ul_invalid(err, "resume=true: nothing to resume, no %s", pattern);
	time_t newest = 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (stat(g.gl_pathv[i], &st) == 0 && st.st_mtime >= newest)
			newest = st.st_mtime, snprintf(out, cap, "%s", g.gl_pathv[i]);
	}
	globfree(&g);
	return 0;
}

/* Standalone, resume= alone is enough, as in Ultralytics: the dataset is
 * the one the checkpoint's run trained on. 1 with its path in out, 0 when
 * resume= is not given, -1 with a message. */
static int resumed_data(const struct ul_args *args, char *out, size_t cap, jv *err)
{
	jv resume = jv_object_get(jv_copy(args->extra), jv_string("resume"));
	bool text = jv_get_kind(resume) == JV_KIND_STRING;
	char path[PATH_MAX] = "";
	int rc = 0;
	if (jv_get_kind(resume) == JV_KIND_TRUE || (text && !strcasecmp(jv_string_value(resume), "true"))) {
		const char *task = ul_arg_str(args, "task");
		rc = find_last(task ? task : "detect", args->extra, path, sizeof path, err);
	} else if (text && strcasecmp(jv_string_value(resume), "false")) {
		snprintf(path, sizeof path, "%s", jv_string_value(resume));
	}
	jv_free(resume);
	if (rc || !path[0])
		return rc;
	struct ul_checkpoint c;
	if (ul_checkpoint_open(&c, path, err))
		return -1;
	if (jv_get_kind(c.data) == JV_KIND_STRING)
		rc = 1, snprintf(out, cap, "%s", jv_string_value(c.data));
	else
		rc = ul_invalid(err, "resume=%s: the checkpoint does not name its dataset; give data=", path);
	ul_checkpoint_close(&c);
	return rc;
}

/* Where the run's dataset and config come from: the records that arrived,
 * or, standalone, the fetch and the checks of ul-fetch and ul-validate,
 * whose records are written as they would have been. Arguments given here
 * beside a config record are checked again with its own. 0, or an exit
 * status with the error written. */
static int gather(const struct ul_args *args, jv *dataset, jv *config)
{
	const char *data = ul_arg_str(args, "data");
	char resumed[PATH_MAX];
	if (jv_get_kind(*dataset) == JV_KIND_NULL && !data) {
		jv err = jv_invalid();
		int found = resumed_data(args, resumed, sizeof resumed, &err);
		if (found < 0) {
			jv msg = jv_invalid_get_msg(err);
			jv rec = jv_object_set(ul_error_record("start", jv_string_value(msg), NULL), jv_string("param"), jv_string("resume"));
			jv_free(msg);
			return ul_fail(UL_EXIT_FAILED, rec);
		}
		if (found)
			data = resumed;
	}
	if (jv_get_kind(*dataset) == JV_KIND_NULL && data) {
		struct ul_source_options source = { .shapes_count = 64, .shapes_imgsz = 160 };
		jv err = jv_invalid();
		jv_free(*dataset);
		*dataset = ul_fetch_dataset(data, &source, &err);
		if (!jv_is_valid(*dataset)) {
			*dataset = jv_null();
			return ul_fail(UL_EXIT_FAILED, err);
		}
		ul_write_record(jv_copy(*dataset));
	}
	if (jv_get_kind(*dataset) != JV_KIND_OBJECT)
		return ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "no dataset: no dataset record arrived and no data= was given",
							  "ul-fetch data=... | ul-validate ... | ul-train, or ul-train model=M data=D"));
	bool given = jv_object_length(jv_copy(args->extra)) > 0 || ul_arg_str(args, "model");
	if (jv_get_kind(*config) == JV_KIND_OBJECT && !given)
		return 0;
	/* a config's own choices first, then what this command line adds */
	jv extra = jv_get_kind(*config) == JV_KIND_OBJECT ? jv_object_get(jv_copy(*config), jv_string("modified")) : jv_object();
	if (jv_get_kind(extra) != JV_KIND_OBJECT)
		jv_free(extra), extra = jv_object();
	extra = jv_object_merge(extra, jv_copy(args->extra));
	jv model = jv_get_kind(*config) == JV_KIND_OBJECT ? jv_object_get(jv_copy(*config), jv_string("model")) : jv_null();
	const char *model_arg = ul_arg_str(args, "model") ? ul_arg_str(args, "model")
			       : jv_get_kind(model) == JV_KIND_STRING ? jv_string_value(model) : NULL;
	jv errors = jv_array();
	jv fresh = ul_run_config(*dataset, model_arg, ul_arg_str(args, "task"), extra, &errors);
	jv_free(model);
	int rc = 0;
	if (!jv_is_valid(fresh)) {
		jv_free(fresh);
		jv_array_foreach(errors, i, e)
			ul_fail(UL_EXIT_FAILED, e);
		rc = UL_EXIT_FAILED;
	} else {
		jv_free(*config);
		*config = fresh;
		ul_write_record(jv_copy(fresh));
	}
	jv_free(errors);
	return rc;
}

/* The run's id: the folder's name and the start's time, unique enough to
 * key a ledger and a dashboard. */
static void run_id(struct run *r)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(r->id, sizeof r->id, "%s-%s-%d", r->dir.name, stamp, (int)getpid());
}

/* The loaders for the train split and the val split (test when there is
 * no val). 0, or -1 with a message. */
static int open_loaders(struct run *r, jv *err)
{
	jv nc_v = jv_object_get(jv_copy(r->dataset), jv_string("nc"));
	struct ul_label_rules rules = { UL_TASK_DETECT, jv_get_kind(nc_v) == JV_KIND_NUMBER ? (int)jv_number_value(nc_v) : 0, 0, 0 };
	jv_free(nc_v);
	struct ul_loader_options to, vo;
	jv train = ul_dataset_split(r->dataset, "train"), val = ul_dataset_split(r->dataset, "val");
	if (!jv_is_valid(val))
		jv_free(val), val = ul_dataset_split(r->dataset, "test");
	int rc = 0;
	if (!jv_is_valid(train) || !jv_is_valid(val))
		rc = ul_invalid(err, "the dataset has no %s split", jv_is_valid(train) ? "val or test" : "train");
	else if (ul_loader_options_from_args(&to, r->args, true, &rules, 0, 0, 0, err) ||
		 ul_loader_options_from_args(&vo, r->args, false, &rules, 0, 0, 0, err))
		rc = -1;
	else if (!(r->train_open = !ul_loader_open(&r->train_loader, train, &to, err)) ||
		 !(r->val_open = !ul_loader_open(&r->val_loader, val, &vo, err)))
		rc = -1;
	for (int k = 0; !rc && k < 2; k++) {
		struct ul_loader *l = k ? &r->val_loader : &r->train_loader;
		jv_array_foreach(l->skipped, i, s) {
			jv path = jv_object_get(jv_copy(s), jv_string("path")), why = jv_object_get(s, jv_string("problem"));
			log_line("warning", "%s: skipped: %s", jv_string_value(path), jv_string_value(why));
			jv_free(path), jv_free(why);
		}
	}
	jv_free(train), jv_free(val);
	return rc;
}

/* The epochs before close_mosaic's last ones mix images; those do not.
 * True when something was still mixing. */
static bool close_mosaic(struct ul_loader *l)
{
	struct ul_augment *a = &l->o.augment;
	bool mixing = a->mosaic > 0 || a->mixup > 0 || a->cutmix > 0 || a->copy_paste > 0;
	a->mosaic = a->mixup = a->cutmix = a->copy_paste = 0;
	return mixing;
}

#define SAVE_HINT "check the free space and the permissions of the run folder; the last checkpoint written is whole"

enum stop { RUNNING, DONE, CANCELLED, PAUSED, FAILED, NOT_FINITE, NOT_SAVED };

/* One line a batch on a terminal, as Ultralytics draws it. */
static void progress(const struct run *r, int batch, int batches, const struct ul_detect_items *sum, int n, size_t instances,
		     int size)
{
	if (!isatty(STDERR_FILENO) || ul_human_quiet())
		return;
	if (batch == 0)
		fprintf(stderr, "\n%11s %10s %10s %10s %10s %10s %10s\n", "Epoch", "GPU_mem", "box_loss", "cls_loss", "l1_loss",
			"Instances", "Size");
	int filled = batches ? 20 * (batch + 1) / batches : 20;
	char bar[64] = "";
	for (int i = 0; i < 20; i++)
		strcat(bar, i < filled ? "#" : ".");
	fprintf(stderr, "\r%11d/%d %10.3gG %10.4g %10.4g %10.4g %10zu %10d: %3d%% %s %d/%d", r->t.epoch + 1, r->epochs, 0.0,
		sum->box / n, sum->cls / n, sum->l1 / n, instances, size, 100 * (batch + 1) / (batches ? batches : 1), bar,
		batch + 1, batches);
	if (batch + 1 == batches)
		fputc('\n', stderr);
}

/* Validation's question after each batch: stop now? */
static bool stop_asked(void)
{
	return ul_stop_requested() || downstream_gone();
}

/* The epoch's batches. The stop asked for is looked at between batches:
 * a signal, or stdout closed. */
static enum stop train_epoch(struct run *r, struct ul_detect_items *mean, double *images, jv *err)
{
	struct ul_detect_items sum = { 0 };
	int n = 0;
	*images = 0;
	if (ul_loader_start(&r->train_loader, r->t.epoch, err))
		return FAILED;
	struct ul_batch *b;
	enum stop stop = RUNNING;
	while (stop == RUNNING && (b = ul_loader_next(&r->train_loader, err))) {
		struct ul_detect_items items;
		double total = 0;
		if (ul_trainer_batch(&r->t, b->n, b->h, b->w, b->images, b->labels, b->nlabels, &items, &total, err)) {
			stop = isfinite(total) ? FAILED : NOT_FINITE;
		} else {
			sum.box += items.box, sum.cls += items.cls, sum.l1 += items.l1, n++;
			*images += b->n;
			progress(r, n - 1, r->t.batches, &sum, n, b->nlabels, b->w);
		}
		ul_loader_release(&r->train_loader, b);
		if (stop == RUNNING && ul_stop_requested())
			stop = CANCELLED;
		else if (stop == RUNNING && downstream_gone())
			stop = PAUSED;
		if (stop == RUNNING && ul_seconds() - r->last_system >= SYSTEM_EVERY_S)
			system_record(r);
	}
	if (stop == RUNNING && jv_invalid_has_msg(jv_copy(*err)))
		stop = FAILED;
	if (n > 0)
		mean->box = sum.box / n, mean->cls = sum.cls / n, mean->l1 = sum.l1 / n;
	return stop;
}

/* results.csv's row of the epoch just finished. */
static int results_row(struct run *r, const struct ul_detect_items *train, const double *lr, jv *err)
{
	const struct ul_val_metrics *m = &r->last_val.metrics;
	const struct ul_detect_items *v = &r->last_val.loss;
	double values[UL_DETECT_RESULT_COLUMNS + UL_OPTIM_GROUPS] = {
		train->box, train->cls, train->l1, m->mp, m->mr, m->map50, m->map, v->box, v->cls, v->l1,
	};
	for (int j = 0; j < r->t.optim.ngroups; j++)
		values[UL_DETECT_RESULT_COLUMNS + j] = lr[j];
	return ul_results_csv_append(r->csv, r->t.epoch, ul_seconds() - r->start, r->lr_names, values, r->ncolumns, err);
}

static void epoch_record(struct run *r, const struct ul_detect_items *train, const double *lr, double seconds,
			 double images, bool validated)
{
	jv rates = jv_array();
	for (int j = 0; j < r->t.optim.ngroups; j++)
		rates = jv_array_append(rates, jv_number(lr[j]));
	jv e = ul_record("epoch");
	e = jv_object_set(e, jv_string("run"), jv_string(r->id));
	e = jv_object_set(e, jv_string("epoch"), jv_number(r->t.epoch));
	e = jv_object_set(e, jv_string("epochs"), jv_number(r->epochs));
	e = jv_object_set(e, jv_string("seconds"), jv_number(seconds));
	e = jv_object_set(e, jv_string("lr"), rates);
	e = jv_object_set(e, jv_string("train"), losses_object(train));
	if (validated) {
		e = jv_object_set(e, jv_string("val"), losses_object(&r->last_val.loss));
		e = jv_object_set(e, jv_string("metrics"), metrics_object(&r->last_val.metrics));
		e = jv_object_set(e, jv_string("fitness"), jv_number(r->last_val.metrics.fitness));
		e = jv_object_set(e, jv_string("best"), jv_bool(r->best_epoch == r->t.epoch));
	}
	e = jv_object_set(e, jv_string("best_epoch"), jv_number(r->best_epoch));
	e = jv_object_set(e, jv_string("images_per_second"), jv_number(seconds > 0 ? images / seconds : 0));
	e = jv_object_set(e, jv_string("gpu_mem"), jv_null());
	ul_write_record(e);
	if (validated)
		log_line("info", "epoch %d/%d: box %.4g cls %.4g l1 %.4g | P %.3g R %.3g mAP50 %.3g mAP50-95 %.3g | %.1f s",
			 r->t.epoch, r->epochs, train->box, train->cls, train->l1, r->last_val.metrics.mp, r->last_val.metrics.mr,
			 r->last_val.metrics.map50, r->last_val.metrics.map, seconds);
	else
		log_line("info", "epoch %d/%d: box %.4g cls %.4g l1 %.4g | %.1f s", r->t.epoch, r->epochs, train->box, train->cls,
			 train->l1, seconds);
}

/* Ultralytics' final_eval: a completed run's results are its best
 * checkpoint's, validated again from the file (a damaged file shows now,
 * not when it is deployed); the closing table and plots are of this
 * validation. Without saved checkpoints the last epoch's results stand. */
static enum stop final_validation(struct run *r, jv *err)
{
	if (!r->has_val)
		return DONE;
	char path[PATH_MAX + 32];
	bool from_best = r->save && r->best_epoch > 0;
	if (from_best) {
		snprintf(path, sizeof path, "%s/best.safetensors", r->dir.weights);
		log_line("info", "validating %s (epoch %d)", path, r->best_epoch);
		struct ul_checkpoint c;
		struct ul_weights best = { 0 };
		struct ul_val_result result;
		int rc = ul_checkpoint_open(&c, path, err);
		if (!rc) {
			rc = ul_weights_alloc(&best, &r->g) ? ul_invalid(err, "out of memory for the best weights")
							     : ul_checkpoint_read_model(&c, &best, err);
			ul_checkpoint_close(&c);
		}
		if (!rc)
			rc = ul_validate(&r->g, &best, &r->val_loader, &r->vo, NULL, &result, err);
		ul_weights_free(&best);
		if (rc)
			return FAILED;
		if (result.interrupted) {
			ul_val_result_free(&result);
			return ul_stop_requested() ? CANCELLED : PAUSED;
		}
		ul_val_result_free(&r->last_val);
		r->last_val = result;
	}
	jv f = ul_record("final");
	f = jv_object_set(f, jv_string("run"), jv_string(r->id));
	f = jv_object_set(f, jv_string("epoch"), jv_number(from_best ? r->best_epoch : r->t.epoch));
	f = jv_object_set(f, jv_string("epochs"), jv_number(r->epochs));
	f = jv_object_set(f, jv_string("checkpoint"), from_best ? jv_string(path) : jv_null());
	f = jv_object_set(f, jv_string("val"), losses_object(&r->last_val.loss));
	f = jv_object_set(f, jv_string("metrics"), metrics_object(&r->last_val.metrics));
	f = jv_object_set(f, jv_string("fitness"), jv_number(r->last_val.metrics.fitness));
	ul_write_record(f);
	return DONE;
}

/* Back to the last checkpoint after a loss that is not finite, as
 * Ultralytics recovers: the weights and the state as they were at the
 * last epoch's end, the epoch run again. 0, or -1 with a message. */
static int reload_last(struct run *r, jv *err)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/last.safetensors", r->dir.weights);
	struct ul_checkpoint c;
	if (access(path, R_OK) != 0)
		return ul_invalid(err, "the loss is not finite and there is no checkpoint to go back to yet");
	if (ul_checkpoint_open(&c, path, err))
		return -1;
	int rc = ul_checkpoint_resume(&c, &r->t, err);
	ul_checkpoint_close(&c);
	return rc;
}

/* The epochs from t.epoch on. The reason it ended is in *reason. */
static enum stop train_loop(struct run *r, char *reason, size_t cap, jv *err)
{
	enum stop stop = RUNNING;
	while (stop == RUNNING) {
		if (r->t.epoch >= r->epochs) {
			snprintf(reason, cap, "%d epochs done", r->epochs);
			return DONE;
		}
		if (r->t.epoch >= r->train_loader.o.close_at && close_mosaic(&r->train_loader))
			log_line("info", "closing dataloader mosaic at epoch %d", r->t.epoch + 1);
		double t0 = ul_seconds(), images;
		struct ul_detect_items train = { 0 };
		stop = train_epoch(r, &train, &images, err);
		if (stop == NOT_FINITE) {
			if (r->nan_reloads++ >= NAN_RELOADS || reload_last(r, err))
				return FAILED;
			log_line("warning", "the loss was not finite: back to the last checkpoint (%d of %d)", r->nan_reloads, NAN_RELOADS);
			jv_free(*err), *err = jv_invalid();
			stop = RUNNING;
			continue;
		}
		if (stop != RUNNING)
			return stop;
		double lr[UL_OPTIM_GROUPS];
		for (int j = 0; j < r->t.optim.ngroups; j++)
			lr[j] = r->t.optim.groups[j].lr;
		ul_trainer_epoch_end(&r->t);
		bool validated = r->validate || r->t.epoch >= r->epochs;
		if (validated) {
			ul_val_result_free(&r->last_val);
			if (ul_validate(&r->g, &r->t.ema.weights, &r->val_loader, &r->vo, &r->val_keep, &r->last_val, err))
				return FAILED;
			if (r->last_val.interrupted)
				return ul_stop_requested() ? CANCELLED : PAUSED;
			r->has_val = true;
			/* a tie goes to the later epoch: Ultralytics rewrites best.pt on an equal fitness */
			if (isnan(r->best_fitness) || r->last_val.metrics.fitness >= r->best_fitness)
				r->best_fitness = r->last_val.metrics.fitness, r->best_epoch = r->t.epoch;
		}
		/* the next stage gone (ul-meter out of credit): this epoch is not
		 * kept, so a resume trains it again, and it is charged once */
		if (downstream_gone())
			return PAUSED;
		if (results_row(r, &train, lr, err))
			return FAILED;
		if (r->save) {
			char period[32];
			snprintf(period, sizeof period, "epoch%d.safetensors", r->t.epoch);
			r->last_saved = r->t.epoch;
			if (save(r, "last", "last.safetensors", NULL, err) ||
			    (r->best_epoch == r->t.epoch && save(r, "best", "best.safetensors", "last.safetensors", err)) ||
			    (r->save_period > 0 && r->t.epoch % r->save_period == 0 &&
			     save(r, "period", period, "last.safetensors", err)))
				return NOT_SAVED;
		}
		epoch_record(r, &train, lr, ul_seconds() - t0, images, validated);
		system_record(r);
		if (ul_stop_requested())
			return CANCELLED;
		if (downstream_gone())
			return PAUSED;
		if (r->validate && r->t.epoch - r->best_epoch >= r->patience) {
			snprintf(reason, cap, "patience: no better fitness in the %d epochs since epoch %d", r->patience, r->best_epoch);
			return DONE;
		}
		if (r->hours > 0 && ul_seconds() - r->start >= r->hours * 3600) {
			snprintf(reason, cap, "time: %.3g hours trained", r->hours);
			return DONE;
		}
	}
	return stop;
}

/* --- starting ------------------------------------------------------------------ */

/* The checkpoint resume= names, if any, into *path. */
static int resume_path(struct run *r, char *path, size_t cap, jv *err)
{
	jv resume = jv_object_get(jv_copy(r->args), jv_string("resume"));
	int rc = 0;
	path[0] = 0;
	if (jv_get_kind(resume) == JV_KIND_STRING)
		snprintf(path, cap, "%s", jv_string_value(resume));
	else if (jv_get_kind(resume) == JV_KIND_TRUE)
		rc = find_last(r->task, r->args, path, cap, err);
	jv_free(resume);
	return rc;
}

/* A resumed run's folder is its checkpoint's: .../NAME/weights/last.safetensors. */
static int resumed_dir(struct run *r, const char *checkpoint, jv *err)
{
	char real[PATH_MAX];
	if (!realpath(checkpoint, real))
		return ul_invalid(err, "resume=%s: %s", checkpoint, strerror(errno));
	char *slash = strrchr(real, '/');
	*slash = 0;
	snprintf(r->dir.weights, sizeof r->dir.weights, "%s", real);
	if ((slash = strrchr(real, '/')))
		*slash = 0;
	snprintf(r->dir.path, sizeof r->dir.path, "%s", real);
	slash = strrchr(r->dir.path, '/');
	r->dir.name = slash ? slash + 1 : r->dir.path;
	return 0;
}

/* The trainer of the run; with cls_pw, its class weights from the
 * training set's instances, logged as Ultralytics does. */
static int create_trainer(struct run *r, struct ul_train_options *o, jv *err)
{
	double *counts = NULL;
	if (o->cls_pw > 0 && (!(counts = malloc(sizeof *counts * (size_t)r->g.nc)) ||
			      ul_loader_class_counts(&r->train_loader, r->g.nc, counts))) {
		free(counts);
		return ul_invalid(err, "out of memory counting the classes");
	}
	o->class_counts = counts;
	int rc = ul_trainer_create(&r->t, &r->g, o, err);
	free(counts);
	o->class_counts = r->t.options.class_counts = NULL;
	if (!rc && r->t.class_weights) {
		char line[1024];
		int at = snprintf(line, sizeof line, "class weights (cls_pw=%g):", o->cls_pw);
		for (int c = 0; c < r->g.nc && at < (int)sizeof line - 16; c++)
			at += snprintf(line + at, sizeof line - (size_t)at, " %.3f", r->t.class_weights[c]);
		log_line("info", "%s", line);
	}
	return rc;
}

/* model= a checkpoint, or pretrained= a file: its weights into the new
 * run; tensors whose shape changed (a new class count) keep their fresh
 * initialisation. 0, or -1 with a message. */
static int fine_tune(struct run *r, jv facts, jv *err)
{
	jv kind = jv_object_get(jv_copy(facts), jv_string("kind")), from = jv_null();
	if (!strcmp(jv_string_value(kind), "checkpoint"))
		from = jv_object_get(jv_copy(facts), jv_string("model"));
	else
		from = jv_object_get(jv_copy(r->args), jv_string("pretrained"));
	jv_free(kind);
	if (jv_get_kind(from) != JV_KIND_STRING) {
		jv_free(from);
		return 0;  /* from scratch, as a YAML model is in Ultralytics */
	}
	struct ul_checkpoint c;
	jv skipped = jv_null();
	int rc = ul_checkpoint_open(&c, jv_string_value(from), err);
	if (!rc) {
		rc = ul_checkpoint_load_weights(&c, &r->t, &skipped, err);
		ul_checkpoint_close(&c);
	}
	if (!rc)
		log_line("info", "weights from %s; %d tensors of another shape keep their new initialisation",
			 jv_string_value(from), jv_array_length(jv_copy(skipped)));
	jv_free(skipped), jv_free(from);
	return rc;
}

/* The run's folder and id, and for a resume its checkpoint, opened and
 * kept in r (its arguments and model become the run's). Before the
 * device is asked for, so that every status names the run. 0, or -1 with
 * a message. */
static int prepare(struct run *r, jv *err)
{
	char resume[PATH_MAX] = "";
	if (resume_path(r, resume, sizeof resume, err))
		return -1;
	if (!resume[0]) {
		jv project = jv_object_get(jv_copy(r->args), jv_string("project"));
		jv name = jv_object_get(jv_copy(r->args), jv_string("name"));
		double exist_ok = 0;
		ul_run_number(r->args, "exist_ok", &exist_ok, err);
		int rc = ul_run_dir_create(&r->dir, r->task, jv_get_kind(project) == JV_KIND_STRING ? jv_string_value(project) : NULL,
					   jv_get_kind(name) == JV_KIND_STRING ? jv_string_value(name) : NULL, exist_ok != 0, err);
		jv_free(project), jv_free(name);
		jv schema = rc ? jv_null() : ul_params_load();
		if (!rc)
			rc = ul_run_dir_save_args(&r->dir, r->args, jv_is_valid(schema) ? schema : jv_null(), err);
		jv_free(schema);
		if (!rc)
			run_id(r);
		return rc;
	}
	/* the run goes on as it was set up: its checkpoint's arguments and model */
	struct ul_checkpoint *c = &r->resume;
	if (ul_checkpoint_open(c, resume, err))
		return -1;
	r->resuming = true;
	if (!c->has_state || jv_get_kind(c->args) != JV_KIND_OBJECT || jv_get_kind(c->model) != JV_KIND_OBJECT)
		return ul_invalid(err, "resume=%s: not a ul-train checkpoint with its training state", resume);
	jv_free(r->args);
	r->args = jv_copy(c->args);
	r->config = jv_object_set(r->config, jv_string("model_info"), jv_copy(c->model));
	if (resumed_dir(r, resume, err) || ul_run_dir_check_writable(&r->dir, err))
		return -1;
	snprintf(r->id, sizeof r->id, "%s", jv_get_kind(c->run) == JV_KIND_STRING ? jv_string_value(c->run) : r->dir.name);
	r->best_fitness = c->best_fitness, r->best_epoch = c->best_epoch;
	return 0;
}

/* The model, the data and the trainer, its state from the checkpoint when
 * resuming. 0, or -1 with a message. */
static int build(struct run *r, jv *err)
{
	snprintf(r->csv, sizeof r->csv, "%s/results.csv", r->dir.path);
	r->epochs = number(r->args, "epochs", 100), r->patience = number(r->args, "patience", 100);
	r->save_period = number(r->args, "save_period", -1);
	r->validate = number(r->args, "val", 1) != 0, r->plots = number(r->args, "plots", 1) != 0;
	r->save = number(r->args, "save", 1) != 0;
	jv hours = jv_object_get(jv_copy(r->args), jv_string("time"));
	r->hours = jv_get_kind(hours) == JV_KIND_NUMBER ? jv_number_value(hours) : 0;
	jv_free(hours);
	jv facts = jv_object_get(jv_copy(r->config), jv_string("model_info")), why = jv_null();
	struct ul_train_options o;
	int rc = 0;
	if (ul_model_graph(facts, r->dataset, number(r->args, "imgsz", 640), &r->g, &why))
		rc = ul_invalid(err, "%s", jv_get_kind(why) == JV_KIND_STRING ? jv_string_value(why) : "the model does not build");
	else if (open_loaders(r, err) || ul_train_options_from_args(&o, r->args, r->train_loader.n, err) ||
		 create_trainer(r, &o, err) || ul_val_options_from_args(&r->vo, r->args, err))
		rc = -1;
	else if ((r->has_trainer = true), r->resuming)
		rc = ul_checkpoint_resume(&r->resume, &r->t, err);
	else
		rc = fine_tune(r, facts, err);
	jv_free(facts), jv_free(why);
	if (rc)
		return -1;
	if (r->resuming)
		log_line("info", "resuming %s from epoch %d", r->id, r->t.epoch);
	r->vo.curves = r->plots, r->vo.interrupt = stop_asked, r->vo.class_weights = r->t.class_weights;
	r->ncolumns = ul_detect_result_names(r->t.optim.ngroups, r->lr_names, r->lr_room);
	return 0;
}

/* --- the program ------------------------------------------------------------ */

static void run_free(struct run *r)
{
	ul_val_result_free(&r->last_val);
	ul_val_keep_free(&r->val_keep);
	if (r->has_trainer)
		ul_trainer_free(&r->t);
	if (r->train_open)
		ul_loader_close(&r->train_loader);
	if (r->val_open)
		ul_loader_close(&r->val_loader);
	if (r->resuming)
		ul_checkpoint_close(&r->resume);
	ul_graph_free(&r->g);
	jv_free(r->dataset), jv_free(r->config), jv_free(r->args);
}

/* The class names of the dataset, in class order, into labels (nc of
 * them; NULL where the dataset has none); kept holds their strings. */
static void class_labels(const struct run *r, const char **labels, jv *kept)
{
	jv names = jv_object_get(jv_copy(r->dataset), jv_string("names"));
	*kept = jv_array();
	for (int c = 0; c < r->g.nc; c++) {
		char key[16];
		snprintf(key, sizeof key, "%d", c);
		jv name = jv_get_kind(names) == JV_KIND_OBJECT ? jv_object_get(jv_copy(names), jv_string(key)) : jv_null();
		if (jv_get_kind(name) == JV_KIND_STRING)
			labels[c] = jv_string_value(name), *kept = jv_array_append(*kept, name);
		else
			labels[c] = NULL, jv_free(name);
	}
	jv_free(names);
}

/* The plots of the run folder: the training curves, and the last
 * validation's curves and confusion matrices. A plot that cannot be drawn
 * is a warning: the run's numbers are what matters. */
static void draw_plots(const struct run *r, const char **labels)
{
	char png[PATH_MAX + 16];
	snprintf(png, sizeof png, "%s/results.png", r->dir.path);
	jv err = jv_invalid();
	if (ul_plot_results(r->csv, png, &err) ||
	    (r->has_val && (ul_plot_curves(&r->last_val.metrics, labels, r->g.nc, r->dir.path, &err) ||
			    ul_plot_confusion(&r->last_val.confusion, labels, r->dir.path, &err)))) {
		jv msg = jv_invalid_get_msg(err);
		log_line("warning", "plots: %s", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "out of memory");
		jv_free(msg);
		return;
	}
	jv_free(err);
}

/* At the end: the closing table of the last validation on stderr, and the plots. */
static void closing(const struct run *r)
{
	const char **labels = calloc((size_t)r->g.nc + 1, sizeof *labels);
	jv kept = jv_null();
	if (labels)
		class_labels(r, labels, &kept);
	if (r->has_val && !ul_human_quiet())
		ul_val_table(stderr, &r->last_val.stats, &r->last_val.metrics, labels, r->g.nc, true);
	if (r->plots)
		draw_plots(r, labels);
	free(labels);
	jv_free(kept);
}

/* The failure: its status and error records, and the exit status. */
static int failed(struct run *r, const char *code, jv err, const char *hint)
{
	jv msg = jv_invalid_has_msg(jv_copy(err)) ? jv_invalid_get_msg(err) : (jv_free(err), jv_string("out of memory"));
	status(r, "failed", jv_string_value(msg));
	int rc = ul_fail(UL_EXIT_FAILED, ul_error_record(code, jv_string_value(msg), hint));
	jv_free(msg);
	return rc;
}

static int train(struct run *r)
{
	jv err = jv_invalid();
	jv task = jv_object_get(jv_copy(r->config), jv_string("task"));
	r->task = jv_get_kind(task) == JV_KIND_STRING ? jv_string_value(task) : "detect";
	snprintf(r->id, sizeof r->id, "ul-train-%d", (int)getpid());  /* until the run has its folder */
	if (strcmp(r->task, "detect")) {
		int rc = failed(r, "task", jv_invalid_with_msg(jv_string_fmt("ul-train trains detect models; %s is not built yet", r->task)),
				"train a detection model on a detection dataset");
		jv_free(task);
		return rc;
	}
	/* the device's backend runs every net from here on; a GPU's loads, or
	 * says what is missing */
	jv device = jv_object_get(jv_copy(r->args), jv_string("device"));
	char lock_name[32] = "cpu";
	if (jv_get_kind(device) == JV_KIND_STRING) {
		int gpu = ul_backend_gpu_index(jv_string_value(device));
		if (ul_backend_open(jv_string_value(device), &ul_ops, &err)) {
			jv_free(device);
			jv_free(task);
			return failed(r, "device", err, "device=cpu");
		}
		if (gpu >= 0)
			snprintf(lock_name, sizeof lock_name, "cuda%d", gpu);
	}
	jv_free(device);
	r->best_fitness = NAN;
	if (prepare(r, &err)) {
		jv_free(task);
		return failed(r, "start", err, NULL);
	}
	if (!number(r->args, "verbose", 1))
		ul_human_set_quiet(true);  /* verbose=false: the records only, as quiet=true */
	struct ul_device_lock lock;
	int got = ul_device_lock_open(&lock, lock_name, &err) ? -1 : ul_device_lock_try(&lock, &err);
	if (got == 0) {
		char why[96];
		snprintf(why, sizeof why, "waiting for the %s, which run %d holds", lock_name, (int)lock.holder);
		status(r, "pending", why);
		got = ul_device_lock_wait(&lock, &err);
		if (got == 1) {
			ul_device_lock_close(&lock);
			jv_free(task);
			status(r, "cancelled", "stopped while waiting for the device");
			return 128 + ul_stop_signal();
		}
		got = got == 0 ? 1 : -1;
	}
	if (got < 0) {
		jv_free(task);
		return failed(r, "device", err, NULL);
	}
	r->start = ul_seconds(), r->last_system = r->start, r->cpu_at_last = process_cpu_seconds();
	status(r, "starting", "building the model and the data");
	int rc = 0;
	if (build(r, &err)) {
		rc = failed(r, "start", err, NULL);
	} else {
		log_line("info", "%s: %d train and %d val images, %d epochs, %s, into %s", r->id, r->train_loader.n, r->val_loader.n,
			 r->epochs, ul_optim_kind_name(r->t.choice.kind), r->dir.path);
		status(r, "running", r->t.epoch ? "resumed" : "training");
		char reason[256] = "";
		enum stop stop = train_loop(r, reason, sizeof reason, &err);
		if (stop == DONE && r->save &&
		    save(r, "final", "final.safetensors", r->last_saved == r->t.epoch ? "last.safetensors" : NULL, &err))
			stop = NOT_SAVED;
		if (stop == DONE)
			stop = final_validation(r, &err);
		if (stop == DONE) {
			jv_free(err), err = jv_invalid();
			closing(r);
			status(r, "completed", reason);
		} else if (stop == CANCELLED) {
			jv_free(err), err = jv_invalid();
			status(r, "cancelled", "a signal asked to stop; the checkpoints are kept");
			rc = 128 + ul_stop_signal();
		} else if (stop == PAUSED) {
			jv_free(err), err = jv_invalid();
			status(r, "paused", "stdout closed (the next stage stopped); resume from the last checkpoint");
			rc = EXIT_PAUSED;
		} else if (stop == NOT_SAVED) {
			rc = failed(r, "checkpoint", err, SAVE_HINT);
			err = jv_invalid();
		} else {
			jv msg = jv_invalid_has_msg(jv_copy(err)) ? jv_invalid_get_msg(jv_copy(err)) : jv_string("");
			bool not_finite = strstr(jv_string_value(msg), "not finite") != NULL;
			bool memory = strstr(jv_string_value(msg), "out of") && strstr(jv_string_value(msg), "memory");
			jv_free(msg);
			char hint[96];
			snprintf(hint, sizeof hint, "try batch=%d", r->train_loader.o.batch / 2 > 0 ? r->train_loader.o.batch / 2 : 1);
			rc = failed(r, not_finite ? "not_finite" : "training", err,
				    not_finite ? "lower lr0, or check the labels: the loss stayed not finite after 3 reloads"
				    : memory ? hint : NULL);
			err = jv_invalid();
		}
	}
	jv_free(err);
	jv_free(task);
	ul_device_lock_close(&lock);
	return rc;
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	struct ul_args args;
	int rc = ul_args_parse(&args, &train_tool, argc, argv);
	if (rc >= 0) {
		ul_args_free(&args);
		return ul_tool_exit(rc);
	}
	rc = UL_EXIT_OK;
	jv kept[2] = { jv_null(), jv_null() };
	bool piped = !isatty(STDIN_FILENO) || !ul_arg_str(&args, "data");
	if (piped && !ul_pass_upstream((const char *const[]){ "dataset", "config", NULL }, kept, &rc)) {
		rc = UL_EXIT_FAILED;
	} else if (!(rc = gather(&args, &kept[0], &kept[1]))) {
		struct run r = { .dataset = kept[0], .config = kept[1] };
		r.args = jv_object_get(jv_copy(r.config), jv_string("args"));
		kept[0] = kept[1] = jv_null();
		rc = train(&r);
		run_free(&r);
	}
	jv_free(kept[0]), jv_free(kept[1]);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
