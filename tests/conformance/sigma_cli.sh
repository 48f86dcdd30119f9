#!/bin/sh
# sigma_cli.sh — `llmtrail rules list|lint|test` over tests/sigma (TAP).
set -u
S="${LLMTRAIL_SRCDIR:-.}/tests/sigma"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else notok "$2"; fi; }

"$LLMTRAIL" rules list "$S/good" >"$T/list" 2>"$T/err"; rc=$?
check "$rc" "rules list exits 0"
grep -q '^2b0c3c4e-0000-4000-8000-000000000001	Bedrock invocation from a long-term access key	medium	aws/cloudtrail	test	loaded$' "$T/list"
check $? "rules list shows id, title, level, log source, status"

"$LLMTRAIL" rules lint "$S/good" >"$T/lint" 2>"$T/err"; rc=$?
check "$rc" "rules lint on good rules exits 0"
"$LLMTRAIL" rules lint "$S/bad" >"$T/lint" 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ]; check $? "rules lint on a broken rule exits 2"
grep -q 'broken.yml:8: error: condition: unknown search identifier at column 15' "$T/err"
check $? "lint names file, line and what is wrong"
grep -q "broken.yml:16: unsupported: time modifier 'hour' is not supported" "$T/err"
check $? "lint reports unsupported features with the reason"

"$LLMTRAIL" rules test "$S/good" >"$T/test" 2>"$T/err"; rc=$?
check "$rc" "rules test on good rules passes"
[ "$(grep -c '^ok' "$T/test")" -eq 5 ]; check $? "five example events checked (1 pos + 2 neg + 1 pos + 1 neg)"

mkdir "$T/r" && cp "$S/good/ct_invoke.yml" "$T/r/" && cp "$S/good/ct_invoke.neg.json" "$T/r/ct_invoke.pos.json"
"$LLMTRAIL" rules test "$T/r" >"$T/test" 2>"$T/err"; rc=$?
[ "$rc" -eq 1 ]; check $? "a positive example that does not match fails rules test"
# The modifier table: every modifier with values that must and must not match
# (tests/sigma/modifiers/README.md); all examples run, none skipped.
"$LLMTRAIL" rules test --placeholders "$S/placeholders.yml" "$S/modifiers" >"$T/mod" 2>"$T/err"; rc=$?
check "$rc" "modifier table: every value matches or misses as its table says"
grep '^not ok' "$T/mod" | sed 's/^/# /'
[ "$(grep -c '# SKIP' "$T/mod")" -eq 0 ] && [ "$(grep -c '^ok' "$T/mod")" -ge 130 ]
check $? "modifier table: at least 130 examples ran, none skipped"
"$LLMTRAIL" rules test "$S/modifiers" >"$T/mod" 2>"$T/err"
grep -q "^ok .*expand.pos.json # SKIP .*admins" "$T/mod"
check $? "without --placeholders an expand rule is unsupported, naming the placeholder"
echo "1..$n"
