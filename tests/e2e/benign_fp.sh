#!/bin/sh
# benign_fp.sh — the false-positive budget on benign traffic the rules were
# not written against: llmtrail-gen --profile varied (SDK start-ups, CI keys on
# a new runner IP per job, rotating role sessions, SDK upgrades, root reading
# configuration, a regional failover, night batch jobs, bursty chatbots) over
# 8 days, so the 7-day first-seen warm-up is passed. Budget (docs/rules.md):
# no high or critical finding, and at most one medium-or-higher finding per
# 10,000 events. TAP output.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_BUILDDIR:?}"
gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
if ! command -v jq >/dev/null 2>&1; then
	echo "1..0 # SKIP jq not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-benignfp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
report() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else fails=$((fails + 1)); echo "not ok $n - $2"; fi; }

"$gen" --out "$tmp/c" --size 1M --seed 5 --days 8 --accounts 1 --regions 2 --attacks off --profile varied \
	>/dev/null 2>"$tmp/gen.err"
report $? "llmtrail-gen --profile varied writes a corpus"
"$LLMTRAIL" -q analyze "$tmp/c" -o "$tmp/out" --fail-on none >"$tmp/out.txt" 2>"$tmp/err.txt"
report $? "analyze of the varied benign corpus exits 0"
events=$(sed -n 's/^case total: \([0-9]*\) events.*/\1/p' "$tmp/out.txt")
high=$(jq -s '[.[] | select(.rule.level == "high" or .rule.level == "critical")] | length' "$tmp/out/findings.jsonl")
medplus=$(jq -s '[.[] | select(.rule.level == "medium" or .rule.level == "high" or .rule.level == "critical")] | length' \
	"$tmp/out/findings.jsonl")
jq -r 'select(.rule.level == "medium" or .rule.level == "high" or .rule.level == "critical")
	| "\(.rule.level): \(.rule.title)"' "$tmp/out/findings.jsonl" | sort | uniq -c | sed 's/^/# /' | head -20
[ "${events:-0}" -gt 10000 ]
report $? "the corpus has more than 10,000 events (${events:-?})"
[ "$high" -eq 0 ]
report $? "no high or critical finding on benign traffic (got $high)"
[ $((medplus * 10000)) -le "${events:-0}" ]
report $? "at most 1 medium-or-higher finding per 10,000 events (got $medplus for ${events:-?} events)"
echo "1..$n"
[ "$fails" -eq 0 ]
