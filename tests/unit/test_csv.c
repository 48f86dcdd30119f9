/*
 * test_csv.c — the streaming timeline.csv writer (reports/csv.c): exact
 * rows, RFC 4180 structure under hostile input, formula neutralisation, and
 * that rows reach the stream one at a time.
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

#include "reports/csv.h"
#include "reports/listcsv.h"
#include "tests/unit/report_fixture.h"

#define HEADER                                                                                     \
	"datetime,timestamp,timestamp_desc,message,source,uid,request_id,action,service,"          \
	"principal,access_key,account,region,source_ip,user_agent,model,error_code,"               \
	"guardrail_action,credential,input_tokens,output_tokens,latency_ms,evidence,member,line,rules,rule_ids\r\n"
#define NCOLS 27

typedef struct sink {
	FILE *f;
	char *buf;
	size_t len;
	report_csv *c;
} sink;

static void open_sink(sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
	s->c = report_csv_begin(s->f, NULL);
	assert_non_null(s->c);
}

static char *close_sink(sink *s)
{
	assert_int_equal(report_csv_end(s->c, NULL), LT_OK);
	assert_int_equal(fclose(s->f), 0);
	return s->buf;
}

static rpt_event_in full_event(void)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US;
	e.source = rpt_s("cloudtrail");
	e.uid = rpt_s("e1");
	e.request_id = rpt_s("r1");
	e.action = rpt_s("InvokeModel");
	e.service = rpt_s("bedrock.amazonaws.com");
	e.principal = rpt_s("arn:aws:iam::1:user/a");
	e.access_key = rpt_s("ASIAXXX");
	e.account = rpt_s("1");
	e.region = rpt_s("us-east-1");
	e.source_ip = rpt_s("198.51.100.7");
	e.user_agent = rpt_s("aws-cli/2, python");
	e.model = rpt_s("anthropic.claude");
	e.input_tokens = 10;
	e.output_tokens = 20;
	e.latency_ms = 300;
	e.evidence = rpt_s("ev.json.gz");
	e.member = rpt_s("m/x.json");
	e.line = 4;
	return e;
}

/* Splits one RFC 4180 record starting at *p; returns the field count and
 * advances *p past the CRLF. Fails the test on a malformed record. */
static size_t parse_record(const char **p, char fields[][512], size_t max)
{
	size_t nf = 0;
	const char *s = *p;
	for (;;) {
		size_t n = 0;
		char *f = fields[nf < max ? nf : max - 1];
		if (*s == '"') {
			s++;
			for (;;) {
				assert_true(*s != '\0');
				if (*s == '"' && s[1] == '"') {
					s += 2;
					if (n < 511)
						f[n++] = '"';
				} else if (*s == '"') {
					s++;
					break;
				} else {
					if (n < 511)
						f[n++] = *s;
					s++;
				}
			}
		} else {
			while (*s != ',' && *s != '\r' && *s != '\0') {
				assert_true(*s != '"' && *s != '\n');
				if (n < 511)
					f[n++] = *s;
				s++;
			}
		}
		f[n] = '\0';
		nf++;
		if (*s == ',') {
			s++;
			continue;
		}
		assert_true(s[0] == '\r' && s[1] == '\n');
		*p = s + 2;
		return nf;
	}
}

static void csv__row__exact_columns(void **state)
{
	(void)state;
	sink s;
	open_sink(&s);
	rpt_event_in e = full_event();
	rpt_str rules[] = {rpt_s("r-a"), rpt_s("r-b")};
	assert_int_equal(report_csv_row(s.c, &e, rules, 2, NULL), LT_OK);
	char *out = close_sink(&s);
	assert_string_equal(out, HEADER
	                    "2024-05-01T12:00:00.000000Z,1714564800000000,Event Time,InvokeModel by "
	                    "arn:aws:iam::1:user/a from 198.51.100.7 on anthropic.claude,cloudtrail,e1,r1,"
	                    "InvokeModel,bedrock.amazonaws.com,arn:aws:iam::1:user/a,ASIAXXX,1,us-east-1,"
	                    "198.51.100.7,\"aws-cli/2, python\",anthropic.claude,,,,10,20,300,ev.json.gz,"
	                    "m/x.json,4,r-a;r-b,r-a;r-b\r\n");
	free(out);
}

static void csv__absent_fields__empty_cells(void **state)
{
	(void)state;
	sink s;
	open_sink(&s);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = INT64_MIN;
	e.source = rpt_s("invocation");
	assert_int_equal(report_csv_row(s.c, &e, NULL, 0, NULL), LT_OK);
	char *out = close_sink(&s);
	assert_string_equal(out, HEADER ",,Invocation Time,(event),invocation,,,,,,,,,,,,,,,,,,,,,,\r\n");
	free(out);
}

static void csv__formula__neutralised_exactly(void **state)
{
	(void)state;
	sink s;
	open_sink(&s);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US;
	e.source = rpt_s("cloudtrail");
	e.action = rpt_s("=cmd|' /C calc'!A0");
	e.principal = rpt_s("@SUM(1+1)*cmd|' /C calc'!A0");
	e.user_agent = rpt_s("-2+3+cmd|' /C calc'!A0");
	e.model = rpt_s("+cmd|' /C calc'!A0");
	assert_int_equal(report_csv_row(s.c, &e, NULL, 0, NULL), LT_OK);
	char *out = close_sink(&s);
	assert_string_equal(out, HEADER
	                    "2024-05-01T12:00:00.000000Z,1714564800000000,Event Time,"
	                    "\"'=cmd|' /C calc'!A0 by @SUM(1+1)*cmd|' /C calc'!A0 on +cmd|' /C calc'!A0\","
	                    "cloudtrail,,,\"'=cmd|' /C calc'!A0\",,\"'@SUM(1+1)*cmd|' /C calc'!A0\",,,,,"
	                    "\"'-2+3+cmd|' /C calc'!A0\",\"'+cmd|' /C calc'!A0\",,,,,,,,,,,\r\n");
	free(out);
}

static void csv__hostile__every_record_well_formed(void **state)
{
	(void)state;
	sink s;
	open_sink(&s);
	for (size_t i = 0; i < fixture_npayloads; i++) {
		rpt_event_in e = full_event();
		rpt_str p = rpt_s(fixture_payloads[i]);
		if (i == 7)
			p.n = 13; /* the payload with a NUL byte inside */
		e.action = e.principal = e.user_agent = e.evidence = e.member = e.uid = p;
		assert_int_equal(report_csv_row(s.c, &e, &p, 1, NULL), LT_OK);
	}
	char *out = close_sink(&s);
	static char fields[NCOLS + 2][512];
	const char *p = out;
	assert_int_equal(parse_record(&p, fields, NCOLS + 2), NCOLS);
	size_t rows = 0;
	while (*p) {
		assert_int_equal(parse_record(&p, fields, NCOLS + 2), NCOLS);
		for (size_t f = 0; f < NCOLS; f++) {
			assert_true(strchr("=+-@\t\r", fields[f][0]) == NULL || fields[f][0] == '\0');
			assert_null(strstr(fields[f], "\xE2\x80\xAE"));
			for (const unsigned char *c = (const unsigned char *)fields[f]; *c; c++)
				assert_true(*c >= 0x20 || *c == '\n' || *c == '\t');
		}
		rows++;
	}
	assert_int_equal(rows, fixture_npayloads);
	assert_non_null(strstr(out, ",\"'=cmd|' /C calc'!A0\","));
	assert_non_null(strstr(out, ",nul\\x00ctl\\x01\\x1B[31m,"));
	assert_non_null(strstr(out, ",bad\\xFF\\xFE\\xC0\\xAFutf8,"));
	assert_non_null(strstr(out, ",evil\\u202Etxt.exe\\u2066iso\\u2069,"));
	free(out);
}

static void csv__rows__reach_the_stream_before_end(void **state)
{
	(void)state;
	sink s;
	open_sink(&s);
	rpt_event_in e = full_event();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(report_csv_row(s.c, &e, NULL, 0, NULL), LT_OK);
		assert_int_equal(fflush(s.f), 0);
		/* the memstream holds every row written so far: nothing is held back */
		size_t rows = 0;
		for (size_t k = 0; k + 1 < s.len; k++)
			rows += s.buf[k] == '\r' && s.buf[k + 1] == '\n';
		assert_int_equal(rows, (size_t)i + 2);
	}
	free(close_sink(&s));
}

static void csv__rules_column__from_report(void **state)
{
	(void)state;
	report *r = fixture_plain();
	sink s;
	open_sink(&s);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US;
	e.source = rpt_s("invocation");
	e.uid = rpt_s("req-1");
	assert_int_equal(report_csv_row_from(s.c, r, &e, NULL), LT_OK);
	e.uid = rpt_s("req-9");
	assert_int_equal(report_csv_row_from(s.c, r, &e, NULL), LT_OK);
	char *out = close_sink(&s);
	assert_non_null(strstr(out, ",req-1,,,,,,,,,,,,,,,,,,,,AWS access key in a prompt (high);Repeated AccessDenied on Bedrock "
	                            "(critical),aws-key-in-prompt;bedrock-access-denied\r\n"));
	assert_non_null(strstr(out, ",req-9,,,,,,,,,,,,,,,,,,,,,\r\n"));
	free(out);
	report_free(r);
}

/* integrity.csv and custody.csv: a header, every row, formulas neutralised. */
static void listcsv__fixture__every_row_escaped(void **state)
{
	(void)state;
	report *r = fixture_plain();
	assert_non_null(r);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(report_add_integrity(r, "=HYPERLINK(\"x\")", "hash", RPT_CHECK_UNVERIFIABLE, "a,b", &e), LT_OK);
	lt_status st = LT_EFATAL;
	char *out = fixture_render(report_write_integrity_csv, r, &st);
	assert_int_equal(st, LT_OK);
	assert_int_equal(strncmp(out, "object,check,status,detail\r\n", 28), 0);
	assert_int_equal(fixture_count(out, "\r\n"), 1 + report_nintegrity(r));
	assert_non_null(strstr(out, "\"'=HYPERLINK(\"\"x\"\")\",hash,unverifiable,\"a,b\"\r\n"));
	assert_non_null(strstr(out, "x.json.gz,hash,invalid,"));
	free(out);
	out = fixture_render(report_write_custody_csv, r, &st);
	assert_int_equal(st, LT_OK);
	const char *head = "evidence,member,format,bytes,sha256,sha256_decompressed,events,duplicates,problems\r\n";
	assert_int_equal(strncmp(out, head, strlen(head)), 0);
	assert_int_equal(fixture_count(out, "\r\n"), 1 + report_nevidence(r));
	assert_non_null(strstr(out, ",cloudtrail,2048,a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90,"
	                            "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100,1200,3,1\r\n"));
	free(out);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv__row__exact_columns),
		cmocka_unit_test(csv__absent_fields__empty_cells),
		cmocka_unit_test(csv__formula__neutralised_exactly),
		cmocka_unit_test(csv__hostile__every_record_well_formed),
		cmocka_unit_test(csv__rows__reach_the_stream_before_end),
		cmocka_unit_test(csv__rules_column__from_report),
		cmocka_unit_test(listcsv__fixture__every_row_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
