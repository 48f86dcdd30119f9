#!/bin/sh
# mem_bounds.sh — cost and memory bounds on hostile evidence (issue 22):
# replay cost per event when large members overlap in time, memory across
# nested archives, the run's decompressed-bytes budget, the cost of a bomb.
. "$LLMTRAIL_SRCDIR/tests/e2e/index_lib.sh"
echo "1..7"
GEN="$LLMTRAIL_SRCDIR/tests/e2e/gen_overlap.sh"

# Three members of 24 MB each (more than the replay's 64 MiB cache together),
# their 50 events interleaved in time: before the spill every event inflated
# its whole member again (150 loads, 3.6 GB); now each member is inflated at
# most twice and the other events read their bytes back from the spill.
# (--no-detect: the scan must read the records, as a scan with other rules does)
sh "$GEN" "$T/overlap" 50 480000 3
"$LLMTRAIL" -q index --no-detect "$T/ov.case" "$T/overlap" >/dev/null 2>&1
"$LLMTRAIL" -vv scan --fail-on none -o "$T/ov.out" "$T/ov.case" >/dev/null 2>"$T/ov.err"
rc=$?
loads=$(sed -n 's/.*replay: [0-9]* events, \([0-9]*\) chunk loads.*/\1/p' "$T/ov.err")
check "overlapping members: each inflated at most twice (loads: ${loads:-none})" \
	test -n "$loads" -a "${loads:-999}" -le 6
check "overlapping members: all 150 events replayed, exit 0 (exit $rc)" \
	test "$(grep -c "replay: 150 events" "$T/ov.err")" -ge 1 -a "$rc" -eq 0

# Three tars nested in a tar.gz around one 128 MiB file: every level was held
# in memory at once (peak RSS > 512 MB); an entry over 64 MiB now goes to a
# scratch file, so the walk holds about one member (the leaf, mapped).
sh "$LLMTRAIL_SRCDIR/tests/e2e/gen_nest.sh" "$T/nest.tar.gz" 3 128
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f "%M" -o "$T/nest.rss" "$LLMTRAIL" -q index "$T/nest.case" "$T/nest.tar.gz" >/dev/null 2>"$T/nest.err"
	rc=$?
	rss=$(tail -n 1 "$T/nest.rss")
	check "nested archives: index exit 0 (exit $rc)" test "$rc" -eq 0
	# AddressSanitizer's shadow memory and freed-memory quarantine add about a
	# third (391 MB measured): the bound is the plain build's, doubled under it.
	# Before the fix the plain build held every level (> 512 MB).
	cap=358400
	[ "${LLMTRAIL_SANITIZED:-no}" = yes ] && cap=$((cap * 2))
	check "nested archives: peak RSS ${rss} KB under $((cap / 1024)) MB (4 levels of 128 MiB)" test "$rss" -lt "$cap"
else
	ok "# SKIP nested archives: exit code (no /usr/bin/time to measure peak RSS)"
	ok "# SKIP nested archives: peak RSS (no /usr/bin/time)"
fi

# The run's budget: past it, the member is refused with a problem naming the
# cap (exit 3), never a fatal "error: ok".
"$LLMTRAIL" -q index --max-total-bytes 100M "$T/budget.case" "$T/nest.tar.gz" >/dev/null 2>"$T/budget.err"
rc=$?
check "budget: exit 3 (exit $rc)" test "$rc" -eq 3
check "budget: the problem names the member and the cap" \
	grep -q "l2.tar: member not read: the run's decompressed-bytes budget of 104857600 bytes is spent" "$T/budget.err"

# A 512 MiB gzip bomb of zeros (2.3 MB, under the 1000:1 ratio): it used to be
# inflated whole into $TMPDIR before being found to be no evidence; now the
# first piece says so. With writes capped at ~50 MB the run must still pass.
head -c 536870912 /dev/zero | gzip -1 >"$T/bomb.json.gz"
(ulimit -f 102400 && "$LLMTRAIL" -q index "$T/bomb.case" "$T/bomb.json.gz") >/dev/null 2>"$T/bomb.err"
rc=$?
check "bomb: not inflated past its first piece (exit $rc, 0 wanted, writes capped)" test "$rc" -eq 0
exit $((fails > 0))
