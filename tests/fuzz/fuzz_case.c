/*
 * fuzz_case.c — libFuzzer target for the case reader over a corrupted case
 * file: the input is the bytes of a case index (SQLite). The seeds are small
 * cases built by `llmtrail index` (tests/fuzz/corpus/fuzz_case/, see
 * docs/fuzzing.md), so the fuzzer mutates real pages: the schema, the member
 * and event rows, the compressed member chunks and the event blocks. Each
 * input is written to a scratch file and opened read-only as `scan`, `show`
 * and `timeline` open it; the totals are read, then the whole replay runs
 * (raw bytes, re-parse, derived text, external bodies), then a headers-only
 * replay and a count, and the first members' stored contents are read back.
 * Every failure must be a status with a message, never a crash, a hang or
 * unbounded memory (libFuzzer's -rss_limit_mb and -timeout watch those).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/case.h"
#include "store/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 100000 /* a replay of a small case that yields more is looping */

static char path[4096];

static void remove_scratch(void)
{
	char p[4200];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-journal", path);
	unlink(p);
}

static int write_scratch(const uint8_t *data, size_t size)
{
	if (path[0] == '\0') {
		const char *tmp = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/fuzz_case.%ld.sqlite", tmp && *tmp ? tmp : "/tmp", (long)getpid());
	}
	remove_scratch();
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t w = fwrite(data, 1, size, f);
	return fclose(f) == 0 && w == size ? 0 : -1;
}

static void check_event(const event *ev)
{
	if (ev->raw.n > 0 && ev->raw.p == NULL)
		abort();
	if (ev->uid.n > 0 && ev->uid.p == NULL)
		abort();
	volatile size_t sum = 0;
	for (size_t i = 0; i < ev->raw.n; i += 64)
		sum += (unsigned char)ev->raw.p[i];
	for (size_t i = 0; i < ev->prompt.n; i += 64)
		sum += (unsigned char)ev->prompt.p[i];
	(void)sum;
}

static void replay_all(case_db *c, unsigned flags)
{
	replay_filter f;
	replay_filter_init(&f);
	f.flags = flags;
	replay *r = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (replay_new(c, &f, &r, &err) != LT_OK)
		return;
	const event *ev = NULL;
	lt_status st;
	size_t n = 0;
	while ((st = replay_next(r, &ev, &err)) != LT_EFATAL && ev != NULL) {
		check_event(ev);
		if (++n > MAX_EVENTS)
			abort();
	}
	if (st == LT_EFATAL && err.msg[0] == '\0')
		abort(); /* a fatal status says why */
	replay_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (8u << 20) || write_scratch(data, size) != 0)
		return 0;
	case_db *c = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (case_open(path, CASE_READONLY, &c, &err) == LT_OK) {
		case_totals t;
		(void)case_get_totals(c, &t, &err);
		replay_all(c, 0);
		replay_all(c, REPLAY_HEADERS_ONLY);
		replay_filter f;
		replay_filter_init(&f);
		int64_t count;
		(void)replay_count(c, &f, &count, &err);
		for (int64_t id = 1; id <= 4; id++) {
			buf b;
			buf_init(&b, 16u << 20);
			(void)case_member_content(c, id, &b, &err);
			buf_free(&b);
		}
	} else if (err.msg[0] == '\0') {
		abort(); /* a refused case says why */
	}
	case_close(c);
	remove_scratch();
	return 0;
}
