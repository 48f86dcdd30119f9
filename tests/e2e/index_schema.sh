#!/bin/sh
# index_schema.sh — docs/case-schema.md lists exactly the tables, the view
# and the columns the case index has, and user_version is documented.
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

if ! have_sqlite3; then
	echo "1..0 # SKIP sqlite3 shell not installed"
	exit 0
fi
DOC="$LLMTRAIL_SRCDIR/docs/case-schema.md"
"$LLMTRAIL" index "$T/case.db" "$DATA/ct-c.json" >/dev/null 2>&1
check "index creates a case" [ -s "$T/case.db" ]
sqlite3 "$T/case.db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name" >"$T/tables"
sed -n '/^| table | one row per/,/^$/p' "$DOC" | sed -n 's/^| `\([a-z_]*\)` | .*/\1/p' | sort >"$T/doc-tables"
check "the doc's table list matches the schema" cmp -s "$T/tables" "$T/doc-tables"
for t in $(cat "$T/tables"); do
	missing=""
	for col in $(sqlite3 "$T/case.db" "SELECT name FROM pragma_table_info('$t')"); do
		grep -q "\`$col\`" "$DOC" || missing="$missing $col"
	done
	check "every column of $t is documented${missing:+ (missing:$missing)}" [ -z "$missing" ]
done
check "the events are in event blocks, and the block format is documented" \
	sh -c "[ \"\$(sqlite3 '$T/case.db' \"SELECT sum(n) FROM blocks\")\" -ge 1 ] && grep -q '^## Event blocks' '$DOC'"
v=$(sqlite3 "$T/case.db" "PRAGMA user_version")
check "the documented schema version is the file's" grep -q "schema version $v)" "$DOC"
missing=""
for i in $(sqlite3 "$T/case.db" "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"); do
	grep -q "\`$i" "$DOC" || missing="$missing $i"
done
check "every index is documented${missing:+ (missing:$missing)}" [ -z "$missing" ]
# fuzz_case's seeds must be cases of this schema: seeds of an older one are
# refused at open, and the fuzzer then reached 160 edges instead of ~2,300
# (rebuild them as docs/fuzzing.md says when the schema changes).
stale=""
for seed in "$LLMTRAIL_SRCDIR"/tests/fuzz/corpus/fuzz_case/*.sqlite; do
	[ "$(sqlite3 "$seed" "PRAGMA user_version")" = "$v" ] || stale="$stale $(basename "$seed")"
done
check "fuzz_case's seed cases have schema version $v${stale:+ (stale:$stale)}" [ -z "$stale" ]

# A forged case that lists one stored chunk of a member twice with other
# bounds (found by fuzz_case): the replay read records at offsets computed
# from the other listing, past the end of the chunk (ASan: a heap read 638
# bytes past a 152-byte chunk). Now those records are replay problems that
# say why, and the scan ends normally.
cp "$LLMTRAIL_SRCDIR/tests/fuzz/corpus/fuzz_case/chunk-listed-twice.sqlite" "$T/twice.case"
"$LLMTRAIL" scan "$T/twice.case" -o "$T/twice.out" -f jsonl --fail-on none >/dev/null 2>"$T/twice.err"
rc=$?
check "chunk listed twice: scan ends (exit $rc, not a signal)" [ "$rc" -lt 128 ]
check "chunk listed twice: the problem is named" grep -q "stored chunk 0 of member 2 is listed twice with other bounds" "$T/twice.err"
finish
