#include "push/events.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/version.h"
#include "push/slug.h"

void ul_push_map_init(struct ul_push_map *m, struct ul_sender *sender, bool named)
{
	memset(m, 0, sizeof *m);
	m->sender = sender;
	m->named = named;
	m->config_args = m->class_names = m->system = m->metrics = jv_null();
	m->fitness = m->best_fitness = m->run = jv_null();
}

void ul_push_map_free(struct ul_push_map *m)
{
	jv_free(m->config_args);
	jv_free(m->class_names);
	jv_free(m->system);
	jv_free(m->metrics);
	jv_free(m->fitness);
	jv_free(m->best_fitness);
	jv_free(m->run);
	free(m->best_path);
	free(m->last_path);
}

static jv get(jv obj, const char *key)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_get(jv_copy(obj), jv_string(key)) : jv_invalid();
}

/* The same, with null for a missing key: what the platform is sent. */
static jv val(jv obj, const char *key)
{
	jv v = get(obj, key);
	return jv_is_valid(v) ? v : jv_null();
}

static const char *str_or(jv v, const char *fallback)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : fallback;
}

/* JSON has no NaN or infinity; the platform wants null for them. */
static jv finite_only(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		if (isfinite(jv_number_value(v)))
			return v;
		jv_free(v);
		return jv_null();
	case JV_KIND_ARRAY: {
		jv out = jv_array();
		jv_array_foreach(v, i, x)
			out = jv_array_append(out, finite_only(x));
		jv_free(v);
		return out;
	}
	case JV_KIND_OBJECT: {
		jv out = jv_object();
		jv_object_foreach(v, k, x)
			out = jv_object_set(out, k, finite_only(x));
		jv_free(v);
		return out;
	}
	default:
		return v;
	}
}

static void send_event(struct ul_push_map *m, enum ul_push_kind kind, const char *event, jv data, const char *path)
{
	jv text = jv_dump_string(finite_only(data), 0);
	ul_sender_push(m->sender, kind, event, jv_string_value(text), path);
	jv_free(text);
}

static void console(struct ul_push_map *m, jv text)
{
	ul_sender_push(m->sender, UL_PUSH_CONSOLE, NULL, jv_string_value(text), NULL);
	jv_free(text);
}

static void name_run(struct ul_push_map *m, const char *name)
{
	if (m->named || !name || !*name)
		return;
	jv slug = ul_slugify(name);
	if (jv_string_length_bytes(jv_copy(slug)) > 0) {
		ul_sender_push(m->sender, UL_PUSH_NAME, NULL, jv_string_value(slug), NULL);
		m->named = true;
	}
	jv_free(slug);
}

/* Python's str() of an argument, as trainArgs carries them. */
static jv arg_text(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return v;
	case JV_KIND_TRUE:
		return jv_string("True");
	case JV_KIND_FALSE:
		return jv_string("False");
	case JV_KIND_NULL:
		return jv_string("None");
	default:
		return jv_dump_string(v, 0);
	}
}

static jv environment(void)
{
	jv env = jv_object();
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	struct utsname u;
	jv os = uname(&u) == 0 ? jv_string_fmt("%s-%s-%s", u.sysname, u.release, u.machine) : jv_string("unknown");
	const char *version = ul_version_string();
	env = jv_object_set(env, jv_string("ulVersion"), jv_string(version));
	env = jv_object_set(env, jv_string("hostname"), jv_string(host));
	env = jv_object_set(env, jv_string("os"), os);
	env = jv_object_set(env, jv_string("environment"), jv_string("ul"));
	env = jv_object_set(env, jv_string("cpuCount"), jv_number((double)sysconf(_SC_NPROCESSORS_ONLN)));
	double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
	env = jv_object_set(env, jv_string("totalRamGb"), jv_number(round(ram / (1 << 30) * 10) / 10));
	struct statvfs fs;
	if (statvfs("/", &fs) == 0)
		env = jv_object_set(env, jv_string("totalDiskGb"),
			jv_number(round((double)fs.f_blocks * (double)fs.f_frsize / (1 << 30) * 10) / 10));
	return env;
}

static void start(struct ul_push_map *m)
{
	if (m->started)
		return;
	m->started = true;
	jv args = jv_object();
	if (jv_get_kind(m->config_args) == JV_KIND_OBJECT) {
		jv_object_foreach(m->config_args, k, v)
			args = jv_object_set(args, k, arg_text(v));
	}
	jv epochs = get(m->config_args, "epochs");
	jv device = get(m->config_args, "device");
	jv data = jv_object();
	data = jv_object_set(data, jv_string("trainArgs"), args);
	data = jv_object_set(data, jv_string("epochs"), jv_get_kind(epochs) == JV_KIND_NUMBER ? epochs : jv_number((double)m->epochs));
	if (jv_get_kind(epochs) != JV_KIND_NUMBER)
		jv_free(epochs);
	data = jv_object_set(data, jv_string("device"), jv_is_valid(device) && jv_get_kind(device) != JV_KIND_NULL ? arg_text(device) : jv_string("cpu"));
	data = jv_object_set(data, jv_string("environment"), environment());
	send_event(m, UL_PUSH_EVENT, "training_started", data, NULL);
}

/* "mAP50_95" -> "metrics/mAP50-95(B)", "mask_recall" -> "metrics/recall(M)",
 * "top1" -> "metrics/accuracy_top1". */
static jv metric_name(const char *key)
{
	const char *suffix = "B";
	if (!strncmp(key, "mask_", 5))
		suffix = "M", key += 5;
	else if (!strncmp(key, "pose_", 5))
		suffix = "P", key += 5;
	if (!strcmp(key, "top1") || !strcmp(key, "top5"))
		return jv_string_fmt("metrics/accuracy_%s", key);
	if (!strcmp(key, "mAP50_95"))
		key = "mAP50-95";
	return jv_string_fmt("metrics/%s(%s)", key, suffix);
}

static jv add_prefixed(jv out, jv group, const char *prefix)
{
	if (jv_get_kind(group) == JV_KIND_OBJECT) {
		jv_object_foreach(group, k, v) {
			jv name = prefix ? jv_string_fmt("%s/%s", prefix, jv_string_value(k)) : metric_name(jv_string_value(k));
			jv_free(k);
			out = jv_object_set(out, name, v);
		}
	}
	jv_free(group);
	return out;
}

/* An epoch_end of epoch index (0-based) with these metrics, which become
 * the ones training_complete sends. */
static void epoch_end(struct ul_push_map *m, double index, jv metrics, jv fitness)
{
	jv_free(m->metrics);
	m->metrics = jv_copy(metrics);
	jv data = jv_object();
	data = jv_object_set(data, jv_string("epoch"), jv_number(index));
	data = jv_object_set(data, jv_string("metrics"), metrics);
	data = jv_object_set(data, jv_string("system"), jv_get_kind(m->system) == JV_KIND_OBJECT ? jv_copy(m->system) : jv_object());
	data = jv_object_set(data, jv_string("fitness"), fitness);
	data = jv_object_set(data, jv_string("best_fitness"), jv_copy(m->best_fitness));
	send_event(m, UL_PUSH_EVENT, "epoch_end", data, NULL);
}

static void epoch(struct ul_push_map *m, jv rec)
{
	jv n = get(rec, "epoch"), total = get(rec, "epochs");
	if (jv_get_kind(total) == JV_KIND_NUMBER)
		m->epochs = (long)jv_number_value(total);
	jv_free(total);
	start(m);
	jv metrics = jv_object();
	metrics = add_prefixed(metrics, get(rec, "train"), "train");
	metrics = add_prefixed(metrics, get(rec, "metrics"), NULL);
	metrics = add_prefixed(metrics, get(rec, "val"), "val");
	jv lr = get(rec, "lr");
	if (jv_get_kind(lr) == JV_KIND_ARRAY && jv_array_length(jv_copy(lr)) > 0)
		metrics = jv_object_set(metrics, jv_string("lr"), jv_array_get(jv_copy(lr), 0));
	jv_free(lr);
	jv fitness = get(rec, "fitness");
	if (jv_get_kind(fitness) == JV_KIND_NUMBER) {
		jv_free(m->fitness);
		m->fitness = jv_copy(fitness);
		if (jv_get_kind(m->best_fitness) != JV_KIND_NUMBER || jv_number_value(fitness) > jv_number_value(m->best_fitness)) {
			jv_free(m->best_fitness);
			m->best_fitness = jv_copy(fitness);
			m->best_epoch = jv_get_kind(n) == JV_KIND_NUMBER ? (long)jv_number_value(n) : 0;
		}
	}
	epoch_end(m, jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) - 1 : 0, metrics, jv_is_valid(fitness) ? fitness : jv_null());
	jv_free(n);
}

/* The run's results (ul-train's final_eval): the best checkpoint's metrics
 * over the last epoch's, sent as Ultralytics logs them, an epoch_end one
 * past the last epoch; training_complete then reports them. */
static void final_results(struct ul_push_map *m, jv rec)
{
	start(m);
	jv metrics = jv_get_kind(m->metrics) == JV_KIND_OBJECT ? jv_copy(m->metrics) : jv_object();
	metrics = add_prefixed(metrics, get(rec, "metrics"), NULL);
	metrics = add_prefixed(metrics, get(rec, "val"), "val");
	jv epochs = get(rec, "epochs");
	epoch_end(m, jv_get_kind(epochs) == JV_KIND_NUMBER ? jv_number_value(epochs) : (double)m->epochs, metrics,
		  jv_copy(m->fitness));
	jv_free(epochs);
}

/* Ours {gpu {util, mem, temp}, cpu, ram, disk} by the names of Ultralytics'
 * SystemLogger. */
static void system_sample(struct ul_push_map *m, jv rec)
{
	jv out = jv_object();
	out = jv_object_set(out, jv_string("cpu"), val(rec, "cpu"));
	out = jv_object_set(out, jv_string("ram"), val(rec, "ram"));
	out = jv_object_set(out, jv_string("disk"), jv_object_set(jv_object(), jv_string("usedPercent"), val(rec, "disk")));
	jv gpu = get(rec, "gpu");
	jv gpus = jv_object();
	if (jv_get_kind(gpu) == JV_KIND_OBJECT) {
		jv one = jv_object();
		one = jv_object_set(one, jv_string("usage"), val(gpu, "util"));
		one = jv_object_set(one, jv_string("memory"), val(gpu, "mem"));
		one = jv_object_set(one, jv_string("temp"), val(gpu, "temp"));
		gpus = jv_object_set(gpus, jv_string("0"), one);
	}
	jv_free(gpu);
	jv_free(m->system);
	m->system = jv_object_set(out, jv_string("gpus"), gpus);
}

static void complete(struct ul_push_map *m)
{
	start(m);
	jv metrics = jv_get_kind(m->metrics) == JV_KIND_OBJECT ? jv_copy(m->metrics) : jv_object();
	metrics = jv_object_set(metrics, jv_string("fitness"), jv_copy(m->fitness));
	jv results = jv_object();
	results = jv_object_set(results, jv_string("metrics"), metrics);
	results = jv_object_set(results, jv_string("bestEpoch"), jv_number(m->best_epoch > 0 ? (double)(m->best_epoch - 1) : 0));
	results = jv_object_set(results, jv_string("bestFitness"), jv_copy(m->best_fitness));
	results = jv_object_set(results, jv_string("modelPath"), jv_null());
	results = jv_object_set(results, jv_string("modelSize"), jv_null());
	jv data = jv_object();
	data = jv_object_set(data, jv_string("results"), results);
	data = jv_object_set(data, jv_string("classNames"), jv_copy(m->class_names));
	data = jv_object_set(data, jv_string("plots"), jv_array());
	send_event(m, UL_PUSH_COMPLETE, "training_complete", data, m->best_path ? m->best_path : m->last_path);
}

static void checkpoint(struct ul_push_map *m, jv rec)
{
	jv kind = get(rec, "kind"), path = get(rec, "path");
	if (jv_get_kind(path) == JV_KIND_STRING) {
		char **slot = !strcmp(str_or(kind, ""), "best") ? &m->best_path : &m->last_path;
		free(*slot);
		*slot = strdup(jv_string_value(path));
		ul_sender_push(m->sender, UL_PUSH_CHECKPOINT, NULL, NULL, m->best_path ? m->best_path : *slot);
	}
	jv_free(kind);
	jv_free(path);
}

/* The dataset's names, in class order: {"0":"person",...} or a list. */
static jv names_of(jv rec)
{
	jv names = get(rec, "names");
	if (jv_get_kind(names) != JV_KIND_OBJECT)
		return jv_get_kind(names) == JV_KIND_ARRAY ? names : (jv_free(names), jv_null());
	jv out = jv_array();
	for (int i = 0; i < 100000; i++) {
		char key[16];
		snprintf(key, sizeof key, "%d", i);
		jv name = jv_object_get(jv_copy(names), jv_string(key));
		if (!jv_is_valid(name))
			break;
		out = jv_array_append(out, name);
	}
	jv_free(names);
	return out;
}

static jv status_line(jv rec)
{
	jv status = get(rec, "status"), reason = get(rec, "reason");
	jv text = jv_get_kind(reason) == JV_KIND_STRING
		? jv_string_fmt("status: %s (%s)", str_or(status, "?"), jv_string_value(reason))
		: jv_string_fmt("status: %s", str_or(status, "?"));
	jv_free(status);
	jv_free(reason);
	return text;
}

static double num(jv rec, const char *key)
{
	jv v = get(rec, key);
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	jv_free(v);
	return x;
}

static jv console_line(jv rec, const char *type, const char *line)
{
	if (!strcmp(type, "log")) {
		jv level = get(rec, "level"), message = get(rec, "message");
		const char *lv = str_or(level, "info");
		if (strcmp(lv, "warning") && strcmp(lv, "error") && jv_get_kind(message) == JV_KIND_STRING) {
			jv_free(level);
			return message;  /* the common case, as it is */
		}
		jv text = jv_string_fmt("%s%s", !strcmp(lv, "warning") ? "WARNING: " : !strcmp(lv, "error") ? "ERROR: " : "",
			str_or(message, ""));
		jv_free(level);
		jv_free(message);
		return text;
	}
	if (!strcmp(type, "error")) {
		jv message = get(rec, "message"), tool = get(rec, "tool"), hint = get(rec, "hint");
		bool hinted = jv_get_kind(hint) == JV_KIND_STRING;
		jv text = jv_string_fmt("ERROR: %s: %s%s%s%s", str_or(tool, "?"), str_or(message, ""), hinted ? " (hint: " : "",
			hinted ? jv_string_value(hint) : "", hinted ? ")" : "");
		jv_free(message);
		jv_free(tool);
		jv_free(hint);
		return text;
	}
	if (!strcmp(type, "charge"))
		return jv_string_fmt("charge: epoch %.0f, %.1f s, $%.5f, balance $%.5f", num(rec, "epoch"), num(rec, "seconds"),
			num(rec, "usd"), num(rec, "balance_usd"));
	if (!strcmp(type, "bill"))
		return jv_string_fmt("bill: %.0f epochs, %.1f GPU seconds, $%.5f", num(rec, "epochs"), num(rec, "gpu_seconds"), num(rec, "usd"));
	return jv_string(line);
}

void ul_push_map_record(struct ul_push_map *m, jv rec, const char *type, const char *line, bool selected)
{
	if (!strcmp(type, "config")) {
		jv_free(m->config_args);
		m->config_args = get(rec, "args");
		jv name = get(m->config_args, "name");
		name_run(m, str_or(name, NULL));
		jv_free(name);
	} else if (!strcmp(type, "dataset")) {
		jv_free(m->class_names);
		m->class_names = names_of(rec);
	}
	jv run = get(rec, "run");
	if (jv_get_kind(run) == JV_KIND_STRING) {
		const char *slash = strrchr(jv_string_value(run), '/');
		name_run(m, slash ? slash + 1 : jv_string_value(run));
		jv_free(m->run);
		m->run = run;
	} else {
		jv_free(run);
	}
	if (!selected)
		return;
	if (!strcmp(type, "status")) {
		jv status = get(rec, "status");
		const char *s = str_or(status, "");
		if (!strcmp(s, "pending") || !strcmp(s, "starting") || !strcmp(s, "running"))
			start(m);
		console(m, status_line(rec));
		if (!strcmp(s, "completed"))
			complete(m);
		jv_free(status);
	} else if (!strcmp(type, "epoch")) {
		epoch(m, rec);
	} else if (!strcmp(type, "final")) {
		final_results(m, rec);
	} else if (!strcmp(type, "system")) {
		system_sample(m, rec);
	} else if (!strcmp(type, "checkpoint")) {
		checkpoint(m, rec);
	} else {
		console(m, console_line(rec, type, line));
	}
}

void ul_push_map_cancelled(struct ul_push_map *m)
{
	if (m->started)
		complete(m);
}
