#!/bin/sh
# baseline_case.sh — --baseline OLDCASE: a one-day export of the attack day
# (llmtrail-gen --attacks on, seed 11) is too short to judge "first seen" on
# its own (one informational finding says so, no first-seen finding); judged
# against a known-good case of the same organisation (--attacks off, same
# seed), the attacker's source IP is new and what the organisation always
# used (its principals, the CI key's user) is not. The known-good case
# spans 8 days (the first-seen checks need 7). The Sigma rules' own
# first_seen state learns the old case too: the leaked CI key checking its
# identity from the attacker's address is "first seen" only against it, and
# no runtime call's (principal, source IP) that the old case holds is "new
# for the principal", though the day repeats many. TAP output.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_BUILDDIR:?}"
gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
if ! command -v jq >/dev/null 2>&1; then
	echo "1..0 # SKIP jq not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-baseline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
report() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else fails=$((fails + 1)); echo "not ok $n - $2"; fi; }
ids() { jq -r '.rule.id' "$1/findings.jsonl" | sort | uniq -c | sed 's/^ *//'; }

"$gen" --out "$tmp/attack" --size 3M --seed 11 --attacks on >/dev/null 2>&1
"$gen" --out "$tmp/normal" --size 3M --seed 11 --days 8 --attacks off >/dev/null 2>&1
"$LLMTRAIL" -q analyze "$tmp/normal" -o "$tmp/old" --fail-on none >/dev/null 2>"$tmp/old.err"
report $? "the known-good case is analyzed"
day="--since 2026-03-05T00:00:00Z --until 2026-03-06T00:00:00Z"
# shellcheck disable=SC2086
"$LLMTRAIL" -q analyze "$tmp/attack" -o "$tmp/alone" --fail-on none $day >/dev/null 2>"$tmp/alone.err"
report $? "the attack day is analyzed alone"
alone=$(ids "$tmp/alone")
echo "$alone" | grep -q ' llmtrail-baseline-too-short$'
report $? "alone: the one-day case says its baseline is too short"
echo "$alone" | grep -q ' llmtrail-first-seen-'
report "$([ $? -ne 0 ] && echo 0 || echo 1)" "alone: no first-seen finding"
# shellcheck disable=SC2086
"$LLMTRAIL" -q scan "$tmp/alone/case.sqlite" -o "$tmp/judged" --fail-on none $day \
	--baseline "$tmp/old/case.sqlite" >/dev/null 2>"$tmp/judged.err"
report $? "scan --baseline OLDCASE runs"
judged=$(ids "$tmp/judged")
echo "$judged" | grep -q ' llmtrail-baseline-too-short$'
report "$([ $? -ne 0 ] && echo 0 || echo 1)" "judged: no 'baseline too short' (the old case spans a week)"
new_ip=$(jq -c 'select(.rule.id == "llmtrail-first-seen-source-ip") | select(tostring | contains("203.0.113.47")) | .id' \
	"$tmp/judged/findings.jsonl" | wc -l)
report "$([ "$new_ip" -eq 1 ] && echo 0 || echo 1)" "judged: the attacker's source IP 203.0.113.47 is first seen (got $new_ip)"
known=$(jq -r 'select(.rule.id == "llmtrail-first-seen-principal") | tostring' "$tmp/judged/findings.jsonl" |
	grep -c -e 'user/svc-ci-deploy"' -e 'support-chatbot-task-role"' )
report "$([ "$known" -eq 0 ] && echo 0 || echo 1)" "judged: principals of the known-good case are not new (got $known)"
# Sigma first_seen (rules/aws/sts_get_caller_identity_new_source_for_key.yml,
# rules/llmjacking/bedrock_runtime_new_source_ip_for_principal.yml)
sts='Long-Term Access Key Checks Its Identity From a New Address'
new_ip='Bedrock Runtime Called From a New Source IP for the Principal'
fs_hits() { jq -r --arg t "$2" 'select(.rule.title == $t) | .events[] | [.principal, .source_ip] | @tsv' \
	"$1/findings.jsonl" | sort -u; }
fs_hits "$tmp/alone" "$sts" | grep -q "user/svc-ci-deploy	203.0.113.47"
report "$([ $? -ne 0 ] && echo 0 || echo 1)" "alone: the CI key's identity check from 203.0.113.47 is not first seen (no history)"
fs_hits "$tmp/judged" "$sts" | grep -q "user/svc-ci-deploy	203.0.113.47"
report $? "judged: the CI key's identity check from 203.0.113.47, absent from the old case, is first seen (Sigma first_seen)"
"$LLMTRAIL" -q timeline "$tmp/old/case.sqlite" -f jsonl --source cloudtrail --action 'Invoke*' 2>/dev/null |
	jq -r '[.principal, .source_ip] | @tsv' | sort -u >"$tmp/old.pairs"
# shellcheck disable=SC2086
"$LLMTRAIL" -q timeline "$tmp/alone/case.sqlite" -f jsonl --source cloudtrail --action 'Invoke*' $day 2>/dev/null |
	jq -r '[.principal, .source_ip] | @tsv' | sort -u >"$tmp/day.pairs"
fs_hits "$tmp/judged" "$new_ip" >"$tmp/fired.pairs"
known=$(comm -12 "$tmp/day.pairs" "$tmp/old.pairs" | wc -l)
fired_known=$(comm -12 "$tmp/fired.pairs" "$tmp/old.pairs" | wc -l)
fired=$(wc -l <"$tmp/fired.pairs")
report "$([ "$known" -gt 0 ] && [ "$fired_known" -eq 0 ] && [ "$fired" -gt 0 ] && echo 0 || echo 1)" \
	"judged: of $known runtime (principal, IP) pairs the old case holds none is new for the principal; $fired absent ones are"
"$LLMTRAIL" -q scan "$tmp/alone/case.sqlite" -o "$tmp/bad" --fail-on none --baseline "$tmp/nonexistent.sqlite" \
	>/dev/null 2>"$tmp/bad.err"
rc=$?
grep -q -- '--baseline' "$tmp/bad.err"
report "$([ "$rc" -ne 0 ] && [ $? -eq 0 ] && echo 0 || echo 1)" "a missing baseline case fails and names the option (exit $rc)"
echo "1..$n"
[ "$fails" -eq 0 ]
