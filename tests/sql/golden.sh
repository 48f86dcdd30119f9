#!/bin/sh
# golden.sh — `llmtrail sql` text for every dialect over tests/sql/rules equals
# tests/sql/expected-DIALECT.sql (TAP). The Athena/Trino and Spark scripts
# cannot run here; their text is reviewed through these files. Regenerate
# with LLMTRAIL_UPDATE_GOLDEN=1 and review the diff.
set -u
S="${LLMTRAIL_SRCDIR:-.}/tests/sql"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
echo "1..5"
n=0
for d in athena trino spark duckdb; do
	n=$((n + 1))
	"$LLMTRAIL" sql --dialect "$d" --no-default-rules -r "$S/rules" -e /EVIDENCE -o "$T/$d.sql" 2>"$T/err"
	if [ -n "${LLMTRAIL_UPDATE_GOLDEN:-}" ]; then
		cp "$T/$d.sql" "$S/expected-$d.sql"
	fi
	if cmp -s "$T/$d.sql" "$S/expected-$d.sql"; then
		echo "ok $n - $d script equals expected-$d.sql"
	else
		echo "not ok $n - $d script differs from expected-$d.sql"
		diff "$S/expected-$d.sql" "$T/$d.sql" | head -20 | sed 's/^/# /'
	fi
done
n=$((n + 1))
"$LLMTRAIL" sql --dialect duckdb --strict --no-default-rules -r "$S/rules" -o "$T/strict.sql" 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && [ ! -s "$T/strict.sql" ] && grep -q 'password(?!s)\|re uses (?!' "$T/err"; then
	echo "ok $n - --strict: exit 2, nothing written, each rule named with its reason"
else
	echo "not ok $n - --strict: exit $rc"
	sed 's/^/# /' "$T/err"
fi
