/*
 * bench_replay.c — times a full replay of a case (what the rule engine
 * consumes): every event with raw bytes re-read from the stored members,
 * re-parsed, and derived text for invocation events. Built by `make`, never
 * run by `make check`.
 *
 *   tests/bench/bench_replay CASE [headers|nodrive|full]
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/case.h"
#include "store/replay.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_replay CASE [headers|noderive|full]\n");
		return 2;
	}
	replay_filter f;
	replay_filter_init(&f);
	if (argc > 2 && strcmp(argv[2], "headers") == 0)
		f.flags = REPLAY_HEADERS_ONLY;
	else if (argc > 2 && strcmp(argv[2], "noderive") == 0)
		f.flags = REPLAY_NO_DERIVE;
	case_db *c = NULL;
	replay *r = NULL;
	lt_error err;
	if (case_open(argv[1], CASE_READONLY, &c, &err) != LT_OK || replay_new(c, &f, &r, &err) != LT_OK) {
		fprintf(stderr, "bench_replay: %s\n", err.msg);
		case_close(c);
		return 4;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long n = 0, bytes = 0, problems = 0, derived = 0;
	const event *ev;
	lt_status st;
	while ((st = replay_next(r, &ev, &err)) != LT_EFATAL && ev != NULL) {
		n++;
		bytes += ev->raw.n;
		problems += st != LT_OK;
		derived += ev->prompt.n + ev->response.n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%llu events, %.1f MB raw, %llu derived bytes, %llu problems, %.2f s, %.0f events/s, %.1f MB/s\n", n,
	       (double)bytes / 1048576.0, derived, problems, s, s > 0 ? (double)n / s : 0,
	       s > 0 ? (double)bytes / 1048576.0 / s : 0);
	replay_free(r);
	case_close(c);
	return st == LT_EFATAL ? 4 : 0;
}
