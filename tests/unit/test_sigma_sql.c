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
	/* constant state: the window is positions [max(r, lp), p], lp by a window function */
	contains(s, "count(*) OVER (PARTITION BY grp ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 300000001 "
	            "PRECEDING) + 1 AS lp");
	/* a lambda-free aggregate is written where it is used, not bound by a lambda */
	contains(s, "CASE WHEN (TRUE AND CAST((y.p - greatest(s.r, y.lp) + 1) AS DOUBLE) >= CAST(3 AS DOUBLE))");
	contains(s, "\n  ELSE s END,\n");
	contains(s, "'r': y.p + 1, 'wn': 0, 'ws': y.cs, 'k': s.k + 1");
	contains(s, "'lo': greatest(s.r, y.lp), 'hi': y.p}");
	assert_null(strstr(s, "list_filter(s.w,"));
	contains(s, "SELECT DISTINCT 'c1' AS rule_id");
	/* the base rule has no rows of its own: only the correlation is in the union */
	contains(s, "-- All result rows.\nSELECT * FROM lt_rule_2\nUNION ALL SELECT * FROM lt_reconcile_1\n"
	            "UNION ALL SELECT * FROM lt_reconcile_2\nUNION ALL SELECT * FROM lt_reconcile_3\n"
	            "UNION ALL SELECT * FROM lt_reconcile_4\nUNION ALL SELECT * FROM lt_reconcile_5\nORDER BY");
	/* a window of unlogged calls by its cause, as reconcile.c judges it */
	contains(s, "'llmtrail-reconcile-invocation-logging-gap' AS rule_id");
	contains(s, "WHERE side = 0 AND cnt >= 3 AND cause = '';");
	contains(s, "'llmtrail-reconcile-calls-while-logging-deleted' AS rule_id, 'Bedrock calls in CloudTrail while "
	            "invocation logging was deleted' AS rule_title, 'low' AS level,");
	contains(s, "WHERE side = 0 AND cnt >= 3 AND cause = 'deleted';");
	contains(s, "WHERE side = 0 AND cnt >= 3 AND cause = 'before';");
	contains(s, "c.t BETWEEN wn.lo - 86400000000 AND wn.lo) AS o1 WHERE rn = 1)");
	free(s);
}

static void sigma_sql__correlation_fewer_than__fixed_window_closed_at_end(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CORR_DOCS("value_count", "{lt: 2, field: userAgent}"), SIGMA_SQL_DUCKDB, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "y.t > s.wend");
	contains(s, "], fs ->\n  list_transform([len(list_distinct(list_transform(fs.w, e -> e.v)))]");
	contains(s, "FROM i WHERE t IS NOT NULL AND v IS NOT NULL)");
	contains(s, "'w': list_append(s2.w, y)"); /* distinct values need the window's values */
	contains(s, "'r': coalesce(s2.r, y.p), 'wn': s2.wn + 1, 'ws': s2.ws,");
	contains(s, "'lo': s.r, 'hi': s.r + s.wn - 1");
	free(s);
}

/* Athena/Trino and Spark write the same fold with their own list functions:
 * none of DuckDB's (list_*, len, [i] indexing: Spark's is 0-based) is left. */
static void sigma_sql__correlation__other_dialects_same_fold_own_functions(void **state)
{
	(void)state;
	size_t ns;
	char *s = script(CORR_DOCS("temporal", "{gte: 1}"), SIGMA_SQL_TRINO, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "-- Correlation inputs (rows only through their correlations):\n--   r1\n");
	contains(s, "array_agg(CAST(ROW(p, t, ref, TRY_CAST(v AS DOUBLE), v, lp, fp, cs, csl) AS ROW(p BIGINT, t BIGINT, "
	            "ref INTEGER, ");
	contains(s, "count(*) OVER (PARTITION BY grp ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1 AS fp");
	contains(s, "(reduce(evs, CAST(ROW(ARRAY[], CAST(ARRAY[NULL] AS ARRAY(BIGINT)), CAST(ARRAY[NULL] AS ARRAY(BIGINT)), "
	            "NULL, 1, 0, 0, 0, ARRAY[]) AS ROW(w ARRAY(");
	/* the marks one element a rule, no lambda: times, and first positions of those times */
	contains(s, "ELSE CAST(ROW(s.w, (ARRAY[CASE WHEN y.ref = 0 THEN y.t ELSE element_at(s.m, 1) END]), "
	            "(ARRAY[CASE WHEN y.ref = 0 THEN y.fp ELSE element_at(s.mf, 1) END]), NULL, s.r, 0, s.ws, s.k, s.out)");
	contains(s, "CAST(((0 + CASE WHEN coalesce(element_at((ARRAY[CASE WHEN y.ref = 0 THEN y.t ELSE element_at(s.m, 1) "
	            "END]), 1) >= y.t - 300000000, FALSE) THEN 1 ELSE 0 END)) AS DOUBLE) >= CAST(1 AS DOUBLE)");
	/* a firing's events start at the first position of the earliest mark's time */
	contains(s, "greatest(greatest(s.r, y.lp), array_min(filter((ARRAY[CASE WHEN y.ref = 0 THEN y.fp ELSE "
	            "element_at(s.mf, 1) END]), lt_x -> lt_x IS NOT NULL))), y.p)");
	contains(s, "s -> s)).out AS out FROM g)");
	contains(s, "FROM f CROSS JOIN UNNEST(f.out) AS u(k, a, lo, hi)");
	/* a firing's events joined back by position, not sliced from the group's list */
	contains(s, "FROM o JOIN j ON j.grp = o.grp AND j.p BETWEEN o.lo AND o.hi)");
	contains(s, "concat('firing ', CAST(fk AS VARCHAR), ': temporal ', CAST(fa AS VARCHAR)) AS detail");
	assert_null(strstr(s, "list_"));
	assert_null(strstr(s, "len("));
	assert_null(strstr(s, "[1]"));
	free(s);
	s = script(CORR_DOCS("value_avg", "{gte: 2, field: userAgent}"), SIGMA_SQL_SPARK, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "array_sort(collect_list(CAST(named_struct('p', p, 't', t, 'ref', ref, ");
	contains(s, "(aggregate(evs, CAST(named_struct('w', array(), 'm', CAST(array(NULL) AS ARRAY<BIGINT>), ");
	/* an average from prefix sums: through y, less before the window */
	contains(s, "sum(TRY_CAST(v AS DOUBLE)) OVER (PARTITION BY grp ORDER BY t, src, uid, ord ROWS UNBOUNDED PRECEDING) AS cs");
	contains(s, "coalesce(sum(TRY_CAST(v AS DOUBLE)) OVER (PARTITION BY grp ORDER BY t RANGE BETWEEN UNBOUNDED "
	            "PRECEDING AND 300000001 PRECEDING), 0) AS csl");
	contains(s, "CAST(((y.cs - (CASE WHEN y.lp >= s.r THEN y.csl ELSE s.ws END)) / CAST(y.p - greatest(s.r, y.lp) + 1 "
	            "AS DOUBLE)) AS DOUBLE) >= CAST(2 AS DOUBLE)");
	contains(s, "'lo', greatest(s.r, y.lp), 'hi', y.p) AS STRUCT<k: INT, a: DOUBLE, lo: BIGINT, hi: BIGINT>)");
	contains(s, "FROM (SELECT grp, explode(out) AS fo FROM f) AS o0)");
	contains(s, "FROM i WHERE t IS NOT NULL AND TRY_CAST(v AS DOUBLE) IS NOT NULL)");
	assert_null(strstr(s, "list_"));
	assert_null(strstr(s, "[1]"));
	free(s);
	/* a fixed window closes at the end: the fold's result goes through one more close */
	s = script(CORR_DOCS("event_count", "{lt: 2}"), SIGMA_SQL_SPARK, &ns, NULL, 0);
	assert_int_equal(ns, 0);
	contains(s, "s -> s)), fs ->\n  CASE WHEN fs.wn > 0 AND (TRUE AND CAST((fs.wn) AS DOUBLE) < CAST(2 AS DOUBLE))");
	contains(s, "'lo', fs.r, 'hi', fs.r + fs.wn - 1)");
	free(s);
}

/* The operations of the fold: every dialect has each, with the operands the
 * DuckDB one (proven by tests/sql/duckdb_equal.sh) takes; Athena is Trino;
 * the semantics the contract states where the engines differ: 1-based
 * element access that is NULL past the end (Trino element_at, Spark
 * try_element_at; Spark's [i] is 0-based), array_min over NULLs
 * (Trino gives NULL: filtered), a fold with an initial state. */
static void sigma_sql__fold_table__same_operations_in_every_dialect(void **state)
{
	(void)state;
	const fold_ops *duck = sigma_sql_fold_ops(SIGMA_SQL_DUCKDB);
	assert_non_null(duck);
	size_t n = offsetof(fold_ops, rec) / sizeof(const char *);
	for (int d = SIGMA_SQL_DUCKDB; d <= SIGMA_SQL_SPARK; d++) {
		const fold_ops *f = sigma_sql_fold_ops((sigma_sql_dialect)d);
		assert_non_null(f);
		for (size_t i = 0; i < n; i++) {
			const char *t = ((const char *const *)(const void *)f)[i];
			const char *u = ((const char *const *)(const void *)duck)[i];
			assert_non_null(t);
			for (const char *a = "1\0" "2\0" "3\0"; *a; a += 2) {
				char ph[3] = {'$', a[0], 0};
				if ((strstr(t, ph) != NULL) != (strstr(u, ph) != NULL))
					fail_msg("dialect %d operation %zu (%s): operand %s differs from DuckDB's (%s)", d, i, t, ph, u);
			}
		}
	}
	assert_memory_equal(sigma_sql_fold_ops(SIGMA_SQL_ATHENA), sigma_sql_fold_ops(SIGMA_SQL_TRINO), sizeof(fold_ops));
	const fold_ops *tr = sigma_sql_fold_ops(SIGMA_SQL_TRINO), *sp = sigma_sql_fold_ops(SIGMA_SQL_SPARK);
	assert_string_equal(duck->at, "$1[$2]");
	assert_string_equal(tr->at, "element_at($1, $2)");
	assert_string_equal(sp->at, "try_element_at($1, $2)");
	assert_string_equal(tr->min, "array_min(filter($1, lt_x -> lt_x IS NOT NULL))");
	assert_string_equal(sp->min, "array_min($1)");
	assert_string_equal(tr->len, "cardinality($1)");
	assert_string_equal(sp->len, "size($1)");
	assert_string_equal(tr->distinct, "array_distinct($1)");
	assert_string_equal(sp->distinct, "array_distinct($1)");
	assert_string_equal(tr->collect, "array_agg($1 ORDER BY p)");
	assert_string_equal(sp->collect, "array_sort(collect_list($1))");
	contains(tr->reduce, "reduce($1, $3, (s, y) ->");
	contains(sp->reduce, "aggregate($1, $3, (s, y) ->");
	contains(duck->reduce, "list_reduce($1, (s, y) ->");
	assert_null(sigma_sql_fold_ops((sigma_sql_dialect)99));
}

static void sigma_sql__correlation__unexpressible_base_skipped(void **state)
{
	(void)state;
	size_t ns;
	char why[400];
	char *s = script(CT_HEAD "name: base\ndetection:\n  sel:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel\n---\n"
	                         "title: C\nid: c1\ncorrelation:\n  type: event_count\n  rules: [base]\n"
	                         "  timespan: 5m\n  condition: {gte: 3}\n",
	                 SIGMA_SQL_DUCKDB, &ns, why, sizeof why);
	assert_int_equal(ns, 2);
	contains(s, "c1: correlation (event_count): its rule base is not expressible: modifier cidr");
	/* no rule rows: only the reconciliation's views are in the union */
	contains(s, "-- All result rows.\nSELECT * FROM lt_reconcile_1\n");
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

/* Athena/Trino and Spark: the tables of log files over the S3 layout and the
 * views that split CloudTrail files into records and derive prompt, system
 * and response from invocation bodies, as the DuckDB views do. */
static void sigma_sql__tables__log_file_views_per_dialect(void **state)
{
	(void)state;
	size_t ns;
	const char *rule = CT_HEAD "detection:\n  sel:\n    eventName: X\n  condition: sel\n";
	char *s = script(rule, SIGMA_SQL_ATHENA, &ns, NULL, 0);
	contains(s, "'storage.location.template'='s3://BUCKET/AWSLogs/${account}/BedrockModelInvocationLogs/${region}/${hour}/'");
	contains(s, "'projection.hour.format'='yyyy/MM/dd/HH'");
	contains(s, "CROSS JOIN UNNEST(TRY_CAST(json_extract(line, '$.Records') AS ARRAY(JSON))) AS x(r)");
	contains(s, "WHERE \"$path\" NOT LIKE '%/data/%') AS i;");
	contains(s, "flatten(transform(coalesce(TRY_CAST(json_extract(ib, '$.messages') AS ARRAY(JSON)), "
	            "CAST(ARRAY[] AS ARRAY(JSON))), m ->");
	contains(s, "CASE WHEN json_format(json_extract(ib, '$.system')) LIKE '\"%' THEN "
	            "ARRAY[json_extract_scalar(ib, '$.system')] ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END");
	contains(s, "chr(10)), '') AS response\n");
	free(s);
	s = script(rule, SIGMA_SQL_SPARK, &ns, NULL, 0);
	contains(s, "CREATE TABLE IF NOT EXISTS lt_invocation_files USING text\n");
	contains(s, "explode(from_json(get_json_object(value, '$.Records'), 'ARRAY<STRING>')) AS doc");
	contains(s, "transform(coalesce(from_json(get_json_object(ob, '$.choices'), 'ARRAY<STRING>'), "
	            "CAST(array() AS ARRAY<STRING>)), b -> get_json_object(b, '$.message.content'))");
	contains(s, "input_file_name() NOT LIKE '%/data/%') AS i;");
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
	    cmocka_unit_test(sigma_sql__correlation__other_dialects_same_fold_own_functions),
	    cmocka_unit_test(sigma_sql__fold_table__same_operations_in_every_dialect),
	    cmocka_unit_test(sigma_sql__correlation__unexpressible_base_skipped),
	    cmocka_unit_test(sigma_sql__first_seen__first_row_per_group_and_value_after_baseline),
	    cmocka_unit_test(sigma_sql__tables__log_file_views_per_dialect),
	    cmocka_unit_test(sigma_sql__dialect_names__parse_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
