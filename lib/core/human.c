#include "core/human.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"

static bool quiet;

void ul_human_set_quiet(bool q)
{
	quiet = q;
}

bool ul_human_quiet(void)
{
	return quiet;
}

void ul_note(const char *fmt, ...)
{
	if (quiet)
		return;
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", ul_program(), text);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int terminal_width(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static void draw(struct ul_progress *p)
{
	double seconds = now() - p->started;
	double rate = seconds > 0 ? p->done / seconds : 0;
	char tail[64];
	char line[512];
	if (p->total > 0) {
		snprintf(tail, sizeof tail, " %ld/%ld %.1fs %.0f/s", p->done, p->total, seconds, rate);
		int width = terminal_width() - (int)strlen(p->label) - (int)strlen(tail) - 9;
		if (width > 60)
			width = 60;
		if (width < 10)
			width = 10;
		long filled = p->done >= p->total ? width : (long)((double)width * p->done / p->total);
		int pct = (int)(p->done >= p->total ? 100 : 100.0 * p->done / p->total);
		char bar[256];
		size_t at = 0;
		/* Each block is 3 bytes of UTF-8. */
		for (int i = 0; i < width && at + 4 < sizeof bar; i++) {
			const char *cell = i < filled ? "\u2588" : "\u2500";
			memcpy(bar + at, cell, 3);
			at += 3;
		}
		bar[at] = '\0';
		snprintf(line, sizeof line, "%s %3d%% %s%s", p->label, pct, bar, tail);
	} else {
		snprintf(line, sizeof line, "%s %ld %.1fs %.0f/s", p->label, p->done, seconds, rate);
	}
	/* \r and clear-to-end-of-line: redraw in place. */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = now();
}

void ul_progress_begin(struct ul_progress *p, const char *label, long total)
{
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label);
	p->total = total;
	p->started = now();
	p->active = !quiet && isatty(STDERR_FILENO);
	if (p->active)
		draw(p);
}

void ul_progress_update(struct ul_progress *p, long done)
{
	p->done = done;
	if (p->active && now() - p->drawn >= 0.1)
		draw(p);
}

void ul_progress_end(struct ul_progress *p)
{
	if (!p->active)
		return;
	draw(p);
	fputc('\n', stderr);
	p->active = false;
}
