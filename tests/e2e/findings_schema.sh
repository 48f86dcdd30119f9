#!/bin/sh
# findings_schema.sh — findings.jsonl (plain, hostile and 10,000-finding
# reports) validates line by line against docs/findings.schema.json.
# Needs python3 with the jsonschema module; skips visibly without it.
# TAP output.
set -u
: "${LLMTRAIL_BUILDDIR:?}" "${LLMTRAIL_SRCDIR:?}"
gen="$LLMTRAIL_BUILDDIR/tests/e2e/report_gen"
schema="$LLMTRAIL_SRCDIR/docs/findings.schema.json"
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import jsonschema" 2>/dev/null; then
	echo "1..0 # SKIP python3 with the jsonschema module is not available"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/check.py" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
n = 0
for line in open(sys.argv[2], encoding="utf-8"):
    n += 1
    errors = sorted(v.iter_errors(json.loads(line)), key=str)
    if errors:
        print("# line %d: %s" % (n, errors[0].message[:200]))
        sys.exit(1)
if n == 0:
    print("# no findings")
    sys.exit(1)
PY
n=0
for kind in plain hostile many; do
	mkdir -p "$tmp/$kind"
	n=$((n + 1))
	if "$gen" "$kind" "$tmp/$kind" && python3 "$tmp/check.py" "$schema" "$tmp/$kind/findings.jsonl"; then
		echo "ok $n - $kind findings.jsonl matches the schema"
	else
		echo "not ok $n - $kind findings.jsonl matches the schema"
	fi
done
echo "1..$n"
