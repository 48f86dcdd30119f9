#!/bin/sh
# terminal_escape.sh — what the CLI prints escapes control characters, bidi
# overrides and invalid UTF-8 as the reports do (issue 22 #14): timeline
# table/csv, error messages; timeline jsonl keeps different invalid bytes
# different (\udcNN, reversible).
. "$LLMTRAIL_SRCDIR/tests/e2e/index_lib.sh"
echo "1..7"
RLO=$(printf '\342\200\256') # U+202E RIGHT-TO-LEFT OVERRIDE
FF=$(printf '\377')
FE=$(printf '\376')
mkdir -p "$T/ev"
rec() { # eventID userAgent
	printf '{"Records":[{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve"},"eventTime":"2024-05-01T12:00:00Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"%s","requestID":"r-%s","eventID":"%s","eventType":"AwsApiCall","recipientAccountId":"111122223333"}]}\n' "$2" "$1" "$1"
}
rec e-rlo "boto3 ${RLO}fdp.exe" >"$T/ev/ua.json"
rec e-ff "ua" >"$T/ev/n${FF}.json"
rec e-fe "ua" >"$T/ev/n${FE}.json"
printf '{"Records":[{' >"$T/ev/bad${RLO}name.json"
"$LLMTRAIL" index "$T/case" "$T/ev" >/dev/null 2>"$T/err"
"$LLMTRAIL" timeline "$T/case" >"$T/table"
"$LLMTRAIL" timeline -f csv "$T/case" >"$T/csv"
"$LLMTRAIL" timeline -f jsonl "$T/case" >"$T/jsonl"
check "table: no raw U+202E or invalid byte" sh -c '! grep -q -e "$1" -e "$2" -e "$3" "$4"' x "$RLO" "$FF" "$FE" "$T/table"
check "table: U+202E shown as \\u202E" grep -q 'boto3 \\u202Efdp.exe' "$T/table"
check "csv: no raw U+202E or invalid byte" sh -c '! grep -q -e "$1" -e "$2" -e "$3" "$4"' x "$RLO" "$FF" "$FE" "$T/csv"
check "csv: invalid bytes shown as \\xFF / \\xFE" sh -c 'grep -q "n\\\\xFF.json" "$1" && grep -q "n\\\\xFE.json" "$1"' x "$T/csv"
check "jsonl: different invalid bytes stay different (\\udcff, \\udcfe)" \
	sh -c 'grep -q "n\\\\udcff.json" "$1" && grep -q "n\\\\udcfe.json" "$1"' x "$T/jsonl"
check "errors: no raw U+202E on stderr" sh -c '! grep -q "$1" "$2"' x "$RLO" "$T/err"
check "errors: the file is named with \\u202E" grep -q 'bad\\u202Ename.json' "$T/err"
exit $((fails > 0))
