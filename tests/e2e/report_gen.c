/*
 * report_gen.c — writes every report format for one of the test fixtures, so
 * that shell tests (report_xss.sh, junit_schema.sh, findings_schema.sh) can
 * check the files with outside tools (Chromium, xmllint, a JSON Schema).
 *
 *   report_gen plain|hostile|many OUTDIR
 *
 * Writes OUTDIR/report.html, junit.xml, findings.jsonl, timeline.csv and
 * summary.md. The CSV holds one row per fixture payload (as event fields).
 * Exit 0 on success, 1 on failure (message on stderr).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "reports/csv.h"
#include "reports/html.h"
#include "reports/jsonl.h"
#include "reports/junit.h"
#include "reports/markdown.h"
#include "tests/unit/report_fixture.h"

typedef lt_status (*writer)(const report *, FILE *, lt_error *);

static int write_one(const char *dir, const char *name, writer fn, const report *r)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	lt_error err;
	lt_error_clear(&err);
	lt_status st = fn(r, f, &err);
	if (fclose(f) != 0 || st != LT_OK) {
		fprintf(stderr, "report_gen: %s: %s\n", name, err.msg);
		return 1;
	}
	return 0;
}

static int write_csv(const char *dir, report *r)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/timeline.csv", dir);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	lt_error err;
	lt_error_clear(&err);
	report_csv *c = report_csv_begin(f, &err);
	lt_status st = c ? LT_OK : LT_EFATAL;
	for (size_t i = 0; i < fixture_npayloads && st == LT_OK; i++) {
		rpt_event_in e;
		rpt_event_init(&e);
		rpt_str p = rpt_s(fixture_payloads[i]);
		e.time_us = FIXTURE_RUN_US + (int64_t)i * 1000000;
		e.source = rpt_s("invocation");
		e.uid = rpt_s("req-0");
		e.action = p;
		e.principal = p;
		e.user_agent = p;
		e.evidence = p;
		e.line = i + 1;
		st = report_csv_row_from(c, r, &e, &err);
	}
	if (report_csv_end(c, &err) != LT_OK)
		st = LT_EFILE;
	if (fclose(f) != 0 || st != LT_OK) {
		fprintf(stderr, "report_gen: timeline.csv: %s\n", err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: report_gen plain|hostile|many OUTDIR\n");
		return 1;
	}
	report *r = strcmp(argv[1], "plain") == 0     ? fixture_plain()
	            : strcmp(argv[1], "hostile") == 0 ? fixture_hostile()
	            : strcmp(argv[1], "many") == 0    ? fixture_many(10000, 40)
	                                              : NULL;
	if (r == NULL) {
		fprintf(stderr, "report_gen: cannot build fixture %s\n", argv[1]);
		return 1;
	}
	int rc = write_one(argv[2], "report.html", report_write_html, r) |
	         write_one(argv[2], "junit.xml", report_write_junit, r) |
	         write_one(argv[2], "findings.jsonl", report_write_jsonl, r) |
	         write_one(argv[2], "summary.md", report_write_markdown, r) | write_csv(argv[2], r);
	report_free(r);
	return rc;
}
