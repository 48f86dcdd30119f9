#!/bin/sh
# rules/test-packs.sh — TAP test of the shipped rule packs (docs/rule-packs.md):
# every rule loads without error, every example event beside every rule gives the
# expected result (`llmtrail rules test`), each rule file has positive and negative
# examples, and rules/packs.list names exactly the files present.
# Environment: LLMTRAIL (built binary), LLMTRAIL_SRCDIR (source tree). Read-only.
set -u
srcdir=${LLMTRAIL_SRCDIR:-.}
bin=${LLMTRAIL:-./llmtrail}
rules="$srcdir/rules"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "1..4"

"$bin" rules lint "$rules" >"$tmp/lint.err" 2>&1
rc=$?
summary=$(grep 'rules: .* errors' "$tmp/lint.err" | tail -n 1)
if [ "$rc" -ne 2 ] && grep -q 'rules: .* 0 errors' "$tmp/lint.err"; then
	echo "ok 1 - rule packs load: $summary"
else
	echo "not ok 1 - rule packs load (exit $rc): $summary"
	grep ': error' "$tmp/lint.err" | sed 's/^/# /' | head -n 20
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
	echo "ok 3 - every rule file has positive and negative examples"
else
	echo "not ok 3 - $missing example files missing"
fi

(cd "$srcdir" && ls rules/*/*.yml rules/*/*.json) | LC_ALL=C sort >"$tmp/present"
LC_ALL=C sort "$rules/packs.list" >"$tmp/listed"
if cmp -s "$tmp/present" "$tmp/listed"; then
	echo "ok 4 - rules/packs.list names exactly the rule and example files"
else
	echo "not ok 4 - rules/packs.list is out of date"
	diff "$tmp/listed" "$tmp/present" | sed 's/^/# /' | head -n 20
fi
exit 0
