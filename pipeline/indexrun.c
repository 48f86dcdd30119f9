/*
 * indexrun.c — the terminal side of indexing (see indexrun.h): a one-line
 * progress display on stderr when it is a terminal (files, MB, events/s,
 * ETA), every problem on stderr naming file, member and line (evidence text
 * escaped), and a summary on stdout.
 */
#include "config.h"

#include "pipeline/indexrun.h"


#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/custodyrun.h"
#include "pipeline/detectrun.h"
#include "pipeline/progress.h"
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


static void on_progress(void *vctx, const indexer_stats *s)
{
	index_ctx *c = vctx;
	if (!c->show_progress)
		return;
	double mb = (double)s->bytes / 1048576.0;
	double rate = s->seconds > 0 ? (double)s->bytes / s->seconds : 0;
	double evs = s->seconds > 0 ? (double)(s->events_new + s->duplicates) / s->seconds : 0;
	char eta[32];
	progress_eta(s->seconds, s->bytes, s->bytes_total, eta, sizeof eta);
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
	clear_progress(vctx);
	say_problem(kind, file, member, line, reason);
}

/* Evidence of this run recorded earlier and gone from the disk now (what
 * changed is said by the walk). */
static int64_t say_missing(const char *case_path, const char *const *paths, size_t npaths)
{
	case_db *c = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (case_open(case_path, CASE_READONLY, &c, &err) != LT_OK) {
		log_lt_error(&err);
		return -1;
	}
	int64_t n = custody_say(c, paths, npaths, 0, 1, NULL);
	case_close(c);
	return n;
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
	index_ctx ctx = {0, progress_wanted()};
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
	detectrun *det = NULL;
	if (io->detect_rules != NULL) {
		det = detectrun_new(io->detect_rules, indexer_threads(&o));
		if (det == NULL) {
			log_error("out of memory preparing detection");
			exit_state_note(ex, LT_EXIT_FATAL);
			return -1;
		}
		o.detect = detectrun_detect;
		o.detect_ctx = det;
		o.detect_digest = ruleset_digest(io->detect_rules);
	}
	indexer_stats s;
	memset(&s, 0, sizeof s);
	lt_error err;
	lt_error_clear(&err);
	lt_status st = indexer_run(case_path, paths, npaths, &o, &s, &err);
	detectrun_free(det);
	clear_progress(&ctx);
	if (st != LT_OK) {
		log_lt_error(&err);
		exit_state_note(ex, LT_EXIT_FATAL);
	}
	int64_t missing = st == LT_OK ? say_missing(case_path, paths, npaths) : 0;
	print_summary(case_path, &s);
	if (st == LT_OK)
		print_totals(case_path);
	if (missing > 0)
		printf("missing:    %lld recorded files are gone from the evidence (see above)\n", (long long)missing);
	fflush(stdout);
	if (missing < 0)
		exit_state_note(ex, LT_EXIT_FATAL);
	if (s.unreadable > 0 || s.members_unreadable > 0 || s.earlier_problems > 0 || s.missing_bodies > 0 ||
	    missing > 0)
		exit_state_note(ex, LT_EXIT_UNREADABLE);
	return st == LT_OK ? 0 : -1;
}
