#!/bin/sh
# index_problems.sh — every problem kind is recorded with file, member, line
# and reason, printed on stderr (escaped), and unreadable evidence exits 3.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

make_export "$T/ev"
# unreadable: a truncated gzip member
gzip -nc "$DATA/ct-b.json" | head -c 200 >"$T/ev/$CT_DIR/truncated.json.gz"
# skipped: a symlink inside the folder is not followed
ln -s /etc/passwd "$T/ev/link.json"
# a member name with a control character
cp "$DATA/ct-c.json" "$T/ev/evil$(printf '\033')name.json"
printf '{"Records":[' >"$T/ev/cut.json"
C="$T/case.db"
"$LLMTRAIL" index "$C" "$T/ev" "$T/does-not-exist" >"$T/out" 2>"$T/err"
rc=$?
check "exit 3: some evidence unreadable" [ "$rc" -eq 3 ]
check "evidence: a path that does not exist" grep -q "^llmtrail: evidence: $T/does-not-exist: " "$T/err"
check "unreadable: truncated gzip names the member" grep -q "^llmtrail: unreadable: $T/ev: $CT_DIR/truncated.json.gz: .*gzip" "$T/err"
check "unreadable: a document cut short" grep -q "^llmtrail: unreadable: $T/ev: cut.json: " "$T/err"
check "bad-record: names line 4" grep -q "^llmtrail: bad-record: $T/ev: $INV_DIR/inv.json.gz: line 4: " "$T/err"
check "missing-body: names the record's line" grep -q "^llmtrail: missing-body: $T/ev: $INV_DIR/inv.json.gz: line 3: output body s3://" "$T/err"
check "skipped: symlink not followed" grep -q "^llmtrail: skipped: $T/ev: link.json: " "$T/err"
check "stderr holds no raw escape byte" sh -c "! grep -q \"$(printf '\033')\" '$T/err'"
check "event from the oddly named member is indexed" [ "$("$LLMTRAIL" show "$C" req-0001 | grep -c '^# source')" -eq 2 ]
# changed: a member whose bytes differ from when it was indexed
cp "$DATA/ct-b.json" "$T/mutable.json"
"$LLMTRAIL" index "$C" "$T/mutable.json" >/dev/null 2>&1
sed 's/Boto3/boto3/' "$DATA/ct-b.json" >"$T/mutable.json"
"$LLMTRAIL" index "$C" "$T/mutable.json" >/dev/null 2>"$T/err2"
check "changed: reported" grep -q "^llmtrail: changed: $T/mutable.json: member changed since it was indexed" "$T/err2"
"$LLMTRAIL" index "$C" "$T/ev" >"$T/out3" 2>/dev/null
check "re-run still exits 3 for the unreadable members it skips" [ $? -eq 3 ]
check "and says problems were recorded earlier" grep -q '^earlier: ' "$T/out3"
if have_sqlite3; then
	for kind in evidence unreadable bad-record missing-body changed skipped; do
		check "problems table has a '$kind' row with a reason" \
			[ "$(sqlite3 "$C" "SELECT count(*) FROM problems WHERE kind = '$kind' AND reason != '' AND file != ''")" -ge 1 ]
	done
	check "bad-record row carries the line" [ "$(sqlite3 "$C" "SELECT line FROM problems WHERE kind = 'bad-record'")" -eq 4 ]
	check "no problem recorded twice across runs" \
		[ "$(sqlite3 "$C" "SELECT count(*) FROM (SELECT kind, file, member, line, reason FROM problems GROUP BY 1,2,3,4,5 HAVING count(*) > 1)")" -eq 0 ]
else
	for i in 1 2 3 4 5 6 7 8; do ok "# SKIP sqlite3 shell not installed"; done
fi
# the missing body arrives later: the problem goes away
mkdir -p "$T/late/$INV_DIR/data"
echo '{"output":{"message":{"content":[{"text":"late"}]}}}' >"$T/late/$INV_DIR/data/req-0003-output.json"
"$LLMTRAIL" index "$C" "$T/late" >"$T/out4" 2>&1
check "a body that arrives later resolves the missing-body problem" grep -q 'missing bodies 0' "$T/out4"
finish
