/* ul-estimate: what a run will take and cost on a GPU, before it starts.
 *
 *   ul-fetch data=coco8.yaml | ul-validate epochs=50 | ul-estimate gpu="RTX 4090" | ul-train | ul-meter
 *   ul-estimate --gpus
 *
 * Reads the `dataset` and `config` records (passing every record on) and
 * writes one `estimate` record: seconds per epoch, startup, total time and
 * cost on the GPU, the memory the run needs and the balance. The time
 * comes from the seed's formula (billing/estimate.h), or, once the ledger
 * holds epochs of a run like this one (same model, imgsz, batch, GPU),
 * from their measured seconds per image. Refuses, with an `error` record
 * and exit 1, a run that does not fit in the GPU's memory (naming the
 * largest batch that does) and one the balance cannot pay for. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "billing/estimate.h"
#include "billing/gpus.h"
#include "billing/ledger.h"
#include "billing/money.h"
#include "core/args.h"
#include "core/error.h"
#include "core/human.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"

#define LEDGER_WAIT_S 10.0

static const struct ul_arg estimate_args[] = {
	{ "gpu", UL_ARG_STRING, "null" },
	{ "check", UL_ARG_BOOL, "true" },
	{ NULL },
};

static const struct ul_tool estimate_tool = {
	.name = "ul-estimate",
	.manual = ul_manual,
	.args = estimate_args,
};

/* --gpus: the catalogue, a table for people or gpu records for programs. */
static int list_gpus(void)
{
	struct ul_gpus g;
	jv err;
	if (ul_gpus_load(&g, &err))
		return ul_fail(UL_EXIT_FAILED, err);
	bool table = isatty(STDOUT_FILENO);
	if (table)
		printf("%-14s %-10s %7s %9s %7s %8s %6s\n", "GPU", "arch", "VRAM", "$/hour", "GB/s", "TFLOPS", "speed");
	for (int i = 0; i < g.n; i++) {
		const struct ul_gpu *u = &g.gpu[i];
		if (table)
			printf("%-14s %-10s %4.0f GB %9.2f %7.0f %8.1f %5.2fx%s\n", u->name, u->arch, u->vram_gb,
			       ul_money_usd(u->micros_per_hour), u->bandwidth_gbs, u->tflops, u->speed,
			       strcmp(u->name, g.default_gpu) ? "" : "  (default)");
		else
			ul_write_record(ul_gpu_record(&g, u));
	}
	return UL_EXIT_OK;
}

/* Divided rather than multiplied back, so 619 tenths print as 61.9, not
 * 61.900000000000006. */
static double rounded(double v, double unit)
{
	return round(v / unit) / round(1 / unit);
}

static int memory_error(const struct ul_run_shape *s, const struct ul_gpu *gpu, int batch, double need)
{
	int fits = ul_estimate_max_batch(s, gpu->vram_gb, 1);
	char message[512], hint[128];
	snprintf(message, sizeof message, "batch %d at imgsz %d needs about %.1f GB; the %s has %.0f GB", batch, s->imgsz, need,
		 gpu->name, gpu->vram_gb);
	if (fits > 0)
		snprintf(hint, sizeof hint, "batch=%d is the largest that fits, or choose a GPU with more memory", fits);
	else
		snprintf(hint, sizeof hint, "not even batch=1 fits: choose a GPU with more memory, or a smaller imgsz");
	jv e = ul_error_record("gpu_memory", message, hint);
	e = jv_object_set(e, jv_string("param"), jv_string("batch"));
	return ul_fail(UL_EXIT_FAILED, jv_object_set(e, jv_string("max_batch"), jv_number(fits)));
}

static int balance_error(int64_t balance, int64_t cost)
{
	char have[32], need[32], short_by[32], message[256], hint[128];
	ul_money_format(balance, have, sizeof have);
	ul_money_format(cost, need, sizeof need);
	int64_t shortfall = cost > balance ? cost - balance : 1 - balance;  /* what makes it enough and positive */
	ul_money_format(shortfall, short_by, sizeof short_by);
	if (balance <= 0)
		snprintf(message, sizeof message, "the balance is %s: training needs a positive balance", have);
	else
		snprintf(message, sizeof message, "the balance %s does not cover the estimated %s: %s short", have, need, short_by);
	snprintf(hint, sizeof hint, "ul-meter topup %s, or check=false to start anyway", short_by + 1);
	jv e = ul_error_record("balance", message, hint);
	return ul_fail(UL_EXIT_FAILED, jv_object_set(e, jv_string("shortfall_usd"), jv_number(ul_money_usd(shortfall))));
}

static int estimate(const struct ul_args *args, jv dataset, jv config)
{
	struct ul_gpus g;
	struct ul_run_shape s;
	struct ul_ledger l;
	jv err;
	if (ul_gpus_load(&g, &err) || ul_run_shape_read(&s, config, dataset, &err))
		return ul_fail(UL_EXIT_FAILED, err);
	const char *name = ul_arg_str(args, "gpu");
	const struct ul_gpu *gpu = ul_gpus_find(&g, name ? name : g.default_gpu, &err);
	if (!gpu)
		return ul_fail(UL_EXIT_USAGE, err);
	int batch = s.batch > 0 ? s.batch : ul_estimate_max_batch(&s, gpu->vram_gb, s.batch_fraction);
	double need = ul_estimate_memory_gb(&s, batch > 0 ? batch : 1);
	if (batch < 1 || need > gpu->vram_gb)
		return memory_error(&s, gpu, batch > 0 ? batch : 1, need);

	int64_t balance = 0;
	double measured = 0;
	int epochs_measured = 0;
	struct ul_run_facts facts = ul_run_shape_facts(&s);
	if (ul_ledger_open(&l, LEDGER_WAIT_S, &err))
		return ul_fail(UL_EXIT_FAILED, err);
	int rc = ul_ledger_balance(&l, &balance, &err) || ul_ledger_calibration(&l, &facts, gpu->name, &measured, &epochs_measured, &err);
	ul_ledger_close(&l);
	if (rc)
		return ul_fail(UL_EXIT_FAILED, err);

	double images = ul_estimate_epoch_images(&s);
	double per_image = epochs_measured ? measured : ul_estimate_seconds_per_image(&g, gpu, &s);
	double epoch_s = per_image * images;
	double startup = ul_estimate_startup(s.train_images + s.val_images);
	bool timed = s.hours > 0;
	double total = timed ? s.hours * 3600 : startup + s.epochs * epoch_s;
	int epochs = timed ? (int)fmax(1, floor((total - startup) / epoch_s)) : s.epochs;
	int64_t cost = ul_money_for_ms((int64_t)llround(total * 1000), gpu->micros_per_hour);

	jv e = ul_record("estimate");
	e = jv_object_set(e, jv_string("gpu"), jv_string(gpu->name));
	e = jv_object_set(e, jv_string("vram_gb"), jv_number(gpu->vram_gb));
	e = jv_object_set(e, jv_string("usd_per_hour"), jv_number(ul_money_usd(gpu->micros_per_hour)));
	e = jv_object_set(e, jv_string("seconds_per_epoch"), jv_number(rounded(epoch_s, 0.001)));
	e = jv_object_set(e, jv_string("startup_seconds"), jv_number(timed ? 0 : rounded(startup, 0.1)));
	e = jv_object_set(e, jv_string("total_seconds"), jv_number(rounded(total, 0.1)));
	e = jv_object_set(e, jv_string("cost_usd"), jv_number(ul_money_usd(cost)));
	e = jv_object_set(e, jv_string("balance_usd"), jv_number(ul_money_usd(balance)));
	e = jv_object_set(e, jv_string("basis"), jv_string(epochs_measured ? "calibrated" : "formula"));
	e = jv_object_set(e, jv_string("epochs"), jv_number(epochs));
	e = jv_object_set(e, jv_string("timed"), jv_bool(timed));
	e = jv_object_set(e, jv_string("batch"), jv_number(batch));
	e = jv_object_set(e, jv_string("memory_gb"), jv_number(rounded(need, 0.01)));
	e = jv_object_set(e, jv_string("images"), jv_number(rounded(images, 0.01)));
	e = jv_object_set(e, jv_string("seconds_per_image"), jv_number(per_image));
	if (epochs_measured)
		e = jv_object_set(e, jv_string("calibrated_epochs"), jv_number(epochs_measured));
	ul_write_record(e);
	char price[32], have[32];
	ul_money_format(cost, price, sizeof price);
	ul_money_format(balance, have, sizeof have);
	ul_note("%s: %d epochs of %.1f s (%s)%s, %.1f GB of %.0f: %s; balance %s", gpu->name, epochs, epoch_s,
		epochs_measured ? "measured" : "formula", timed ? ", timed" : "", need, gpu->vram_gb, price, have);
	if (ul_arg_bool(args, "check") && (balance <= 0 || balance < cost))
		return balance_error(balance, cost);
	return UL_EXIT_OK;
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--gpus"))
			return ul_tool_exit(list_gpus());
	struct ul_args args;
	int rc = ul_args_parse(&args, &estimate_tool, argc, argv);
	if (rc >= 0) {
		ul_args_free(&args);
		return ul_tool_exit(rc);
	}
	rc = UL_EXIT_OK;
	jv kept[2] = { jv_null(), jv_null() };
	if (!ul_pass_upstream((const char *const[]){ "dataset", "config", NULL }, kept, &rc))
		rc = UL_EXIT_FAILED;  /* the upstream error is passed on; no work of ours */
	else if (jv_get_kind(kept[0]) == JV_KIND_NULL || jv_get_kind(kept[1]) == JV_KIND_NULL)
		rc = ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "no dataset and config records arrived",
							    "pipe ul-fetch ... | ul-validate ... into it"));
	else if (rc == UL_EXIT_OK)
		rc = estimate(&args, kept[0], kept[1]);
	jv_free(kept[0]);
	jv_free(kept[1]);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
