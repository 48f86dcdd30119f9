#!/bin/sh
# index_resume.sh — kill -9 an index run in the middle, re-run it, and the
# index equals that of an uninterrupted run (crash-safety and resume).
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

if ! have_sqlite3; then
	echo "1..0 # SKIP sqlite3 shell not installed (needed to compare index dumps)"
	exit 0
fi
sh "$LLMTRAIL_SRCDIR/tests/e2e/index_gen.sh" "$T/ev" 48 1500 7
make_export "$T/ev/extra"

# Uninterrupted run.
"$LLMTRAIL" index "$T/full.db" "$T/ev" >"$T/full.out" 2>&1
check "uninterrupted run succeeds" [ $? -eq 3 ] # the fixture's bad line and missing body
dump "$T/full.db" >"$T/full.dump"

# Interrupted run: kill -9 once some transactions are committed.
killed=0
for attempt in 1 2 3; do
	rm -f "$T/cut.db" "$T/cut.db-wal" "$T/cut.db-shm"
	"$LLMTRAIL" index "$T/cut.db" "$T/ev" >/dev/null 2>&1 &
	pid=$!
	i=0
	while [ "$i" -lt 400 ] && kill -0 "$pid" 2>/dev/null; do
		m=$(sqlite3 "$T/cut.db" "SELECT count(*) FROM members" 2>/dev/null || echo 0)
		[ "${m:-0}" -ge 1 ] && break
		sleep 0.02
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null && killed=1
	wait "$pid" 2>/dev/null
	status=$(sqlite3 "$T/cut.db" "SELECT status FROM runs WHERE id = 1" 2>/dev/null)
	[ "$killed" -eq 1 ] && [ "$status" = running ] && break
	killed=0
done
if [ "$killed" -eq 1 ]; then
	ok "index killed mid-run (attempt $attempt)"
	part=$(sqlite3 "$T/cut.db" "SELECT count(*) FROM members")
	full=$(sqlite3 "$T/full.db" "SELECT count(*) FROM members")
	check "the killed run left part of the work ($part of $full members)" [ "$part" -gt 0 -a "$part" -lt "$full" ]
	check "no member without its events (member row and events commit together)" \
		[ "$(sqlite3 "$T/cut.db" "SELECT count(*) FROM members m WHERE m.state = 'indexed' AND m.events + m.duplicates != (SELECT coalesce(sum(b.n), 0) FROM blocks b WHERE b.member_id = m.id)")" -eq 0 ]
else
	ok "# SKIP the run finished before it could be killed"
	ok "# SKIP"
	ok "# SKIP"
fi
"$LLMTRAIL" index "$T/cut.db" "$T/ev" >"$T/cut.out" 2>&1
check "resumed run completes" [ $? -eq 3 ]
dump "$T/cut.db" >"$T/cut.dump"
check "resumed index equals the uninterrupted one" cmp -s "$T/full.dump" "$T/cut.dump"
check "and so does the timeline" sh -c "'$LLMTRAIL' timeline -f jsonl '$T/full.db' | cmp -s - '$T/cut.tl' || { '$LLMTRAIL' timeline -f jsonl '$T/cut.db' >'$T/cut.tl'; '$LLMTRAIL' timeline -f jsonl '$T/full.db' | cmp -s - '$T/cut.tl'; }"
if [ "$killed" -eq 1 ]; then
	check "the killed run stays 'running' in the run log, the resumed one is 'done'" \
		[ "$(sqlite3 "$T/cut.db" "SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY id)")" = "running,done" ]
else
	ok "# SKIP"
fi

# Thread timing does not change the result: one worker or two, same index.
"$LLMTRAIL" index -j1 "$T/one.db" "$T/ev" >/dev/null 2>&1
dump "$T/one.db" >"$T/one.dump"
check "index with --jobs 1 equals index with the default jobs" cmp -s "$T/full.dump" "$T/one.dump"
finish
