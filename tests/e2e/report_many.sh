#!/bin/sh
# report_many.sh — a generated case with more than 10,000 findings: the HTML
# report stays usable (counts per level, a by-rule table, the first findings
# of each rule in full, the rest named in findings.jsonl) and under the page
# size html.h documents (HTML_MAX_PAGE_BYTES, 6 MiB).
# The evidence: one-record positive samples of the shipped single-event rules
# (rules/aws/*.pos.json), replayed 12,000 times, 61 minutes apart (past the
# aggregation window, so each hit opens its own finding), each with its own
# eventID. TAP output.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
. "$LLMTRAIL_SRCDIR/tests/e2e/tap_lib.sh"

mkdir -p "$T/ev"
for f in "$LLMTRAIL_SRCDIR"/rules/aws/*.pos.json; do
	[ "$(grep -c . "$f")" -eq 1 ] && cat "$f"
done >"$T/templates"
N=12000
# times: 2020-01-01T00:00:00Z + i * 61 min, formatted by one date(1) call
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "@%d\n", 1577836800 + i * 3660 }' |
	date -u -f - +%Y-%m-%dT%H:%M:%SZ >"$T/times"
awk 'NR == FNR { t[++k] = $0; next }
	{ line = t[(FNR - 1) % k + 1]
	  sub(/"eventTime":"[^"]*"/, "\"eventTime\":\"" $0 "\"", line)
	  sub(/"eventID":"[^"]*"/, sprintf("\"eventID\":\"00000000-0000-4000-8000-%012d\"", FNR), line)
	  printf "%s%s", (FNR > 1 ? ",\n" : "{\"Records\":[\n"), line }
	END { print "]}" }' "$T/templates" "$T/times" >"$T/ev/111122223333_CloudTrail_us-east-1_many.json"
check "the generated trail holds $N records" [ "$(grep -c eventID "$T/ev/111122223333_CloudTrail_us-east-1_many.json")" -eq $N ]

"$LLMTRAIL" -q analyze "$T/ev" -o "$T/out" --fail-on none >"$T/stdout" 2>"$T/stderr"
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$T/stderr" | head -5
check "analyze exits 0 (got $rc)" [ $rc -eq 0 ]
F=$(wc -l <"$T/out/findings.jsonl")
check "more than 10,000 findings (got $F)" [ "$F" -gt 10000 ]
H="$T/out/report.html"
B=$(wc -c <"$H")
echo "# $F findings: report.html is $B bytes"
check "report.html stays under 6 MiB ($B bytes)" [ "$B" -lt 6291456 ]
check "the findings start with counts per level, linked" grep -q '<p class="levels"><a href="#findings-' "$H"
check "... and a by-rule table linking each rule's block, open" grep -q '<details class="byrule" open><summary>By rule: [0-9,]* rules</summary>' "$H"
rows=$(grep -c '^<tr><td><span class="badge lv-[a-z]*">[a-z]*</span></td><td><a href="#rule-' "$H")
blocks=$(grep -c '^<details class="rule" id="rule-' "$H")
check "one by-rule row per rule block ($rows rows, $blocks blocks)" [ "$rows" -eq "$blocks" ]
check "a rule's findings past the first ones are named in findings.jsonl" \
	grep -q 'more finding(s) of this rule are not shown; findings.jsonl has them all' "$H"
check "at most 5 rule blocks open" [ "$(grep -c '^<details class="rule" id="rule-[0-9]*" open>' "$H")" -le 5 ]
check "the page ends (not cut)" grep -q '</html>' "$H"
tap_end
