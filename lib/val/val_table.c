#include "val/val_table.h"

static void row(FILE *out, const char *name, long images, long instances, double p, double r, double map50, double map)
{
	fprintf(out, "%22s%11ld%11ld%11.3g%11.3g%11.3g%11.3g\n", name, images, instances, p, r, map50, map);
}

void ul_val_table(FILE *out, const struct ul_val_stats *s, const struct ul_val_metrics *m, const char *const *names,
		  int nc, bool per_class)
{
	fprintf(out, "%22s%11s%11s%11s%11s%11s%11s\n", "Class", "Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)");
	row(out, "all", s->images, (long)s->ntargets, m->mp, m->mr, m->map50, m->map);
	for (int c = 0; per_class && c < m->nclasses; c++) {
		int cls = m->classes[c];
		long instances = 0;
		for (size_t i = 0; i < s->ntargets; i++)
			instances += s->target_cls[i] == cls;
		double map = 0;
		for (int t = 0; t < UL_IOU_THRESHOLDS; t++)
			map += m->ap[c][t] / UL_IOU_THRESHOLDS;
		char number[16];
		snprintf(number, sizeof number, "%d", cls);
		const char *name = names && cls < nc && names[cls] ? names[cls] : number;
		long images = (size_t)cls < s->cap_class_images ? s->class_images[cls] : 0;
		row(out, name, images, instances, m->p[c], m->r[c], m->ap[c][0], map);
	}
}
