/*
 * test_sigma_sql.c — Sigma rules to SQL: the text of each construct per
 * dialect, and every rule left out says why. Rules are written to a temp
 * file (the compiler re-reads rule files, as `llmtrail sql` does).
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
#include <unistd.h>

#include "analyzers/sigma/sigma.h"
#include "analyzers/sigma/sigma_sql.h"

#define CT_HEAD "title: T\nid: r1\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\n"
#define INV_HEAD "title: T\nid: r1\nlevel: high\nlogsource: {product: aws, service: bedrock_invocation}\n"

/* Compiles rule text for dialect d; returns the script (caller frees) and
 * the number of skipped rules in *nskip, the first reason in why. */
static char *script(const char *text, sigma_sql_dialect d, size_t *nskip, char *why, size_t whyn)
{
	char path[] = "/tmp/test_sigma_sql_XXXXXX.yml";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_path(rs, path, &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	sigma_sql *q = NULL;
	assert_int_equal(sigma_sql_compile(rs, d, &q, &err), LT_OK);
	*nskip = sigma_sql_nskipped(q);
	if (why != NULL)
		snprintf(why, whyn, "%s", *nskip ? sigma_sql_skipped_reason(q, 0) : "");
	buf b;
	buf_init(&b, SIGMA_SQL_MAX_SCRIPT);
	assert_int_equal(sigma_sql_write(q, "/ev", &b), LT_OK);
	char *s = buf_detach(&b, NULL);
	sigma_sql_free(q);
	ruleset_free(rs);
	unlink(path);
	return s;
}

static void contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("missing <%s> in:\n%s", needle, hay);
}

static void sigma_sql__plain_value__lowercase_equality_over_any_element(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CT_HEAD "detection:\n  sel:\n    eventName: InvokeModel\n  condition: sel\n",
	                 SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "len(list_filter(lt_scalars(lt_top(top, doc, 'eventName', '$.\"eventName\"')), "
	            "v -> (lower(v) = 'invokemodel'))) > 0");
	contains(s, "FROM lt_cloudtrail");
	contains(s, "SELECT * FROM lt_rule_1");
	free(s);
}

static void sigma_sql__wildcards_and_contains__like_with_escapes(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CT_HEAD "detection:\n  sel:\n    userAgent|contains: 'a_b%c'\n"
	                         "    eventSource: 'bed*.amazonaws.co?'\n  condition: sel\n",
	                 SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "lower(v) LIKE '%a\\_b\\%c%' ESCAPE '\\'");
	contains(s, "lower(v) LIKE 'bed%.amazonaws.co_' ESCAPE '\\'");
	free(s);
}

static void sigma_sql__dotted_field__every_key_may_be_an_array(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CT_HEAD "detection:\n  sel:\n    resources.ARN|endswith: \"/x'y\"\n  condition: sel\n",
	                 SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	contains(s, "lt_scalars(lt_step(lt_top(top, doc, 'resources', '$.\"resources\"'), '$.\"ARN\"'))");
	contains(s, "CASE WHEN json_type(x) = 'ARRAY' THEN list_prepend(x, json_extract(x, '$[*]')) ELSE [x] END");
	free(s);
	s = script(CT_HEAD "detection:\n  sel:\n    resources.ARN|endswith: \"/x'y\"\n  condition: sel\n", SIGMA_SQL_TRINO, &ns,
	           NULL, 0);
	contains(s, "any_match(filter(transform(CAST(json_parse(json_query(doc, 'lax $.\"resources\".\"ARN\"[*]' "
	            "WITH ARRAY WRAPPER)) AS ARRAY(JSON)), x -> json_extract_scalar(json_format(x), '$')), "
	            "x -> x IS NOT NULL), v -> ");
	contains(s, "LIKE '%/x''y' ESCAPE");
	free(s);
}

static void sigma_sql__regex_per_dialect__engine_function_and_flags(void **state)
{
	(void)state;
	const char *rule = INV_HEAD "detection:\n  sel:\n    prompt|re|i: 'ignore\\s+previous'\n  condition: sel\n";
	size_t ns;
	char *s = script(rule, SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	contains(s, "len(list_filter([prompt], v -> (regexp_matches(v, '(?i)ignore\\s+previous')))) > 0");
	contains(s, "FROM lt_invocation");
	free(s);
	s = script(rule, SIGMA_SQL_TRINO, &ns, NULL, 0);
	contains(s, "any_match(ARRAY[prompt], v -> (regexp_like(v, '(?i)ignore\\s+previous')))");
	free(s);
	s = script(rule, SIGMA_SQL_SPARK, &ns, NULL, 0);
	contains(s, "exists(array(prompt), v -> (v RLIKE '(?i)ignore\\\\s+previous'))");
	free(s);
}

static void sigma_sql__lookahead_regex__rule_skipped_with_reason(void **state)
{
	(void)state;
	size_t ns;
	char why[256];
	char *s = script(INV_HEAD "detection:\n  sel:\n    prompt|re: 'a(?!b)'\n  condition: sel\n",
	                 SIGMA_SQL_DUCKDB, &ns, why, sizeof why);
	assert_int_equal(ns, 1);
	contains(why, "(?!");
	contains(s, "-- Not expressible");
	contains(s, "r1: re uses (?!");
	free(s);
}

static void sigma_sql__exists_null_numeric_neq__presence_and_casts(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CT_HEAD "detection:\n  a:\n    errorCode|exists: false\n  b:\n    x: null\n"
	                         "  c:\n    n|gte: 5\n  d:\n    y|neq: z\n  condition: not a and (b or c) and d\n",
	                 SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "(NOT COALESCE(((NOT json_extract(doc, '$.\"errorCode\"') IS NOT NULL))");
	contains(s, "coalesce(json_type(json_extract(doc, '$.\"x\"')), 'NULL') = 'NULL'");
	contains(s, "TRY_CAST(v AS DOUBLE) >= 5");
	contains(s, "(json_extract(doc, '$.\"y\"') IS NOT NULL) AND NOT (len(");
	free(s);
}

static void sigma_sql__all_modifier__one_match_per_value(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(INV_HEAD "detection:\n  sel:\n    prompt|contains|all: [a, b]\n  condition: sel\n",
	                 SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	contains(s, "v -> (lower(v) LIKE '%a%' ESCAPE '\\'))) > 0) AND (len(list_filter([prompt], v -> "
	            "(lower(v) LIKE '%b%' ESCAPE '\\'))) > 0)");
	free(s);
}

static void sigma_sql__validators_and_unknown_modifier__skipped(void **state)
{
	(void)state;
	size_t ns;
	char why[256];
	char *s = script(INV_HEAD "detection:\n  sel:\n    prompt|re: 'x'\n  condition: sel\n"
	                          "llmtrail:\n  validators:\n    - {type: entropy, min: 3}\n",
	                 SIGMA_SQL_DUCKDB, &ns, why, sizeof why);
	assert_int_equal(ns, 1);
	contains(why, "llmtrail.validators");
	free(s);
	s = script(INV_HEAD "detection:\n  sel:\n    llmtrail.score.extraction|gte: 0.5\n  condition: sel\n",
	           SIGMA_SQL_DUCKDB, &ns, why, sizeof why);
	assert_int_equal(ns, 1);
	contains(why, "llmtrail.score.extraction is computed by llmtrail's prompt analysis");
	free(s);
	s = script(CT_HEAD "detection:\n  sel:\n    a|base64offset|contains: x\n  condition: sel\n",
	           SIGMA_SQL_DUCKDB, &ns, why, sizeof why);
	assert_int_equal(ns, 1);
	contains(why, "base64offset");
	free(s);
}

#define CORR_DOCS(type, cond)                                                                      \
	CT_HEAD "name: base\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n---\n"                \
	        "title: C\nid: c1\ncorrelation:\n  type: " type "\n  rules: [base]\n"                          \
	        "  group-by: [sourceIPAddress]\n  timespan: 5m\n  condition: " cond "\n"

static void sigma_sql__correlation__fold_per_group_base_rule_inlined(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CORR_DOCS("event_count", "{gte: 3}"), SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "-- Correlation inputs (rows only through their correlations):\n--   r1\n");
	contains(s, "concat('sourceIPAddress=', coalesce((lt_scalars(lt_top(top, doc, 'sourceIPAddress', "
	            "'$.\"sourceIPAddress\"')))[1], '')) AS grp");
	contains(s, "'lo': w1[1].p, 'hi': y.x.p}");
	contains(s, "list_filter(s.w, e -> e.t >= y.x.t - 300000000)");
	contains(s, "CAST(a AS DOUBLE) >= CAST(3 AS DOUBLE)");
	contains(s, "SELECT DISTINCT 'c1' AS rule_id");
	/* the base rule has no rows of its own: only the correlation is in the union */
	contains(s, "-- All result rows.\nSELECT * FROM lt_rule_2\nUNION ALL SELECT * FROM lt_reconcile_1\n"
	            "UNION ALL SELECT * FROM lt_reconcile_2\nUNION ALL SELECT * FROM lt_reconcile_3\nORDER BY");
	free(s);
}

static void sigma_sql__correlation_fewer_than__fixed_window_closed_at_end(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CORR_DOCS("value_count", "{lt: 2, field: userAgent}"), SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "y.x.t > s.wend");
	contains(s, "], fs -> list_transform([len(list_distinct(list_transform(fs.w, e -> e.v)))]");
	contains(s, "FROM i WHERE t IS NOT NULL AND v IS NOT NULL)");
	contains(s, "'lo': s.w[1].p, 'hi': s.w[-1].p");
	free(s);
}

static void sigma_sql__correlation__other_dialects_and_unexpressible_base_skipped(void **state)
{
	(void)state;
	size_t ns;
	char why[400];
	char *s = script(CORR_DOCS("temporal", "{gte: 1}"), SIGMA_SQL_TRINO, &ns, why, sizeof why);
	assert_int_equal(ns, 2);
	contains(s, "c1: correlation (temporal): compiled for DuckDB only so far");
	contains(s, "r1: reports only through a correlation, which is not compiled");
	/* no rule rows: only the reconciliation's views are in the union */
	contains(s, "-- All result rows.\nSELECT * FROM lt_reconcile_1\n");
	free(s);
	s = script(CT_HEAD "name: base\ndetection:\n  sel:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel\n---\n"
	                   "title: C\nid: c1\ncorrelation:\n  type: event_count\n  rules: [base]\n"
	                   "  timespan: 5m\n  condition: {gte: 3}\n",
	           SIGMA_SQL_DUCKDB, &ns, why, sizeof why);
	assert_int_equal(ns, 2);
	contains(s, "c1: correlation (event_count): its rule base is not expressible: modifier cidr");
	free(s);
}

static void sigma_sql__first_seen__first_row_per_group_and_value_after_baseline(void **state)
{
	(void)state;
	size_t ns;
	const char *rule = CT_HEAD "detection:\n  sel:\n    eventName: X\n  condition: sel\n"
	                           "llmtrail:\n  first_seen:\n    group-by: [userIdentity.arn]\n"
	                           "    fields: [sourceIPAddress, userAgent]\n    baseline: 1d\n";
	char *s = script(rule, SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "min(lt_t) OVER (PARTITION BY lt_g) AS lt_since");
	contains(s, "row_number() OVER (PARTITION BY lt_g, lt_v ORDER BY lt_t, uid) AS lt_nth");
	contains(s, "epoch_us(TRY_CAST(event_time AS TIMESTAMPTZ)) AS lt_t");
	contains(s, ", chr(31), coalesce(");
	contains(s, "WHERE lt_nth = 1 AND lt_t - lt_since >= 86400000000) AS lt_fs\nWHERE TRUE;");
	free(s);
	s = script(rule, SIGMA_SQL_SPARK, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "unix_micros(to_timestamp(event_time)) AS lt_t");
	contains(s, "try_element_at(lt_vals(doc, '$.\"sourceIPAddress\"'), 1)");
	free(s);
}

static void sigma_sql__dialect_names__parse_round_trip(void **state)
{
	(void)state;
	sigma_sql_dialect d;
	assert_true(sigma_sql_dialect_parse("athena", &d));
	assert_int_equal(d, SIGMA_SQL_ATHENA);
	assert_string_equal(sigma_sql_dialect_name(d), "athena");
	assert_false(sigma_sql_dialect_parse("mysql", &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sigma_sql__plain_value__lowercase_equality_over_any_element),
	    cmocka_unit_test(sigma_sql__wildcards_and_contains__like_with_escapes),
	    cmocka_unit_test(sigma_sql__dotted_field__every_key_may_be_an_array),
	    cmocka_unit_test(sigma_sql__regex_per_dialect__engine_function_and_flags),
	    cmocka_unit_test(sigma_sql__lookahead_regex__rule_skipped_with_reason),
	    cmocka_unit_test(sigma_sql__exists_null_numeric_neq__presence_and_casts),
	    cmocka_unit_test(sigma_sql__all_modifier__one_match_per_value),
	    cmocka_unit_test(sigma_sql__validators_and_unknown_modifier__skipped),
	    cmocka_unit_test(sigma_sql__correlation__fold_per_group_base_rule_inlined),
	    cmocka_unit_test(sigma_sql__correlation_fewer_than__fixed_window_closed_at_end),
	    cmocka_unit_test(sigma_sql__correlation__other_dialects_and_unexpressible_base_skipped),
	    cmocka_unit_test(sigma_sql__first_seen__first_row_per_group_and_value_after_baseline),
	    cmocka_unit_test(sigma_sql__dialect_names__parse_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
