/* The schedule (lib/train/schedule) against numbers Ultralytics produced:
 * the peer's 2-epoch run (32 images, batch 8, AdamW lr 0.001429 from auto,
 * warmup_epochs 3 cut to 1 epoch) logged lr/pg0 0.00107175 after epoch 1
 * and 0.000721645 after epoch 2, and stepped its optimizer once in epoch
 * 1; the rest from the formulas of yolo26.md 5.4 worked by hand. */
#include "tap.h"
#include "train/optim.h"
#include "train/schedule.h"

/* A run's three groups as build_optimizer makes them. */
static struct ul_optim groups(double lr, bool has_momentum)
{
	struct ul_optim o = { .ngroups = 3 };
	const char *names[3] = { "weight", "bn", "bias" };
	for (int j = 0; j < 3; j++)
		o.groups[j] = (struct ul_optim_group){ .name = names[j], .has_momentum = has_momentum, .initial_lr = lr,
						       .lr = lr, .momentum = 0.9 };
	return o;
}

int main(void)
{
	struct ul_schedule s = { .epochs = 2, .lrf = 0.01, .warmup_epochs = 3, .warmup_momentum = 0.8,
				 .warmup_bias_lr = 0, .momentum = 0.937, .nbs = 64, .batch = 8 };
	is_double(ul_lr_factor(&s, 0), 1, 1e-15, "linear lf(0) = 1");
	is_double(ul_lr_factor(&s, 1), 0.505, 1e-15, "linear lf(1) of 2 epochs = 0.505");
	int nb = 4;
	long nw = ul_warmup_iterations(&s, nb);
	is_int(nw, 4, "warmup: 3 epochs cut to epochs - 1 = 1, 4 iterations");

	/* the peer's run, batch by batch */
	struct ul_optim o = groups(0.001429, false);
	long last = -1, steps_in[2] = { 0, 0 };
	for (int epoch = 0; epoch < 2; epoch++) {
		ul_schedule_epoch(&s, &o, epoch);
		for (int i = 0; i < nb; i++) {
			long ni = i + (long)nb * epoch;
			ul_schedule_warmup(&s, &o, epoch, ni, nw);
			if (ni - last >= ul_accumulate(&s, ni, nw))
				last = ni, steps_in[epoch]++;
		}
		is_double(o.groups[0].lr, epoch == 0 ? 0.00107175 : 0.000721645, 1e-12, "lr/pg0 after epoch %d as logged",
			  epoch + 1);
	}
	is_int(steps_in[0], 1, "one optimizer step in epoch 1, as the peer's EMA counted");
	is_int(steps_in[1], 1, "and one in epoch 2 (accumulating 6 batches, the warmup's last value)");
	ok(o.groups[0].momentum == 0.9, "AdamW's groups have no momentum for the warmup to ramp");

	/* accumulation ramps 1 -> nbs / batch, rounding half to even as numpy */
	int want[4] = { 1, 3, 4, 6 };  /* 1, 2.75, 4.5, 6.25 */
	for (int ni = 0; ni < 4; ni++)
		is_int(ul_accumulate(&s, ni, nw), want[ni], "accumulate at iteration %d", ni);
	is_int(ul_accumulate(&s, 100, 0), 8, "without warmup: nbs / batch");
	struct ul_schedule big = s;
	big.batch = 128;
	is_int(ul_accumulate(&big, 100, 0), 1, "a batch above nbs accumulates 1");

	/* bias lr falls from warmup_bias_lr, momentum rises where the optimizer has one */
	s.warmup_bias_lr = 0.1, s.epochs = 10;
	o = groups(0.01, true);
	nw = ul_warmup_iterations(&s, 100);
	is_int(nw, 300, "3 warmup epochs of 100 batches");
	ul_schedule_warmup(&s, &o, 0, 0, nw);
	ok(o.groups[2].lr == 0.1 && o.groups[0].lr == 0 && o.groups[1].lr == 0, "iteration 0: bias at 0.1, others at 0");
	is_double(o.groups[0].momentum, 0.8, 1e-15, "momentum starts at warmup_momentum");
	ul_schedule_warmup(&s, &o, 1, 150, nw);
	double lf1 = ul_lr_factor(&s, 1);
	is_double(o.groups[0].lr, 0.01 * lf1 / 2, 1e-15, "halfway: half the epoch's rate");
	is_double(o.groups[2].lr, 0.1 + (0.01 * lf1 - 0.1) / 2, 1e-15, "halfway: bias halfway down");
	is_double(o.groups[1].momentum, 0.8 + 0.137 / 2, 1e-15, "halfway: momentum halfway up");
	ul_schedule_warmup(&s, &o, 3, 300, nw);
	is_double(o.groups[1].momentum, 0.8 + 0.137 / 2, 1e-15, "after warmup nothing moves within the epoch");
	ul_schedule_epoch(&s, &o, 3);
	is_double(o.groups[2].lr, 0.01 * ul_lr_factor(&s, 3), 1e-15, "the next epoch sets initial lr x lf");

	/* cosine: 1 at the start, lrf at the end, the mean halfway */
	s.cos_lr = true;
	is_double(ul_lr_factor(&s, 0), 1, 1e-15, "cosine lf(0) = 1");
	is_double(ul_lr_factor(&s, 5), (1 + 0.01) / 2, 1e-15, "cosine lf halfway = (1 + lrf) / 2");
	is_double(ul_lr_factor(&s, 10), 0.01, 1e-15, "cosine lf(epochs) = lrf");
	s.cos_lr = false;
	is_double(ul_lr_factor(&s, 10), 0.01, 1e-15, "linear lf(epochs) = lrf");
	s.epochs = 1;
	is_int(ul_warmup_iterations(&s, 100), 0, "a 1-epoch run has no warmup");
	return done_testing();
}
