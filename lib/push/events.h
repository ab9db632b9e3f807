/* From ul records to the platform's events (ul-records(7) to the webhook
 * protocol of ultralytics/utils/callbacks/platform.py):
 *
 *   status pending/starting/running  training_started, once (trainArgs
 *                                    from the config record)
 *   epoch                            epoch_end: 0-based epoch, metrics by
 *                                    Ultralytics' names, the last system
 *                                    sample, fitness, best_fitness
 *   status completed                 the best checkpoint uploaded, then
 *                                    training_complete
 *   checkpoint                       an upload, rate-limited by the sender
 *   system                           kept for the next epoch_end
 *   log, error, charge, bill, other  console_output lines
 *
 * config and dataset records are always read, for trainArgs, the run's
 * name and classNames. Non-finite numbers become null. Runs on the main
 * thread; what it hands the sender is text, so no jv is shared. */
#ifndef UL_PUSH_EVENTS_H
#define UL_PUSH_EVENTS_H

#include <stdbool.h>

#include <jv.h>

#include "push/sender.h"

struct ul_push_map {
	struct ul_sender *sender;
	bool named;          /* the run's name is settled */
	bool started;        /* training_started went out */
	jv config_args;      /* the last config's args, or null */
	jv class_names;      /* from the dataset record, or null */
	jv system;           /* the last system sample, as the platform has it */
	jv metrics;          /* the last epoch's, by Ultralytics' names */
	jv fitness, best_fitness;
	long best_epoch;     /* 1-based, 0 before any */
	long epochs;
	char *best_path, *last_path;
	jv run;              /* the last "run" the records named, or null */
};

/* named: name= was given, so records do not name the run. */
void ul_push_map_init(struct ul_push_map *m, struct ul_sender *sender, bool named);
void ul_push_map_free(struct ul_push_map *m);

/* One record (borrowed), its type, its original line, and whether it was
 * selected. */
void ul_push_map_record(struct ul_push_map *m, jv record, const char *type, const char *line, bool selected);

/* The platform cancelled the run: what Ultralytics does then, the best
 * checkpoint uploaded and training_complete with what there is. */
void ul_push_map_cancelled(struct ul_push_map *m);

#endif
