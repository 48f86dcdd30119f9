#!/bin/sh
# duckdb_equal.sh — the DuckDB script of `llmtrail sql` finds, for every rule
# it compiles, exactly the (rule, event) pairs the native scan finds, on the
# demo evidence, on an llmtrail-gen export and on a case made for the
# reconciliation (TAP; tests/sql/compare.js
# does the comparing; correlations included).
# DuckDB comes from npm (@duckdb/node-api, pinned by package-lock.json),
# installed once per build tree into $LLMTRAIL_BUILDDIR/tests/sql-node (the
# source tree stays read-only). Skipped, saying so, only when node or npm is
# absent; an install that fails is a failure.
set -u
S="${LLMTRAIL_SRCDIR:-.}"
B="${LLMTRAIL_BUILDDIR:-.}"
. "$S/tests/sql/npm_ci.sh"
N="$B/tests/sql-node"
npm_ci "DuckDB (@duckdb/node-api)" "$S/tests/sql" "$N" @duckdb/node-api
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
EV=$(cd "$S/testdata/demo" && pwd)
"$LLMTRAIL" analyze "$EV" -o "$T/native" -f csv -q >"$T/analyze.out" 2>&1
rc=$?
if [ ! -f "$T/native/timeline.csv" ]; then
	echo "1..1"
	echo "not ok 1 - llmtrail analyze wrote no timeline.csv (exit $rc)"
	sed 's/^/# /' "$T/analyze.out"
	exit 1
fi
if ! "$LLMTRAIL" sql --dialect duckdb --evidence "$EV" -o "$T/demo.sql" 2>"$T/sql.err"; then
	echo "1..1"
	echo "not ok 1 - llmtrail sql --dialect duckdb failed"
	sed 's/^/# /' "$T/sql.err"
	exit 1
fi
sed 's/^/# /' "$T/sql.err"
DUCKDB_NODE_DIR="$N" node "$S/tests/sql/compare.js" "$T/demo.sql" "$T/native/timeline.csv" \
	"${LLMTRAIL_SQL_TABLE:-$T/table.md}" >"$T/demo.tap"
rc1=$?
# A generated export in the standard layout only (--extras off: the views do
# not read CloudTrail delivered through Firehose, and a correlation fed more
# events natively would differ), with the shipped packs and tests/sql/corr:
# correlations of every type and window kind, thresholds low enough to fire
# many times, so that firings, not only the stateless rules, are compared.
GEN="${LLMTRAIL_GEN:-$(dirname "$LLMTRAIL")/llmtrail-gen}"
if ! "$GEN" --out "$T/gen" --size 2M --seed 7 --threads 1 --extras off >"$T/gen.out" 2>&1 ||
	! "$LLMTRAIL" analyze "$T/gen" -r "$S/tests/sql/corr" -o "$T/gnative" -f csv -q >"$T/ganalyze.out" 2>&1 &&
	[ ! -f "$T/gnative/timeline.csv" ] ||
	! "$LLMTRAIL" sql --dialect duckdb -r "$S/tests/sql/corr" --evidence "$T/gen" -o "$T/gen.sql" 2>"$T/gsql.err"; then
	echo "1..1"
	echo "not ok 1 - generating or scanning the llmtrail-gen export failed"
	cat "$T/gen.out" "$T/ganalyze.out" "$T/gsql.err" | sed 's/^/# /' | tail -20
	exit 1
fi
DUCKDB_NODE_DIR="$N" node "$S/tests/sql/compare.js" "$T/gen.sql" "$T/gnative/timeline.csv" \
	"${LLMTRAIL_SQL_GEN_TABLE:-$T/gtable.md}" >"$T/gen.tap"
rc2=$?
# A case made for the reconciliation (tests/sql/reconcile_case.js): matches by
# request id and weak ones, refused calls, bursts, records outside the span
# CloudTrail covers; the three reconciliation rules must find the same events.
if ! node "$S/tests/sql/reconcile_case.js" "$T/rc" 11 >"$T/rc.out" 2>&1 ||
	! "$LLMTRAIL" analyze "$T/rc" -o "$T/rnative" -f csv -q >"$T/ranalyze.out" 2>&1 &&
	[ ! -f "$T/rnative/timeline.csv" ] ||
	! "$LLMTRAIL" sql --dialect duckdb --evidence "$T/rc" -o "$T/rc.sql" 2>"$T/rsql.err"; then
	echo "1..1"
	echo "not ok 1 - writing or scanning the reconciliation case failed"
	cat "$T/rc.out" "$T/ranalyze.out" "$T/rsql.err" | sed 's/^/# /' | tail -20
	exit 1
fi
DUCKDB_NODE_DIR="$N" node "$S/tests/sql/compare.js" "$T/rc.sql" "$T/rnative/timeline.csv" >"$T/rc.tap"
rc3=$?
# One TAP stream: the three runs' results, numbered on, under one plan.
awk -v names="demo llmtrail-gen(2M,seed7,extras-off) reconcile-case(seed11)" 'BEGIN { split(names, nm, " ") }
	FNR == 1 { f++ }
	/^1\.\./ { next }
	/^(not )?ok [0-9]+ / { n++; sub(/ok [0-9]+ - /, "ok " n " - " nm[f] ": "); print; next }
	{ print }
	END { print "1.." n }' "$T/demo.tap" "$T/gen.tap" "$T/rc.tap"
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] && [ "$rc3" -eq 0 ]
