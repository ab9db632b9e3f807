#include "billing/estimate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/fields.h"
#include "core/error.h"

#define VAL_WEIGHT (1.0 / 3)
#define MODEL_POWER 0.35
#define PARAM_BYTES 20.0
#define ELEMENT_BYTES 12.0
#define OVERHEAD_GB 1.0
#define GB 1e9

/* A split's usable images: those not left out as corrupt. */
static double split_images(jv dataset, const char *split)
{
	jv splits = jv_get_kind(dataset) == JV_KIND_OBJECT ? jv_object_get(jv_copy(dataset), jv_string("splits")) : jv_null();
	jv one = jv_get_kind(splits) == JV_KIND_OBJECT ? jv_object_get(jv_copy(splits), jv_string(split)) : jv_null();
	jv_free(splits);
	double n = ul_field_number(one, "images", 0) - ul_field_number(one, "corrupt", 0);
	jv_free(one);
	return n > 0 ? n : 0;
}

int ul_run_shape_read(struct ul_run_shape *s, jv config, jv dataset, jv *err)
{
	memset(s, 0, sizeof *s);
	jv model = jv_object_get(jv_copy(config), jv_string("model"));
	jv args = jv_object_get(jv_copy(config), jv_string("args"));
	jv info = jv_object_get(jv_copy(config), jv_string("model_info"));
	int rc = 0;
	if (jv_get_kind(model) != JV_KIND_STRING || jv_get_kind(args) != JV_KIND_OBJECT || jv_get_kind(info) != JV_KIND_OBJECT) {
		*err = ul_error_record("bad_record", "the config record has no model, args or model_info",
				       "make it with ul-validate");
		rc = -1;
		goto done;
	}
	snprintf(s->model, sizeof s->model, "%s", jv_string_value(model));
	s->imgsz = (int)ul_field_number(args, "imgsz", 640);
	double batch = ul_field_number(args, "batch", 16);
	s->batch = batch >= 1 ? (int)batch : 0;
	s->batch_fraction = batch > 0 && batch < 1 ? batch : 0.6;
	s->epochs = (int)ul_field_number(args, "epochs", 100);
	s->hours = ul_field_number(args, "time", 0);
	double fraction = ul_field_number(args, "fraction", 1);
	s->train_images = split_images(dataset, "train") * (fraction > 0 && fraction <= 1 ? fraction : 1);
	s->val_images = split_images(dataset, "val");
	if (s->val_images == 0)
		s->val_images = split_images(dataset, "test");
	/* model_info counts GFLOPs at the run's imgsz; they grow with its square */
	s->gflops640 = ul_field_number(info, "gflops", 0) * pow(640.0 / (s->imgsz > 0 ? s->imgsz : 640), 2);
	s->parameters = ul_field_number(info, "parameters", 0);
	jv layers = jv_object_get(jv_copy(info), jv_string("layers"));
	if (jv_get_kind(layers) == JV_KIND_ARRAY) {
		jv_array_foreach(layers, i, layer) {
			double stride = ul_field_number(layer, "stride", 0), c2 = ul_field_number(layer, "c2", 0);
			if (stride > 0)
				s->elements640 += c2 * (640 / stride) * (640 / stride);
			jv_free(layer);
		}
	}
	jv_free(layers);
	if (s->imgsz < 32 || !(s->gflops640 > 0) || !(s->parameters > 0) || s->epochs < 1) {
		*err = ul_error_record("bad_record", "the config record lacks imgsz, epochs, or the model's GFLOPs and parameters",
				       "make it with ul-validate");
		rc = -1;
	}
done:
	jv_free(model);
	jv_free(args);
	jv_free(info);
	return rc;
}

struct ul_run_facts ul_run_shape_facts(const struct ul_run_shape *s)
{
	return (struct ul_run_facts){ .model = s->model, .imgsz = s->imgsz, .batch = s->batch,
				      .images = ul_estimate_epoch_images(s) };
}

double ul_estimate_model_factor(double gflops640)
{
	return pow(gflops640 / UL_NANO_GFLOPS, MODEL_POWER);
}

double ul_estimate_imgsz_factor(int imgsz)
{
	return (imgsz / 640.0) * (imgsz / 640.0);
}

double ul_estimate_batch_factor(int batch)
{
	double doublings = log2((batch > 0 ? batch : 16) / 16.0);
	double f = doublings < 0 ? 1 - 0.2 * doublings : 1 - 0.15 * doublings;
	return f < 0.5 ? 0.5 : f > 2 ? 2 : f;
}

double ul_estimate_startup(double images)
{
	double s = 60 + 0.024 * images;
	return s < UL_STARTUP_MAX_S ? s : UL_STARTUP_MAX_S;
}

double ul_estimate_epoch_images(const struct ul_run_shape *s)
{
	return s->train_images + VAL_WEIGHT * s->val_images;
}

double ul_estimate_seconds_per_image(const struct ul_gpus *g, const struct ul_gpu *gpu, const struct ul_run_shape *s)
{
	return g->baseline_s_per_image * ul_estimate_model_factor(s->gflops640) * ul_estimate_imgsz_factor(s->imgsz) *
	       ul_estimate_batch_factor(s->batch) / ul_estimate_batch_factor(g->baseline_batch) / gpu->speed;
}

static double per_image_gb(const struct ul_run_shape *s)
{
	return s->elements640 * ul_estimate_imgsz_factor(s->imgsz) * ELEMENT_BYTES / GB;
}

double ul_estimate_memory_gb(const struct ul_run_shape *s, int batch)
{
	return OVERHEAD_GB + s->parameters * PARAM_BYTES / GB + batch * per_image_gb(s);
}

int ul_estimate_max_batch(const struct ul_run_shape *s, double vram_gb, double fraction)
{
	double room = vram_gb * fraction - OVERHEAD_GB - s->parameters * PARAM_BYTES / GB, each = per_image_gb(s);
	if (!(each > 0))
		return 1024;
	double n = floor(room / each);
	return n < 0 ? 0 : n > 1024 ? 1024 : (int)n;
}
