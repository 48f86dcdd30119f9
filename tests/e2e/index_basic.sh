#!/bin/sh
# index_basic.sh — `index` an S3-style export, then `timeline` and `show`
# print what was indexed: order, filters, escaping, exact bytes, provenance.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

make_export "$T/ev"
cp "$DATA/ct-b.json" "$DATA/ct-c.json" "$T/"
C="$T/case.db"
"$LLMTRAIL" index "$C" "$T/ev" "$T/ct-b.json" "$T/ct-c.json" >"$T/out" 2>"$T/err"
rc=$?
check "index exits 3 when a record is unreadable" [ "$rc" -eq 3 ]
check "summary counts events by source and duplicates" \
	grep -q '^events: *7 new (cloudtrail 4, invocation 3), 1 duplicates dropped' "$T/out"
check "bad line reported with file, member and line" \
	grep -q "^llmtrail: bad-record: $T/ev: $INV_DIR/inv.json.gz: line 4: " "$T/err"
check "missing body reported" grep -q "^llmtrail: missing-body: .*line 3: output body s3://.*req-0003-output.json" "$T/err"
check "no progress display when stderr is not a terminal" sh -c "! grep -q 'ETA' '$T/err'"

"$LLMTRAIL" timeline "$C" >"$T/tl"
check "timeline exits 0" [ $? -eq 0 ]
check "table: header and one line per event" [ "$(wc -l <"$T/tl")" -eq 8 ]
check "table: 14 columns on every line" [ "$(awk -F '  ' 'NF != 14' "$T/tl" | wc -l)" -eq 0 ]
check "table: absent fields are shown as -" \
	grep -q '^2024-05-01T12:00:05.250000Z  invocation  InvokeModel  arn:aws:sts::111122223333:assumed-role/Analyst/alice  -  -  us-east-1  ' "$T/tl"
uids=$(awk 'NR > 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(ct|req)-/) { printf "%s ", $i; break } }' "$T/tl")
check "chronological order, ties broken by source then uid" \
	[ "$uids" = "ct-0000 ct-0001 req-0001 req-0001 req-0002 req-0003 ct-0009 " ]
check "table escapes control characters" grep -q 'mallory\\x1B\[31m' "$T/tl"
check "table holds no raw escape byte" sh -c "! grep -q \"$(printf '\033')\" '$T/tl'"

"$LLMTRAIL" timeline -f csv "$C" >"$T/csv"
check "csv header: the report's timeline.csv columns" sh -c "head -1 '$T/csv' | grep -q '^datetime,timestamp,timestamp_desc,message,source,uid,request_id,action,service,principal,access_key,account,region,source_ip,user_agent,model,error_code,guardrail_action,credential,input_tokens,output_tokens,latency_ms,evidence,member,line,rules,rule_ids'"
check "csv neutralises formulas" grep -q ",\"'=HYPERLINK(\"\"http://evil\"\")\"," "$T/csv"
check "csv lines end in CRLF" sh -c "[ \$(grep -c \"$(printf '\r')\$\" '$T/csv') -eq 8 ]"
check "csv holds no raw escape byte" sh -c "! grep -q \"$(printf '\033')\" '$T/csv'"

"$LLMTRAIL" timeline -f jsonl --source invocation "$C" >"$T/jsonl"
check "jsonl: one object per invocation event" [ "$(grep -c '^{"time":"2024-05-01T1' "$T/jsonl")" -eq 3 ]
check "jsonl escapes through JSON" sh -c "'$LLMTRAIL' timeline -f jsonl '$C' | grep -q 'mallory\\\\u001b\\[31m'"
check "--principal filters" [ "$("$LLMTRAIL" timeline -f csv --principal 'arn:aws:iam::111122223333:user/mallory'"$(printf '\033')"'[31m' "$C" | wc -l)" -eq 2 ]
check "--action filters" [ "$("$LLMTRAIL" timeline -f jsonl --action Converse "$C" | wc -l)" -eq 2 ]
check "--since/--until filter" \
	[ "$("$LLMTRAIL" timeline -f jsonl --since 2024-05-01T12:00:05Z --until 2024-05-01T12:06:00Z "$C" | wc -l)" -eq 4 ]
"$LLMTRAIL" timeline --since yesterday "$C" >/dev/null 2>&1
check "bad --since is a usage error" [ $? -eq 2 ]

"$LLMTRAIL" show "$C" req-0002 | sed '/^# /d' >"$T/raw"
sed -n 2p "$DATA/inv.jsonl" >"$T/want"
check "show prints the exact original bytes after the provenance" cmp -s "$T/raw" "$T/want"
"$LLMTRAIL" show "$C" ct-0001 | sed '/^# /d' | tr -d '\n' >"$T/raw2"
check "exact bytes of a record inside a Records array" grep -qF "$(cat "$T/raw2")" "$DATA/ct-a.json"
"$LLMTRAIL" show "$C" req-0002 >"$T/show"
sha=$(sha256sum "$T/ev/$INV_DIR/inv.json.gz" | cut -d' ' -f1)
check "show gives the member's SHA-256" grep -q "^# member-sha256 *$sha\$" "$T/show"
csha=$(sha256sum "$DATA/inv.jsonl" | cut -d' ' -f1)
check "show gives the decompressed content's SHA-256" grep -q "^# content-sha256 *$csha\$" "$T/show"
check "show gives line and member" sh -c "grep -q '^# line *2\$' '$T/show' && grep -q '^# member *$INV_DIR/inv.json.gz\$' '$T/show'"
"$LLMTRAIL" show --pretty "$C" ct-0009 >"$T/pretty"
check "show --pretty indents the record" grep -q '^  "eventName": "PutModelInvocationLoggingConfiguration",$' "$T/pretty"
# provenance text from evidence (a member named with an escape sequence) is escaped
mkdir -p "$T/esc"
cp "$DATA/ct-b.json" "$T/esc/ct-$(printf '\033')[31mred.json"
"$LLMTRAIL" index "$T/esc.db" "$T/esc" >/dev/null 2>&1
"$LLMTRAIL" show --pretty "$T/esc.db" ct-0009 >"$T/pretty-esc"
check "show escapes provenance text" grep -q '^# member *ct-\\x1B\[31mred.json$' "$T/pretty-esc"
check "show writes no raw escape byte" sh -c "! grep -q \"$(printf '\033')\" '$T/pretty-esc'"
check "show prints every event with that uid" [ "$("$LLMTRAIL" show "$C" req-0001 | grep -c '^# source')" -eq 2 ]
"$LLMTRAIL" show "$C" no-such-uid >/dev/null 2>"$T/err2"
check "show of an unknown uid fails with 2" [ $? -eq 2 ]
check "and says so" grep -q "no event with eventID, requestID or requestId no-such-uid" "$T/err2"
echo "not a case" >"$T/notcase"
"$LLMTRAIL" timeline "$T/notcase" >/dev/null 2>&1
check "timeline on a non-case file is fatal (4)" [ $? -eq 4 ]
finish
