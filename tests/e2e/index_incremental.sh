#!/bin/sh
# index_incremental.sh — re-indexing changes nothing but the run log; new
# evidence adds only what is new; the same file under two names and
# overlapping exports are de-duplicated, with the duplicates counted.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

make_export "$T/a"
C="$T/case.db"
"$LLMTRAIL" index "$C" "$T/a" >"$T/out1" 2>/dev/null
check "first index adds 5 events" grep -q '^events: *5 new' "$T/out1"
"$LLMTRAIL" index "$C" "$T/a" >"$T/out2" 2>/dev/null
check "re-index adds nothing" grep -q '^events: *0 new (cloudtrail 0, invocation 0), 0 duplicates dropped' "$T/out2"
check "re-index skips every member" grep -q '^members: *3 seen, 0 new, 3 already indexed' "$T/out2"
if have_sqlite3; then
	dump "$C" >"$T/dump1"
	"$LLMTRAIL" index "$C" "$T/a" >/dev/null 2>&1
	dump "$C" >"$T/dump2"
	check "re-index leaves the index identical" cmp -s "$T/dump1" "$T/dump2"
	check "the run log grows by one run per index" [ "$(sqlite3 "$C" 'SELECT count(*) FROM runs')" -eq 3 ]
else
	ok "# SKIP sqlite3 shell not installed"
	ok "# SKIP sqlite3 shell not installed"
fi

# The same bytes under another name: custody recorded, events not re-added.
mkdir -p "$T/b/copy"
cp "$T/a/$CT_DIR/111122223333_CloudTrail_us-east-1_20240501T1200Z_a.json.gz" "$T/b/copy/renamed.json.gz"
"$LLMTRAIL" index "$C" "$T/b" >"$T/out3" 2>/dev/null
check "same file under another name is a duplicate member" \
	grep -q '^members: *1 seen, 1 new, 0 already indexed, 1 duplicate (same bytes)' "$T/out3"
check "and adds no event" grep -q '^events: *0 new' "$T/out3"

# An overlapping export: one record already indexed, one new.
"$LLMTRAIL" index "$C" "$DATA/ct-b.json" >"$T/out4" 2>/dev/null
check "overlapping export: only the new record is added" \
	grep -q '^events: *1 new (cloudtrail 1, invocation 0), 1 duplicates dropped' "$T/out4"
if have_sqlite3; then
	check "duplicate count kept on the member" \
		[ "$(sqlite3 "$C" "SELECT duplicates FROM members m JOIN evidence e ON e.id = m.evidence_id WHERE e.path = '$DATA/ct-b.json'")" -eq 1 ]
	check "renamed copy points at the indexed member" \
		[ "$(sqlite3 "$C" "SELECT count(*) FROM members WHERE state = 'duplicate' AND same_as IS NOT NULL")" -eq 1 ]
	check "custody: every member has size and SHA-256" \
		[ "$(sqlite3 "$C" "SELECT count(*) FROM members WHERE size IS NULL OR length(sha256) != 64")" -eq 0 ]
	check "custody: gzip'd members have the decompressed SHA-256" \
		[ "$(sqlite3 "$C" "SELECT count(*) FROM members WHERE name LIKE '%.gz' AND length(content_sha256) != 64")" -eq 0 ]
	check "custody: evidence files have size and SHA-256" \
		[ "$(sqlite3 "$C" "SELECT count(*) FROM evidence WHERE kind = 'file' AND (size IS NULL OR length(sha256) != 64)")" -eq 0 ]
else
	for i in 1 2 3 4 5; do ok "# SKIP sqlite3 shell not installed"; done
fi
check "timeline shows each event once" [ "$("$LLMTRAIL" timeline -f jsonl "$C" | wc -l)" -eq 6 ]

# Adding the same evidence again in one run along with new evidence.
"$LLMTRAIL" index "$C" "$T/a" "$T/b" "$DATA/ct-b.json" "$DATA/ct-c.json" >"$T/out5" 2>/dev/null
check "mixed re-run adds only the new file" grep -q '^events: *1 new (cloudtrail 1, invocation 0), 0 duplicates dropped' "$T/out5"

# The same export again, as a tar.gz: custody of the archive and of each
# member, nothing re-added.
tar -C "$T/a" -czf "$T/export.tar.gz" AWSLogs
"$LLMTRAIL" index "$C" "$T/export.tar.gz" >"$T/out6" 2>/dev/null
check "archive members with known bytes are duplicates" \
	grep -q '^members: *3 seen, 3 new, 0 already indexed, 3 duplicate (same bytes)' "$T/out6"
check "archive adds no event" grep -q '^events: *0 new' "$T/out6"
if have_sqlite3; then
	check "the archive itself is evidence with size and SHA-256" \
		[ "$(sqlite3 "$C" "SELECT kind || ' ' || size FROM evidence WHERE path = '$T/export.tar.gz'")" = "archive $(wc -c <"$T/export.tar.gz" | tr -d ' ')" ]
else
	ok "# SKIP sqlite3 shell not installed"
fi
finish
