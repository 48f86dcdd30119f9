#!/bin/sh
# stats_numbers.sh — `llmtrail stats` against an independent computation.
#
# The demo export and a small generated corpus are indexed; the per-model
# invocation counts, token sums and latency percentiles (nearest rank), the
# CloudTrail Bedrock calls and errors by action, and the guardrail
# interventions printed by `llmtrail stats -f json` must equal what jq
# computes from the raw .json.gz files (zcat | jq), de-duplicated the way the
# case index de-duplicates (requestId, eventID). TAP output.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}" "${LLMTRAIL_BUILDDIR:?}"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
if ! command -v jq >/dev/null 2>&1; then
	echo "1..0 # SKIP jq not available"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Per-model figures from raw invocation-log records.
# A model's key as llmtrail counts it (ingest/bedrock.h bedrock_model_key): a
# foundation-model or system inference-profile ARN, and a geography prefix
# ("us.", "eu.", ...), name the same model.
inv_jq='def mkey: sub("^arn:aws:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile)/"; "")
   | sub("^[a-z-]{2,12}\\.(?=[^.]+\\.)"; "");
 map(select(.schemaType == "ModelInvocationLog")) | unique_by(.requestId) | group_by(.modelId | mkey)
 | map({model: (.[0].modelId | mkey), invocations: length,
        input_tokens: (map(.input.inputTokenCount // 0 | if . > 0 then . else 0 end) | add),
        output_tokens: (map(.output.outputTokenCount // 0 | if . > 0 then . else 0 end) | add),
        lat: (map([.output.outputBodyJson? | .. | objects | (.latencyMs?, .invocationLatency?) | numbers] | last)
              | map(select(. != null)) | sort)})
 | map({model, invocations, input_tokens, output_tokens,
        p50: (if (.lat | length) > 0 then .lat[((.lat | length) * 50 / 100 | ceil) - 1] else null end),
        p90: (if (.lat | length) > 0 then .lat[((.lat | length) * 90 / 100 | ceil) - 1] else null end),
        p99: (if (.lat | length) > 0 then .lat[((.lat | length) * 99 / 100 | ceil) - 1] else null end),
        max: (if (.lat | length) > 0 then .lat[-1] else null end)})
 | sort_by(.model)'
stats_inv_jq='.rows | map(select(.invocations > 0)) | map({model: .key[0], invocations, input_tokens, output_tokens,
 p50: .latency_p50_ms, p90: .latency_p90_ms, p99: .latency_p99_ms, max: .latency_max_ms}) | sort_by(.model)'
ct_jq='map(.Records[]?) | unique_by(.eventID) | map(select(.eventSource == "bedrock.amazonaws.com"))
 | group_by(.eventName) | map({action: .[0].eventName, count: length, errors: (map(select(.errorCode != null)) | length)})
 | sort_by(.action)'
stats_ct_jq='.cloudtrail_actions | map({action, count, errors}) | sort_by(.action)'
guard_jq='map(select(.schemaType == "ModelInvocationLog")) | unique_by(.requestId)
 | map(select(.output.outputBodyJson? | .. | objects | select(.stopReason? == "guardrail_intervened"
   or ((."amazon-bedrock-guardrailAction"? // "") | ascii_downcase) == "intervened")))
 | length'

check_export() { # $1 name, $2 evidence dir
	name=$1
	ev=$2
	case_db="$tmp/$name.case"
	if ! "$LLMTRAIL" index -j 1 "$case_db" "$ev" >/dev/null 2>"$tmp/$name.err"; then
		notok "$name: index"
		return
	fi
	"$LLMTRAIL" stats "$case_db" -f json >"$tmp/$name.stats.json" 2>"$tmp/$name.stats.err"
	rc=$?
	if [ $rc -eq 0 ] && jq -e . "$tmp/$name.stats.json" >/dev/null 2>&1; then ok "$name: stats -f json is JSON"; else notok "$name: stats -f json (exit $rc)"; return; fi
	find "$ev" -path '*BedrockModelInvocationLogs*' -name '*.json.gz' ! -path '*/data/*' -exec zcat {} + |
		jq -c -s "$inv_jq" >"$tmp/$name.inv.want"
	jq -c "$stats_inv_jq" "$tmp/$name.stats.json" >"$tmp/$name.inv.got"
	if [ -s "$tmp/$name.inv.want" ] && cmp -s "$tmp/$name.inv.want" "$tmp/$name.inv.got"; then
		ok "$name: invocations, tokens and latency percentiles per model match zcat | jq"
	else
		notok "$name: per-model figures differ from zcat | jq"
		diff "$tmp/$name.inv.want" "$tmp/$name.inv.got" | head -5 | sed 's/^/# /'
	fi
	find "$ev" -path '*/CloudTrail/*' -name '*.json.gz' -exec zcat {} + | jq -c -s "$ct_jq" >"$tmp/$name.ct.want"
	jq -c "$stats_ct_jq" "$tmp/$name.stats.json" >"$tmp/$name.ct.got"
	if [ -s "$tmp/$name.ct.want" ] && cmp -s "$tmp/$name.ct.want" "$tmp/$name.ct.got"; then
		ok "$name: CloudTrail Bedrock calls and errors by action match zcat | jq"
	else
		notok "$name: CloudTrail figures differ from zcat | jq"
		diff "$tmp/$name.ct.want" "$tmp/$name.ct.got" | head -5 | sed 's/^/# /'
	fi
	want=$(find "$ev" -path '*BedrockModelInvocationLogs*' -name '*.json.gz' ! -path '*/data/*' -exec zcat {} + | jq -s "$guard_jq")
	got=$(jq '.total.guardrail_interventions' "$tmp/$name.stats.json")
	if [ "$want" = "$got" ]; then ok "$name: guardrail interventions ($got) match"; else notok "$name: guardrail interventions $got, jq says $want"; fi
	# by day: the day totals add up to the total
	"$LLMTRAIL" stats "$case_db" --by day -f json >"$tmp/$name.day.json"
	sum=$(jq '[.rows[].invocations] | add' "$tmp/$name.day.json")
	tot=$(jq '.total.invocations' "$tmp/$name.day.json")
	if [ "$sum" = "$tot" ]; then ok "$name: --by day rows add up to the total ($tot)"; else notok "$name: --by day rows $sum, total $tot"; fi
	"$LLMTRAIL" stats "$case_db" --by principal --by model -f csv >"$tmp/$name.csv"
	if head -1 "$tmp/$name.csv" | grep -q '^principal,model,invocations,'; then ok "$name: CSV header"; else notok "$name: CSV header"; fi
}

check_export demo "$LLMTRAIL_SRCDIR/testdata/demo/acme-central-audit-logs"

gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
if [ -x "$gen" ] && "$gen" --out "$tmp/gen" --size 2M --seed 7 --attacks on >/dev/null 2>&1; then
	check_export generated "$tmp/gen/acme-central-audit-logs"
else
	notok "llmtrail-gen corpus"
fi

# options
"$LLMTRAIL" stats "$tmp/demo.case" --by nonsense >/dev/null 2>&1
[ $? -eq 2 ] && ok "--by with an unknown key is a usage error" || notok "--by nonsense should exit 2"
out=$("$LLMTRAIL" stats "$tmp/demo.case" --since 2026-03-10T00:00:00Z --until 2026-03-10T03:00:00Z -f json | jq '.total.invocations')
want=$(find "$LLMTRAIL_SRCDIR/testdata/demo/acme-central-audit-logs" -path '*BedrockModelInvocationLogs*' -name '*.json.gz' ! -path '*/data/*' -exec zcat {} + |
	jq -s 'map(select(.schemaType == "ModelInvocationLog" and .timestamp >= "2026-03-10T00:00:00" and .timestamp < "2026-03-10T03:00:00")) | unique_by(.requestId) | length')
[ "$out" = "$want" ] && ok "--since/--until bound the events ($out)" || notok "--since/--until: $out, want $want"

echo "1..$n"
[ "$fails" -eq 0 ]
