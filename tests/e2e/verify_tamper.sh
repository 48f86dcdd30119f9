#!/bin/sh
# verify_tamper.sh — `llmtrail verify` on a generated export with signed digest
# chains (llmtrail-gen makes a fresh RSA key), untouched and tampered:
# an altered log file, a deleted log file, a deleted digest (chain gap), a
# swapped previousDigestSignature, a log file slipped in. Each must be caught
# (exit 1, the right counter); the untouched chain must verify (exit 0), and
# so must the bundled demo. TAP output.
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
gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
if ! "$gen" --out "$tmp/gen" --size 400K --seed 11 --accounts 1 --regions 1 --days 1 --attacks off >/dev/null 2>&1; then
	echo "not ok 1 - llmtrail-gen"
	echo "1..1"
	exit 1
fi
keys="--public-keys $tmp/gen/public-keys.json --public-keys $tmp/gen/digest-signatures.jsonl"

run_verify() { # $1 name, $2 evidence dir; sets rc and writes $tmp/$1.json
	rm -f "$tmp/$1.case"
	"$LLMTRAIL" index -j 1 "$tmp/$1.case" "$2" >/dev/null 2>&1
	# shellcheck disable=SC2086
	"$LLMTRAIL" verify "$tmp/$1.case" $keys -f json >"$tmp/$1.json" 2>"$tmp/$1.err"
	rc=$?
}
field() { jq -r ".digests.summary.$2" "$tmp/$1.json" 2>/dev/null; }
copy() { rm -rf "$tmp/$1"; cp -r "$tmp/gen/acme-central-audit-logs" "$tmp/$1"; }

run_verify clean "$tmp/gen/acme-central-audit-logs"
digests=$(field clean digests)
if [ $rc -eq 0 ] && [ "$(jq -r .digests.overall "$tmp/clean.json")" = valid ] && [ "$digests" -gt 2 ] &&
	[ "$(field clean digests_valid)" = "$digests" ]; then
	ok "untouched chain verifies: $digests digests, $(field clean logfiles_valid) log files"
else
	notok "untouched chain (exit $rc, $(jq -c .digests.summary "$tmp/clean.json" 2>/dev/null))"
fi

ctlogs=$(cd "$tmp/gen/acme-central-audit-logs" && find . -path '*/CloudTrail/*' -name '*.json.gz' | sort)
digs=$(cd "$tmp/gen/acme-central-audit-logs" && find . -path '*/CloudTrail-Digest/*' -name '*.json.gz' | sort)
victim=$(printf '%s\n' "$ctlogs" | sed -n 3p)
mid=$(printf '%s\n' "$digs" | sed -n 2p)
next=$(printf '%s\n' "$digs" | sed -n 3p)

copy altered
zcat "$tmp/altered/$victim" | sed 's/"eventName":"/"eventName":"X/' | gzip -n >"$tmp/x.gz" && mv "$tmp/x.gz" "$tmp/altered/$victim"
run_verify altered "$tmp/altered"
[ $rc -eq 1 ] && [ "$(field altered logfiles_altered)" = 1 ] && ok "altered log file caught" ||
	notok "altered log file (exit $rc, altered $(field altered logfiles_altered))"

copy deleted
rm "$tmp/deleted/$victim"
run_verify deleted "$tmp/deleted"
[ $rc -eq 1 ] && [ "$(field deleted logfiles_missing)" = 1 ] && ok "deleted log file caught" ||
	notok "deleted log file (exit $rc, missing $(field deleted logfiles_missing))"

copy gap
rm "$tmp/gap/$mid"
run_verify gap "$tmp/gap"
gaps=$(jq '[.digests.checks[] | select(.check == "previous digest" and .status == "invalid")] | length' "$tmp/gap.json")
[ $rc -eq 1 ] && [ "$gaps" -ge 1 ] && ok "deleted digest: chain gap caught" || notok "chain gap (exit $rc, $gaps)"

copy swapped
other=$(zcat "$tmp/swapped/$next" | jq -r .previousDigestSignature)
zcat "$tmp/swapped/$mid" | jq -c --arg s "$other" '.previousDigestSignature = $s' | gzip -n >"$tmp/x.gz" &&
	mv "$tmp/x.gz" "$tmp/swapped/$mid"
run_verify swapped "$tmp/swapped"
sigs=$(jq '[.digests.checks[] | select(.check == "signature" and .status == "invalid")] | length' "$tmp/swapped.json")
[ $rc -eq 1 ] && [ "$sigs" -ge 1 ] && ok "swapped signature caught ($sigs invalid signatures)" ||
	notok "swapped signature (exit $rc, $sigs)"

copy injected
dir=$(dirname "$victim")
base=$(basename "$victim" | sed 's/_[^_]*\.json\.gz$//')
cp "$tmp/injected/$victim" "$tmp/injected/$dir/${base}_ffffffffffffffff.json.gz"
run_verify injected "$tmp/injected"
[ $rc -eq 1 ] && [ "$(field injected logfiles_unlisted)" = 1 ] && ok "injected log file caught" ||
	notok "injected log file (exit $rc, unlisted $(field injected logfiles_unlisted))"

# without keys: signatures unverifiable, nothing invalid: exit 1, unless
# --allow-unverifiable (then 0); the verdict line counts them
"$LLMTRAIL" verify "$tmp/clean.case" >"$tmp/nokeys.txt" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q '^overall: unverifiable' "$tmp/nokeys.txt" &&
	grep -Eq '^verify: [0-9]+ verified, [1-9][0-9]* unverifiable, 0 invalid' "$tmp/nokeys.txt" &&
	ok "no keys: unverifiable, exit 1" || notok "no keys (exit $rc)"
"$LLMTRAIL" verify --allow-unverifiable "$tmp/clean.case" >"$tmp/nokeys2.txt" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "no keys, --allow-unverifiable: exit 0" || notok "no keys, --allow-unverifiable (exit $rc)"

demo="$LLMTRAIL_SRCDIR/testdata/demo"
"$LLMTRAIL" index -j 1 "$tmp/demo.case" "$demo/acme-central-audit-logs" >/dev/null 2>&1
"$LLMTRAIL" verify "$tmp/demo.case" --public-keys "$demo/public-keys.json" --public-keys "$demo/digest-signatures.jsonl" >"$tmp/demo.txt" 2>&1
rc=$?
# the demo's chain verifies, but its story has calls without records and a
# CloudTrail gap (StopLogging): verify says so and exits 1
[ $rc -eq 1 ] && grep -q '^overall: valid' "$tmp/demo.txt" &&
	grep -Eq '^verify: [0-9]+ verified, 0 unverifiable, 0 invalid; 0 log files missing; 24 calls without an invocation record, 0 records without a call, 1 CloudTrail coverage gap$' "$tmp/demo.txt" &&
	ok "demo chain verifies, the missing records and the gap make exit 1" || notok "demo chain (exit $rc)"
grep -q 'cloudtrail-only  24 CloudTrail Bedrock runtime calls' "$tmp/demo.txt" && ok "demo: logging-off window reported" ||
	notok "demo: logging-off window"
grep -q 'cloudtrail-gap   no CloudTrail record in 225510193261/us-east-1 from 2026-03-10T03:31:00Z to 2026-03-10T08:55:00Z' "$tmp/demo.txt" &&
	ok "demo: CloudTrail stopped 03:31-08:55 reported" || notok "demo: CloudTrail gap"
"$LLMTRAIL" verify "$tmp/demo.case" --public-keys /nonexistent >/dev/null 2>&1
[ $? -eq 2 ] && ok "unreadable key file: exit 2" || notok "unreadable key file should exit 2"

echo "1..$n"
[ "$fails" -eq 0 ]
