#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/run_args.h"
#include "core/error.h"
#include "core/random.h"
#include "nn/backend.h"
#include "nn/init.h"

/* freeze: null, a count of leading layers, or a list of layer indices. */
static int freeze_of(jv args, struct ul_train_options *o, jv *err)
{
	jv v = jv_object_get(jv_copy(args), jv_string("freeze"));
	int rc = 0;
	o->nfreeze = 0;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		int n = (int)jv_number_value(v);
		if (n > UL_TRAIN_MAX_FREEZE)
			rc = ul_invalid(err, "freeze=%d: at most %d layers", n, UL_TRAIN_MAX_FREEZE);
		for (int i = 0; !rc && i < n; i++)
			o->freeze[o->nfreeze++] = i;
	} else if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, x) {
			if (!rc && (jv_get_kind(x) != JV_KIND_NUMBER || o->nfreeze == UL_TRAIN_MAX_FREEZE))
				rc = ul_invalid(err, "freeze: a list of at most %d layer indices", UL_TRAIN_MAX_FREEZE);
			else if (!rc)
				o->freeze[o->nfreeze++] = (int)jv_number_value(x);
			jv_free(x);
		}
	} else if (jv_get_kind(v) != JV_KIND_NULL) {
		rc = ul_invalid(err, "freeze: a number of layers or a list of layer indices");
	}
	jv_free(v);
	return rc;
}

int ul_train_options_from_args(struct ul_train_options *o, jv args, long train_images, jv *err)
{
	*o = (struct ul_train_options){ .train_images = train_images };
	double epochs, batch, nbs, seed;
	jv name = jv_object_get(jv_copy(args), jv_string("optimizer"));
	int rc = jv_get_kind(name) == JV_KIND_STRING ? 0 : ul_invalid(err, "the config has no optimizer");
	if (!rc)
		snprintf(o->optimizer, sizeof o->optimizer, "%s", jv_string_value(name));
	jv_free(name);
	if (rc || ul_run_number(args, "epochs", &epochs, err) || ul_run_number(args, "batch", &batch, err) ||
	    ul_run_number(args, "nbs", &nbs, err) || ul_run_number(args, "seed", &seed, err) || ul_run_number(args, "lr0", &o->lr0, err) ||
	    ul_run_number(args, "lrf", &o->lrf, err) || ul_run_number(args, "momentum", &o->momentum, err) ||
	    ul_run_number(args, "weight_decay", &o->weight_decay, err) || ul_run_number(args, "warmup_epochs", &o->warmup_epochs, err) ||
	    ul_run_number(args, "warmup_momentum", &o->warmup_momentum, err) ||
	    ul_run_number(args, "warmup_bias_lr", &o->warmup_bias_lr, err) || ul_run_number(args, "box", &o->box, err) ||
	    ul_run_number(args, "cls", &o->cls, err) || ul_run_number(args, "dfl", &o->dfl, err) ||
	    ul_run_number(args, "cls_pw", &o->cls_pw, err) || ul_run_number(args, "label_smoothing", &o->label_smoothing, err) ||
	    freeze_of(args, o, err))
		return -1;
	double cos_lr;
	if (ul_run_number(args, "cos_lr", &cos_lr, err))
		return -1;
	o->cos_lr = cos_lr != 0;
	o->epochs = (int)epochs, o->batch = (int)batch, o->nbs = (int)nbs, o->seed = (uint64_t)seed;
	if (o->epochs < 1 || o->batch < 1 || o->nbs < 1)
		return ul_invalid(err, "epochs, batch and nbs must be at least 1");
	if (!(o->cls_pw >= 0 && o->cls_pw <= 1) || !(o->label_smoothing >= 0 && o->label_smoothing <= 1))
		return ul_invalid(err, "cls_pw and label_smoothing must be in [0, 1]");
	return 0;
}

/* Frozen: the tensors of the listed layers ("model.<i>."), as Ultralytics'
 * freeze turns off their gradients. */
static int mark_frozen(struct ul_trainer *t, jv *err)
{
	const struct ul_tensor_table *table = &t->graph->tensors;
	t->frozen = calloc(table->n + 1, sizeof *t->frozen);
	if (!t->frozen)
		return ul_invalid(err, "out of memory");
	bool any_trainable = false;
	for (size_t i = 0; i < table->n; i++) {
		const char *name = table->specs[i].name;
		for (int k = 0; k < t->options.nfreeze; k++) {
			char prefix[32];
			int len = snprintf(prefix, sizeof prefix, "model.%d.", t->options.freeze[k]);
			if (!strncmp(name, prefix, (size_t)len))
				t->frozen[i] = true;
		}
		any_trainable |= !table->specs[i].buffer && !t->frozen[i];
	}
	return any_trainable ? 0 : ul_invalid(err, "freeze leaves no parameter to train");
}

static struct ul_optim_choice choose(const struct ul_train_options *o, int nc, jv *err)
{
	if (!strcasecmp(o->optimizer, "auto"))
		return ul_optim_auto((size_t)o->train_images, o->batch, o->nbs, o->epochs, nc);
	struct ul_optim_choice c = { .lr = o->lr0, .momentum = o->momentum };
	if (ul_optim_kind_from_name(o->optimizer, &c.kind))
		c.lr = -1, ul_invalid(err, "optimizer=%s: not an optimizer", o->optimizer);
	return c;
}

int ul_trainer_create(struct ul_trainer *t, const struct ul_graph *g, const struct ul_train_options *o, jv *err)
{
	*t = (struct ul_trainer){ .options = *o, .graph = g, .last_step = -1 };
	if (ul_weights_alloc(&t->weights, g)) {
		ul_trainer_free(t);
		return ul_invalid(err, "out of memory for the weights");
	}
	ul_init_weights(g, t->weights.params, t->weights.buffers, o->seed);
	if (ul_weights_mirror(&t->device, &t->weights)) {
		ul_trainer_free(t);
		return ul_invalid(err, "out of %s memory for the weights", ul_ops->name);
	}
	if (mark_frozen(t, err) || (ul_ema_create(&t->ema, &t->weights) && ul_invalid(err, "out of memory for the EMA"))) {
		ul_trainer_free(t);
		return -1;
	}
	t->choice = choose(o, g->nc, err);
	if (t->choice.lr < 0) {
		ul_trainer_free(t);
		return -1;
	}
	/* the decay Ultralytics scales to the nominal batch */
	int accumulate = (int)fmax(rint((double)o->nbs / o->batch), 1);
	double decay = o->weight_decay * o->batch * accumulate / o->nbs;
	if (ul_optim_create(&t->optim, t->choice.kind, &g->tensors, t->frozen, t->choice.lr, t->choice.momentum, decay, err)) {
		ul_trainer_free(t);
		return -1;
	}
	t->schedule = (struct ul_schedule){ o->epochs, o->lrf, o->cos_lr, o->warmup_epochs, o->warmup_momentum,
					    t->choice.auto_chosen ? 0 : o->warmup_bias_lr, o->momentum, o->nbs, o->batch };
	t->batches = (int)((o->train_images + o->batch - 1) / o->batch);
	t->warmup = ul_warmup_iterations(&t->schedule, t->batches);
	ul_schedule_epoch(&t->schedule, &t->optim, 0);
	ul_e2e_loss_init(&t->loss, o->epochs, o->box, o->cls, o->dfl);
	if (o->cls_pw > 0) {
		if (!o->class_counts) {
			ul_trainer_free(t);
			return ul_invalid(err, "cls_pw: the training set's class counts are needed");
		}
		if (!(t->class_weights = malloc(sizeof *t->class_weights * (size_t)g->nc))) {
			ul_trainer_free(t);
			return ul_invalid(err, "out of memory");
		}
		ul_detect_class_weights(o->class_counts, g->nc, o->cls_pw, t->class_weights);
	}
	ul_e2e_loss_classes(&t->loss, t->class_weights, o->label_smoothing);
	return 0;
}

void ul_trainer_free(struct ul_trainer *t)
{
	for (int k = 0; k < UL_TRAIN_NETS; k++)
		if (t->has_net[k])
			ul_net_free(&t->nets[k]);
	ul_e2e_loss_free(&t->loss);
	ul_optim_free(&t->optim);
	ul_ema_free(&t->ema);
	if (t->weights.params)
		ul_weights_mirror_free(&t->device, &t->weights);
	ul_weights_free(&t->weights);
	free(t->frozen);
	free(t->class_weights);
	*t = (struct ul_trainer){ 0 };
}

/* The net for this batch's shape: one already made for it, or a new one in
 * place of the one not used last. */
static struct ul_net *net_for(struct ul_trainer *t, int n, int h, int w, jv *err)
{
	for (int k = 0; k < UL_TRAIN_NETS; k++) {
		struct ul_net *net = &t->nets[k];
		if (t->has_net[k] && net->batch == n && net->h == h && net->w == w)
			return &t->nets[t->net = k];
	}
	int k = t->has_net[t->net] ? (t->net + 1) % UL_TRAIN_NETS : t->net;
	if (t->has_net[k])
		ul_net_free(&t->nets[k]), t->has_net[k] = false;
	if (ul_net_create(&t->nets[k], t->graph, &t->device, n, h, w, 0, err))
		return NULL;
	t->has_net[k] = true;
	return &t->nets[t->net = k];
}

/* Clip, step, clear the gradients (the nets' too), follow with the EMA. */
static void optimizer_step(struct ul_trainer *t)
{
	const struct ul_tensor_table *table = &t->graph->tensors;
	t->grad_norm = ul_clip_grad_norm(t->weights.grads, table, t->frozen, UL_TRAIN_MAX_NORM);
	ul_optim_step(&t->optim, t->weights.params, t->weights.grads);
	memset(t->weights.grads, 0, sizeof(float) * table->params);
	if (t->device.grads != t->weights.grads)
		ul_ops->zero(table->params, t->device.grads);
	ul_ema_update(&t->ema, &t->weights);
	t->steps++;
}

int ul_trainer_batch(struct ul_trainer *t, int n, int h, int w, const float *images, const struct ul_label *labels,
		     size_t nlabels, struct ul_detect_items *items, double *total, jv *err)
{
	struct ul_net *net = net_for(t, n, h, w, err);
	if (!net)
		return -1;
	long ni = t->ni;
	ul_schedule_warmup(&t->schedule, &t->optim, t->epoch, ni, t->warmup);
	net->seed = ul_mix64(t->options.seed ^ (uint64_t)ni);
	/* the host's weights are the truth between batches: a checkpoint or a
	 * recovery may have replaced them */
	ul_weights_upload(&t->device, &t->weights);
	ul_net_forward(net, images, true);
	if (ul_e2e_loss(&t->loss, net, labels, nlabels, items, total))
		return ul_invalid(err, "the detection loss failed: out of memory, or the model is not a detector");
	if (!isfinite(*total))
		return ul_invalid(err, "the loss is not finite (%g) at iteration %ld", *total, ni);
	ul_net_backward(net);
	ul_weights_download(&t->device, &t->weights);
	char why[256];
	if (ul_ops->sync(why, sizeof why))
		return ul_invalid(err, "the %s failed: %s", ul_ops->name, why);
	t->ni++;
	if (ni - t->last_step >= ul_accumulate(&t->schedule, ni, t->warmup)) {
		optimizer_step(t);
		t->last_step = ni;
	}
	return 0;
}

void ul_trainer_epoch_end(struct ul_trainer *t)
{
	ul_e2e_loss_update(&t->loss);
	t->epoch++;
	t->ni = (long)t->batches * t->epoch;
	ul_schedule_epoch(&t->schedule, &t->optim, t->epoch);
}
