#!/bin/sh
# readonly_case.sh — the read-only commands work on a case on a read-only
# medium (issue 22 #10): timeline, show, scan (reports elsewhere), stats and
# verify open it read-only, and as immutable when SQLite cannot create its
# shared-memory file beside it (before: "unable to open database file",
# exit 4). The medium: as root, a tmpfs remounted read-only in a private
# mount namespace; otherwise a folder and file without write permission.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

"$LLMTRAIL" index "$T/case.db" "$DATA/ct-a.json" >/dev/null 2>&1
rm -f "$T/case.db-wal" "$T/case.db-shm" # a cleanly closed case, as copied to a medium
mkdir -p "$T/ro"
cat >"$T/run.sh" <<SH
set -u
L="$LLMTRAIL"; C="$T/ro/case.db"; O="$T/out"
"\$L" timeline "\$C" --format jsonl >"\$O.timeline" 2>"\$O.timeline.err"; echo "timeline \$?"
"\$L" show "\$C" ct-0001 >"\$O.show" 2>"\$O.show.err"; echo "show \$?"
"\$L" scan "\$C" -o "$T/rep" -f jsonl,md >"\$O.scan" 2>"\$O.scan.err"; echo "scan \$?"
"\$L" stats "\$C" >"\$O.stats" 2>"\$O.stats.err"; echo "stats \$?"
"\$L" verify --allow-unverifiable "\$C" >"\$O.verify" 2>"\$O.verify.err"; echo "verify \$?"
ls -A "$T/ro" >"\$O.files"
SH
medium=""
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	unshare -m sh -c "mount -t tmpfs -o size=4m tmpfs '$T/ro' && cp '$T/case.db' '$T/ro/' &&
		mount -o remount,ro '$T/ro' && sh '$T/run.sh'" >"$T/codes" 2>"$T/unshare.err"; then
	medium="read-only tmpfs"
elif [ "$(id -u)" -ne 0 ]; then
	cp "$T/case.db" "$T/ro/" && chmod a-w "$T/ro/case.db" "$T/ro" && sh "$T/run.sh" >"$T/codes"
	chmod u+w "$T/ro"
	medium="folder without write permission"
fi
if [ -z "$medium" ]; then
	echo "ok 1 # SKIP no read-only medium: root without mount namespaces ($(head -c 200 "$T/unshare.err"))"
	echo "1..1"
	exit 0
fi
for cmd in timeline show scan stats verify; do
	check "$cmd on a $medium: exit 0" grep -qx "$cmd 0" "$T/codes"
	check "$cmd: no error" [ ! -s "$T/out.$cmd.err" ]
done
check "timeline lists the case's 2 events" [ "$(wc -l <"$T/out.timeline")" -eq 2 ]
check "show prints the record" grep -q '"eventID":"ct-0001"' "$T/out.show"
check "scan wrote its reports elsewhere" [ -s "$T/rep/summary.md" ]
check "nothing was written beside the case" [ "$(cat "$T/out.files")" = "case.db" ]
finish
