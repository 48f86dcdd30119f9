#!/bin/sh
# tests/fuzz/run.sh — `make fuzz`: runs every libFuzzer target built in BUILD/tests/fuzz for
# FUZZ_SECONDS (default 60) each, one at a time, on a scratch copy of its corpus
# SRC/tests/fuzz/corpus/<target>/ (read-only here; empty if absent). A crash, leak, timeout or
# out-of-memory stops the run: the input is kept in FUZZ_ARTIFACTS (default
# BUILD/fuzz-artifacts) and the exit status is 1. With FUZZ_UPDATE_CORPUS=1 the inputs that
# found new coverage edges are merged (libFuzzer -merge=1 -use_counters=0, smallest inputs
# first, each cut to at most 4096 bytes, less while the corpus is over FUZZ_CORPUS_KB, default
# 96) into the corpus in the source tree, for review and commit: the corpora stay small
# (docs/fuzzing.md gives their sizes). fuzz_case is left out: its inputs are whole SQLite
# files, which cutting breaks; its corpus is its seeds. FUZZ_TARGETS limits the run to some targets (names, spaces).
# Each target's first (INITED) and last coverage lines and its final stats are printed (docs/fuzzing.md).
set -u
# an UndefinedBehaviorSanitizer report stops the target like a crash
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS
src=${1:?usage: run.sh SRCDIR BUILDDIR}
build=${2:?usage: run.sh SRCDIR BUILDDIR}
secs=${FUZZ_SECONDS:-60}
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
mkdir -p "$artifacts" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
status=0
for bin in "$build"/tests/fuzz/fuzz_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	case $bin in *.o) continue ;; esac
	name=$(basename "$bin")
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
	fi
	corpus="$src/tests/fuzz/corpus/$name"
	mkdir -p "$work/$name"
	[ -d "$corpus" ] && cp "$corpus"/* "$work/$name/" 2>/dev/null
	# third-party seeds are read where they are, never committed into the corpus
	seeds=""
	[ "$name" = fuzz_json ] && seeds="${LLMTRAIL_CONFORMANCE:-$src/../shared/conformance}/jsontestsuite/test_parsing"
	[ "$name" = fuzz_prompt_model ] && seeds="$src/tests/fuzz/prompt_model" # model files kept beside the target
	[ -n "$seeds" ] && [ -d "$seeds" ] && cp "$seeds"/* "$work/$name/" 2>/dev/null
	echo "== $name: ${secs} s on $(ls "$work/$name" | wc -l) corpus inputs"
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=60 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$name-" "$work/$name" >"$work/$name.log" 2>&1
	rc=$?
	grep -E '^#[0-9]+[[:space:]]+INITED.*cov:' "$work/$name.log" | head -n 1 # coverage at start
	grep -E '^#[0-9]+[[:space:]].*cov:' "$work/$name.log" | tail -n 1
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/$name.log"
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$work/$name.log"
		echo "$name FAILED (exit $rc); input kept in $artifacts/"
		status=1
		continue
	fi
	if [ "${FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
		mkdir -p "$corpus"
		maxlen=4096
		while [ "$name" != fuzz_case ]; do
			rm -rf "$work/$name.merged"
			mkdir -p "$work/$name.merged" # re-minimised whole: old corpus and new inputs alike
			"$bin" -merge=1 -use_counters=0 -max_len="$maxlen" "$work/$name.merged" "$work/$name" \
				>"$work/$name.merge" 2>&1 || { tail -n 20 "$work/$name.merge"; status=1; break; }
			kb=$(($(cat "$work/$name.merged"/* 2>/dev/null | wc -c) / 1024))
			if [ "$kb" -le "${FUZZ_CORPUS_KB:-96}" ] || [ "$maxlen" -le 512 ]; then
				rm -rf "$corpus" && mkdir -p "$corpus" && cp "$work/$name.merged"/* "$corpus/"
				break
			fi
			maxlen=$((maxlen / 2))
		done
		if [ -n "$seeds" ] && [ -d "$seeds" ]; then # keep what the fuzzer made, not the seeds
			for f in "$seeds"/*; do
				h=$(sha1sum <"$f" | cut -d' ' -f1)
				rm -f "$corpus/$h"
			done
		fi
		echo "   corpus: $(ls "$corpus" | wc -l) inputs, $(cat "$corpus"/* 2>/dev/null | wc -c) bytes"
	fi
done
exit $status
