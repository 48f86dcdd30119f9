/*
 * sigma_sql.h — Sigma rules compiled to SQL, for engines that run where the
 * logs lie (DuckDB, Amazon Athena, Trino, Spark SQL); see docs/scale-out.md.
 *
 * The native ruleset (sigma.h) decides which documents are rules and in what
 * state; this module walks the same YAML trees (sigma_yaml.h) and conditions
 * (sigma_cond.h) and writes, per loaded detection rule, one SELECT in the one
 * result shape of every rule:
 *   rule_id, rule_title, level, event_time, uid, request_id, principal,
 *   source_ip, group_key, detail
 * over two views, lt_cloudtrail and lt_invocation (one row per record, the
 * record as JSON in `doc`, the derived prompt/system/response/tool_calls of
 * invocation records as columns). Semantics follow docs/rules.md: plain
 * values case-insensitive with * and ? wildcards, arrays match if any element
 * does, null, exists, all, neq, numeric comparisons, re with i/m/s, cased.
 *
 * Correlations (every dialect) are one fold per group over the group's
 * events in replay order, the state machine of sigma_corr.c, written from one
 * expression tree with the dialect's list functions (sigma_sql_fold_ops); a
 * step is constant work (window positions and prefix sums from window
 * functions) except for value_count and value_percentile, which keep the
 * window's values. llmtrail.first_seen is
 * window functions over the rule's matching rows (every dialect). Detection
 * rules that report only through correlations are their inputs, with no
 * rows of their own (listed in the header as such, not counted compiled).
 * What a dialect cannot express (llmtrail validators, some modifiers,
 * correlations over an inexpressible rule, rules the native
 * engine does not load) is never dropped: each such rule is listed with its
 * reason (sigma_sql_nskipped / sigma_sql_skipped) and in the script's header.
 *
 * Every script also holds the CloudTrail <-> invocation-log reconciliation
 * (analyzers/audit/reconcile.c) as a join: one view per builtin rule of its
 * record windows (reconcile_rule_def()'s three, and the two causes of a
 * window of unlogged calls: a logging deletion, logging not on yet), in the
 * same result shape (proven equal on DuckDB; parsed, not run, for
 * Athena/Trino and Spark). The Athena/Trino and Spark scripts start with the
 * tables of log files over the standard S3 layout (Athena's DDL in comments)
 * and the views lt_cloudtrail / lt_invocation over them.
 *
 * Ownership: a sigma_sql borrows the compiled ruleset given to
 * sigma_sql_compile for its whole life; sigma_sql_free releases the rest.
 * Errors: LT_EFILE when a rule file cannot be read again, LT_EFATAL out of
 * memory; a rule that cannot be compiled is a skipped rule, not an error.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_SQL_H
#define LLMTRAIL_ANALYZERS_SIGMA_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzers/sigma/sigma.h"
#include "common/buf.h"
#include "common/error.h"

/* The most bytes a script (and any piece of it) may take. */
#define SIGMA_SQL_MAX_SCRIPT (256u * 1024u * 1024u)

typedef enum sigma_sql_dialect {
	SIGMA_SQL_DUCKDB = 0,
	SIGMA_SQL_ATHENA,
	SIGMA_SQL_TRINO,
	SIGMA_SQL_SPARK
} sigma_sql_dialect;

/* "duckdb", "athena", "trino", "spark" -> *out; false for anything else. */
bool sigma_sql_dialect_parse(const char *name, sigma_sql_dialect *out);
const char *sigma_sql_dialect_name(sigma_sql_dialect d);

typedef struct sigma_sql sigma_sql;

/* Compiles every rule of rs (compiled, borrowed) for dialect d. *out is
 * NULL on failure. */
lt_status sigma_sql_compile(const sigma_ruleset *rs, sigma_sql_dialect d, sigma_sql **out,
                            lt_error *err) LT_WUR;
void sigma_sql_free(sigma_sql *q);

/* Rules compiled to a query, and rules left out (with why). */
size_t sigma_sql_ncompiled(const sigma_sql *q);
size_t sigma_sql_nskipped(const sigma_sql *q);
/* i-th skipped rule: its id (or title) and the reason. */
const char *sigma_sql_skipped_rule(const sigma_sql *q, size_t i);
const char *sigma_sql_skipped_reason(const sigma_sql *q, size_t i);

/* The whole script: header (skipped rules), tables or views (for DuckDB
 * over the local folder `evidence`, which may be NULL for "."), one view per
 * rule, the reconciliation's views, and last the union of all
 * result rows. */
lt_status sigma_sql_write(const sigma_sql *q, const char *evidence, buf *out) LT_WUR;

/* What a dialect writes differently in a correlation's fold: one template
 * per operation, "$1".."$3" its operands (SQL text). Lists are 1-based.
 * DuckDB's script is proven equal to the native engine (tests/sql/), so the
 * other dialects' folds are that proof up to this table. */
typedef struct fold_ops {
	const char *map;      /* list $1 with each element through lambda $2 */
	const char *filter;   /* the elements of $1 for which lambda $2 holds */
	const char *len;      /* number of elements of $1 */
	const char *arr;      /* a list of the (comma-separated, maybe no) elements $1 */
	const char *at;       /* element $2 of $1: negative from the end; NULL past either end */
	const char *append;   /* $1 with element $2 appended */
	const char *cat;      /* $1 then $2 */
	const char *distinct; /* $1 without repeats */
	const char *sort;     /* ascending */
	const char *min;      /* smallest non-NULL element of $1 (NULL when none) */
	const char *reduce;   /* fold of list $1 from state $3 by step $2 over (s, y) */
	const char *collect;  /* aggregate: the group's $1 ordered by column p (its first field) */
	const char *finite;   /* $1 is a finite number */
	const char *unnest_o; /* the CTE o: f's firings, one row each (grp, fk, fa, lo, hi) */
	const char *bigints;  /* the type of a list of BIGINT */
	const char *ev_t;     /* the type of an event (p, t, ref, n, v, lp, fp, cs, csl) */
	const char *out_t;    /* of a firing (k, a, lo, hi) */
	const char *st_t;     /* of the state (w, m, mf, wend, r, wn, ws, k, out) */
	int rec;              /* a record literal: 0 {'k': v}, 1 ROW(v), 2 named_struct('k', v) */
} fold_ops;

/* The fold table of dialect d (NULL for no dialect). */
const fold_ops *sigma_sql_fold_ops(sigma_sql_dialect d);

#endif
