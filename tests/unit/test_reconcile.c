/*
 * test_reconcile.c — CloudTrail <-> invocation-log reconciliation
 * (analyzers/audit/reconcile.c).
 *
 * A synthetic export is written in the real formats (CloudTrail Records
 * files, invocation-log JSON Lines) and indexed into a case in a temp dir:
 * steady traffic every 5 minutes for two days, each call in both sources,
 * then the tamperings under test — a stretch where the invocation log is
 * silent while CloudTrail records the calls, a call whose request ids differ
 * but whose principal/model/time agree (weak match), an invocation record
 * with no CloudTrail call, and a stretch with no CloudTrail at all.
 * The demo case is reconciled too: its story has the logging-off window.
 * Cases are built through the indexer (store/writer.h), never by SQL on the
 * index, and reconcile reads them back only through the replay.
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

#include "analyzers/audit/reconcile.h"
#include "common/ltime.h"
#include "model/report.h"
#include "store/case.h"
#include "store/indexer.h"
#include "store/replay.h"

#define ACCT "111122223333"
#define ARN "arn:aws:iam::" ACCT ":user/app"
#define MODEL "anthropic.claude-3-haiku-20240307-v1:0"
#define MIN_US (60LL * 1000000LL)

static char dir[256];

static void iso(int64_t us, char out[LTIME_BUFSZ])
{
	ltime_format(us, 0, out);
}

static void ct_record(FILE *f, int first, int64_t t, const char *req, const char *eid)
{
	char ts[LTIME_BUFSZ];
	iso(t, ts);
	fprintf(f,
	        "%s{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"" ARN "\"},"
	        "\"eventTime\":\"%s\",\"eventSource\":\"bedrock.amazonaws.com\",\"eventName\":\"InvokeModel\","
	        "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"10.0.0.1\",\"userAgent\":\"app\","
	        "\"requestParameters\":{\"modelId\":\"" MODEL "\"},\"responseElements\":null,"
	        "\"requestID\":\"%s\",\"eventID\":\"%s\",\"readOnly\":true,\"eventType\":\"AwsApiCall\","
	        "\"managementEvent\":true,\"recipientAccountId\":\"" ACCT "\",\"eventCategory\":\"Management\"}",
	        first ? "" : ",", ts, req, eid);
}

static void inv_record(FILE *f, int64_t t, const char *req)
{
	char ts[LTIME_BUFSZ];
	iso(t, ts);
	fprintf(f,
	        "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\"%s\","
	        "\"accountId\":\"" ACCT "\",\"identity\":{\"arn\":\"" ARN "\"},\"region\":\"us-east-1\","
	        "\"requestId\":\"%s\",\"operation\":\"InvokeModel\",\"modelId\":\"" MODEL "\","
	        "\"input\":{\"inputContentType\":\"application/json\",\"inputBodyJson\":{\"prompt\":\"hi\"},"
	        "\"inputTokenCount\":10},\"output\":{\"outputContentType\":\"application/json\","
	        "\"outputBodyJson\":{\"completion\":\"ok\"},\"outputTokenCount\":5}}\n",
	        ts, req);
}

/* Two days from 2026-02-01, a call every 5 minutes, with:
 *   day 2 10:00-11:00  invocation log silent (12 calls only in CloudTrail)
 *   day 2 12:02        request ids differ, weak match (2 s apart)
 *   day 2 13:01        invocation record without CloudTrail call
 *   day 2 15:00-19:00  no CloudTrail at all (invocation logs go on) */
static void write_export_from(const char *root, int log_from_hour)
{
	mkdir(root, 0700);
	char path[512];
	snprintf(path, sizeof path, "%s/ct.json", root);
	FILE *ct = fopen(path, "w");
	snprintf(path, sizeof path, "%s/inv.jsonl", root);
	FILE *inv = fopen(path, "w");
	assert_non_null(ct);
	assert_non_null(inv);
	int64_t t0;
	assert_int_equal(ltime_parse("2026-02-01T00:00:00Z", 20, &t0), LT_OK);
	fputs("{\"Records\":[", ct);
	int first = 1;
	for (int i = 0; i < 2 * 24 * 12; i++) {
		int64_t t = t0 + (int64_t)i * 5 * MIN_US;
		int64_t day2 = t - t0 - 24 * 60 * MIN_US;
		char req[64], eid[64];
		snprintf(req, sizeof req, "req-%04d", i);
		snprintf(eid, sizeof eid, "ev-%04d", i);
		int no_log = (day2 >= 10 * 60 * MIN_US && day2 < 11 * 60 * MIN_US) ||
		             t - t0 < (int64_t)log_from_hour * 60 * MIN_US;
		int no_ct = day2 >= 15 * 60 * MIN_US && day2 < 19 * 60 * MIN_US;
		if (!no_ct) {
			ct_record(ct, first, t, req, eid);
			first = 0;
		}
		if (day2 == 12 * 60 * MIN_US) {
			inv_record(inv, t + 2000000, "other-id"); /* weak match */
			continue;
		}
		if (!no_log)
			inv_record(inv, t, req);
	}
	inv_record(inv, t0 + (24 + 13) * 60 * MIN_US + MIN_US, "orphan");
	if (log_from_hour > 0) { /* the configuration that switched it on */
		char ts[LTIME_BUFSZ];
		iso(t0 + (int64_t)log_from_hour * 60 * MIN_US - MIN_US, ts);
		fprintf(ct,
		        ",{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"" ARN "\"},"
		        "\"eventTime\":\"%s\",\"eventSource\":\"bedrock.amazonaws.com\","
		        "\"eventName\":\"PutModelInvocationLoggingConfiguration\",\"awsRegion\":\"us-east-1\","
		        "\"sourceIPAddress\":\"10.0.0.1\",\"userAgent\":\"app\",\"requestID\":\"put-1\","
		        "\"eventID\":\"put-ev-1\",\"readOnly\":false,\"eventType\":\"AwsApiCall\","
		        "\"managementEvent\":true,\"recipientAccountId\":\"" ACCT "\"}",
		        ts);
	}
	fputs("]}\n", ct);
	fclose(ct);
	fclose(inv);
}

static void write_export(const char *root)
{
	write_export_from(root, 0);
}

static case_db *index_case(const char *root, const char *name)
{
	char casepath[512];
	snprintf(casepath, sizeof casepath, "%s/%s", dir, name);
	const char *paths[1] = {root};
	indexer_options o;
	indexer_options_init(&o);
	o.jobs = 1;
	indexer_stats st;
	lt_error err;
	assert_int_equal(indexer_run(casepath, paths, 1, &o, &st, &err), LT_OK);
	case_db *c = NULL;
	assert_int_equal(case_open(casepath, CASE_READONLY, &c, &err), LT_OK);
	return c;
}

static const reconcile_window *find_kind(const reconcile_result *r, reconcile_kind k, size_t nth)
{
	for (size_t i = 0; i < reconcile_nwindows(r); i++) {
		const reconcile_window *w = reconcile_window_at(r, i);
		if (w->kind == k && nth-- == 0)
			return w;
	}
	return NULL;
}

/* find_kind that fails the test when absent (and never hands back NULL). */
static const reconcile_window *must(const reconcile_window *w)
{
	static const reconcile_window none;
	assert_non_null(w);
	return w ? w : &none;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_reconcile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int str_is(rpt_str s, const char *want)
{
	return s.n == strlen(want) && (s.n == 0 || memcmp(s.p, want, s.n) == 0);
}

/* The 12 calls of day 2 10:00-10:55 (i = 408..419), read back with their
 * provenance, in time order. */
static void check_logging_gap_events(const rpt_finding *f)
{
	assert_true(f->nevents >= 1);
	for (size_t k = 0; k < f->nevents; k++) {
		const rpt_event *e = &f->events[k];
		char uid[32];
		snprintf(uid, sizeof uid, "ev-%04zu", 408 + k);
		assert_true(str_is(e->uid, uid));
		assert_true(str_is(e->source, "cloudtrail"));
		assert_true(str_is(e->action, "InvokeModel"));
		assert_true(str_is(e->principal, ARN));
		assert_true(str_is(e->member, "ct.json")); /* inside the evidence folder */
		assert_true(e->evidence.n > 3 && memcmp(e->evidence.p + e->evidence.n - 3, "/ev", 3) == 0);
		assert_int_equal(e->member_sha256.n, 64);
		assert_int_equal(e->line, 409 + k); /* 1-based record ordinal in ct.json */
	}
}

/* A call with two invocation records equally near (2 s before and after) and
 * no request-id match: the weak match takes the one stored first (file
 * order), the other is left without call. */
/* A window's "matched" counts the matched calls of its account/region from its
 * first unmatched call's time to its last one's, both ends included, whatever
 * the order of the calls that share those times (the join counts them as it
 * lets them go, so the calls at the edges are the ones to get right). */
static void reconcile__window_matched__calls_at_its_edges_counted(void **state)
{
	(void)state;
	char root[300], path[400];
	snprintf(root, sizeof root, "%s/edges", dir);
	mkdir(root, 0700);
	int64_t t0;
	assert_int_equal(ltime_parse("2026-02-01T00:00:00Z", 20, &t0), LT_OK);
	snprintf(path, sizeof path, "%s/ct.json", root);
	FILE *ct = fopen(path, "w");
	assert_non_null(ct);
	fputs("{\"Records\":[", ct);
	ct_record(ct, 1, t0 - 5 * MIN_US, "m-before", "ev-1"); /* matched, before the window */
	ct_record(ct, 0, t0, "u0", "ev-9");                    /* unmatched, stored before ... */
	ct_record(ct, 0, t0, "m0", "ev-2");                    /* ... a matched call of its time */
	ct_record(ct, 0, t0 + 5 * MIN_US, "m1", "ev-3");
	ct_record(ct, 0, t0 + 10 * MIN_US, "m2", "ev-8");      /* matched, stored before ... */
	ct_record(ct, 0, t0 + 10 * MIN_US, "u1", "ev-4");      /* ... the window's last call */
	ct_record(ct, 0, t0 + 15 * MIN_US, "m3", "ev-5");      /* matched, after the window */
	fputs("]}\n", ct);
	fclose(ct);
	snprintf(path, sizeof path, "%s/inv.jsonl", root);
	FILE *inv = fopen(path, "w");
	assert_non_null(inv);
	inv_record(inv, t0 - 5 * MIN_US, "m-before");
	inv_record(inv, t0, "m0");
	inv_record(inv, t0 + 5 * MIN_US, "m1");
	inv_record(inv, t0 + 10 * MIN_US, "m2");
	inv_record(inv, t0 + 15 * MIN_US, "m3");
	fclose(inv);
	case_db *c = index_case(root, "edges.case");
	reconcile_result *r = NULL;
	lt_error err;
	assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
	const reconcile_summary *s = reconcile_get_summary(r);
	assert_int_equal(s->matched_request, 5);
	assert_int_equal(s->ct_only, 2);
	const reconcile_window *w = must(find_kind(r, RECONCILE_CT_ONLY, 0));
	assert_int_equal(w->count, 2);
	assert_true(w->first_us == t0);
	assert_true(w->last_us == t0 + 10 * MIN_US);
	assert_int_equal(w->matched, 3); /* m0, m1, m2 */
	assert_null(find_kind(r, RECONCILE_CT_ONLY, 1));
	reconcile_result_free(r);
	case_close(c);
}

static void reconcile__weak_tie__first_stored_wins(void **state)
{
	(void)state;
	char root[300], path[400];
	snprintf(root, sizeof root, "%s/tie", dir);
	mkdir(root, 0700);
	int64_t t0;
	assert_int_equal(ltime_parse("2026-02-01T00:00:00Z", 20, &t0), LT_OK);
	int64_t t1 = t0 + 10 * MIN_US;
	snprintf(path, sizeof path, "%s/ct.json", root);
	FILE *ct = fopen(path, "w");
	assert_non_null(ct);
	fputs("{\"Records\":[", ct);
	ct_record(ct, 1, t0, "req-a", "ev-a");
	ct_record(ct, 0, t1, "req-b", "ev-b");
	fputs("]}\n", ct);
	fclose(ct);
	snprintf(path, sizeof path, "%s/inv.jsonl", root);
	FILE *inv = fopen(path, "w");
	assert_non_null(inv);
	inv_record(inv, t0, "req-a");
	inv_record(inv, t1 + 2000000, "x-after"); /* stored first */
	inv_record(inv, t1 - 2000000, "x-before");
	fclose(inv);
	case_db *c = index_case(root, "tie.case");
	reconcile_result *r = NULL;
	lt_error err;
	assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
	const reconcile_summary *s = reconcile_get_summary(r);
	assert_int_equal(s->matched_request, 1);
	assert_int_equal(s->matched_weak, 1);
	assert_int_equal(s->ct_only, 0);
	assert_int_equal(s->inv_only, 1);
	const reconcile_window *w = must(find_kind(r, RECONCILE_INV_ONLY, 0));
	assert_int_equal(w->count, 1);
	assert_true(w->first_us == t1 - 2000000);
	report *rep = report_new(NULL);
	assert_int_equal(reconcile_add_to_report(r, c, rep, &err), LT_OK);
	size_t seen = 0;
	for (size_t i = 0; i < report_nfindings(rep); i++) {
		const rpt_finding *f = report_finding(rep, i);
		if (strstr(report_rule(rep, f->rule)->id.p, "cloudtrail-missing") == NULL)
			continue;
		seen++;
		assert_int_equal(f->nevents, 1);
		assert_true(str_is(f->events[0].uid, "x-before"));
		assert_true(str_is(f->events[0].source, "invocation"));
		assert_int_equal(f->events[0].line, 3);
	}
	assert_int_equal(seen, 1);
	report_free(rep);
	reconcile_result_free(r);
	case_close(c);
}

static void reconcile__synthetic__windows_found(void **state)
{
	(void)state;
	char root[300];
	snprintf(root, sizeof root, "%s/ev", dir);
	write_export(root);
	case_db *c = index_case(root, "syn.case");
	reconcile_result *r = NULL;
	lt_error err;
	assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
	const reconcile_summary *s = reconcile_get_summary(r);
	assert_true(reconcile_applicable(r));
	assert_int_equal(s->ct_calls, 576 - 48);
	assert_int_equal(s->ct_only, 12);
	assert_int_equal(s->matched_weak, 1);
	assert_int_equal(s->matched_request, 576 - 48 - 12 - 1);
	assert_int_equal(s->inv_only, 1);            /* the orphan */
	assert_int_equal(s->inv_only_uncovered, 48); /* records while CloudTrail is silent */

	const reconcile_window *w = must(find_kind(r, RECONCILE_CT_ONLY, 0));
	char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
	iso(w->first_us, a);
	iso(w->last_us, b);
	assert_non_null(w->ids);
	for (size_t k = 1; w->ids && k < w->count; k++)
		assert_true(w->ids[k] > w->ids[k - 1]); /* replay ordinals, in time order */
	assert_string_equal(a, "2026-02-02T10:00:00Z");
	assert_string_equal(b, "2026-02-02T10:55:00Z");
	assert_int_equal(w->count, 12);
	assert_int_equal(w->matched, 0);
	assert_string_equal(w->account, ACCT);
	assert_string_equal(w->region, "us-east-1");
	assert_null(find_kind(r, RECONCILE_CT_ONLY, 1));

	w = must(find_kind(r, RECONCILE_INV_ONLY, 0));
	assert_int_equal(w->count, 1);

	w = must(find_kind(r, RECONCILE_GAP_CT, 0));
	iso(w->first_us, a);
	iso(w->last_us, b);
	assert_string_equal(a, "2026-02-02T14:55:00Z");
	assert_string_equal(b, "2026-02-02T19:00:00Z");
	assert_null(find_kind(r, RECONCILE_GAP_CT, 1));
	/* the silent invocation log is also a coverage gap (12 records an hour, and day 1 had them) */
	w = must(find_kind(r, RECONCILE_GAP_INV, 0));
	iso(w->first_us, a);
	iso(w->last_us, b);
	assert_string_equal(a, "2026-02-02T09:55:00Z");
	assert_string_equal(b, "2026-02-02T11:00:00Z");
	assert_null(find_kind(r, RECONCILE_GAP_INV, 1));

	/* report: the logging gap is a high finding with 12 events */
	report *rep = report_new(NULL);
	assert_int_equal(reconcile_add_to_report(r, c, rep, &err), LT_OK);
	size_t high = 0;
	for (size_t i = 0; i < report_nfindings(rep); i++) {
		const rpt_finding *f = report_finding(rep, i);
		const rpt_rule *ru = report_rule(rep, f->rule);
		if (ru->level == RPT_LEVEL_HIGH && strstr(ru->id.p, "invocation-logging-gap")) {
			high++;
			assert_int_equal(f->count, 12);
			check_logging_gap_events(f);
		}
	}
	assert_int_equal(high, 1);
	assert_true(report_ntables(rep) >= 1);
	report_free(rep);

	buf out;
	buf_init(&out, 0);
	assert_int_equal(reconcile_write(r, "json", &out), LT_OK);
	assert_non_null(strstr(buf_cstr(&out), "\"ct_only\":12"));
	buf_free(&out);
	reconcile_result_free(r);
	reconcile_result_free(NULL);
	/* the read-only case is still read-only and the temp tables are emptied */
	assert_int_equal(case_exec(c, "CREATE TABLE x(y)", &err), LT_EFATAL);
	assert_int_equal(case_exec(c, "INSERT INTO temp.rc_ct(id) SELECT 1 WHERE (SELECT count(*) FROM temp.rc_ct) > 0",
	                           &err),
	                 LT_EFATAL); /* query_only is back on */
	case_close(c);
}

/* Invocation logging configured (PutModelInvocationLoggingConfiguration) at
 * 02:59 of day 1, the export's first records after it: the calls before are
 * not "logging switched off" (nothing shows it was on), a low finding; the
 * day-2 10:00 window after records had flowed stays high. */
static void reconcile__calls_before_logging_seen__low(void **state)
{
	(void)state;
	char root[300];
	snprintf(root, sizeof root, "%s/late", dir);
	write_export_from(root, 3);
	case_db *c = index_case(root, "late.case");
	reconcile_result *r = NULL;
	lt_error err;
	assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
	report *rep = report_new(NULL);
	assert_int_equal(reconcile_add_to_report(r, c, rep, &err), LT_OK);
	size_t high = 0, before = 0;
	for (size_t i = 0; i < report_nfindings(rep); i++) {
		const rpt_finding *f = report_finding(rep, i);
		const rpt_rule *ru = report_rule(rep, f->rule);
		if (ru->level == RPT_LEVEL_HIGH && strstr(ru->id.p, "invocation-logging-gap"))
			high++;
		if (str_is(ru->id, "llmtrail-reconcile-calls-before-logging-seen")) {
			before++;
			assert_int_equal(ru->level, RPT_LEVEL_LOW);
			assert_int_equal(f->count, 36);
		}
	}
	assert_int_equal(high, 1);
	assert_int_equal(before, 1);
	report_free(rep);
	reconcile_result_free(r);
	case_close(c);
}

static void reconcile__during_replay__works(void **state)
{
	(void)state;
	char root[300];
	snprintf(root, sizeof root, "%s/ev2", dir);
	write_export(root);
	case_db *c = index_case(root, "syn2.case");
	replay_filter f;
	replay_filter_init(&f);
	f.flags = REPLAY_HEADERS_ONLY;
	replay *rp = NULL;
	const event *ev = NULL;
	lt_error err;
	assert_int_equal(replay_new(c, &f, &rp, &err), LT_OK);
	assert_int_equal(replay_next(rp, &ev, &err), LT_OK);
	size_t n = 1;
	for (int round = 0; round < 2; round++) { /* twice: the tables are reused */
		reconcile_result *r = NULL;
		assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
		assert_int_equal(reconcile_get_summary(r)->ct_only, 12);
		reconcile_result_free(r);
	}
	while (replay_next(rp, &ev, &err) == LT_OK && ev != NULL)
		n++;
	assert_int_equal(n, (576 - 48) + (576 - 12) + 1);
	replay_free(rp);
	case_close(c);
}

/* Agent, knowledge base, flow and guardrail data events (and knowledge base
 * logs) expect no invocation record: only the Converse call among them is one
 * without its record. The evidence is the ingest-cwlogs golden's folder. */
static void reconcile__data_events__not_calls_without_record(void **state)
{
	(void)state;
	const char *src = getenv("LLMTRAIL_SRCDIR");
	if (src == NULL)
		skip();
	char root[600];
	snprintf(root, sizeof root, "%s/testdata/evidence/cwlogs", src);
	case_db *c = index_case(root, "data-events.case");
	reconcile_result *r = NULL;
	lt_error err;
	assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
	const reconcile_summary *s = reconcile_get_summary(r);
	assert_int_equal(s->ct_only, 1);
	const reconcile_window *w = must(find_kind(r, RECONCILE_CT_ONLY, 0));
	assert_int_equal(w->count, 1);
	char a[LTIME_BUFSZ];
	iso(w->first_us, a);
	assert_string_equal(a, "2024-05-01T13:40:25Z"); /* the API-key Converse call */
	reconcile_result_free(r);
	case_close(c);
}

static void reconcile__demo__logging_off_window(void **state)
{
	(void)state;
	const char *src = getenv("LLMTRAIL_SRCDIR");
	if (src == NULL)
		skip();
	char root[600];
	snprintf(root, sizeof root, "%s/testdata/demo/acme-central-audit-logs", src);
	case_db *c = index_case(root, "demo.case");
	reconcile_result *r = NULL;
	lt_error err;
	assert_int_equal(reconcile_case(c, NULL, &r, &err), LT_OK);
	/* README story 2: calls with CloudTrail records and no invocation log from 02:29 */
	const reconcile_window *w = must(find_kind(r, RECONCILE_CT_ONLY, 0));
	char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
	iso(w->first_us, a);
	iso(w->last_us, b);
	assert_true(strcmp(a, "2026-03-10T02:29:00Z") >= 0 && strcmp(a, "2026-03-10T02:35:00Z") < 0);
	assert_true(strcmp(b, "2026-03-10T03:31:00Z") <= 0);
	assert_int_equal(w->count, 24);
	/* story 3: no CloudTrail records 03:31-08:55 */
	w = must(find_kind(r, RECONCILE_GAP_CT, 0));
	iso(w->first_us, a);
	iso(w->last_us, b);
	assert_string_equal(a, "2026-03-10T03:31:00Z");
	assert_string_equal(b, "2026-03-10T08:55:00Z");
	reconcile_result_free(r);
	case_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reconcile__synthetic__windows_found),
		cmocka_unit_test(reconcile__calls_before_logging_seen__low),
		cmocka_unit_test(reconcile__during_replay__works),
		cmocka_unit_test(reconcile__weak_tie__first_stored_wins),
		cmocka_unit_test(reconcile__window_matched__calls_at_its_edges_counted),
		cmocka_unit_test(reconcile__demo__logging_off_window),
		cmocka_unit_test(reconcile__data_events__not_calls_without_record),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
