#!/bin/sh
# golden.sh — end-to-end golden cases: runs the real binary on real-format
# evidence and compares what it prints and writes with what was reviewed.
#
# A case is a folder testdata/cases/NAME/ holding:
#   cmd          one llmtrail invocation per line (arguments only, split on
#                whitespace); @SRC@ is the source tree (given to llmtrail as
#                "src", a link in the temp dir the command runs in, so that
#                paths are as long in every checkout), @TMP@ a fresh temp dir
#   N.stdout     expected stdout of step N (1-based); compared when present
#   N.stderr     expected stderr of step N; compared when present
#   N.exit       expected exit code of step N (default 0)
#   files/...    expected files under @TMP@ after the last step (same relative path)
# Every junit*.xml a case writes is also validated against the JUnit schema of
# the conformance suite (xmllint), when both are available.
# Paths of the temp dir and source tree in outputs are replaced by @TMP@/@SRC@.
# LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0 are set. LLMTRAIL_UPDATE_GOLDEN=1 writes
# the actual outputs back into the case folder (review the diff before committing).
# TAP output: one test per step and per expected file.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0
cases_dir="$LLMTRAIL_SRCDIR/testdata/cases"
n=0
fails=0
report() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else fails=$((fails + 1)); echo "not ok $n - $2"; fi; }

normalize() { # file tmpdir
	sed -e "s#$2#@TMP@#g" -e "s#$LLMTRAIL_SRCDIR#@SRC@#g" "$1"
}

compare() { # expected actual-normalized label
	if [ "${LLMTRAIL_UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$(dirname "$1")"
		cp "$2" "$1"
		report 0 "$3 (updated)"
	elif diff -u "$1" "$2" >"$2.diff" 2>&1; then
		report 0 "$3"
	else
		sed 's/^/# /' "$2.diff" | head -40
		report 1 "$3"
	fi
}

for dir in "$cases_dir"/*/; do
	[ -f "$dir/cmd" ] || continue
	name=$(basename "$dir")
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-golden.XXXXXX")
	# The source tree is reached as "src" from the temp dir the commands run in:
	# evidence paths then have the same length in every checkout, so lengths and
	# offsets that count them (a finding's value_length) do not depend on where
	# the tree was cloned.
	ln -s "$(cd "$LLMTRAIL_SRCDIR" && pwd)" "$tmp/src"
	step=0
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in '' | '#'*) continue ;; esac
		step=$((step + 1))
		args=$(printf '%s' "$line" | sed -e "s#@SRC@#src#g" -e "s#@TMP@#$tmp#g")
		# shellcheck disable=SC2086 # arguments are split on whitespace by design
		(cd "$tmp" && "$LLMTRAIL" $args) >"$tmp/.out" 2>"$tmp/.err" </dev/null
		code=$?
		want=0
		[ -f "$dir/$step.exit" ] && want=$(cat "$dir/$step.exit")
		if [ "${LLMTRAIL_UPDATE_GOLDEN:-0}" = 1 ]; then
			[ "$code" -ne 0 ] && echo "$code" >"$dir/$step.exit"
			[ "$code" -eq 0 ] && rm -f "$dir/$step.exit"
			want=$code
		fi
		[ "$code" -eq "$want" ] || sed 's/^/# stderr: /' "$tmp/.err" | head -20
		report $((code != want)) "$name step $step: exit $code (want $want)"
		for stream in stdout stderr; do
			src="$tmp/.out"
			[ "$stream" = stderr ] && src="$tmp/.err"
			if [ -f "$dir/$step.$stream" ] || { [ "${LLMTRAIL_UPDATE_GOLDEN:-0}" = 1 ] && [ "$stream" = stdout ]; }; then
				normalize "$src" "$tmp" >"$tmp/.norm"
				compare "$dir/$step.$stream" "$tmp/.norm" "$name step $step: $stream"
			fi
		done
	done <"$dir/cmd"
	if [ -d "$dir/files" ]; then
		(cd "$dir/files" && find . -type f | sort) | while IFS= read -r f; do
			if [ -f "$tmp/$f" ]; then
				normalize "$tmp/$f" "$tmp" >"$tmp/.norm"
				compare "$dir/files/$f" "$tmp/.norm" "$name: file $f"
			else
				report 1 "$name: file $f was not written"
			fi
		done >"$tmp/.files.tap"
		# re-number the subshell's results into this TAP stream
		while IFS= read -r l; do
			case "$l" in
			"ok "*) report 0 "${l#ok * - }" ;;
			"not ok "*) report 1 "${l#not ok * - }" ;;
			*) echo "$l" ;;
			esac
		done <"$tmp/.files.tap"
	fi
	# every JUnit file a case writes must be valid against the JUnit schema
	xsd="${LLMTRAIL_CONFORMANCE:-}/junit/JUnit.xsd"
	for j in $(find "$tmp" -name '*.xml' -path '*junit*' 2>/dev/null | sort); do
		if [ -f "$xsd" ] && command -v xmllint >/dev/null 2>&1; then
			xmllint --noout --schema "$xsd" "$j" >"$tmp/.xsd" 2>&1
			rc=$?
			[ "$rc" -eq 0 ] || sed 's/^/# /' "$tmp/.xsd" | head -10
			report "$rc" "$name: $(basename "$j") is valid against JUnit.xsd"
		else # a check that cannot run is a SKIP result with its reason, never a comment
			n=$((n + 1))
			why="conformance suite not available: $xsd"
			[ -f "$xsd" ] && why="xmllint not installed"
			echo "ok $n - $name: $(basename "$j") is valid against JUnit.xsd # SKIP $why"
		fi
	done
	rm -rf "$tmp"
done
if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP no golden cases yet"
	exit 0
fi
echo "1..$n"
[ "$fails" -eq 0 ]
