#!/bin/sh
# parse_once.sh — analyze detects once, in the index workers, and the scans
# after it reuse what was stored (issue 15, pipeline/detectrun.h): the
# findings, incidents and timeline are byte-identical to matching every
# record again (--redetect), on the demo and on a generated corpus; other
# rules (another digest), a case indexed without rules, and damaged stored
# detections all fall back to matching the records, with the same result
# and, for damage, a warning. TAP output (the plan comes last).
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
LC_ALL=C TZ=UTC
export LC_ALL TZ
GEN="${LLMTRAIL_BUILDDIR:?}/llmtrail-gen"
OUTS="findings.jsonl incidents.jsonl timeline.csv"

same_outputs() { # same_outputs DIR1 DIR2
	for f in $OUTS; do cmp -s "$1/$f" "$2/$f" || return 1; done
}
# stored COUNT-FILE: the number of events matched with stored detections
stored() { sed -n 's/.*info: matched \([0-9]*\) of [0-9]* events with the detections the index stored.*/\1/p' "$1"; }
events() { sed -n 's/.*info: matched [0-9]* of \([0-9]*\) events with the detections the index stored.*/\1/p' "$1"; }

for ev in demo gen; do
	if [ $ev = demo ]; then
		src="$LLMTRAIL_SRCDIR/testdata/demo"
	else
		src="$tmp/gen"
		"$GEN" --out "$src" --size 3M --seed 5 --attacks on >/dev/null 2>&1
	fi
	"$LLMTRAIL" -v analyze "$src" -o "$tmp/$ev-a" --fail-on none >/dev/null 2>"$tmp/$ev-a.err"
	"$LLMTRAIL" -v analyze "$src" -o "$tmp/$ev-r" --fail-on none --redetect >/dev/null 2>"$tmp/$ev-r.err"
	check "$ev: analyze matched every event it could with the detections the index stored" \
		'[ "$(stored "$tmp/$ev-a.err")" -gt 0 ] && [ "$(events "$tmp/$ev-a.err")" -ge "$(stored "$tmp/$ev-a.err")" ]'
	check "$ev: --redetect matched none with stored detections" '[ "$(stored "$tmp/$ev-r.err")" -eq 0 ]'
	check "$ev: stored and re-detected: $OUTS identical" 'same_outputs "$tmp/$ev-a" "$tmp/$ev-r"'
	check "$ev: the outputs are not empty" '[ -s "$tmp/$ev-a/findings.jsonl" ]'
done

# a scan with other rules: another digest, nothing stored is used, same as --redetect
case_db="$tmp/demo-a/case.sqlite"
rules="$tmp/extra.yml"
cat >"$rules" <<'YML'
title: Any ListFoundationModels call
id: 0b9c1a55-8a4e-4d4c-9d0e-0c4a3f2d1e01
status: test
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ListFoundationModels}
  condition: sel
YML
"$LLMTRAIL" -v scan "$case_db" -o "$tmp/x1" --rules "$rules" --fail-on none >/dev/null 2>"$tmp/x1.err"
"$LLMTRAIL" -v scan "$case_db" -o "$tmp/x2" --rules "$rules" --fail-on none --redetect >/dev/null 2>"$tmp/x2.err"
check "other rules: no stored detection used" '[ "$(stored "$tmp/x1.err")" -eq 0 ]'
check "other rules: same outputs as --redetect" 'same_outputs "$tmp/x1" "$tmp/x2"'
check "other rules: the extra rule found something" 'grep -q "Any ListFoundationModels call" "$tmp/x1/findings.jsonl"'

# the same rules again: stored detections used, same outputs as analyze's
"$LLMTRAIL" -v scan "$case_db" -o "$tmp/x3" --fail-on none >/dev/null 2>"$tmp/x3.err"
check "rescan, same rules: stored detections used, same outputs" \
	'[ "$(stored "$tmp/x3.err")" -eq "$(stored "$tmp/demo-a.err")" ] && same_outputs "$tmp/x3" "$tmp/demo-a"'

# index detects with the shipped packs too; its scan uses what it stored, same result;
# index --no-detect stores nothing and its scan matches the records, same result
"$LLMTRAIL" -q index "$tmp/i.case" "$LLMTRAIL_SRCDIR/testdata/demo" >/dev/null 2>&1
"$LLMTRAIL" -v scan "$tmp/i.case" -o "$tmp/x4" --fail-on none >/dev/null 2>"$tmp/x4.err"
check "index then scan: the detections index stored are used, same outputs as analyze" \
	'[ "$(stored "$tmp/x4.err")" -eq "$(stored "$tmp/demo-a.err")" ] && same_outputs "$tmp/x4" "$tmp/demo-a"'
"$LLMTRAIL" -q index --no-detect "$tmp/n.case" "$LLMTRAIL_SRCDIR/testdata/demo" >/dev/null 2>&1
"$LLMTRAIL" -v scan "$tmp/n.case" -o "$tmp/x4n" --fail-on none >/dev/null 2>"$tmp/x4n.err"
check "index --no-detect then scan: nothing stored, same outputs as analyze" \
	'[ "$(stored "$tmp/x4n.err")" -eq 0 ] && same_outputs "$tmp/x4n" "$tmp/demo-a"'
"$LLMTRAIL" -q index --no-default-rules --rules "$rules" "$tmp/r.case" "$LLMTRAIL_SRCDIR/testdata/demo" >/dev/null 2>&1
"$LLMTRAIL" -v scan "$tmp/r.case" -o "$tmp/x4r" --no-default-rules --rules "$rules" --fail-on none >/dev/null 2>"$tmp/x4r.err"
"$LLMTRAIL" -v scan "$tmp/r.case" -o "$tmp/x4rr" --no-default-rules --rules "$rules" --fail-on none --redetect >/dev/null 2>"$tmp/x4rr.err"
check "index --rules: a scan with the same rules uses what index stored, same outputs as --redetect" \
	'[ "$(stored "$tmp/x4r.err")" -gt 0 ] && same_outputs "$tmp/x4r" "$tmp/x4rr"'

# damaged stored detections: those blocks are matched from their records, with a warning
if command -v sqlite3 >/dev/null 2>&1; then
	cp "$case_db" "$tmp/d.case"
	sqlite3 "$tmp/d.case" "UPDATE detections SET data = x'05789c' WHERE block_id IN (SELECT block_id FROM detections ORDER BY block_id LIMIT 3)"
	"$LLMTRAIL" -v scan "$tmp/d.case" -o "$tmp/x5" --fail-on none >/dev/null 2>"$tmp/x5.err"
	check "damaged detections: a warning names them" \
		'grep -q "stored detections of 0 event(s) and 3 event block(s) in the case index did not decode: .*(first: event block [0-9]* of member [0-9]*: stored detections: " "$tmp/x5.err"'
	check "damaged detections: fewer events matched with stored ones, same findings and incidents" \
		'[ "$(stored "$tmp/x5.err")" -lt "$(stored "$tmp/x3.err")" ] && cmp -s "$tmp/x5/incidents.jsonl" "$tmp/x3/incidents.jsonl" &&
		 [ "$(grep -c . "$tmp/x5/findings.jsonl")" -eq "$(grep -c . "$tmp/x3/findings.jsonl")" ]'
else
	ok "# SKIP sqlite3 not installed"
	ok "# SKIP sqlite3 not installed"
fi

# the usage dashboard reads only the records it needs: a CloudTrail record
# that lists no resources is not read again (EV_F_NO_RESOURCES), one that
# names a Bedrock resource is, and the dashboard still shows that resource
# (issue 15)
ctdir="$tmp/rs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02"
mkdir -p "$ctdir"
ct_rec() { # ct_rec NAME SECOND RESOURCES
	printf '{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/App/s1","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE000000001"},"eventTime":"2026-03-02T10:00:%sZ","eventSource":"bedrock.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userAgent":"Boto3/1.34.84","requestID":"11111111-2222-4333-8444-5555555555%s","eventID":"aaaaaaaa-2222-4333-8444-5555555555%s","readOnly":true%s,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}' \
		"$2" "$1" "$2" "$2" "$3"
}
{
	printf '{"Records":['
	ct_rec Retrieve 10 ',"resources":[{"accountId":"111122223333","type":"AWS::Bedrock::KnowledgeBase","ARN":"arn:aws:bedrock:us-east-1:111122223333:knowledge-base/KBRESOURCE42"}]'
	for s in 11 12 13 14 15; do printf ','; ct_rec ListFoundationModels $s ''; done
	printf ']}'
} | gzip -c >"$ctdir/111122223333_CloudTrail_us-east-1_20260302T1000Z_abc.json.gz"
records_read() { sed -n 's/.*info: matched .* events with the detections the index stored.*; \([0-9]*\) records read.*/\1/p' "$1"; }
"$LLMTRAIL" -v analyze "$tmp/rs" -o "$tmp/rs-a" --fail-on none >/dev/null 2>"$tmp/rs-a.err"
"$LLMTRAIL" -v scan "$tmp/rs-a/case.sqlite" -o "$tmp/rs-s" --fail-on none >/dev/null 2>"$tmp/rs-s.err"
check "dashboard: of six Bedrock calls only the one with resources is read again" \
	'[ "$(records_read "$tmp/rs-a.err")" = 1 ] && [ "$(records_read "$tmp/rs-s.err")" = 1 ]'
check "dashboard: the resource is shown, by analyze and by the rescan" \
	'grep -q KBRESOURCE42 "$tmp/rs-a/report.html" && grep -q KBRESOURCE42 "$tmp/rs-s/report.html"'

echo "1..$n"
[ "$fails" -eq 0 ]
