#!/bin/sh
# custody_live.sh — custody is live (issue 22 #8): after `index`, a file of
# the evidence changed (same size, other bytes; or other size) or deleted is
# reported by scan, verify, show and a re-run of index, with exit 3; show
# still prints the stored copy, labelled.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

mkdir -p "$T/ev"
cp "$DATA/ct-a.json" "$T/ev/a.json"
cp "$DATA/ct-b.json" "$T/ev/b.json"
cp "$DATA/ct-c.json" "$T/f.json"
C="$T/case.db"
"$LLMTRAIL" index "$C" "$T/ev" "$T/f.json" >/dev/null 2>&1
check "index: clean evidence, exit 0" [ $? -eq 0 ]
"$LLMTRAIL" scan "$C" -o "$T/r0" -f md >/dev/null 2>"$T/err0"
check "scan before any change: exit 0" [ $? -eq 0 ]

sed 's/aws-cli/AWS-CLI/' "$T/ev/a.json" >"$T/a.tmp" && mv "$T/a.tmp" "$T/ev/a.json" # same size, other bytes
rm "$T/ev/b.json"
printf ' ' >>"$T/f.json"

"$LLMTRAIL" scan "$C" -o "$T/r1" -f junit,md >"$T/out1" 2>"$T/err1"
check "scan: exit 3" [ $? -eq 3 ]
check "scan: the altered file (same size) is named by its SHA-256" \
	grep -q "^llmtrail: changed: $T/ev: a.json: SHA-256 [0-9a-f]*, [0-9a-f]* when it was indexed" "$T/err1"
check "scan: the deleted file is named" grep -q "^llmtrail: missing: $T/ev: b.json: gone since it was indexed" "$T/err1"
check "scan: the grown file is named by its size" \
	grep -q "^llmtrail: changed: $T/f.json: size [0-9]* bytes, [0-9]* when it was indexed" "$T/err1"
check "scan: counted as evidence problems" grep -q "^evidence problems: 3" "$T/out1"
check "scan: in the report" grep -q "missing: gone since it was indexed" "$T/r1/junit.xml"

"$LLMTRAIL" verify "$C" >/dev/null 2>"$T/err2"
check "verify: exit 3" [ $? -eq 3 ]
check "verify: names the deleted file" grep -q "^llmtrail: missing: $T/ev: b.json" "$T/err2"

"$LLMTRAIL" show "$C" ct-0001 >"$T/show" 2>/dev/null
check "show: exit 3" [ $? -eq 3 ]
check "show: says the file on disk differs" grep -q "^# on-disk  *changed: SHA-256 .*the record below is the copy stored" "$T/show"
check "show: still prints the stored record" grep -q '"userAgent":"aws-cli/2.15.0"' "$T/show"
"$LLMTRAIL" show "$C" ct-0009 >"$T/show2" 2>/dev/null
check "show of a record whose file is gone: exit 3" [ $? -eq 3 ]
check "show of a record whose file is gone: labelled" grep -q '^# on-disk  *missing: gone' "$T/show2"

"$LLMTRAIL" index "$C" "$T/ev" "$T/f.json" >"$T/out3" 2>"$T/err3"
check "index again: exit 3" [ $? -eq 3 ]
check "index again: the changed file is named" grep -q "^llmtrail: changed: $T/ev: a.json: member changed since it was indexed" "$T/err3"
check "index again: the deleted file is named" grep -q "^llmtrail: missing: $T/ev: b.json: gone since it was indexed" "$T/err3"

rm -rf "$T/ev"
"$LLMTRAIL" scan "$C" -o "$T/r2" -f md >/dev/null 2>"$T/err4"
check "scan after the folder is deleted: exit 3" [ $? -eq 3 ]
check "scan: the folder is named" grep -q "^llmtrail: missing: $T/ev: evidence folder gone since it was indexed" "$T/err4"
finish
