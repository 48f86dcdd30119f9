#!/bin/sh
# filters.sh — one filter model for every finding source: --min-level,
# --since/--until and the field filters (--principal, --access-key,
# --source-ip, --account, --region, --model, --action) keep only the
# findings' events that match, built-in analyzers' findings included, with
# timeline's matching (any case, globs, the name after an ARN's last '/').
# TAP output (the plan comes last).
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo="$LLMTRAIL_SRCDIR/testdata/demo"
"$LLMTRAIL" analyze "$demo" -o "$tmp/all" --fail-on none -q -f jsonl >/dev/null 2>&1
case="$tmp/all/case.sqlite"

# levels of the findings in a findings.jsonl, one per line
levels() { sed -n 's/.*"confidence".*//; s/^{"id":"F-[0-9a-f]*","rule":{[^}]*"level":"\([a-z]*\)".*/\1/p' "$1"; }
# the distinct values of one event field in a findings.jsonl
values() { grep -o "\"$2\":\"[^\"]*\"" "$1" | sort -u; }

builtin_low=$(grep -c '"pack":"builtin"' "$tmp/all/findings.jsonl")
"$LLMTRAIL" scan "$case" -o "$tmp/high" --min-level high --fail-on none -f jsonl >"$tmp/high.out" 2>&1
check "--min-level high: only high and critical findings, built-in ones included (of $builtin_low built-in)" \
	'[ -s "$tmp/high/findings.jsonl" ] && ! grep -Eq "\"rule\":\{[^}]*\"level\":\"(informational|low|medium)\"" "$tmp/high/findings.jsonl"'
check "--min-level: the rules below are counted as filtered" 'grep -Eq "^rules: .*, [0-9]+ filtered$" "$tmp/high.out"'

"$LLMTRAIL" scan "$case" -o "$tmp/ip" --source-ip '203.0.113.*' --fail-on none -f jsonl >/dev/null 2>&1
check "--source-ip glob: every listed event of every finding is from 203.0.113.*" \
	'[ -s "$tmp/ip/findings.jsonl" ] && [ "$(values "$tmp/ip/findings.jsonl" source_ip | grep -vc "\"source_ip\":\"203\.0\.113\.")" -eq 0 ]'
check "--source-ip: fewer findings than without" '[ "$(wc -l <"$tmp/ip/findings.jsonl")" -lt "$(wc -l <"$tmp/all/findings.jsonl")" ]'

"$LLMTRAIL" scan "$case" -o "$tmp/key" --access-key akiams5qrntyktfd3xkd --fail-on none -f jsonl >/dev/null 2>&1
check "--access-key any case: only that key's events" \
	'[ -s "$tmp/key/findings.jsonl" ] && [ "$(values "$tmp/key/findings.jsonl" access_key)" = "\"access_key\":\"AKIAMS5QRNTYKTFD3XKD\"" ]'

"$LLMTRAIL" scan "$case" -o "$tmp/who" --principal svc-ci-deploy --region 'US-*' --account 225510193261 --fail-on none -f jsonl >/dev/null 2>&1
check "--principal by name, --region glob any case, --account: only that principal" \
	'[ -s "$tmp/who/findings.jsonl" ] && [ "$(values "$tmp/who/findings.jsonl" principal)" = "\"principal\":\"arn:aws:iam::225510193261:user/svc-ci-deploy\"" ]'

"$LLMTRAIL" scan "$case" -o "$tmp/model" --model 'anthropic.claude-3-haiku*' --fail-on none -f jsonl >/dev/null 2>&1
check "--model glob: findings only on that model" \
	'[ -s "$tmp/model/findings.jsonl" ] && [ "$(values "$tmp/model/findings.jsonl" model | grep -vc "claude-3-haiku")" -eq 0 ]'

"$LLMTRAIL" scan "$case" -o "$tmp/none" --principal nobody-at-all --fail-on none -f jsonl >"$tmp/none.out" 2>"$tmp/none.err"
rc=$?
check "a filter matching no finding: exit 0, a hint on stderr naming it" \
	'[ $rc -eq 0 ] && grep -q "hint: no finding.s event matches --principal nobody-at-all" "$tmp/none.err" && [ ! -s "$tmp/none/findings.jsonl" ]'

"$LLMTRAIL" scan "$case" -o "$tmp/late" --since 2026-03-10T12:00:00Z --fail-on none -f jsonl >/dev/null 2>&1
check "--since applies to built-in findings too: none before it" \
	'[ -s "$tmp/late/findings.jsonl" ] && ! grep -q "\"first_seen\":\"2026-03-10T0" "$tmp/late/findings.jsonl" && ! grep -q "\"first_seen\":\"2026-03-10T1[01]" "$tmp/late/findings.jsonl"'

t_all=$("$LLMTRAIL" timeline "$case" --source-ip 203.0.113.47 -f jsonl | wc -l)
t_key=$("$LLMTRAIL" timeline "$case" --source-ip 203.0.113.47 --access-key AKIAMS5QRNTYKTFD3XKD -f jsonl | wc -l)
t_reg=$("$LLMTRAIL" timeline "$case" --region eu-north-9 -f jsonl 2>/dev/null | wc -l)
check "timeline --source-ip/--access-key/--region ($t_all, $t_key, $t_reg)" '[ "$t_all" -gt "$t_key" ] && [ "$t_key" -gt 0 ] && [ "$t_reg" -eq 0 ]'

# timeline --columns in the table and jsonl; an aligned table on a terminal
"$LLMTRAIL" timeline "$case" --columns time,action,uid >"$tmp/cols.txt"
check "timeline --columns: only those, in that order" \
	'[ "$(head -1 "$tmp/cols.txt")" = "TIME  ACTION  UID" ] && [ "$(sed -n 2p "$tmp/cols.txt" | wc -w)" -eq 3 ]'
"$LLMTRAIL" timeline "$case" --columns time,action,uid -f jsonl >"$tmp/cols.jsonl"
check "timeline --columns in jsonl: only those keys" 'sed -n 1p "$tmp/cols.jsonl" | grep -q "^{\"time\":\"[^\"]*\",\"action\":\"[^\"]*\",\"uid\":\"[^\"]*\"}\$"'
"$LLMTRAIL" timeline "$case" --columns time -f csv >/dev/null 2>"$tmp/cols.err"
rc=$?
check "timeline -f csv --columns: a usage error (the CSV has the report's columns)" '[ $rc -eq 2 ] && grep -q "timeline.csv columns" "$tmp/cols.err"'
# one CSV layout: timeline -f csv and the report's timeline.csv (every event with --full-timeline)
"$LLMTRAIL" scan "$case" -o "$tmp/full" --full-timeline --fail-on none -q -f csv >/dev/null 2>&1
"$LLMTRAIL" timeline "$case" -f csv >"$tmp/tl.csv"
check "timeline -f csv has the report's timeline.csv header" '[ "$(head -1 "$tmp/tl.csv")" = "$(head -1 "$tmp/full/timeline.csv")" ]'
cr=$(printf '\r')
grep ",,$cr\$" "$tmp/full/timeline.csv" | grep -v '^datetime,' >"$tmp/norules.csv"
check "... and, for every event no rule hit ($(wc -l <"$tmp/norules.csv")), the same row byte for byte" \
	'[ -s "$tmp/norules.csv" ] && [ "$(grep -cxFf "$tmp/norules.csv" "$tmp/tl.csv")" -eq "$(wc -l <"$tmp/norules.csv")" ]'
"$LLMTRAIL" timeline "$case" --columns time,nope >/dev/null 2>"$tmp/cols.err"
rc=$?
check "timeline --columns with an unknown name: usage error naming it" '[ $rc -eq 2 ] && grep -q "unknown column .nope." "$tmp/cols.err"'
if command -v script >/dev/null 2>&1; then
	script -qc "'$LLMTRAIL' timeline '$case' --source-ip 203.0.113.47 --columns time,source,action,principal" "$tmp/tl.tty" >/dev/null 2>&1 </dev/null
	aligned() { tr -d '\r' <"$1" | awk '/PRINCIPAL/ { p = index($0, "PRINCIPAL"); next }
		p && /arn:/ { rows++; if (index($0, "arn:") != p) bad = 1 } END { exit !(p > 0 && rows > 0 && !bad) }'; }
	check "timeline on a terminal: columns aligned (every row's principal starts where the header's does)" 'aligned "$tmp/tl.tty"'
else
	ok "# SKIP timeline on a terminal: script(1) missing"
fi

echo "1..$n"
[ "$fails" -eq 0 ]
