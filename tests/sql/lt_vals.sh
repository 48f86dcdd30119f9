#!/bin/sh
# lt_vals.sh — tools/spark_lt_vals.py (the lt_vals UDF the Spark script calls)
# reads every field path of the shipped packs' Spark script as the DuckDB
# script's macros do (lt_scalars / lt_step / lt_top, proven equal to the native
# scan by duckdb_equal.sh), on every record of the demo evidence, both tables
# (TAP). Skipped, saying so, when node, npm or python3 is absent.
set -u
S="${LLMTRAIL_SRCDIR:-.}"
B="${LLMTRAIL_BUILDDIR:-.}"
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to run tools/spark_lt_vals.py"
	exit 0
fi
. "$S/tests/sql/npm_ci.sh"
N="$B/tests/sql-node"
npm_ci "DuckDB (@duckdb/node-api)" "$S/tests/sql" "$N" @duckdb/node-api
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
EV=$(cd "$S/testdata/demo" && pwd)
if ! "$LLMTRAIL" sql --dialect spark -o "$T/spark.sql" 2>"$T/err" ||
	! "$LLMTRAIL" sql --dialect duckdb --evidence "$EV" -o "$T/duck.sql" 2>>"$T/err"; then
	echo "1..1"
	echo "not ok 1 - llmtrail sql failed"
	sed 's/^/# /' "$T/err"
	exit 1
fi
grep -o "lt_vals(doc, '[^']*')" "$T/spark.sql" | sed "s/^lt_vals(doc, '//; s/')\$//" | sort -u >"$T/paths"
# The DuckDB script up to its tables (macros and tables), then one query:
# every path on every record of both tables, through the macros.
sed '/^DROP TABLE lt_inv_raw;/q' "$T/duck.sql" >"$T/q.sql"
python3 - "$T/paths" >>"$T/q.sql" <<'EOF'
import sys
paths = [l.rstrip('\n') for l in open(sys.argv[1]) if l.strip()]
def keys(p):  # $."a"."b" as the Spark script writes it
    out, i = [], 1
    while i < len(p):
        j, k = i + 2, []
        while not (p[j] == '"' and p[j + 1:j + 2] != '"'):
            k.append(p[j]); j += 2 if p[j] == '"' else 1
        out.append(''.join(k)); i = j + 1
    return out
lit = lambda s: "'" + s.replace("'", "''") + "'"
parts = []
for p in paths:
    ks = keys(p)
    jp = lambda k: '$."' + k.replace('"', '""') + '"'
    e = "lt_top(top, doc, %s, %s)" % (lit(ks[0]), lit(jp(ks[0])))
    for k in ks[1:]:
        e = "lt_step(%s, %s)" % (e, lit(jp(k)))
    for tab in ('lt_cloudtrail', 'lt_invocation'):
        parts.append("SELECT %s AS path, CAST(doc AS VARCHAR) AS doc, CAST(to_json(lt_scalars(%s)) AS VARCHAR) AS vals FROM %s" % (lit(p), e, tab))
print(';\n' + '\nUNION ALL '.join(parts) + ';')
EOF
if ! DUCKDB_NODE_DIR="$N" node "$S/tests/sql/query.js" "$T" "$(cat "$T/q.sql")" >"$T/duck.jsonl" 2>"$T/err"; then
	echo "1..1"
	echo "not ok 1 - the DuckDB reading failed"
	sed 's/^/# /' "$T/err" | tail -5
	exit 1
fi
PYTHONPATH="$S/tools" python3 - "$T/duck.jsonl" "$T/paths" <<'EOF'
import json, sys
from spark_lt_vals import lt_vals
rows = [json.loads(l) for l in open(sys.argv[1])]
paths = [l.rstrip('\n') for l in open(sys.argv[2]) if l.strip()]
bad, nvals = {}, 0
for r in rows:
    got = lt_vals(r['doc'], r['path'])
    want = json.loads(r["vals"]) if r["vals"] else []
    nvals += len(want)
    if got != want:
        bad.setdefault(r['path'], []).append((want, got))
print('1..%d' % (len(paths) + 1))
for i, p in enumerate(paths, 1):
    n = sum(1 for r in rows if r['path'] == p)
    if p in bad:
        w, g = bad[p][0]
        print('not ok %d - %s: %d of %d records differ, e.g. DuckDB %s, lt_vals %s'
              % (i, p, len(bad[p]), n, json.dumps(w)[:200], json.dumps(g)[:200]))
    else:
        print('ok %d - %s: %d records equal' % (i, p, n))
# a record nested past Python's stack is no value, not a failed query
deep = lt_vals('[' * 100000 + ']' * 100000, '$."a"'), lt_vals('{"a": "x"}', '$."a"')
print('%s %d - a 100,000-deep record gives no values and the next record is read: %r'
      % ('ok' if deep == (None, ['x']) else 'not ok', len(paths) + 1, deep))
if deep != (None, ['x']):
    bad['deep'] = []
print('# %d paths, each on the %d records of both tables; %d values read' % (len(paths), len(rows) // max(1, len(paths)), nvals))
sys.exit(1 if bad else 0)
EOF
