#!/bin/sh
# gates.sh — verdicts and the terminal: the verdict a run states is the one
# its exit code means, the same on stdout, in summary.md and in junit.xml;
# global options work after the command; colour only when asked or on a
# terminal, never with NO_COLOR. TAP output (the plan comes last).
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo="$LLMTRAIL_SRCDIR/testdata/demo"
esc=$(printf '\033')

# the demo holds high findings: --fail-on none is NOT GATED, never PASS
"$LLMTRAIL" analyze "$demo" -o "$tmp/d" --fail-on none -q >"$tmp/d.out" 2>"$tmp/d.err"
rc=$?
check "--fail-on none: exit 0, verdict NOT GATED on stdout" \
	'[ $rc -eq 0 ] && grep -q "^verdict: NOT GATED: --fail-on none: [0-9][0-9]* findings listed, none judged$" "$tmp/d.out"'
check "--fail-on none: summary.md and junit.xml say NOT GATED, nothing says PASS" \
	'grep -q "^\*\*NOT GATED\*\*" "$tmp/d/summary.md" && grep -q "name=\"llmtrail.verdict\" value=\"NOT GATED\"" "$tmp/d/junit.xml" &&
	 ! grep -q "PASS" "$tmp/d/summary.md" && ! grep -q "verdict pass" "$tmp/d/report.html"'
check "global -q after the command: nothing on stderr" '[ ! -s "$tmp/d.err" ]'
check "stdout not a terminal: no colour" '! grep -q "$esc" "$tmp/d.out"'

# the same case, gated: FAIL and exit 1 everywhere
"$LLMTRAIL" scan "$tmp/d/case.sqlite" -o "$tmp/s" --color=always >"$tmp/s.out" 2>/dev/null
rc=$?
check "gated scan: exit 1, FAIL on stdout, summary.md, junit.xml, report.html" \
	'[ $rc -eq 1 ] && grep -q "^verdict: .*FAIL" "$tmp/s.out" && grep -q "^\*\*FAIL\*\*: [0-9][0-9]* findings at or above high" "$tmp/s/summary.md" &&
	 grep -q "name=\"llmtrail.verdict\" value=\"FAIL\"" "$tmp/s/junit.xml" && grep -q "class=\"verdict fail\">FAIL: " "$tmp/s/report.html"'
check "--color=always: levels and verdict coloured" 'grep -q "${esc}\[1;31mFAIL${esc}\[0m" "$tmp/s.out" && grep -q "${esc}\[31m[0-9][0-9]* high${esc}\[0m" "$tmp/s.out"'
NO_COLOR=1 "$LLMTRAIL" scan "$tmp/d/case.sqlite" -o "$tmp/s2" --color=auto >"$tmp/s2.out" 2>/dev/null
check "NO_COLOR: no colour" '! grep -q "$esc" "$tmp/s2.out"'
"$LLMTRAIL" scan "$tmp/d/case.sqlite" -o "$tmp/s3" --color=sometimes >/dev/null 2>"$tmp/s3.err"
rc=$?
check "--color with a bad value: usage error 2" '[ $rc -eq 2 ] && grep -q "color wants auto, always or never" "$tmp/s3.err"'

# no readable evidence: exit 4, NO EVIDENCE, never PASS
"$LLMTRAIL" analyze "$tmp/does-not-exist" -o "$tmp/n" >"$tmp/n.out" 2>"$tmp/n.err"
rc=$?
check "no evidence: exit 4, NO EVIDENCE in stdout and summary.md, no PASS anywhere" \
	'[ $rc -eq 4 ] && grep -q "^verdict: NO EVIDENCE" "$tmp/n.out" && grep -q "^\*\*NO EVIDENCE\*\*" "$tmp/n/summary.md" &&
	 ! grep -q "PASS" "$tmp/n/summary.md" && ! grep -q "verdict pass" "$tmp/n/report.html" && grep -q "no event could be read" "$tmp/n.err"'

# filters any case, globs, the name after an ARN's last '/'; inverted ranges are usage errors
case="$tmp/d/case.sqlite"
all=$("$LLMTRAIL" timeline "$case" --action InvokeModel -f jsonl | wc -l)
low=$("$LLMTRAIL" timeline "$case" --action invokemodel -f jsonl | wc -l)
glob=$("$LLMTRAIL" timeline "$case" --action 'invoke*' -f jsonl | wc -l)
check "--action any case and glob ($all exact, $low lower case, $glob invoke*)" '[ "$all" -gt 0 ] && [ "$low" -eq "$all" ] && [ "$glob" -ge "$all" ]'
short=$("$LLMTRAIL" timeline "$case" --principal doc-summarizer -f jsonl | wc -l)
check "--principal by the name after the ARN's last '/' ($short)" '[ "$short" -gt 0 ]'
"$LLMTRAIL" timeline "$case" --principal nobody-at-all >"$tmp/t.out" 2>"$tmp/t.err"
check "a filter that matches nothing says so on stderr" '[ "$(wc -l <"$tmp/t.out")" -le 1 ] && grep -q "no event matches the filters" "$tmp/t.err"'
"$LLMTRAIL" timeline "$case" --since 2026-03-10T12:00 --until 2026-03-10T11:00 >/dev/null 2>"$tmp/inv.err"
rc=$?
check "timeline --since after --until: usage error" '[ $rc -eq 2 ] && grep -q "since must be before --until" "$tmp/inv.err"'
"$LLMTRAIL" scan "$case" -o "$tmp/inv" --since 2026-03-10T12:00 --until 2026-03-10T11:00 >/dev/null 2>&1
rc=$?
check "scan --since after --until: usage error" '[ $rc -eq 2 ]'

# show: eventID in upper case, and a CloudTrail requestID
"$LLMTRAIL" show "$case" 1678EEEA-BFC5-490C-9F5B-02A3CE38AFDF >"$tmp/s1.out" 2>&1
rc=$?
check "show by an upper-case eventID" '[ $rc -eq 0 ] && grep -q "DescribeVpcs" "$tmp/s1.out"'
"$LLMTRAIL" show "$case" d4217183-1889-41c0-8208-f6191c2c3da9 >"$tmp/s2.out" 2>&1
rc=$?
check "show by a CloudTrail requestID" '[ $rc -eq 0 ] && grep -q "1678eeea-bfc5-490c-9f5b-02a3ce38afdf" "$tmp/s2.out"'

# an inference profile (ARN in invocation logs, us. id in CloudTrail) is its model: one stats row
"$LLMTRAIL" stats "$case" --by model >"$tmp/stats.txt" 2>&1
check "stats: the demo's inference-profile calls count under their model, no profile row" \
	'! grep -q "inference-profile" "$tmp/stats.txt" && [ "$(grep -c "^anthropic.claude-3-5-sonnet-20240620-v1:0 " "$tmp/stats.txt")" -eq 1 ]'

# analyze -o into a folder that holds another investigation: refused unless --append
"$LLMTRAIL" analyze "$demo" -o "$tmp/d" --fail-on none -q >/dev/null 2>&1
rc=$?
check "re-running the same analyze into its folder is fine" '[ $rc -eq 0 ]'
other="$LLMTRAIL_SRCDIR/testdata/evidence"
before=$(cksum <"$tmp/d/case.sqlite")
"$LLMTRAIL" analyze "$other" -o "$tmp/d" --fail-on none -q >/dev/null 2>"$tmp/o.err"
rc=$?
after=$(cksum <"$tmp/d/case.sqlite")
check "analyze of other evidence into a folder holding a case: usage error, case untouched" \
	'[ $rc -eq 2 ] && grep -q "already holds a case of other evidence" "$tmp/o.err" && grep -q -- "--append" "$tmp/o.err" && [ "$before" = "$after" ]'
"$LLMTRAIL" analyze "$other" -o "$tmp/d" --fail-on none --append -q >/dev/null 2>&1
rc=$?
check "--append adds it" '[ $rc -ne 2 ] && [ $rc -ne 4 ]'

# progress: on a terminal a scan says where it is (and clears the line); never when not a terminal
gen="${LLMTRAIL_BUILDDIR:-.}/llmtrail-gen"
if command -v script >/dev/null 2>&1 && [ -x "$gen" ]; then
	"$gen" --out "$tmp/g" --size 4M --seed 3 >/dev/null 2>&1
	"$LLMTRAIL" index -q "$tmp/g.case" "$tmp/g" >/dev/null 2>&1
	script -qc "'$LLMTRAIL' scan '$tmp/g.case' -o '$tmp/gr' -f md" "$tmp/tty.log" >/dev/null 2>&1 </dev/null
	check "scan on a terminal shows progress with a total, then clears it" \
		'tr "\r" "\n" <"$tmp/tty.log" | grep -Eq "^.\[Kscan: [0-9]+ of [0-9]+ events \([0-9]+%, " && tr "\r" "\n" <"$tmp/tty.log" | grep -v "scan: " | grep -q "^.\[K[a-z]"'
	"$LLMTRAIL" scan "$tmp/g.case" -o "$tmp/gr2" -f md >/dev/null 2>"$tmp/notty.err"
	check "scan not on a terminal: no progress line" '! grep -q "scan: " "$tmp/notty.err"'
else
	ok "# SKIP progress on a terminal: script(1) or llmtrail-gen missing"
fi

echo "1..$n"
[ "$fails" -eq 0 ]
