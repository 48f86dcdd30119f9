/*
 * indexrun.c — the terminal side of indexing (see indexrun.h): a one-line
 * progress display on stderr when it is a terminal (files, MB, events/s,
 * ETA), every problem on stderr naming file, member and line (evidence text
 * escaped), and a summary on stdout.
 */
#include "config.h"

#include "cmd/indexrun.h"

#define INDEXRUN_ETA_AFTER_SECONDS 2.0

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/case.h"
#include "store/writer.h"
#include "store/indexer.h"

typedef struct index_ctx {
	int progress_shown;
	int show_progress;
} index_ctx;

int indexrun_parse_jobs(const char *value, unsigned *jobs)
{
	char *end = NULL;
	long n = strtol(value, &end, 10);
	if (end == value || *end != '\0' || n < 1 || n > 16) {
		fprintf(stderr, "llmtrail: --jobs wants a number from 1 to 16\n");
		return LT_EXIT_USAGE;
	}
	*jobs = (unsigned)n;
	return 0;
}

uint64_t indexrun_parse_size(const char *s)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || v == 0)
		return 0;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return 0;
	return (uint64_t)v << shift;
}

int indexrun_parse_total(const char *value, uint64_t *out)
{
	*out = strcmp(value, "none") == 0 ? UINT64_MAX : indexrun_parse_size(value);
	if (*out != 0)
		return 0;
	fprintf(stderr, "llmtrail: --max-total-bytes wants a size like 64G, or none\n");
	return LT_EXIT_USAGE;
}

static void fmt_eta(double secs, char *out, size_t n)
{
	if (secs < 0 || secs > 1e7)
		snprintf(out, n, "?");
	else if (secs >= 3600)
		snprintf(out, n, "%dh%02dm", (int)(secs / 3600), (int)(secs / 60) % 60);
	else
		snprintf(out, n, "%dm%02ds", (int)(secs / 60), (int)secs % 60);
}

static void on_progress(void *vctx, const indexer_stats *s)
{
	index_ctx *c = vctx;
	if (!c->show_progress)
		return;
	double mb = (double)s->bytes / 1048576.0;
	double rate = s->seconds > 0 ? (double)s->bytes / s->seconds : 0;
	double evs = s->seconds > 0 ? (double)(s->events_new + s->duplicates) / s->seconds : 0;
	char eta[32] = "?";
	/* The first second's rate is mostly start-up (thread spawn, the first
	 * archive's headers, cold caches): an ETA from it is wildly wrong. */
	if (s->seconds < INDEXRUN_ETA_AFTER_SECONDS)
		snprintf(eta, sizeof eta, "...");
	else if (s->bytes_total > s->bytes && rate > 0)
		fmt_eta((double)(s->bytes_total - s->bytes) / rate, eta, sizeof eta);
	else if (s->bytes_total > 0)
		snprintf(eta, sizeof eta, "0m00s");
	fprintf(stderr, "\r\033[K%llu files, %llu members, %.1f MB (%.1f MB/s), %llu events (%.0f/s), ETA %s",
	        (unsigned long long)s->files, (unsigned long long)s->members, mb, rate / 1048576.0,
	        (unsigned long long)s->events_new, evs, eta);
	fflush(stderr);
	c->progress_shown = 1;
}

static void clear_progress(index_ctx *c)
{
	if (c->progress_shown) {
		fprintf(stderr, "\r\033[K");
		c->progress_shown = 0;
	}
}

static void on_problem(void *vctx, const char *kind, const char *file, const char *member, uint64_t line,
                       const char *reason)
{
	index_ctx *c = vctx;
	clear_progress(c);
	buf b;
	buf_init(&b, 0);
	lt_status st = buf_printf(&b, "llmtrail: %s: ", kind);
	if (st == LT_OK)
		st = case_escape_text(&b, file, strlen(file));
	if (st == LT_OK && member && *member) {
		st = buf_puts(&b, ": ");
		if (st == LT_OK)
			st = case_escape_text(&b, member, strlen(member));
	}
	if (st == LT_OK && line > 0)
		st = buf_printf(&b, ": line %llu", (unsigned long long)line);
	if (st == LT_OK)
		st = buf_puts(&b, ": ");
	if (st == LT_OK)
		st = case_escape_text(&b, reason, strlen(reason));
	/* a note (said, not a fault) is not an error: -q keeps it in the reports only */
	log_level need = strcmp(kind, PROBLEM_NOTE) == 0 ? LT_LOG_WARN : LT_LOG_ERROR;
	if (st == LT_OK && log_get_level() >= need)
		fprintf(stderr, "%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void print_summary(const char *case_path, const indexer_stats *s)
{
	printf("case:       %s\n", case_path);
	printf("files:      %llu\n", (unsigned long long)s->files);
	printf("members:    %llu seen, %llu new, %llu already indexed, %llu duplicate (same bytes), %llu unreadable members\n",
	       (unsigned long long)s->members, (unsigned long long)s->members_new,
	       (unsigned long long)s->members_skipped, (unsigned long long)s->members_duplicate,
	       (unsigned long long)s->members_unreadable);
	printf("events:     %llu new (cloudtrail %llu, invocation %llu", (unsigned long long)s->events_new,
	       (unsigned long long)s->events_cloudtrail, (unsigned long long)s->events_invocation);
	if (s->events_kblog > 0)
		printf(", kb-log %llu", (unsigned long long)s->events_kblog);
	printf("), %llu duplicates dropped, %llu conflicting copies kept\n", (unsigned long long)s->duplicates,
	       (unsigned long long)s->conflicts);
	printf("problems:   %llu (%llu left evidence unread: unreadable files or members), missing bodies %llu\n",
	       (unsigned long long)s->problems,
	       (unsigned long long)s->unreadable, (unsigned long long)s->missing_bodies);
	if (s->earlier_problems > 0)
		printf("earlier:    %llu members already indexed had problems when they were indexed\n",
		       (unsigned long long)s->earlier_problems);
}

static void print_totals(const char *case_path)
{
	case_db *c = NULL;
	lt_error err;
	case_totals t;
	if (case_open(case_path, CASE_READONLY, &c, &err) != LT_OK || case_get_totals(c, &t, &err) != LT_OK) {
		case_close(c);
		return;
	}
	printf("case total: %lld events (cloudtrail %lld, invocation %lld", (long long)t.events,
	       (long long)t.events_cloudtrail, (long long)t.events_invocation);
	if (t.events_kblog > 0)
		printf(", kb-log %lld", (long long)t.events_kblog);
	printf("), %lld members, %lld problems, %.1f MB stored\n", (long long)t.members, (long long)t.problems,
	       (double)t.stored_bytes / 1048576.0);
	case_close(c);
}

int indexrun(const char *case_path, const char *const *paths, size_t npaths, const indexrun_options *io,
             exit_state *ex)
{
	index_ctx ctx = {0, isatty(STDERR_FILENO) && log_get_level() >= LT_LOG_WARN};
	indexer_options o;
	indexer_options_init(&o);
	o.jobs = io->jobs;
	o.max_member_bytes = io->max_member_bytes;
	o.max_total_bytes = io->max_total_bytes;
	o.on_progress = on_progress;
	o.on_problem = on_problem;
	o.ctx = &ctx;
	o.argc = io->argc;
	o.argv = io->argv;
	indexer_stats s;
	memset(&s, 0, sizeof s);
	lt_error err;
	lt_error_clear(&err);
	lt_status st = indexer_run(case_path, paths, npaths, &o, &s, &err);
	clear_progress(&ctx);
	if (st != LT_OK) {
		log_lt_error(&err);
		exit_state_note(ex, LT_EXIT_FATAL);
	}
	print_summary(case_path, &s);
	if (st == LT_OK)
		print_totals(case_path);
	fflush(stdout);
	if (s.unreadable > 0 || s.members_unreadable > 0 || s.earlier_problems > 0 || s.missing_bodies > 0)
		exit_state_note(ex, LT_EXIT_UNREADABLE);
	return st == LT_OK ? 0 : -1;
}
