#!/bin/sh
# mem_bounds.sh — cost and memory bounds on hostile evidence (issue 22):
# replay cost per event when large members overlap in time, ...
. "$LLMTRAIL_SRCDIR/tests/e2e/index_lib.sh"
echo "1..2"
GEN="$LLMTRAIL_SRCDIR/tests/e2e/gen_overlap.sh"

# Three members of 24 MB each (more than the replay's 64 MiB cache together),
# their 50 events interleaved in time: before the spill every event inflated
# its whole member again (150 loads, 3.6 GB); now each member is inflated at
# most twice and the other events read their bytes back from the spill.
sh "$GEN" "$T/overlap" 50 480000 3
"$LLMTRAIL" -q index "$T/ov.case" "$T/overlap" >/dev/null 2>&1
"$LLMTRAIL" -vv scan --fail-on none -o "$T/ov.out" "$T/ov.case" >/dev/null 2>"$T/ov.err"
rc=$?
loads=$(sed -n 's/.*replay: [0-9]* events, \([0-9]*\) chunk loads.*/\1/p' "$T/ov.err")
check "overlapping members: each inflated at most twice (loads: ${loads:-none})" \
	test -n "$loads" -a "${loads:-999}" -le 6
check "overlapping members: all 150 events replayed, exit 0 (exit $rc)" \
	test "$(grep -c "replay: 150 events" "$T/ov.err")" -ge 1 -a "$rc" -eq 0
exit $((fails > 0))
