#!/bin/sh
# gen_detect.sh — the generator and the analyzer against each other: a small
# generated corpus with injected incidents (llmtrail-gen --attacks on) must be
# indexed with zero problems, and every incident in its ground truth must be
# found: at least one finding must reference one of the incident's event ids
# or request ids. A benign corpus (--attacks off) must raise no high or
# critical finding, and a --profile varied one stays within the benign-FP
# budget. TAP output.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_BUILDDIR:?}"
gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
if ! command -v jq >/dev/null 2>&1; then
	echo "1..0 # SKIP jq not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-gendetect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fails=0
report() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else fails=$((fails + 1)); echo "not ok $n - $2"; fi; }

"$gen" --out "$tmp/attack" --size 3M --seed 11 --attacks on >/dev/null 2>"$tmp/gen.err"
report $? "llmtrail-gen --attacks on writes a corpus"
"$LLMTRAIL" -q analyze "$tmp/attack" -o "$tmp/out" --fail-on none >"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
report "$rc" "analyze of the generated corpus exits 0 with --fail-on none (got $rc)"
problems=$(sed -n 's/^evidence problems: //p' "$tmp/out.txt")
[ "$problems" = 0 ] || sed 's/^/# /' "$tmp/err.txt" | head -10
report "$([ "$problems" = 0 ] && echo 0 || echo 1)" "the generated corpus is indexed with zero problems (got ${problems:-?})"

jq -r '.events[].uid' "$tmp/out/findings.jsonl" | sort -u >"$tmp/hit-ids"
while IFS= read -r line; do
	name=$(printf '%s' "$line" | jq -r '.incident')
	printf '%s' "$line" | jq -r '(.event_ids // [])[], (.request_ids // [])[]' | sort -u >"$tmp/want-ids"
	found=$(comm -12 "$tmp/hit-ids" "$tmp/want-ids" | wc -l)
	report "$([ "$found" -gt 0 ] && echo 0 || echo 1)" "incident '$name' is found ($found of its $(wc -l <"$tmp/want-ids") ids in findings)"
done <"$tmp/attack/ground-truth.jsonl"

"$gen" --out "$tmp/benign" --size 3M --seed 12 --attacks off >/dev/null 2>&1
"$LLMTRAIL" -q analyze "$tmp/benign" -o "$tmp/bout" --fail-on high >"$tmp/bout.txt" 2>&1
rc=$?
[ "$rc" -eq 0 ] || jq -r 'select(.rule.level=="high" or .rule.level=="critical") | "# false positive: \(.rule.title)"' "$tmp/bout/findings.jsonl" | head -10
report "$rc" "a benign corpus raises no high or critical finding (exit $rc)"
# The false-positive budget on benign traffic the rules were not written
# against: llmtrail-gen --profile varied (SDK start-ups, CI keys on a new
# runner IP per job, rotating role sessions, SDK upgrades, root reading
# configuration, a regional failover, night batch jobs, bursty chatbots) over
# 8 days, past the 7-day first-seen warm-up. Budget (docs/rules.md): no high or
# critical finding, at most one medium-or-higher finding per 10,000 events
# (3 here: a small sample).
"$gen" --out "$tmp/varied" --size 1M --seed 5 --days 8 --accounts 1 --regions 2 --attacks off --profile varied \
	>/dev/null 2>&1
"$LLMTRAIL" -q analyze "$tmp/varied" -o "$tmp/vout" --fail-on none >"$tmp/vout.txt" 2>&1
report $? "analyze of a --profile varied benign corpus exits 0"
events=$(sed -n 's/^case total: \([0-9]*\) events.*/\1/p' "$tmp/vout.txt")
lvl='.rule.level == "medium" or .rule.level == "high" or .rule.level == "critical"'
high=$(jq -s '[.[] | select(.rule.level == "high" or .rule.level == "critical")] | length' "$tmp/vout/findings.jsonl")
medplus=$(jq -s "[.[] | select($lvl)] | length" "$tmp/vout/findings.jsonl")
jq -r "select($lvl) | \"\\(.rule.level): \\(.rule.title)\"" "$tmp/vout/findings.jsonl" | sort | uniq -c | sed 's/^/# /' | head -20
[ "${events:-0}" -gt 10000 ] && [ "$high" -eq 0 ]
report $? "varied benign corpus: no high or critical finding (got $high, ${events:-?} events)"
# ~25,000 events hold a handful of findings at most, so the 1-per-10,000
# budget (measured on 507k (varied) and 658k (wild) events, docs/rules.md) is checked here with a
# small-sample allowance: 3 per 10,000 (runs observed 0 to 5 for ~26,000).
[ $((medplus * 10000)) -le $((3 * ${events:-0})) ]
report $? "varied benign corpus: at most 3 medium-or-higher findings per 10,000 events (got $medplus for ${events:-?})"
echo "1..$n"
[ "$fails" -eq 0 ]
