#!/bin/sh
# recipes.sh — the SQL recipes of docs/outputs.md ("Querying with SQL") run
# as written on the demo: custody and problems with sqlite3 on the case's
# own tables; events (timeline -f jsonl) and findings (findings.jsonl) with
# DuckDB. Each answer is checked against llmtrail's own count. TAP. DuckDB
# from npm as in duckdb_equal.sh (skipped, saying so, without node or npm).
set -u
S="${LLMTRAIL_SRCDIR:-.}"
B="${LLMTRAIL_BUILDDIR:-.}"
n=0
fails=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else fails=$((fails + 1)); echo "not ok $n - $1"; fi; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
"$LLMTRAIL" -q analyze "$S/testdata/demo" -o "$T/case1" --fail-on none >/dev/null 2>&1
C="$T/case1/case.sqlite"
if command -v sqlite3 >/dev/null 2>&1; then
	# recipe: every file of the evidence with its SHA-256, as indexed
	sqlite3 -readonly "$C" "SELECT e.path, m.path, m.sha256, m.state FROM members m JOIN evidence e ON e.id = m.evidence_id ORDER BY e.path, m.path" >"$T/custody"
	check "custody recipe: one row per member, as custody.csv" \
		'[ "$(wc -l <"$T/custody")" -eq "$(($(wc -l <"$T/case1/custody.csv") - 1))" ] && [ -s "$T/custody" ]'
	# recipe: what could not be read
	sqlite3 -readonly "$C" "SELECT kind, count(*) FROM problems GROUP BY kind ORDER BY kind" >"$T/problems"
	check "problems recipe: the note the demo's run took" 'grep -q "^note|1$" "$T/problems"'
else
	n=$((n + 1)); echo "ok $n # SKIP sqlite3 not installed"
	n=$((n + 1)); echo "ok $n # SKIP sqlite3 not installed"
fi
. "$S/tests/sql/npm_ci.sh"
N="$B/tests/sql-node"
npm_ci "DuckDB (@duckdb/node-api)" "$S/tests/sql" "$N" @duckdb/node-api
"$LLMTRAIL" timeline -f jsonl "$C" >"$T/case1/events.jsonl" 2>/dev/null
q() { DUCKDB_NODE_DIR="$N" node "$S/tests/sql/query.js" "$T/case1" "$1"; }
# recipe: events per source and action (the event header of every event)
q "SELECT source, action, count(*) AS n FROM read_json_auto('events.jsonl') GROUP BY ALL ORDER BY n DESC" >"$T/by_action"
total=$(jq -s 'map(.n) | add' "$T/by_action")
check "events recipe: counts add up to the case's $(grep -c . "$T/case1/events.jsonl") events" \
	'[ "$total" = "$(grep -c . "$T/case1/events.jsonl")" ] && [ "$total" -gt 1000 ]'
# recipe: findings by level, and the events of the high ones
q "SELECT rule.level AS level, count(*) AS n FROM read_json_auto('findings.jsonl', maximum_object_size=67108864) GROUP BY ALL ORDER BY n DESC" >"$T/by_level"
high=$(jq -r 'select(.level == "high") | .n' "$T/by_level")
check "findings recipe: $high high findings, as findings.jsonl holds" \
	'[ "$high" = "$(jq -r "select(.rule.level == \"high\") | .id" "$T/case1/findings.jsonl" | grep -c .)" ] && [ "$high" -gt 0 ]'
q "SELECT f.rule.title AS rule, e.time, e.principal, e.source_ip FROM read_json_auto('findings.jsonl', maximum_object_size=67108864) f, unnest(f.event_uids) AS u(uid) JOIN read_json_auto('events.jsonl') e ON e.uid = u.uid WHERE f.rule.level IN ('high', 'critical') ORDER BY e.time LIMIT 20" >"$T/joined"
check "join recipe: the high and critical findings' events, with who and from where" \
	'[ "$(grep -c . "$T/joined")" -eq 20 ] && grep -q "\"principal\":\"arn:aws:" "$T/joined"'
echo "1..$n"
[ "$fails" -eq 0 ]
