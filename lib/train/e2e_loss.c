#include "train/e2e_loss.h"

#include <stdio.h>
#include <string.h>

void ul_e2e_loss_init(struct ul_e2e_loss *e, int epochs, double box, double cls, double dfl)
{
	*e = (struct ul_e2e_loss){ ul_detect_one2many, ul_detect_one2one, epochs, 0, { { 0 } } };
	struct ul_detect_loss_config *heads[2] = { &e->one2many, &e->one2one };
	for (int k = 0; k < 2; k++)
		heads[k]->box = box, heads[k]->cls = cls, heads[k]->dfl = dfl;
}

void ul_e2e_loss_classes(struct ul_e2e_loss *e, const float *class_weights, double label_smoothing)
{
	e->one2many.class_weights = e->one2one.class_weights = class_weights;
	e->one2many.label_smoothing = e->one2one.label_smoothing = label_smoothing;
}

void ul_e2e_loss_free(struct ul_e2e_loss *e)
{
	ul_detect_scratch_free(&e->scratch[0]);
	ul_detect_scratch_free(&e->scratch[1]);
}

int ul_e2e_head(struct ul_net *net, const char *copy, struct ul_detect_head *head)
{
	*head = (struct ul_detect_head){ .batch = net->batch };
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		char name[32];
		snprintf(name, sizeof name, "%s.box.%d", copy, l);
		struct ul_net_output *box = ul_net_output(net, name);
		snprintf(name, sizeof name, "%s.cls.%d", copy, l);
		struct ul_net_output *cls = ul_net_output(net, name);
		if (!box || !cls)
			return -1;
		head->nc = cls->c;
		head->h[l] = box->h, head->w[l] = box->w, head->stride[l] = box->stride;
		head->box[l] = box->data, head->cls[l] = cls->data;
		head->dbox[l] = box->grad, head->dcls[l] = cls->grad;
	}
	return 0;
}

static void clear_grads(const struct ul_detect_head *h)
{
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		size_t cells = (size_t)h->batch * h->h[l] * h->w[l];
		memset(h->dbox[l], 0, sizeof(float) * 4 * cells);
		memset(h->dcls[l], 0, sizeof(float) * h->nc * cells);
	}
}

int ul_e2e_loss(struct ul_e2e_loss *e, struct ul_net *net, const struct ul_label *labels, size_t nlabels,
		struct ul_detect_items *items, double *total)
{
	static const char *const copies[2] = { "one2many", "one2one" };
	const struct ul_detect_loss_config *configs[2] = { &e->one2many, &e->one2one };
	double weight[2];
	ul_e2e_weights(e->updates, e->epochs, &weight[0], &weight[1]);
	*total = 0;
	for (int k = 0; k < 2; k++) {
		struct ul_detect_head head;
		struct ul_detect_items head_items;
		double head_total;
		if (ul_e2e_head(net, copies[k], &head))
			return -1;
		clear_grads(&head);
		if (ul_detect_loss(configs[k], &head, labels, nlabels, weight[k], &head_items, &head_total, &e->scratch[k]))
			return -1;
		*total += head_total;
		if (k == 1)
			*items = head_items;
	}
	return 0;
}

void ul_e2e_loss_update(struct ul_e2e_loss *e)
{
	e->updates++;
}
