/*
 * test_replay.c — the replay cursor over a case built by the indexer from
 * the fixtures in tests/data/store: order, filters, exact raw bytes,
 * provenance, derived text with external bodies (found and missing),
 * records that straddle stored chunks of a large uncompressed member, and
 * event.tie naming an event again in a replay of its time.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ltime.h"
#include "store/blob.h"
#include "store/case.h"
#include "store/indexer.h"
#include "store/replay.h"

#define INV_DIR "AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2024/05/01/12"

typedef struct fixture {
	char dir[64];
	char ev[128];
	char db[128];
	case_db *c;
} fixture;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	char *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void put(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void copy_fixture(const char *name, const char *dst)
{
	const char *src = getenv("LLMTRAIL_SRCDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/tests/data/store/%s", src ? src : "..", name);
	size_t n;
	char *p = slurp(path, &n);
	put(dst, p, n);
	free(p);
}

static void mkdirs(const char *path)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(tmp, 0755);
			*p = '/';
		}
	(void)mkdir(tmp, 0755);
}

static void index_into(fixture *f)
{
	indexer_options o;
	indexer_options_init(&o);
	o.jobs = 2;
	indexer_stats s;
	lt_error err;
	const char *paths[] = {f->ev};
	assert_int_equal(indexer_run(f->db, paths, 1, &o, &s, &err), LT_OK);
	assert_int_equal(case_open(f->db, CASE_READONLY, &f->c, &err), LT_OK);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_replay.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ev, sizeof f->ev, "%s/ev", f->dir);
	snprintf(f->db, sizeof f->db, "%s/case.db", f->dir);
	char p[512];
	snprintf(p, sizeof p, "%s/" INV_DIR "/data", f->ev);
	mkdirs(p);
	snprintf(p, sizeof p, "%s/" INV_DIR "/inv.jsonl", f->ev);
	copy_fixture("inv.jsonl", p);
	snprintf(p, sizeof p, "%s/" INV_DIR "/data/req-0002-input.json", f->ev);
	copy_fixture("body/req-0002-input.json", p);
	snprintf(p, sizeof p, "%s/ct-a.json", f->ev);
	copy_fixture("ct-a.json", p);
	snprintf(p, sizeof p, "%s/ct-b.json", f->ev);
	copy_fixture("ct-b.json", p);
	index_into(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	case_close(f->c);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int str_is(ev_str s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static int str_has(ev_str s, const char *want)
{
	size_t n = strlen(want);
	for (size_t i = 0; i + n <= s.n; i++)
		if (memcmp(s.p + i, want, n) == 0)
			return 1;
	return 0;
}

static void replay__all_events__time_ordered_with_provenance(void **state)
{
	fixture *f = *state;
	replay_filter flt;
	replay_filter_init(&flt);
	replay *r = NULL;
	lt_error err;
	assert_int_equal(replay_new(f->c, &flt, &r, &err), LT_OK);
	const event *ev;
	int n = 0;
	int64_t last = INT64_MIN;
	const char *order[] = {"ct-0000", "ct-0001", "req-0001", "req-0002", "req-0003", "ct-0009"};
	for (;;) {
		lt_status st = replay_next(r, &ev, &err);
		assert_int_not_equal(st, LT_EFATAL);
		if (ev == NULL)
			break;
		assert_true(n < 6);
		assert_true(str_is(ev->uid, order[n]));
		assert_true(ev->time_us >= last);
		last = ev->time_us;
		assert_non_null(ev->prov);
		assert_int_equal(strlen(ev->prov->sha256), 64);
		assert_non_null(ev->doc);
		n++;
	}
	assert_int_equal(n, 6);
	replay_free(r);
}

static void replay__raw__exact_original_bytes(void **state)
{
	fixture *f = *state;
	replay_filter flt;
	replay_filter_init(&flt);
	flt.uid = "ct-0009";
	replay *r = NULL;
	lt_error err;
	assert_int_equal(replay_new(f->c, &flt, &r, &err), LT_OK);
	const event *ev;
	assert_int_equal(replay_next(r, &ev, &err), LT_OK);
	assert_non_null(ev);
	char p[512];
	snprintf(p, sizeof p, "%s/ct-b.json", f->ev);
	size_t n;
	char *text = slurp(p, &n);
	assert_true(ev->offset + ev->raw.n <= n);
	assert_memory_equal(ev->raw.p, text + ev->offset, ev->raw.n);
	assert_int_equal(ev->raw.p[0], '{');
	assert_int_equal(ev->raw.p[ev->raw.n - 1], '}');
	assert_string_equal(ev->prov->member, "ct-b.json");
	assert_true(str_is(ev->error_code, "AccessDenied"));
	free(text);
	assert_int_equal(replay_next(r, &ev, &err), LT_OK);
	assert_null(ev);
	replay_free(r);
}

static int64_t count_with(case_db *c, replay_filter *flt)
{
	replay *r = NULL;
	lt_error err;
	assert_int_equal(replay_new(c, flt, &r, &err), LT_OK);
	const event *ev;
	int64_t n = 0;
	while (replay_next(r, &ev, &err) != LT_EFATAL && ev != NULL)
		n++;
	replay_free(r);
	int64_t counted = -1;
	assert_int_equal(replay_count(c, flt, &counted, &err), LT_OK);
	assert_int_equal(counted, n);
	return n;
}

static void replay__filters__select_matching_events(void **state)
{
	fixture *f = *state;
	replay_filter flt;
	replay_filter_init(&flt);
	flt.source = EV_SRC_INVOCATION;
	assert_int_equal(count_with(f->c, &flt), 3);
	replay_filter_init(&flt);
	flt.action = "InvokeModel";
	assert_int_equal(count_with(f->c, &flt), 2);
	flt.source = EV_SRC_CLOUDTRAIL;
	assert_int_equal(count_with(f->c, &flt), 1);
	replay_filter_init(&flt);
	flt.principal = "arn:aws:sts::111122223333:assumed-role/Analyst/alice";
	assert_int_equal(count_with(f->c, &flt), 5);
	flt.principal = "arn:aws:iam::999:user/nobody";
	assert_int_equal(count_with(f->c, &flt), 0);
	replay_filter_init(&flt);
	assert_int_equal(ltime_parse("2024-05-01T12:00:05Z", 20, &flt.since_us), LT_OK);
	assert_int_equal(ltime_parse("2024-05-01T12:06:00Z", 20, &flt.until_us), LT_OK);
	assert_int_equal(count_with(f->c, &flt), 3); /* ct-0001, req-0001, req-0002 */
	replay_filter_init(&flt);
	flt.model = "amazon.nova-lite-v1:0";
	assert_int_equal(count_with(f->c, &flt), 2);
	replay_filter_init(&flt);
	flt.source_ip = "198.51.100.*"; /* ct-0000 (twice, one event) and ct-0001 */
	assert_int_equal(count_with(f->c, &flt), 2);
	flt.access_key = "asiaexample1"; /* any case; both fields must match */
	assert_int_equal(count_with(f->c, &flt), 2);
	flt.access_key = "AKIAEXAMPLE2";
	assert_int_equal(count_with(f->c, &flt), 0);
	replay_filter_init(&flt);
	flt.account = "111122223333";
	flt.region = "US-EAST-*";
	assert_int_equal(count_with(f->c, &flt), 6);
	flt.region = "eu-west-1";
	assert_int_equal(count_with(f->c, &flt), 0);
}

static const event *find(replay *r, const char *uid, lt_status *st)
{
	const event *ev;
	lt_error err;
	while ((*st = replay_next(r, &ev, &err)) != LT_EFATAL && ev != NULL)
		if (str_is(ev->uid, uid))
			return ev;
	return NULL;
}

static void replay__invocation__derived_text_and_external_bodies(void **state)
{
	fixture *f = *state;
	replay_filter flt;
	replay_filter_init(&flt);
	flt.source = EV_SRC_INVOCATION;
	replay *r = NULL;
	lt_error err;
	lt_status st;
	assert_int_equal(replay_new(f->c, &flt, &r, &err), LT_OK);
	const event *ev = find(r, "req-0001", &st);
	assert_non_null(ev);
	assert_int_equal(st, LT_OK);
	assert_true(str_has(ev->prompt, "capital of France"));
	assert_true(str_has(ev->response, "Paris."));
	ev = find(r, "req-0002", &st);
	assert_non_null(ev);
	assert_int_equal(st, LT_OK);
	assert_true(str_has(ev->prompt, "quarterly report")); /* from the stored data/ object */
	assert_true(str_has(ev->system, "terse"));
	assert_true(str_has(ev->response, "Summary done."));
	assert_int_equal(replay_next(r, &ev, &err), LT_EITEM); /* req-0003: output body missing */
	assert_non_null(ev);
	assert_true(str_is(ev->uid, "req-0003"));
	assert_non_null(strstr(err.msg, "req-0003-output.json"));
	assert_true(ev->flags & EV_F_BODY_MISSING);
	assert_true(str_has(ev->prompt, "hello"));
	assert_non_null(ev->doc);
	replay_free(r);
}

static void replay__large_uncompressed_member__records_across_chunks_exact(void **state)
{
	fixture *f = *state;
	case_close(f->c);
	f->c = NULL;
	size_t cap = BLOB_CHUNK + (BLOB_CHUNK >> 2), n = 0;
	char *text = malloc(cap + 4096);
	assert_non_null(text);
	for (unsigned i = 0; n < cap; i++) {
		int k = snprintf(text + n, 4096,
		                 "{\"eventVersion\":\"1.09\",\"eventTime\":\"2024-06-01T00:%02u:%02uZ\",\"eventSource\":"
		                 "\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"eu-west-1\","
		                 "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u%u\"},"
		                 "\"eventID\":\"big-%08u\",\"pad\":\"%0*u\"}\n",
		                 (i / 60) % 60, i % 60, i % 7, i, (int)(i % 97) + 1, i);
		n += (size_t)k;
	}
	char p[512];
	snprintf(p, sizeof p, "%s/big.jsonl", f->ev);
	put(p, text, n);
	index_into(f);
	replay_filter flt;
	replay_filter_init(&flt);
	assert_int_equal(ltime_parse("2024-06-01", 10, &flt.since_us), LT_OK);
	replay *r = NULL;
	lt_error err;
	assert_int_equal(replay_new(f->c, &flt, &r, &err), LT_OK);
	const event *ev;
	uint64_t seen = 0, straddled = 0;
	while (replay_next(r, &ev, &err) == LT_OK && ev != NULL) {
		assert_true(ev->offset + ev->raw.n <= n);
		assert_memory_equal(ev->raw.p, text + ev->offset, ev->raw.n);
		straddled += ev->offset < BLOB_CHUNK && ev->offset + ev->raw.n > BLOB_CHUNK;
		seen++;
	}
	assert_int_equal(straddled, 1);
	assert_true(seen > 50000);
	replay_free(r);
	free(text);
}

/* (source, time, tie) names one event in any replay whose range includes its
 * time, whatever the other filters: many events share each second, across
 * members, with copies of some in a second member (de-duplicated). */
static void replay__tie__names_event_in_any_replay_of_its_time(void **state)
{
	fixture *f = *state;
	case_close(f->c);
	f->c = NULL;
	for (int file = 0; file < 3; file++) {
		char text[16384];
		size_t n = 0;
		for (int i = 0; i < 30; i++) {
			int id = file == 2 ? i : file * 30 + i; /* file 2: copies of file 0's events */
			n += (size_t)snprintf(text + n, sizeof text - n,
			                      "{\"eventVersion\":\"1.09\",\"eventTime\":\"2024-07-01T00:00:%02dZ\","
			                      "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"%s\","
			                      "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u%d\"},"
			                      "\"eventID\":\"tie-%03d\"}\n",
			                      id % 3, id % 2 ? "GetObject" : "PutObject", id % 4, id);
		}
		char p[512];
		snprintf(p, sizeof p, "%s/tie-%d.jsonl", f->ev, file);
		put(p, text, n);
	}
	index_into(f);
	replay_filter all;
	replay_filter_init(&all);
	assert_int_equal(ltime_parse("2024-07-01", 10, &all.since_us), LT_OK);
	replay *r = NULL;
	lt_error err;
	assert_int_equal(replay_new(f->c, &all, &r, &err), LT_OK);
	const event *ev;
	int seen = 0, max_tie = 0;
	while (replay_next(r, &ev, &err) == LT_OK && ev != NULL) {
		seen++;
		max_tie = (int)ev->tie > max_tie ? (int)ev->tie : max_tie;
		char uid[64];
		snprintf(uid, sizeof uid, "%.*s", (int)ev->uid.n, ev->uid.p);
		for (int variant = 0; variant < 3; variant++) {
			replay_filter one;
			replay_filter_init(&one);
			one.since_us = ev->time_us;
			one.until_us = ev->time_us + 1;
			one.flags = REPLAY_HEADERS_ONLY;
			one.source = variant == 1 ? ev->source : EV_SRC_UNKNOWN;
			if (variant == 2) /* another filter: the tie is counted before it */
				one.action = str_is(ev->action, "GetObject") ? "GetObject" : "PutObject";
			replay *q = NULL;
			assert_int_equal(replay_new(f->c, &one, &q, &err), LT_OK);
			const event *e2;
			int found = 0;
			while (replay_next(q, &e2, &err) == LT_OK && e2 != NULL)
				if (e2->source == ev->source && e2->time_us == ev->time_us && e2->tie == ev->tie) {
					assert_true(str_is(e2->uid, uid));
					found++;
				}
			assert_int_equal(found, 1);
			replay_free(q);
		}
	}
	assert_int_equal(seen, 60); /* file 2 holds only copies */
	assert_int_equal(max_tie, 19); /* 60 events over 3 seconds */
	replay_free(r);
}

static int same_str(ev_str a, ev_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* A REPLAY_PREFETCH replay gives exactly the events of a plain one, over
 * many batches, and can be freed while its thread is ahead. */
static void replay__prefetch__same_events_as_plain(void **state)
{
	fixture *f = *state;
	case_close(f->c);
	f->c = NULL;
	char p[512];
	snprintf(p, sizeof p, "%s/many.jsonl", f->ev);
	FILE *out = fopen(p, "wb");
	assert_non_null(out);
	for (unsigned i = 0; i < 3000; i++)
		fprintf(out,
		        "{\"eventVersion\":\"1.09\",\"eventTime\":\"2024-06-01T00:%02u:%02uZ\",\"eventSource\":"
		        "\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"eu-west-1\","
		        "\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/u%u\"},\"eventID\":\"m-%08u\"}\n",
		        (i / 60) % 60, i % 60, i % 5, i);
	assert_int_equal(fclose(out), 0);
	index_into(f);
	replay_filter plain, ahead;
	replay_filter_init(&plain);
	replay_filter_init(&ahead);
	ahead.flags = REPLAY_PREFETCH;
	replay *a = NULL, *b = NULL;
	lt_error err;
	assert_int_equal(replay_new(f->c, &plain, &a, &err), LT_OK);
	assert_int_equal(replay_new(f->c, &ahead, &b, &err), LT_OK);
	size_t n = 0, derived = 0;
	for (;;) {
		const event *x = NULL, *y = NULL;
		lt_error e1, e2;
		lt_status s1 = replay_next(a, &x, &e1), s2 = replay_next(b, &y, &e2);
		assert_int_equal(s1, s2);
		if (x == NULL) {
			assert_null(y);
			break;
		}
		assert_non_null(y);
		assert_true(same_str(x->uid, y->uid));
		assert_int_equal(x->time_us, y->time_us);
		assert_true(same_str(x->raw, y->raw));
		assert_true(same_str(x->principal, y->principal));
		assert_true(same_str(x->prompt, y->prompt));
		assert_true(same_str(x->response, y->response));
		assert_string_equal(x->prov->member, y->prov->member);
		assert_string_equal(x->prov->sha256, y->prov->sha256);
		assert_int_equal(x->doc != NULL, y->doc != NULL);
		derived += x->prompt.n > 0;
		n++;
	}
	assert_int_equal(n, 3006);
	assert_true(derived > 0);
	replay_free(a);
	replay_free(b);
	/* freed early, with the thread still producing */
	assert_int_equal(replay_new(f->c, &ahead, &b, &err), LT_OK);
	const event *y = NULL;
	assert_int_equal(replay_next(b, &y, &err), LT_OK);
	assert_non_null(y);
	replay_free(b);
}

/* The prepare hook: called once per event in replay order (on the producer
 * thread with REPLAY_PREFETCH), what it attaches arrives with the event, seq
 * counts 1, 2, ...; LT_EFATAL from it ends the replay with its error. */
typedef struct prep_probe {
	uint64_t calls;
	uint64_t fail_at; /* 0: never */
} prep_probe;

static lt_status probe_prepare(void *ctx, event *ev, const detblock_entry *stored, arena *a, lt_error *err)
{
	prep_probe *pp = ctx;
	pp->calls++;
	assert_null(stored); /* no detections were asked for */
	if (pp->fail_at != 0 && ev->seq == pp->fail_at)
		return lt_error_set(err, LT_EFATAL, "probe stops at %llu", (unsigned long long)ev->seq);
	uint64_t *mark = arena_alloc(a, sizeof *mark);
	if (mark == NULL)
		return LT_EFATAL;
	*mark = ev->seq * 7 + (uint64_t)ev->uid.n;
	ev->user = mark;
	return LT_OK;
}

static void replay__prepare__runs_once_per_event_in_order(void **state)
{
	fixture *f = *state; /* setup indexed the fixture evidence */
	for (int ahead = 0; ahead < 2; ahead++) {
		prep_probe pp = {0, 0};
		replay_filter flt;
		replay_filter_init(&flt);
		flt.flags = ahead ? REPLAY_PREFETCH : 0;
		flt.prepare = probe_prepare;
		flt.prepare_ctx = &pp;
		replay *r = NULL;
		lt_error err;
		assert_int_equal(replay_new(f->c, &flt, &r, &err), LT_OK);
		const event *ev = NULL;
		uint64_t n = 0;
		while (replay_next(r, &ev, &err) != LT_EFATAL && ev != NULL) {
			n++;
			assert_int_equal(ev->seq, n);
			assert_non_null(ev->user);
			assert_int_equal(*(const uint64_t *)ev->user, n * 7 + ev->uid.n);
		}
		assert_true(n > 3);
		replay_free(r);
		assert_int_equal(pp.calls, n);

		pp.calls = 0;
		pp.fail_at = 3;
		assert_int_equal(replay_new(f->c, &flt, &r, &err), LT_OK);
		uint64_t got = 0;
		lt_status st;
		while ((st = replay_next(r, &ev, &err)) != LT_EFATAL && ev != NULL)
			got++;
		assert_int_equal(st, LT_EFATAL);
		assert_int_equal(got, 2);
		assert_non_null(strstr(err.msg, "probe stops at 3"));
		replay_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(replay__all_events__time_ordered_with_provenance, setup, teardown),
		cmocka_unit_test_setup_teardown(replay__raw__exact_original_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(replay__filters__select_matching_events, setup, teardown),
		cmocka_unit_test_setup_teardown(replay__invocation__derived_text_and_external_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(replay__prefetch__same_events_as_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(replay__prepare__runs_once_per_event_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(replay__large_uncompressed_member__records_across_chunks_exact, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(replay__tie__names_event_in_any_replay_of_its_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
