#!/bin/sh
# out_paths.sh — llmtrail never writes into the evidence (issue 22 #6): an
# output folder or case inside an evidence path (also through `..`, a
# symlink or a relative path) is a usage error (exit 2) naming both, and
# nothing is written; an output folder is created with its parents (#15).
. "${LLMTRAIL_SRCDIR:?}/tests/e2e/index_lib.sh"

mkdir -p "$T/ev"
cp "$DATA/ct-a.json" "$T/ev/"
ln -s "$T/ev" "$T/link"
snapshot() { (cd "$T/ev" && find . | sort); }
before=$(snapshot)

refused() { # refused DESCRIPTION WHAT OUT EVIDENCE-SHOWN COMMAND...
	d=$1 what=$2 out=$3 shown=$4
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	check "$d: exit 2" [ "$rc" -eq 2 ]
	check "$d: says where" grep -qF "llmtrail: $what $out is inside the evidence $shown" "$T/err"
	check "$d: nothing written into the evidence" [ "$(snapshot)" = "$before" ]
}
refused "analyze -o DIR/sub" "output folder" "$T/ev/sub" "$T/ev" "$LLMTRAIL" analyze "$T/ev" -o "$T/ev/sub"
refused "analyze -o DIR" "output folder" "$T/ev" "$T/ev" "$LLMTRAIL" analyze "$T/ev" -o "$T/ev"
refused "analyze -o DIR/../DIR/./x/y" "output folder" "$T/ev/../ev/./x/y" "$T/ev" \
	"$LLMTRAIL" analyze "$T/ev" -o "$T/ev/../ev/./x/y"
refused "analyze LINK -o DIR/z" "output folder" "$T/ev/z" "$T/link" "$LLMTRAIL" analyze "$T/link" -o "$T/ev/z"
refused "index DIR/case.db DIR" "case" "$T/ev/case.db" "$T/ev" "$LLMTRAIL" index "$T/ev/case.db" "$T/ev"
refused "analyze . -o sub (relative)" "output folder" "sub" "." sh -c "cd '$T/ev' && exec '$LLMTRAIL' analyze . -o sub"
"$LLMTRAIL" index "$T/case.db" "$T/ev" >/dev/null 2>&1
refused "scan -o inside the case's evidence" "output folder" "$T/ev/r" "$T/ev" "$LLMTRAIL" scan "$T/case.db" -o "$T/ev/r"

"$LLMTRAIL" analyze "$T/ev" -o "$T/new/a/b" >/dev/null 2>"$T/err"
check "analyze -o into missing parents: exit 0" [ $? -eq 0 ]
check "analyze -o creates missing parent folders" [ -s "$T/new/a/b/findings.jsonl" ]
"$LLMTRAIL" scan "$T/case.db" -o "$T/new2/x/y" >/dev/null 2>"$T/err"
check "scan -o into missing parents: exit 0" [ $? -eq 0 ]
check "scan -o creates missing parent folders" [ -s "$T/new2/x/y/summary.md" ]
"$LLMTRAIL" analyze "$T/ev" -o "$T/evidence-sibling" >/dev/null 2>&1
check "a sibling whose name starts like the evidence is allowed" [ $? -eq 0 ]
finish
