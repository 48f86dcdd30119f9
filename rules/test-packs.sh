#!/bin/sh
# rules/test-packs.sh — TAP test of the shipped rule packs (docs/rule-packs.md):
# every rule loads, none unsupported (a shipped rule llmtrail cannot run is a defect,
# not a skip), every example event beside every rule gives the expected result
# (`llmtrail rules test`) with none skipped, each rule file has positive and negative
# examples, and rules/packs.list names exactly the files present.
# Environment: LLMTRAIL (built binary), LLMTRAIL_SRCDIR (source tree). Read-only.
set -u
srcdir=${LLMTRAIL_SRCDIR:-.}
bin=${LLMTRAIL:-./llmtrail}
rules="$srcdir/rules"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "1..5"

"$bin" rules lint "$rules" >"$tmp/lint.err" 2>&1
rc=$?
summary=$(grep 'rules: .* errors' "$tmp/lint.err" | tail -n 1)
if [ "$rc" -eq 0 ] && echo "$summary" | grep -q '^[1-9][0-9]* rules: \([0-9]*\) loaded, 0 unsupported, 0 errors$' &&
	[ "$(echo "$summary" | sed 's/ rules:.*//')" = "$(echo "$summary" | sed 's/.*rules: \([0-9]*\) loaded.*/\1/')" ]; then
	echo "ok 1 - rule packs load, none unsupported: $summary"
else
	echo "not ok 1 - rule packs load, none unsupported (exit $rc): $summary"
	grep -e ': error' -e 'unsupported' "$tmp/lint.err" | sed 's/^/# /' | head -n 20
fi

"$bin" rules test "$rules" >"$tmp/test.out" 2>&1
rc=$?
summary=$(grep '^# [0-9]* passed' "$tmp/test.out" | tail -n 1)
if [ "$rc" -eq 0 ] && ! grep -q '^not ok' "$tmp/test.out"; then
	echo "ok 2 - rule pack examples${summary:+ (${summary#\# })}"
else
	echo "not ok 2 - rule pack examples (exit $rc)${summary:+ (${summary#\# })}"
	grep -e '^not ok' -e '^# error' "$tmp/test.out" | sed 's/^/# /' | head -n 40
fi

# An example skipped (its rule unsupported) or a run with no examples tests nothing.
skipped=$(grep -c '# SKIP' "$tmp/test.out")
ran=$(grep '^ok ' "$tmp/test.out" | grep -vc '# SKIP')
if [ "$skipped" -eq 0 ] && [ "$ran" -gt 0 ]; then
	echo "ok 3 - no rule pack example skipped ($ran ran)"
else
	echo "not ok 3 - $skipped rule pack example(s) skipped, $ran ran"
	grep '# SKIP' "$tmp/test.out" | sed 's/^/# /' | head -n 20
fi

missing=0
for y in "$rules"/*/*.yml; do
	stem=${y%.yml}
	for k in pos neg; do
		if [ ! -s "$stem.$k.json" ]; then
			echo "# missing or empty: ${stem#"$srcdir"/}.$k.json"
			missing=$((missing + 1))
		fi
	done
done
if [ "$missing" -eq 0 ]; then
	echo "ok 4 - every rule file has positive and negative examples"
else
	echo "not ok 4 - $missing example files missing"
fi

(cd "$srcdir" && ls rules/*/*.yml rules/*/*.json) | LC_ALL=C sort >"$tmp/present"
LC_ALL=C sort "$rules/packs.list" >"$tmp/listed"
if cmp -s "$tmp/present" "$tmp/listed"; then
	echo "ok 5 - rules/packs.list names exactly the rule and example files"
else
	echo "not ok 5 - rules/packs.list is out of date"
	diff "$tmp/listed" "$tmp/present" | sed 's/^/# /' | head -n 20
fi
exit 0
