#!/bin/sh
# index_messages.sh — issue 22 #15: what `index` and the report writers say
# and exit with on odd input: skipped links and fifos exit 3 (as scan does),
# a NUL byte is reported as a NUL byte (not "UTF-16"), a numeric eventTime
# as "not a string" (not missing), and a failed report write with its errno.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

mkdir -p "$T/ev"
cp "$DATA/ct-a.json" "$T/ev/"
ln -s /etc/passwd "$T/ev/link.json"
if mkfifo "$T/ev/fifo.json" 2>/dev/null; then have_fifo=1; else have_fifo=0; fi
"$LLMTRAIL" index "$T/case.db" "$T/ev" >"$T/out" 2>"$T/err"
check "index: exit 3 when a link was skipped" [ $? -eq 3 ]
check "index: the link is named" grep -q "^llmtrail: skipped: $T/ev: link.json: symlink not followed" "$T/err"
if [ "$have_fifo" -eq 1 ]; then
	check "index: the fifo is named" grep -q "^llmtrail: skipped: $T/ev: fifo.json: fifo not read" "$T/err"
fi
"$LLMTRAIL" index "$T/case.db" "$T/ev" >/dev/null 2>&1
check "index again: still exit 3 (the link is still there)" [ $? -eq 3 ]

mkdir -p "$T/odd"
printf '{\000"Records":[]}' >"$T/odd/nul-start.json"
printf '{"Records":[\000]}' >"$T/odd/nul-record.json"
printf '{"Records":[{"eventTime":1714564801,"eventID":"x"}]}' >"$T/odd/num-time.json"
"$LLMTRAIL" index "$T/odd.db" "$T/odd" >/dev/null 2>"$T/err2"
check "index odd input: exit 3" [ $? -eq 3 ]
check "a NUL byte before the JSON is named with its offset" \
	grep -q "^llmtrail: unreadable: $T/odd: nul-start.json: NUL byte at offset 1: not UTF-8 JSON text" "$T/err2"
check "a NUL byte inside a record is named" \
	grep -q "^llmtrail: bad-record: $T/odd: nul-record.json: .*expected a value, found a NUL byte" "$T/err2"
check "no NUL byte is called UTF-16" sh -c "! grep -q UTF-16 '$T/err2'"
check "a numeric eventTime is not a string, not missing" \
	grep -q "^llmtrail: bad-record: $T/odd: num-time.json: line 1: CloudTrail record: eventTime is not a string (JSON number)" "$T/err2"

# a report write that fails for lack of room (RLIMIT_FSIZE with SIGXFSZ
# ignored: EFBIG, as a full disk gives ENOSPC) says so with strerror
(trap '' XFSZ; ulimit -f 64 && exec "$LLMTRAIL" scan "$T/case.db" -o "$T/rep" -f html) >/dev/null 2>"$T/err3"
check "report write fails: exit 4" [ $? -eq 4 ]
check "report write fails: the message carries strerror(errno)" grep -q "report.html: write failed: File too large" "$T/err3"

# Issue 22 #5: a member over the big-member threshold (256 MiB decompressed)
# that cannot be spooled to $TMPDIR is marked unreadable, named, and the run
# goes on: first with a TMPDIR that does not exist, then with a spool write
# that fails (RLIMIT_FSIZE with SIGXFSZ ignored: EFBIG, as a full disk).
mkdir -p "$T/bigev" "$T/tmp"
# it must start like evidence text: a member of other bytes is refused after its
# first piece (a cheap bomb, issue 22 #16) and would never reach the spool
{ printf '{"Records":['; head -c 270000000 /dev/zero | tr '\0' ' '; } | gzip -1 >"$T/bigev/big.json.gz"
cp "$DATA/ct-a.json" "$T/bigev/small.json"
TMPDIR="$T/no-such-folder" "$LLMTRAIL" index "$T/big1.db" "$T/bigev" >"$T/out4" 2>"$T/err4"
check "TMPDIR missing: exit 3, not 4" [ $? -eq 3 ]
check "TMPDIR missing: the member is named with the reason" \
	grep -q "^llmtrail: unreadable: $T/bigev: big.json.gz: not read: its decompressed content does not fit in the temporary folder (big member: cannot create a file in $T/no-such-folder: No such file or directory)" "$T/err4"
check "TMPDIR missing: the other member is indexed" grep -q "^events: .* 2 new" "$T/out4"
(trap '' XFSZ; ulimit -f 4096 && TMPDIR="$T/tmp" exec "$LLMTRAIL" index "$T/big2.db" "$T/bigev") >"$T/out5" 2>"$T/err5"
check "spool write fails: exit 3, not 4" [ $? -eq 3 ]
check "spool write fails: the member is named with errno" \
	grep -q "^llmtrail: unreadable: $T/bigev: big.json.gz: not read: .*cannot write the temporary file: File too large" "$T/err5"
check "spool write fails: the other member is indexed" grep -q "^events: .* 2 new" "$T/out5"
check "no spool file is left behind" [ -z "$(ls -A "$T/tmp")" ]
finish
