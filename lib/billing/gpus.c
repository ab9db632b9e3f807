#include "billing/gpus.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/fields.h"
#include "billing/money.h"
#include "core/error.h"
#include "core/share.h"
#include "core/suggest.h"
#include "core/writer.h"
#include "core/yaml_load.h"

static int bad(jv *err, const char *path, const char *what)
{
	char message[1024];
	snprintf(message, sizeof message, "%s: %s", path, what);
	*err = ul_error_record("gpu_table", message, "reinstall share/ul/gpus.yaml");
	return -1;
}

static struct ul_gpu *named(struct ul_gpus *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->gpu[i].name, name))
			return &g->gpu[i];
	return NULL;
}

static int parse(struct ul_gpus *g, jv doc, const char *path, jv *err)
{
	jv list = jv_object_get(jv_copy(doc), jv_string("gpus"));
	int n = jv_get_kind(list) == JV_KIND_ARRAY ? jv_array_length(jv_copy(list)) : 0;
	if (n < 1 || n > UL_GPUS_MAX) {
		jv_free(list);
		return bad(err, path, "no gpus: list, or too long a one");
	}
	g->n = 0;
	jv_array_foreach(list, i, item) {
		struct ul_gpu *u = &g->gpu[g->n++];
		ul_field_string(item, "name", u->name, sizeof u->name);
		ul_field_string(item, "arch", u->arch, sizeof u->arch);
		u->vram_gb = ul_field_number(item, "vram_gb", NAN);
		u->micros_per_hour = ul_money_from_usd(ul_field_number(item, "usd_per_hour", NAN));
		u->bandwidth_gbs = ul_field_number(item, "bandwidth_gbs", NAN);
		u->tflops = ul_field_number(item, "tflops", NAN);
		jv_free(item);
		if (!*u->name || !(u->vram_gb > 0) || u->micros_per_hour <= 0 || !(u->bandwidth_gbs > 0) || !(u->tflops > 0)) {
			jv_free(list);
			return bad(err, path, "every GPU needs a name, vram_gb, usd_per_hour, bandwidth_gbs and tflops above 0");
		}
	}
	jv_free(list);
	jv base = jv_object_get(jv_copy(doc), jv_string("baseline"));
	jv anchor = jv_object_get(jv_copy(doc), jv_string("anchor"));
	char base_name[32], anchor_name[32];
	ul_field_string(base, "gpu", base_name, sizeof base_name);
	ul_field_string(anchor, "gpu", anchor_name, sizeof anchor_name);
	ul_field_string(doc, "default", g->default_gpu, sizeof g->default_gpu);
	g->baseline_s_per_image = ul_field_number(base, "seconds_per_1000_images", NAN) / 1000;
	g->baseline_imgsz = (int)ul_field_number(base, "imgsz", NAN);
	g->baseline_batch = (int)ul_field_number(base, "batch", NAN);
	double anchor_speed = ul_field_number(anchor, "speed", NAN);
	jv_free(base);
	jv_free(anchor);
	const struct ul_gpu *b = named(g, base_name), *a = named(g, anchor_name);
	if (!b || !a || a == b || !named(g, g->default_gpu) || !(g->baseline_s_per_image > 0) || g->baseline_imgsz < 32 ||
	    g->baseline_batch < 1 || !(anchor_speed > 0))
		return bad(err, path, "baseline, anchor and default must name GPUs of the table, with their figures");
	/* the one weight that puts the anchor at its stated speed */
	double rb = log(a->bandwidth_gbs / b->bandwidth_gbs), rt = log(a->tflops / b->tflops);
	g->weight = fabs(rt - rb) > 1e-9 ? (log(anchor_speed) - rb) / (rt - rb) : 0;
	if (!(g->weight >= 0 && g->weight <= 1))
		return bad(err, path, "the anchor's speed lies outside its bandwidth and tensor ratios");
	double bw = b->bandwidth_gbs, tf = b->tflops;
	for (int i = 0; i < g->n; i++)
		g->gpu[i].speed = pow(g->gpu[i].bandwidth_gbs / bw, 1 - g->weight) * pow(g->gpu[i].tflops / tf, g->weight);
	return 0;
}

int ul_gpus_load(struct ul_gpus *g, jv *err)
{
	memset(g, 0, sizeof *g);
	jv path = ul_share_path("gpus.yaml");
	if (!jv_is_valid(path)) {
		jv why = jv_invalid_get_msg(path);
		*err = ul_error_record("gpu_table", jv_string_value(why), "set UL_SHARE, or reinstall");
		jv_free(why);
		return -1;
	}
	jv doc = ul_yaml_load_file(jv_string_value(path));
	int rc;
	if (!jv_is_valid(doc)) {
		jv why = jv_invalid_get_msg(doc);
		rc = bad(err, jv_string_value(path), jv_string_value(why));
		jv_free(why);
	} else {
		rc = jv_get_kind(doc) == JV_KIND_OBJECT ? parse(g, doc, jv_string_value(path), err)
							: bad(err, jv_string_value(path), "not a map");
		jv_free(doc);
	}
	jv_free(path);
	return rc;
}

const struct ul_gpu *ul_gpus_find(const struct ul_gpus *g, const char *name, jv *err)
{
	const char *names[UL_GPUS_MAX];
	for (int i = 0; i < g->n; i++) {
		if (!strcasecmp(g->gpu[i].name, name))
			return &g->gpu[i];
		names[i] = g->gpu[i].name;
	}
	const char *near = ul_suggest(name, names, (size_t)g->n);
	char message[256];
	if (near)
		snprintf(message, sizeof message, "unknown GPU '%s'; did you mean '%s'?", name, near);
	else
		snprintf(message, sizeof message, "unknown GPU '%s'", name);
	*err = jv_object_set(ul_error_record("gpu_unknown", message, "ul-estimate --gpus lists them"), jv_string("param"),
			     jv_string("gpu"));
	return NULL;
}

jv ul_gpu_record(const struct ul_gpus *g, const struct ul_gpu *gpu)
{
	jv r = ul_record("gpu");
	r = jv_object_set(r, jv_string("name"), jv_string(gpu->name));
	r = jv_object_set(r, jv_string("arch"), jv_string(gpu->arch));
	r = jv_object_set(r, jv_string("vram_gb"), jv_number(gpu->vram_gb));
	r = jv_object_set(r, jv_string("usd_per_hour"), jv_number(ul_money_usd(gpu->micros_per_hour)));
	r = jv_object_set(r, jv_string("bandwidth_gbs"), jv_number(gpu->bandwidth_gbs));
	r = jv_object_set(r, jv_string("tflops"), jv_number(gpu->tflops));
	r = jv_object_set(r, jv_string("speed"), jv_number(round(gpu->speed * 1000) / 1000));
	return jv_object_set(r, jv_string("default"), jv_bool(!strcmp(gpu->name, g->default_gpu)));
}
