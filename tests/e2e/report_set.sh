#!/bin/sh
# report_set.sh — a report set is replaced as a whole (issue 22 #11): the new
# set is written beside the output folder and swapped in at once, so a run
# failing between two report files (LLMTRAIL_FAIL_REPORT, the testing aid)
# leaves the previous set byte for byte, no staging folder and no spool; a
# run that succeeds leaves exactly its own files (and analyze's case).
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

mkdir -p "$T/ev"
cp "$DATA/ct-a.json" "$T/ev/a.json"
cp "$DATA/inv.jsonl" "$T/ev/inv.jsonl"
O="$T/out"
"$LLMTRAIL" analyze "$T/ev" -o "$O" >/dev/null 2>&1
check "analyze writes the whole set" [ "$(ls "$O" | grep -cE '^(report.html|junit.xml|findings.jsonl|summary.md|timeline.csv)$')" -eq 5 ]
(cd "$O" && cksum report.html junit.xml findings.jsonl summary.md timeline.csv) >"$T/before"
leftovers() { ls -A "$T" | grep -c 'llmtrail-new'; ls -A "$O" | grep -c '\.tmp$'; }
for f in junit.xml findings.jsonl summary.md timeline.csv; do
	LLMTRAIL_FAIL_REPORT=$f "$LLMTRAIL" scan "$O/case.sqlite" -o "$O" --since 2024-05-01T12:00:03Z >/dev/null 2>"$T/err"
	check "failing at $f: exit 4" [ $? -eq 4 ]
	check "failing at $f: the message names it" grep -q "$f: write failed: Input/output error" "$T/err"
	(cd "$O" && cksum report.html junit.xml findings.jsonl summary.md timeline.csv) >"$T/after"
	check "failing at $f: the previous set is intact, byte for byte" cmp -s "$T/before" "$T/after"
	check "failing at $f: no staging folder, no spool left" [ "$(leftovers | tr '\n' ' ')" = "0 0 " ]
done
"$LLMTRAIL" scan "$O/case.sqlite" -o "$O" -f md --since 2024-05-01T12:00:03Z >/dev/null 2>"$T/err"
check "a successful run: exit 3 (the evidence has known problems), not 4" [ $? -eq 3 ]
check "a successful run: only its own set and the case remain" \
	[ "$(ls "$O" | tr '\n' ' ')" = "case.sqlite case.sqlite-shm case.sqlite-wal summary.md " ]
check "a successful run: no leftovers" [ "$(leftovers | tr '\n' ' ')" = "0 0 " ]
check "the case still works after the swap" [ "$("$LLMTRAIL" timeline "$O/case.sqlite" --format jsonl | wc -l)" -eq 5 ]
"$LLMTRAIL" index "$O/case.sqlite" "$T/ev" >/dev/null 2>&1
check "and is still indexed into (exit 3 for the known bad record)" [ $? -eq 3 ]
finish
