/*
 * test_case.c — the case index: schema, writer rules (idempotence,
 * de-duplication, custody, crash-safety of the member transaction), stored
 * content round trips and external-body resolution, with hand-built events.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libdeflate.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/uuid.h"
#include "store/blob.h"
#include "store/case.h"
#include "store/evdup.h"
#include "store/replay.h"
#include "store/writer.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	case_db *c;
	writer *w;
	int64_t run;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_case.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/case.db", f->dir);
	lt_error err;
	assert_int_equal(case_open(f->path, CASE_CREATE, &f->c, &err), LT_OK);
	assert_int_equal(case_run_begin(f->c, "test", 0, NULL, &f->run, &err), LT_OK);
	assert_int_equal(writer_new(f->c, f->run, &f->w, &err), LT_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	writer_free(f->w);
	case_close(f->c);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t count(case_db *c, const char *sql)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(case_sqlite(c), sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Events a replay shows (duplicates not counted). */
static int64_t replayed(case_db *c)
{
	replay_filter flt;
	replay_filter_init(&flt);
	int64_t n = -1;
	lt_error err;
	assert_int_equal(replay_count(c, &flt, &n, &err), LT_OK);
	return n;
}

/* The one event a replay shows with this uid, headers only; the replay is returned for freeing. */
static const event *replay_uid(case_db *c, const char *uid, replay **rp)
{
	replay_filter flt;
	replay_filter_init(&flt);
	flt.uid = uid;
	flt.flags = REPLAY_HEADERS_ONLY;
	lt_error err;
	const event *ev = NULL;
	assert_int_equal(replay_new(c, &flt, rp, &err), LT_OK);
	assert_int_equal(replay_next(*rp, &ev, &err), LT_OK);
	return ev;
}

static void dedup(fixture *f)
{
	int ran = 0;
	lt_error err;
	assert_int_equal(writer_dedup(f->w, &ran, &err), LT_OK);
	assert_int_equal(ran, 1);
	assert_int_equal(writer_dedup(f->w, &ran, &err), LT_OK);
	assert_int_equal(ran, 0); /* nothing new: no second pass */
}

static event mkevent(const char *text, const char *uid, int64_t t)
{
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_CLOUDTRAIL;
	ev.time_us = t;
	ev.uid = ev_str_from(uid, strlen(uid));
	ev.action = ev_str_from("InvokeModel", 11);
	ev.principal = ev_str_from("arn:aws:iam::1:user/a", 21);
	ev.raw = ev_str_from(text, strlen(text));
	ev.input_tokens = ev.output_tokens = ev.latency_ms = -1;
	ev.line = 1;
	return ev;
}

static writer_member mkmember(const char *name, const char *sha, const event *evs, size_t n, const blob_chunks *ch)
{
	writer_member m;
	memset(&m, 0, sizeof m);
	m.evidence = "ev";
	m.path = name;
	m.size = 10;
	snprintf(m.sha256, sizeof m.sha256, "%s", sha);
	m.format = "cloudtrail";
	m.state = MEMBER_INDEXED;
	m.events = evs;
	m.nevents = n;
	m.chunks = ch;
	return m;
}

/* Stored content for a member whose events are all `text` at offset 0
 * (de-duplication reads the copies' content). Free with blob_chunks_free. */
static blob_chunks content(const char *text)
{
	blob_chunks ch;
	lt_error err;
	assert_int_equal(blob_pack(text, strlen(text), NULL, 0, 6, &ch, &err), LT_OK);
	return ch;
}

static void case__create_then_reopen__schema_version(void **state)
{
	fixture *f = *state;
	assert_int_equal(count(f->c, "PRAGMA user_version"), CASE_SCHEMA_VERSION);
	case_db *ro = NULL;
	lt_error err;
	assert_int_equal(case_open(f->path, CASE_READONLY, &ro, &err), LT_OK);
	assert_int_equal(count(ro, "SELECT count(*) FROM runs"), 1);
	case_close(ro);
}

static void case__missing_file_readonly__fatal(void **state)
{
	fixture *f = *state;
	char p[200];
	snprintf(p, sizeof p, "%s/nope.db", f->dir);
	case_db *c = NULL;
	lt_error err;
	assert_int_equal(case_open(p, CASE_READONLY, &c, &err), LT_EFATAL);
	assert_null(c);
}

static void case__foreign_sqlite_file__refused(void **state)
{
	fixture *f = *state;
	char p[200];
	snprintf(p, sizeof p, "%s/other.db", f->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	case_db *c = NULL;
	lt_error err;
	assert_int_equal(case_open(p, CASE_CREATE, &c, &err), LT_EFATAL);
	assert_non_null(strstr(err.msg, "not an llmtrail case index"));
}

static void case__schema_1__refused_with_advice(void **state)
{
	fixture *f = *state;
	char p[200];
	snprintf(p, sizeof p, "%s/v1.db", f->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE events(x); PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	case_db *c = NULL;
	lt_error err;
	assert_int_equal(case_open(p, CASE_CREATE, &c, &err), LT_EFATAL);
	assert_non_null(strstr(err.msg, "index the evidence again"));
	assert_int_equal(case_open(p, CASE_READONLY, &c, &err), LT_EFATAL);
	assert_non_null(strstr(err.msg, "index the evidence again"));
}

static void writer__member_with_events__stored(void **state)
{
	fixture *f = *state;
	const char *text = "{\"a\":1}\n{\"b\":2}\n";
	event evs[2] = {mkevent(text, "u1", 10), mkevent(text + 8, "u2", 5)};
	evs[1].offset = 8;
	blob_chunks ch;
	lt_error err;
	assert_int_equal(blob_pack(text, strlen(text), NULL, 0, 6, &ch, &err), LT_OK);
	writer_member m = mkmember("m1", "aa", evs, 2, &ch);
	writer_result res;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	blob_chunks_free(&ch);
	assert_string_equal(res.state, MEMBER_INDEXED);
	assert_int_equal(res.events_new, 2);
	assert_int_equal(replayed(f->c), 2);
	assert_int_equal(count(f->c, "SELECT count(*) FROM strs"), 2);
	assert_int_equal(count(f->c, "SELECT count(*) FROM blocks"), 1);
	assert_int_equal(count(f->c, "SELECT t_min FROM blocks"), 5); /* rows sorted by time */
	assert_int_equal(count(f->c, "SELECT t_max FROM blocks"), 10);
	assert_int_equal(count(f->c, "SELECT events FROM members WHERE path='m1'"), 2);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(case_member_content(f->c, res.member_id, &b, &err), LT_OK);
	assert_int_equal(b.len, strlen(text));
	assert_memory_equal(b.data, text, b.len);
	buf_free(&b);
}

static void writer__same_member_again__skipped(void **state)
{
	fixture *f = *state;
	event ev = mkevent("{}", "u1", 1);
	writer_member m = mkmember("m1", "aa", &ev, 1, NULL);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	assert_string_equal(res.state, "skipped");
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	assert_int_equal(count(f->c, "SELECT count(*) FROM members"), 1);
	assert_int_equal(replayed(f->c), 1);
	assert_int_equal(count(f->c, "SELECT coalesce(sum(duplicates),0) FROM members"), 0);
}

static void writer__same_bytes_other_name__duplicate_member(void **state)
{
	fixture *f = *state;
	event ev = mkevent("{}", "u1", 1);
	writer_member m1 = mkmember("a.json", "aa", &ev, 1, NULL);
	writer_member m2 = mkmember("copy/a.json", "aa", &ev, 1, NULL);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m1, &res, &err), LT_OK);
	int64_t first = res.member_id;
	assert_int_equal(writer_add_member(f->w, &m2, &res, &err), LT_OK);
	assert_string_equal(res.state, MEMBER_DUPLICATE);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT same_as FROM members WHERE path='copy/a.json'");
	assert_int_equal(count(f->c, sql), first);
	assert_int_equal(count(f->c, "SELECT count(*) FROM blocks"), 1); /* the copy stores nothing */
	assert_int_equal(replayed(f->c), 1);
}

static void writer__overlapping_events__duplicates_counted(void **state)
{
	fixture *f = *state;
	event a[2] = {mkevent("{}", "u1", 1), mkevent("{}", "u2", 2)};
	event b[2] = {mkevent("{}", "u2", 2), mkevent("{}", "u3", 3)};
	blob_chunks ch = content("{}");
	writer_member m1 = mkmember("one", "11", a, 2, &ch);
	writer_member m2 = mkmember("two", "22", b, 2, &ch);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m1, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m2, &res, &err), LT_OK);
	assert_int_equal(res.events_new, 2); /* stored; counted by writer_dedup */
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	dedup(f);
	assert_int_equal(replayed(f->c), 3);
	assert_int_equal(count(f->c, "SELECT duplicates FROM members WHERE path='two'"), 1);
	assert_int_equal(count(f->c, "SELECT events FROM members WHERE path='two'"), 1);
	assert_int_equal(count(f->c, "SELECT duplicates FROM members WHERE path='one'"), 0);
	assert_int_equal(count(f->c, "SELECT sum(duplicates) FROM dedup"), 1);
	case_totals t;
	assert_int_equal(case_get_totals(f->c, &t, &err), LT_OK);
	assert_int_equal(t.events, 3);
	assert_int_equal(t.events_cloudtrail, 3);
	assert_int_equal(t.duplicates, 1);
	/* the copy shown is the first one stored */
	replay *rp = NULL;
	const event *ev = replay_uid(f->c, "u2", &rp);
	assert_non_null(ev);
	assert_string_equal(ev->prov->member, "one");
	replay_free(rp);
	/* a third member with the same event: counted on it, not on the others */
	writer_member m3 = mkmember("three", "33", b, 1, &ch);
	assert_int_equal(writer_add_member(f->w, &m3, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	dedup(f);
	assert_int_equal(count(f->c, "SELECT duplicates FROM members WHERE path='three'"), 1);
	assert_int_equal(count(f->c, "SELECT duplicates FROM members WHERE path='two'"), 1);
	assert_int_equal(replayed(f->c), 3);
	blob_chunks_free(&ch);
}

/* Same (time, source, uid), other content: both kept, the conflict recorded
 * naming both; an exact copy with keys reordered is still a duplicate. */
static void writer__same_id_other_content__both_kept_conflict_recorded(void **state)
{
	fixture *f = *state;
	const char *t1 = "{\"eventName\":\"InvokeModel\",\"x\":1}";
	const char *t2 = "{\"eventName\":\"DeleteModelInvocationLoggingConfiguration\",\"x\":1}";
	const char *t3 = "{ \"x\" : 1, \"eventName\" : \"InvokeModel\" }";
	const char *t4 = "{\"eventName\":\"InvokeModel\",\"x\":2}";
	event e1 = mkevent(t1, "u1", 5), e2 = mkevent(t2, "u1", 5), e3 = mkevent(t3, "u1", 5), e4 = mkevent(t4, "u1", 5);
	blob_chunks c1 = content(t1), c2 = content(t2), c3 = content(t3), c4 = content(t4);
	writer_member m1 = mkmember("one", "11", &e1, 1, &c1), m2 = mkmember("two", "22", &e2, 1, &c2);
	writer_member m3 = mkmember("three", "33", &e3, 1, &c3), m4 = mkmember("four", "44", &e4, 1, &c4);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m1, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m2, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m3, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m4, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	dedup(f);
	assert_int_equal(replayed(f->c), 3); /* one, two, four */
	assert_int_equal(count(f->c, "SELECT duplicates FROM members WHERE path='three'"), 1);
	assert_int_equal(count(f->c, "SELECT count(*) FROM conflicts"), 2);
	assert_int_equal(count(f->c, "SELECT count(*) FROM conflicts k JOIN members m ON m.id = k.member_id"
	                             " JOIN members fm ON fm.id = k.first_member_id"
	                             " WHERE m.path = 'two' AND fm.path = 'one' AND k.level = 'high'"
	                             " AND k.fields = 'eventName'"),
	                 1);
	assert_int_equal(count(f->c, "SELECT count(*) FROM conflicts k JOIN members m ON m.id = k.member_id"
	                             " WHERE m.path = 'four' AND k.level = 'medium' AND k.fields = 'x'"),
	                 1);
	case_totals t;
	assert_int_equal(case_get_totals(f->c, &t, &err), LT_OK);
	assert_int_equal(t.events, 3);
	/* the replay shows the conflicting copies flagged, after the first */
	replay_filter flt;
	replay_filter_init(&flt);
	flt.uid = "u1";
	replay *rp = NULL;
	const event *ev = NULL;
	const char *want[3] = {"one", "two", "four"};
	assert_int_equal(replay_new(f->c, &flt, &rp, &err), LT_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(replay_next(rp, &ev, &err), LT_OK);
		assert_non_null(ev);
		assert_string_equal(ev->prov->member, want[i]);
		assert_int_equal(!!(ev->flags & EV_F_CONFLICT), i > 0);
		assert_int_equal(ev->tie, (uint32_t)i);
	}
	assert_int_equal(replay_next(rp, &ev, &err), LT_OK);
	assert_null(ev);
	replay_free(rp);
	blob_chunks_free(&c1);
	blob_chunks_free(&c2);
	blob_chunks_free(&c3);
	blob_chunks_free(&c4);
}

/* A copy whose content cannot be read is never dropped unseen. */
static void writer__copy_without_content__kept_as_conflict(void **state)
{
	fixture *f = *state;
	event e = mkevent("{}", "u1", 5);
	blob_chunks c = content("{}");
	writer_member m1 = mkmember("one", "11", &e, 1, &c), m2 = mkmember("two", "22", &e, 1, NULL);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m1, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m2, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	dedup(f);
	assert_int_equal(replayed(f->c), 2);
	assert_int_equal(count(f->c, "SELECT count(*) FROM conflicts WHERE fields LIKE '(content not readable:%'"), 1);
	blob_chunks_free(&c);
}

static uint64_t hash_of(const char *text)
{
	arena *a = arena_new(0, 0);
	json_value *v = NULL;
	lt_error err;
	assert_int_equal(json_parse(a, text, strlen(text), NULL, &v, NULL, &err), LT_OK);
	unsigned char h[32];
	assert_int_equal(evdup_json_hash(v, a, h), LT_OK);
	arena_free(a);
	uint64_t x = 0;
	memcpy(&x, h, sizeof x);
	return x;
}

static void evdup__canonical_hash__ignores_order_spacing_escapes_only(void **state)
{
	(void)state;
	uint64_t base = hash_of("{\"a\":\"x\",\"b\":[1,{\"c\":null,\"d\":true}]}");
	assert_true(hash_of(" { \"b\" : [ 1 , { \"d\":true, \"c\":null } ] , \"\\u0061\":\"\\u0078\" } ") == base);
	assert_true(hash_of("{\"a\":\"y\",\"b\":[1,{\"c\":null,\"d\":true}]}") != base);
	assert_true(hash_of("{\"a\":\"x\",\"b\":[{\"c\":null,\"d\":true},1]}") != base); /* array order counts */
	assert_true(hash_of("{\"a\":\"x\",\"b\":[1,{\"c\":null,\"d\":false}]}") != base);
	assert_true(hash_of("{\"a\":\"x\",\"b\":[1,{\"c\":null}]}") != base);
	assert_true(hash_of("{\"a\":\"1\"}") != hash_of("{\"a\":1}")); /* types count */
	assert_true(hash_of("{\"ab\":\"\"}") != hash_of("{\"a\":\"b\"}")); /* lengths are framed */
}

static void evdup__diff__names_fields_and_severity(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	json_value *x = NULL, *y = NULL, *z = NULL;
	lt_error err;
	const char *tx = "{\"eventName\":\"A\",\"eventVersion\":\"1\",\"readOnly\":true}";
	const char *ty = "{\"eventVersion\":\"2\",\"eventName\":\"A\",\"readOnly\":true}";
	const char *tz = "{\"eventName\":\"B\",\"tlsDetails\":{},\"readOnly\":true}";
	assert_int_equal(json_parse(a, tx, strlen(tx), NULL, &x, NULL, &err), LT_OK);
	assert_int_equal(json_parse(a, ty, strlen(ty), NULL, &y, NULL, &err), LT_OK);
	assert_int_equal(json_parse(a, tz, strlen(tz), NULL, &z, NULL, &err), LT_OK);
	char fields[EVDUP_FIELDS_MAX];
	assert_int_equal(evdup_diff(x, y, a, fields, sizeof fields), 0);
	assert_string_equal(fields, "eventVersion");
	assert_int_equal(evdup_diff(x, z, a, fields, sizeof fields), 1);
	assert_string_equal(fields, "eventName, eventVersion, tlsDetails");
	char small[16];
	assert_int_equal(evdup_diff(x, z, a, small, sizeof small), 1);
	assert_string_equal(small, "eventName...");
	arena_free(a);
}

static void writer__no_uid__content_hash_uid(void **state)
{
	fixture *f = *state;
	event a[2] = {mkevent("{\"x\":1}", "", 1), mkevent("{\"x\":1}", "", 1)};
	blob_chunks ch = content("{\"x\":1}");
	writer_member m = mkmember("one", "11", a, 2, &ch);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	dedup(f);
	assert_int_equal(count(f->c, "SELECT duplicates FROM members"), 1);
	assert_int_equal(replayed(f->c), 1);
	replay_filter flt;
	replay_filter_init(&flt);
	flt.flags = REPLAY_HEADERS_ONLY;
	replay *rp = NULL;
	const event *ev = NULL;
	assert_int_equal(replay_new(f->c, &flt, &rp, &err), LT_OK);
	assert_int_equal(replay_next(rp, &ev, &err), LT_OK);
	assert_non_null(ev);
	assert_int_equal(ev->uid.n, 71);
	assert_memory_equal(ev->uid.p, "sha256:", 7);
	replay_free(rp);
	blob_chunks_free(&ch);
}

static void writer__changed_member__problem_not_reindexed(void **state)
{
	fixture *f = *state;
	event ev = mkevent("{}", "u1", 1);
	writer_member m = mkmember("m", "aa", &ev, 1, NULL);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	snprintf(m.sha256, sizeof m.sha256, "bb");
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	assert_string_equal(res.state, "changed");
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	assert_int_equal(count(f->c, "SELECT count(*) FROM problems WHERE kind='changed'"), 1);
	assert_int_equal(count(f->c, "SELECT count(*) FROM members"), 1);
}

static void writer__uncommitted_member__gone_after_free(void **state)
{
	fixture *f = *state;
	event ev = mkevent("{}", "u1", 1);
	writer_member m = mkmember("m", "aa", &ev, 1, NULL);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	writer_free(f->w); /* as if the process died before COMMIT */
	f->w = NULL;
	assert_int_equal(count(f->c, "SELECT count(*) FROM members"), 0);
	assert_int_equal(count(f->c, "SELECT count(*) FROM blocks"), 0);
}

static void writer__problems__unique_across_runs(void **state)
{
	fixture *f = *state;
	lt_error err;
	int added = 0;
	assert_int_equal(writer_problem_add(f->w, PROBLEM_EVIDENCE, "x", "", 0, 0, "no such file", &added, &err), LT_OK);
	assert_int_equal(added, 1);
	assert_int_equal(writer_problem_add(f->w, PROBLEM_EVIDENCE, "x", "", 0, 0, "no such file", &added, &err), LT_OK);
	assert_int_equal(added, 0);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	assert_int_equal(count(f->c, "SELECT count(*) FROM problems"), 1);
}

static void writer__external_bodies__missing_flagged_then_resolved(void **state)
{
	fixture *f = *state;
	lt_error err;
	event ev = mkevent("{}", "req-1", 1);
	ev.source = EV_SRC_INVOCATION;
	const char *ref = "s3://bucket/AWSLogs/1/BedrockModelInvocationLogs/data/in.json";
	ev.input_body_ref = ev_str_from(ref, strlen(ref));
	writer_member m = mkmember("log.json", "aa", &ev, 1, NULL);
	writer_result res;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	uint64_t missing = 0;
	assert_int_equal(writer_resolve_bodies(f->w, &missing, &err), LT_OK);
	assert_int_equal(missing, 1);
	assert_int_equal(count(f->c, "SELECT count(*) FROM problems WHERE kind='missing-body'"), 1);
	assert_int_equal(count(f->c, "SELECT missing FROM body_refs"), 1);
	replay *rp = NULL;
	const event *shown = replay_uid(f->c, "req-1", &rp);
	assert_non_null(shown);
	assert_int_equal(shown->flags & EV_F_BODY_MISSING, EV_F_BODY_MISSING);
	replay_free(rp);
	/* the object arrives with later evidence */
	const char *body = "{\"inputText\":\"hi\"}";
	blob_chunks ch;
	assert_int_equal(blob_pack(body, strlen(body), NULL, 0, 6, &ch, &err), LT_OK);
	writer_member o = mkmember("export/AWSLogs/1/BedrockModelInvocationLogs/data/in.json", "cc", NULL, 0, &ch);
	o.format = "json-object";
	assert_int_equal(writer_add_member(f->w, &o, &res, &err), LT_OK);
	assert_int_equal(writer_resolve_bodies(f->w, &missing, &err), LT_OK);
	blob_chunks_free(&ch);
	assert_int_equal(missing, 0);
	assert_int_equal(count(f->c, "SELECT count(*) FROM problems WHERE kind='missing-body'"), 0);
	assert_int_equal(count(f->c, "SELECT missing FROM body_refs"), 0);
	shown = replay_uid(f->c, "req-1", &rp);
	assert_non_null(shown);
	assert_int_equal(shown->flags & EV_F_BODY_MISSING, 0);
	replay_free(rp);
	int64_t mid = 0;
	assert_int_equal(case_resolve_body(f->c, ref, strlen(ref), &mid, &err), LT_OK);
	assert_int_equal(mid, res.member_id);
	/* a key that only matches inside a path component does not resolve */
	const char *bad = "s3://b/ta/in.json";
	assert_int_equal(case_resolve_body(f->c, bad, strlen(bad), &mid, &err), LT_OK);
	assert_int_equal(mid, 0);
}

static void blob__gzip_member__kept_verbatim(void **state)
{
	(void)state;
	const char *text = "{\"Records\":[]}";
	struct libdeflate_compressor *z = libdeflate_alloc_compressor(6);
	unsigned char gz[256];
	size_t n = libdeflate_gzip_compress(z, text, strlen(text), gz, sizeof gz);
	libdeflate_free_compressor(z);
	assert_true(n > 0);
	blob_chunks ch;
	lt_error err;
	assert_int_equal(blob_pack(text, strlen(text), gz, n, 6, &ch, &err), LT_OK);
	assert_int_equal(ch.n, 1);
	assert_int_equal(ch.v[0].codec, BLOB_GZIP);
	assert_ptr_equal(ch.v[0].data, gz);
	char out[64];
	assert_int_equal(blob_unpack(BLOB_GZIP, gz, n, out, strlen(text), &err), LT_OK);
	assert_memory_equal(out, text, strlen(text));
	assert_int_equal(blob_unpack(BLOB_GZIP, gz, n - 4, out, strlen(text), &err), LT_EFILE);
	blob_chunks_free(&ch);
}

static void blob__large_text__chunked_roundtrip(void **state)
{
	(void)state;
	size_t len = BLOB_CHUNK * 2 + 12345;
	char *text = malloc(len);
	assert_non_null(text);
	for (size_t i = 0; i < len; i++)
		text[i] = (char)('a' + (i * 7919 % 26));
	blob_chunks ch;
	lt_error err;
	assert_int_equal(blob_pack(text, len, NULL, 0, 1, &ch, &err), LT_OK);
	assert_int_equal(ch.n, 3);
	char *out = malloc(BLOB_CHUNK);
	assert_non_null(out);
	for (size_t i = 0; i < ch.n; i++) {
		assert_int_equal(ch.v[i].codec, BLOB_ZLIB);
		assert_int_equal(blob_unpack(BLOB_ZLIB, ch.v[i].data, ch.v[i].size, out, (size_t)ch.v[i].length, &err),
		                 LT_OK);
		assert_memory_equal(out, text + ch.v[i].offset, (size_t)ch.v[i].length);
	}
	blob_chunks_free(&ch);
	free(out);
	free(text);
}

/* A corrupted case (found by fuzz_case): a block whose t_max is before its
 * t_min made the block span negative, and a replay from the start of time
 * computed INT64_MIN + span (signed overflow). The span is never negative;
 * the replay ends with a status. */
static void case__inverted_block_times__span_not_negative(void **state)
{
	fixture *f = *state;
	lt_error err;
	assert_int_equal(case_exec(f->c,
	                           "PRAGMA foreign_keys=OFF;"
	                           "INSERT INTO blocks(member_id, source, t_min, t_max, n, data)"
	                           " VALUES (99, 1, 1714564800000000, -9000000000000000000, 1, x'00')",
	                           &err),
	                 LT_OK);
	int64_t span = -1;
	assert_int_equal(case_block_span(f->c, &span, &err), LT_OK);
	assert_true(span >= 0);
	replay_filter rf;
	replay_filter_init(&rf);
	replay *r = NULL;
	if (replay_new(f->c, &rf, &r, &err) == LT_OK) {
		const event *ev = NULL;
		lt_status st;
		int n = 0;
		while ((st = replay_next(r, &ev, &err)) != LT_EFATAL && ev != NULL && n < 10)
			n++;
		replay_free(r);
	}
}

/* Found by fuzz_case: one strs row with a huge id made the dictionary an
 * array of that many entries (malloc of 3.5 GB for a 21 KB case). */
static void case__sparse_string_ids__refused_not_allocated(void **state)
{
	fixture *f = *state;
	lt_error err;
	assert_int_equal(case_exec(f->c, "INSERT INTO strs(id, s) VALUES (200000000, 'forged')", &err),
	                 LT_OK);
	lt_error_clear(&err);
	assert_int_equal(case_strings_refresh(f->c, &err), LT_EFATAL);
	assert_non_null(strstr(err.msg, "is damaged: string id 200000000 for "));
}

/* Past the ids the dictionary holds (CASE_DICT_IDS; 2 here), a string of any
 * length stays on disk and is read back exact when an event uses it: memory
 * for distinct values stops growing (issue 22: 16 bytes a distinct value
 * and replay grew scan past 250,000 events that each had their own user agent). */
static void case__dictionary_past_its_ids__strings_read_back_exact(void **state)
{
	fixture *f = *state;
	case_dict_ids_limit(f->c, 2);
	const char *text = "{\"a\":1}\n";
	static const char *const ua[3] = {"ua-one", "ua-two", "ua-three"};
	event evs[3] = {mkevent(text, "u1", 1), mkevent(text, "u2", 2), mkevent(text, "u3", 3)};
	for (size_t i = 0; i < 3; i++)
		evs[i].user_agent = ev_str_from(ua[i], strlen(ua[i]));
	blob_chunks ch = content(text);
	writer_member m = mkmember("m1", "aa", evs, 3, &ch);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	blob_chunks_free(&ch);
	assert_int_equal(count(f->c, "SELECT count(*) FROM strs"), 5);
	for (size_t i = 0; i < 3; i++) {
		replay *r = NULL;
		char uid[4];
		snprintf(uid, sizeof uid, "u%zu", i + 1);
		const event *ev = replay_uid(f->c, uid, &r);
		assert_non_null(ev);
		assert_int_equal(ev->user_agent.n, strlen(ua[i]));
		assert_memory_equal(ev->user_agent.p, ua[i], ev->user_agent.n);
		assert_int_equal(ev->action.n, 11);
		assert_memory_equal(ev->action.p, "InvokeModel", 11);
		replay_free(r);
	}
	int ok = 1;
	ev_str held = case_string(f->c, 1, &ok);
	assert_true(ok && held.p != NULL);
	ev_str on_disk = case_string(f->c, 5, &ok);
	assert_true(ok && on_disk.p == NULL && on_disk.n > 0);
	(void)case_string(f->c, 6, &ok);
	assert_false(ok);
}

static void case__escape_text__control_chars_escaped(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(case_escape_text(&b, "a\x1b[31m\\\n\x7f", 9), LT_OK);
	assert_string_equal(buf_cstr(&b), "a\\x1B[31m\\\\\\n\\x7F");
	buf_free(&b);
}

static void case__uuid_text__packed_and_restored(void **state)
{
	(void)state;
	unsigned char b[16];
	char out[37];
	const char *u = "3f1c0a2e-0000-4000-8000-00000000000a";
	assert_int_equal(lt_uuid_pack(u, 36, b), 1);
	lt_uuid_format(b, out);
	out[36] = '\0';
	assert_string_equal(out, u);
	assert_int_equal(lt_uuid_pack("3F1C0A2E-0000-4000-8000-00000000000A", 36, b), 0); /* would not round-trip */
	assert_int_equal(lt_uuid_pack("3f1c0a2e-0000-4000-8000-00000000000", 35, b), 0);
	assert_int_equal(lt_uuid_pack("3f1c0a2e00000-4000-8000-00000000000a", 36, b), 0);
	assert_int_equal(lt_uuid_pack("req-0001", 8, b), 0);
}

static void writer__uuid_uids__stored_packed_deduplicated_and_shown_as_text(void **state)
{
	fixture *f = *state;
	event a = mkevent("{}", "3f1c0a2e-0000-4000-8000-00000000000a", 1);
	a.request_id = ev_str_from("3f1c0a2e-0000-4000-8000-00000000000b", 36);
	blob_chunks ch = content("{}");
	writer_member m1 = mkmember("one", "11", &a, 1, &ch);
	writer_member m2 = mkmember("two", "22", &a, 1, &ch);
	writer_result res;
	lt_error err;
	assert_int_equal(writer_add_member(f->w, &m1, &res, &err), LT_OK);
	assert_int_equal(writer_add_member(f->w, &m2, &res, &err), LT_OK);
	assert_int_equal(writer_commit(f->w, &err), LT_OK);
	dedup(f);
	assert_int_equal(count(f->c, "SELECT duplicates FROM members WHERE path = 'two'"), 1);
	/* packed in the block: far smaller than the two 36-character texts */
	assert_true(count(f->c, "SELECT max(length(data)) FROM blocks") < 72);
	replay *rp = NULL;
	const event *ev = replay_uid(f->c, "3f1c0a2e-0000-4000-8000-00000000000a", &rp);
	assert_non_null(ev);
	assert_int_equal(ev->request_id.n, 36);
	assert_memory_equal(ev->request_id.p, "3f1c0a2e-0000-4000-8000-00000000000b", 36);
	replay_free(rp);
	blob_chunks_free(&ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(case__create_then_reopen__schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(case__missing_file_readonly__fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(case__foreign_sqlite_file__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(case__schema_1__refused_with_advice, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__member_with_events__stored, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__same_member_again__skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__same_bytes_other_name__duplicate_member, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__overlapping_events__duplicates_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__no_uid__content_hash_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__same_id_other_content__both_kept_conflict_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__copy_without_content__kept_as_conflict, setup, teardown),
		cmocka_unit_test(evdup__canonical_hash__ignores_order_spacing_escapes_only),
		cmocka_unit_test(evdup__diff__names_fields_and_severity),
		cmocka_unit_test_setup_teardown(writer__changed_member__problem_not_reindexed, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__uncommitted_member__gone_after_free, setup, teardown),
		cmocka_unit_test_setup_teardown(case__dictionary_past_its_ids__strings_read_back_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__problems__unique_across_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(writer__external_bodies__missing_flagged_then_resolved, setup, teardown),
		cmocka_unit_test(blob__gzip_member__kept_verbatim),
		cmocka_unit_test(blob__large_text__chunked_roundtrip),
		cmocka_unit_test_setup_teardown(case__inverted_block_times__span_not_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(case__sparse_string_ids__refused_not_allocated, setup, teardown),
		cmocka_unit_test(case__escape_text__control_chars_escaped),
		cmocka_unit_test(case__uuid_text__packed_and_restored),
		cmocka_unit_test_setup_teardown(writer__uuid_uids__stored_packed_deduplicated_and_shown_as_text, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
