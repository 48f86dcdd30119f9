/*
 * progress.c — the progress line (see progress.h). Time comes from
 * CLOCK_MONOTONIC; the line is "\r\033[K" + text, so a terminal shows one
 * line that is overwritten, never a scroll of them.
 */
#include "config.h"

#include "pipeline/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

struct progress {
	const char *label, *what;
	uint64_t total, calls;
	double start, last_draw;
	int shown;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int progress_wanted(void) { return isatty(STDERR_FILENO) && log_get_level() >= LT_LOG_WARN; }

void progress_eta(double elapsed, uint64_t done, uint64_t total, char *out, size_t n)
{
	if (elapsed < PROGRESS_ETA_AFTER) {
		snprintf(out, n, "...");
		return;
	}
	if (total == 0 || done == 0) {
		snprintf(out, n, "?");
		return;
	}
	double secs = done >= total ? 0 : (double)(total - done) * elapsed / (double)done;
	if (secs > 1e7)
		snprintf(out, n, "?");
	else if (secs >= 3600)
		snprintf(out, n, "%dh%02dm", (int)(secs / 3600), (int)(secs / 60) % 60);
	else
		snprintf(out, n, "%dm%02ds", (int)(secs / 60), (int)secs % 60);
}

progress *progress_new(const char *label, const char *what, uint64_t total)
{
	if (!progress_wanted())
		return NULL;
	progress *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->label = label;
	p->what = what;
	p->total = total;
	p->start = p->last_draw = now_s();
	return p;
}

void progress_update(progress *p, uint64_t done)
{
	if (p == NULL || (++p->calls & 1023) != 0)
		return;
	progress_step(p, done);
}

void progress_step(progress *p, uint64_t done)
{
	if (p == NULL)
		return;
	double t = now_s();
	if (t - p->last_draw < 1.0 / PROGRESS_HZ)
		return;
	p->last_draw = t;
	double elapsed = t - p->start;
	char eta[32];
	progress_eta(elapsed, done, p->total, eta, sizeof eta);
	if (p->total)
		fprintf(stderr, "\r\033[K%s: %llu of %llu %s (%.0f%%, %.0f/s), ETA %s", p->label, (unsigned long long)done,
		        (unsigned long long)p->total, p->what, 100.0 * (double)done / (double)p->total,
		        elapsed > 0 ? (double)done / elapsed : 0.0, eta);
	else
		fprintf(stderr, "\r\033[K%s: %llu %s (%.0f/s)", p->label, (unsigned long long)done, p->what,
		        elapsed > 0 ? (double)done / elapsed : 0.0);
	fflush(stderr);
	p->shown = 1;
}

void progress_end(progress *p)
{
	if (p == NULL)
		return;
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	free(p);
}
