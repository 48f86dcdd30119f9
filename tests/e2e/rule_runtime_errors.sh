#!/bin/sh
# rule_runtime_errors.sh — a rule that fails at run time (its regex hits the
# PCRE2 match limit) is counted per rule and reaches the exit code.
# 30 events make rule "early" fail first, then 120 events make rule "late"
# fail: the scan must exit 2 (rule error), count both rules as failed in the
# summary, name both with their counts on stderr (the one that failed most
# first), give each its JUnit <error> with the count, and leave a healthy rule
# passed. Before the fix: exit 0, "0 failed", only the first 20 failures shown,
# all of rule "early". TAP output.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh" # TAP helpers, $T cleaned on exit

# record I UA BUCKET: one CloudTrail event, second I of 2024-05-01T12:00.
record() {
	printf '{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333"},'
	printf '"eventTime":"2024-05-01T12:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject",' $(($1 / 60)) $(($1 % 60))
	printf '"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"%s",' "$2"
	printf '"requestParameters":{"bucketName":"%s"},"responseElements":null,' "$3"
	printf '"requestID":"req-%04d","eventID":"ev-%04d","readOnly":true,"eventType":"AwsApiCall",' "$1" "$1"
	printf '"managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}'
}
a40=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
b40=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
mkdir -p "$T/ev"
{
	printf '{"Records":['
	i=0
	while [ $i -lt 150 ]; do
		[ $i -gt 0 ] && printf ','
		if [ $i -lt 30 ]; then record $i "agent" "${b40}!"; else record $i "${a40}!" "bucket"; fi
		i=$((i + 1))
	done
	printf ']}\n'
} >"$T/ev/111122223333_CloudTrail_us-east-1_20240501T1200Z_x.json"

mkdir -p "$T/rules"
rule() { # rule NAME ID FIELD REGEX
	cat >"$T/rules/$1.yml" <<EOF
title: Runaway regex $1
id: $2
status: test
level: high
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    $3|re: '$4'
  condition: sel
EOF
}
rule early 11111111-1111-4111-8111-111111111111 requestParameters.bucketName '^(b+)+$'
rule late 22222222-2222-4222-8222-222222222222 userAgent '^(a+)+$'
rule healthy 33333333-3333-4333-8333-333333333333 eventName 'NoSuchEvent'

"$LLMTRAIL" index -j 1 "$T/case" "$T/ev" >"$T/index.out" 2>&1
check "index the 150 events" grep -q "150" "$T/index.out"
"$LLMTRAIL" scan "$T/case" --no-default-rules -r "$T/rules" -o "$T/out" -f junit,jsonl \
	>"$T/scan.out" 2>"$T/scan.err"
rc=$?
check "exit code 2 (rule error), got $rc" [ $rc -eq 2 ]
check "summary counts both rules failed" grep -q "^rules: .* 2 failed$" "$T/scan.out"
check "summary counts the failing events" grep -q "^rule errors: 150 event(s) in 2 rule(s)$" "$T/scan.out"
check "stderr names the rule that failed 120 times" \
	grep -q "rule 22222222-2222-4222-8222-222222222222 (Runaway regex late) failed at run time on 120 event(s)" "$T/scan.err"
check "stderr names the rule that failed 30 times" \
	grep -q "rule 11111111-1111-4111-8111-111111111111 (Runaway regex early) failed at run time on 30 event(s)" "$T/scan.err"
first=$(grep -n "failed at run time on [0-9]* event(s)" "$T/scan.err" | head -1)
case $first in
*22222222*) ok "the rule that failed most is named first" ;;
*) notok "the rule that failed most is named first ($first)" ;;
esac
check "JUnit <error> for the late rule with its count" \
	grep -q '<error type="rule error" message="failed at run time on 120 event(s)' "$T/out/junit.xml"
check "JUnit <error> for the early rule with its count" \
	grep -q '<error type="rule error" message="failed at run time on 30 event(s)' "$T/out/junit.xml"
check "JUnit counts 2 errors" grep -q 'errors="2"' "$T/out/junit.xml"
check "the reason says what failed" grep -q "regular expression exceeded its match limit" "$T/out/junit.xml"
check "the healthy rule passed" \
	grep -q '33333333-3333-4333-8333-333333333333: Runaway regex healthy" time="0"/>' "$T/out/junit.xml"
check "the error names the first events it failed on" grep -q "first on ev-0030, ev-0031, ev-0032" "$T/out/junit.xml"
check "rule failures are not counted as evidence problems" grep -q "^evidence problems: 0$" "$T/scan.out"
finish
