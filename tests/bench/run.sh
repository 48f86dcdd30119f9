#!/bin/bash
# run.sh — `make bench`: llmtrail against the physical limit and the tools a
# responder would otherwise use, measured in ONE run on the SAME files.
#
# Generates a corpus with llmtrail-gen (BENCH_SIZE, default 1G; BENCH_DIR to
# reuse one), then times: cat (I/O), gzip -dc (one process, and two in
# parallel), zcat|jq (one CloudTrail filter, one prompt regex), zcat|rg (the same
# regex), llmtrail index / scan (shipped packs; + SigmaHQ CloudTrail rules;
# 10 vs BENCH_RULES synthetic rules alone; the packs with and without the
# prompt classifier's rules) / timeline (1 h window) / analyze,
# and the in-process JSON parser and gunzip micro-benchmarks. Prints one table
# of absolute numbers and ratios and writes it, with the machine and the
# commands, into BENCH_OUT (default docs/PERFORMANCE.md of the source tree):
# only the part between the "BEGIN make bench" and "END make bench" markers
# is replaced, so the analysis written around it stays.
# Other knobs: BENCH_SEED (42), BENCH_WORK (scratch dir, default mktemp),
# BENCH_KEEP=1 (keep the scratch dir), BENCH_RULES (1000), BENCH_MICRO=0 (skip
# the micro-benchmarks).
# Not part of `make check`: performance lives here, never in timed unit tests.
set -euo pipefail
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}" "${LLMTRAIL_BUILDDIR:?}"
size=${BENCH_SIZE:-1G}
seed=${BENCH_SEED:-42}
nrules=${BENCH_RULES:-1000}
work=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-bench.XXXXXX")}
mkdir -p "$work"
corpus=${BENCH_DIR:-$work/corpus}
out=${BENCH_OUT:-$LLMTRAIL_SRCDIR/docs/PERFORMANCE.md}
gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
bindir="$LLMTRAIL_BUILDDIR/tests/bench"
sigmahq="${LLMTRAIL_CONFORMANCE:-}/sigmahq/rules/cloud/aws"
export LC_ALL=C TZ=UTC
for t in /usr/bin/time jq sqlite3 bc gzip xargs; do
	command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }
done

if [ ! -d "$corpus" ]; then
	echo "generating a $size corpus (seed $seed) in $corpus"
	"$gen" --out "$corpus" --size "$size" --seed "$seed" --attacks on >/dev/null
fi
# File lists go through files and xargs: a 1 GB corpus has ~100,000 paths,
# far more than one command line (or one bash -c string) can hold.
flist="$work/files.txt" ctlist="$work/ct.txt" invlist="$work/inv.txt"
find "$corpus" -type f -name '*.gz' | sort >"$flist"
grep '/CloudTrail/' "$flist" >"$ctlist" || true
grep '/BedrockModelInvocationLogs/' "$flist" >"$invlist" || true
awk 'NR % 2 == 1' "$flist" >"$work/half1.txt"
awk 'NR % 2 == 0' "$flist" >"$work/half2.txt"
nfiles=$(wc -l <"$flist")
gz_bytes=$(xargs -d '\n' cat <"$flist" | wc -c)
json_bytes=$(xargs -d '\n' gzip -dc <"$flist" | wc -c)

# time_cmd NAME CMD: wall seconds, CPU seconds and peak RSS (KiB, largest
# single process) into the globals. /usr/bin/time prints an extra line first
# when the command fails, so the figures are read from its last line.
declare -A WALL CPU RSS
order=()
time_cmd() {
	local name=$1 cmd=$2 tf w u s m
	tf="$work/$name.time"
	if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" bash -c "$cmd" >"$work/$name.out" 2>"$work/$name.err"; then
		echo "bench: $name exited non-zero:"
		tail -3 "$work/$name.err"
	fi
	read -r w u s m < <(tail -n 1 "$tf")
	WALL[$name]=$w
	CPU[$name]=$(printf '%.2f' "$(echo "$u + $s" | bc)")
	RSS[$name]=$m
	order+=("$name")
	printf '%-26s %8.2f s wall %8.2f s cpu %8d KiB\n' "$name" "$w" "${CPU[$name]}" "$m"
}
# Report folders of a 1 GB corpus are large (each scan writes its own): keep only
# the findings count, then free the disk before the next row.
declare -A NFIND
drop_reports() { # drop_reports NAME DIR
	NFIND[$1]=$( [ -f "$2/findings.jsonl" ] && wc -l <"$2/findings.jsonl" || echo "?")
	rm -rf "$2"
}

regex='ignore (all )?(previous|prior) instructions'
ctfilter='.Records[] | select(.eventSource=="bedrock.amazonaws.com" and .errorCode!=null) | .eventID'
invfilter="select(.input.inputBodyJson|tostring|test(\"$regex\";\"i\")) | .requestId"
printf '%s\n' "$ctfilter" >"$work/ct.jq"
printf '%s\n' "$invfilter" >"$work/inv.jq"
X="xargs -d '\\n'"

# Scratch rule sets for the matching-cost comparison (issue 5).
"$LLMTRAIL_SRCDIR/tests/bench/gen_rules.sh" 10 "$work/rules10"
"$LLMTRAIL_SRCDIR/tests/bench/gen_rules.sh" "$nrules" "$work/rules$nrules"

sync
time_cmd cat "$X cat <'$flist' >/dev/null"
time_cmd gzip_dc "$X gzip -dc <'$flist' >/dev/null"
time_cmd gzip_dc_x2 "$X gzip -dc <'$work/half1.txt' >/dev/null & $X gzip -dc <'$work/half2.txt' >/dev/null; wait"
time_cmd jq_cloudtrail "$X zcat <'$ctlist' | jq -c -f '$work/ct.jq'"
time_cmd jq_prompt_regex "$X zcat <'$invlist' | jq -c -f '$work/inv.jq'"
if command -v rg >/dev/null; then
	time_cmd rg_prompt_regex "$X zcat <'$invlist' | rg -i -c '$regex' || test \$? = 1"
fi
case="$work/case.sqlite"
rm -f "$case" "$case-wal" "$case-shm"
time_cmd llmtrail_index "'$LLMTRAIL' -q index '$case' '$corpus'"
index_bytes=$(stat -c %s "$case")
events=$(sqlite3 "$case" 'select sum(events) from members')
time_cmd llmtrail_scan "'$LLMTRAIL' -q scan '$case' -o '$work/scan' --fail-on none"
drop_reports llmtrail_scan "$work/scan"
if [ -d "$sigmahq" ]; then
	time_cmd llmtrail_scan_sigmahq "'$LLMTRAIL' -q scan '$case' -o '$work/scan2' --fail-on none --rules '$sigmahq'"
	drop_reports llmtrail_scan_sigmahq "$work/scan2"
fi
# Matching cost: findings.jsonl only, so that the timeline.csv pass and the
# HTML/JUnit writers (the same for both) do not dilute the difference.
time_cmd llmtrail_scan_10_rules "'$LLMTRAIL' -q scan '$case' -o '$work/scan10' -f jsonl --fail-on none --no-default-rules --rules '$work/rules10'"
drop_reports llmtrail_scan_10_rules "$work/scan10"
time_cmd "llmtrail_scan_${nrules}_rules" "'$LLMTRAIL' -q scan '$case' -o '$work/scanN' -f jsonl --fail-on none --no-default-rules --rules '$work/rules$nrules'"
drop_reports "llmtrail_scan_${nrules}_rules" "$work/scanN"
# The prompt classifier's price (issue 16: at most 10 % slower): the shipped
# packs as a folder, with and without the rules that read llmtrail.score.*
# and llmtrail.similar_template (the model is only run for those), same outputs;
# both with the 10 synthetic rules too, so that neither rules digest is the one
# the index stored detections for (both match every record).
cp -r "$LLMTRAIL_SRCDIR/rules" "$work/rules_all"
cp -r "$LLMTRAIL_SRCDIR/rules" "$work/rules_noclf"
grep -rl --include='*.yml' -e 'llmtrail\.score\.' -e 'llmtrail\.similar_template' "$work/rules_noclf" |
	xargs -r rm -f
# Alternately, twice each: on a shared machine two sequential scans differ by
# more than the classifier costs; the ratio line takes the faster of each pair.
for k in 1 2; do
	time_cmd "llmtrail_scan_packs_$k" "'$LLMTRAIL' -q scan '$case' -o '$work/scanp' -f jsonl --fail-on none --no-default-rules --rules '$work/rules_all' --rules '$work/rules10'"
	drop_reports "llmtrail_scan_packs_$k" "$work/scanp"
	time_cmd "llmtrail_scan_packs_no_classifier_$k" "'$LLMTRAIL' -q scan '$case' -o '$work/scanq' -f jsonl --fail-on none --no-default-rules --rules '$work/rules_noclf' --rules '$work/rules10'"
	drop_reports "llmtrail_scan_packs_no_classifier_$k" "$work/scanq"
done
# A one-hour window in the middle of the evidence (the median event's hour).
mid=$(sqlite3 "$case" 'select t_min from (select t_min, sum(n) over (order by t_min, id) as c from blocks) where c >= (select sum(n) / 2 from blocks) limit 1')
since=$(date -u -d "@$((mid / 1000000 / 3600 * 3600))" +%Y-%m-%dT%H:%M:%SZ)
until=$(date -u -d "@$((mid / 1000000 / 3600 * 3600 + 3600))" +%Y-%m-%dT%H:%M:%SZ)
time_cmd llmtrail_timeline_1h "'$LLMTRAIL' timeline '$case' --since $since --until $until --format jsonl"
tl_lines=$(wc -l <"$work/llmtrail_timeline_1h.out")
rm -rf "$work/analyze"
time_cmd llmtrail_analyze "'$LLMTRAIL' -q analyze '$corpus' -o '$work/analyze' --fail-on none"
analyze_case_bytes=$(stat -c %s "$work/analyze/case.sqlite")
# Scanning analyze's case again: with the same rules the index workers'
# stored detections are used (parse once, pipeline/detectrun.h); with one more
# rule file the rules' digest differs and every record is matched again.
time_cmd llmtrail_rescan "'$LLMTRAIL' -q scan '$work/analyze/case.sqlite' -o '$work/rescan' --fail-on none"
drop_reports llmtrail_rescan "$work/rescan"
time_cmd llmtrail_rescan_new_rule "'$LLMTRAIL' -q scan '$work/analyze/case.sqlite' -o '$work/rescan2' --fail-on none --rules '$work/rules10'"
drop_reports llmtrail_rescan_new_rule "$work/rescan2"
drop_reports llmtrail_analyze "$work/analyze"
rm -f "$case" "$case-wal" "$case-shm"

micro=""
if [ "${BENCH_MICRO:-1}" != 0 ]; then
	for b in bench_json bench_json_jansson bench_json_jsonc bench_gunzip bench_prompt; do
		[ -x "$bindir/$b" ] || continue
		echo "running $b"
		micro+="\$ tests/bench/$b"$'\n'"$("$bindir/$b" 2>&1)"$'\n\n'
	done
	# the SigmaHQ rule folders' load+compile time budget (not in make check: a
	# wall-clock goal there fails on a loaded machine)
	sq="$LLMTRAIL_BUILDDIR/tests/conformance/sigmahq_rules"
	if [ -x "$sq" ] && [ -d "$sigmahq" ]; then
		echo "running sigmahq_rules --budget"
		micro+="\$ tests/conformance/sigmahq_rules --budget"$'\n'"$("$sq" --budget 2>&1 | grep -E '^(# rules|# load|(not )?ok 4)')"$'\n\n'
	fi
fi

ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
mb() { printf '%.1f' "$(echo "scale=2; $1 / 1000000" | bc)"; }
mbs() { printf '%.1f' "$(echo "scale=2; $1 / 1000000 / $2" | bc)"; }
nct=$(wc -l <"$ctlist") ninv=$(wc -l <"$invlist")
iw=${WALL[llmtrail_index]}
ev_s() { echo "$events / $1" | bc; }
{
	echo "<!-- BEGIN make bench (generated by tests/bench/run.sh; re-run \`make bench\`, do not edit) -->"
	echo
	echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- llmtrail: $("$LLMTRAIL" --version 2>/dev/null | head -1)"
	echo "- corpus: \`llmtrail-gen --size $size --seed $seed --attacks on\`: $nfiles .gz files ($nct CloudTrail, $ninv invocation logs), $(mb "$gz_bytes") MB compressed, $(mb "$json_bytes") MB of JSON, $events events"
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "| what | wall s | cpu s | peak RSS MiB | throughput | ratio |"
	echo "|---|---:|---:|---:|---|---|"
	for k in "${order[@]}"; do
		r="" t=""
		case $k in
		cat) t="$(mbs "$gz_bytes" "${WALL[$k]}") MB/s compressed" ;;
		gzip_dc*|jq_*|rg_*) t="$(mbs "$json_bytes" "${WALL[$k]}") MB/s JSON" ;;
		llmtrail_index)
			t="$(mbs "$gz_bytes" "$iw") MB/s gz, $(mbs "$json_bytes" "$iw") MB/s JSON, $(ev_s "$iw") ev/s"
			r="$(ratio "$iw" "${WALL[gzip_dc]}") × gzip -dc wall (target ≤ 0.75)" ;;
		llmtrail_scan|llmtrail_scan_sigmahq)
			t="$(ev_s "${WALL[$k]}") ev/s, ${NFIND[$k]} findings"
			r="jq_cloudtrail ÷ scan = $(ratio "${WALL[jq_cloudtrail]}" "${WALL[$k]}") (target ≥ 10)" ;;
		llmtrail_rescan)
			t="$(ev_s "${WALL[$k]}") ev/s, ${NFIND[$k]} findings"
			r="jq_cloudtrail ÷ rescan = $(ratio "${WALL[jq_cloudtrail]}" "${WALL[$k]}") (target ≥ 20)" ;;
		llmtrail_rescan_new_rule)
			t="$(ev_s "${WALL[$k]}") ev/s, ${NFIND[$k]} findings"
			r="jq_cloudtrail ÷ rescan = $(ratio "${WALL[jq_cloudtrail]}" "${WALL[$k]}") (target ≥ 4)" ;;
		llmtrail_scan_*)
			t="$(ev_s "${WALL[$k]}") ev/s, ${NFIND[$k]} findings"
			r="jq_cloudtrail ÷ scan = $(ratio "${WALL[jq_cloudtrail]}" "${WALL[$k]}")" ;;
		llmtrail_timeline_1h) t="$tl_lines events in the hour" ;;
		llmtrail_analyze)
			t="$(mbs "$gz_bytes" "${WALL[$k]}") MB/s gz"
			r="$(ratio "${WALL[$k]}" "${WALL[gzip_dc]}") × gzip -dc wall (target ≤ 1.0)" ;;
		esac
		echo "| $k | ${WALL[$k]} | ${CPU[$k]} | $(( RSS[$k] / 1024 )) | $t | $r |"
	done
	echo
	echo "- index size: $(mb "$index_bytes") MB = $(ratio "$index_bytes" "$gz_bytes") × the compressed evidence (target ≤ 1.2); analyze's case, with the stored detections: $(mb "$analyze_case_bytes") MB = $(ratio "$analyze_case_bytes" "$gz_bytes") × (target ≤ 1.1)"
	s10=${CPU[llmtrail_scan_10_rules]} sN=${CPU[llmtrail_scan_${nrules}_rules]}
	echo "- matching cost, $nrules vs 10 synthetic rules (tests/bench/gen_rules.sh; \`-f jsonl\`, whole scan incl. replay), CPU per event: $(printf '%.2f' "$(echo "scale=4; $s10 * 1000000 / $events" | bc)") µs vs $(printf '%.2f' "$(echo "scale=4; $sN * 1000000 / $events" | bc)") µs = $(ratio "$sN" "$s10") × (target ≤ 3); findings: ${NFIND[llmtrail_scan_10_rules]} vs ${NFIND[llmtrail_scan_${nrules}_rules]}"
	least() { echo "if ($1 < $2) $1 else $2" | bc; }
	wp_=$(least "${WALL[llmtrail_scan_packs_1]}" "${WALL[llmtrail_scan_packs_2]}")
	wq_=$(least "${WALL[llmtrail_scan_packs_no_classifier_1]}" "${WALL[llmtrail_scan_packs_no_classifier_2]}")
	cp_=$(least "${CPU[llmtrail_scan_packs_1]}" "${CPU[llmtrail_scan_packs_2]}")
	cq_=$(least "${CPU[llmtrail_scan_packs_no_classifier_1]}" "${CPU[llmtrail_scan_packs_no_classifier_2]}")
	echo "- the prompt classifier's price (shipped packs as a folder and the 10 synthetic rules, \`-f jsonl\`, with and without the rules on \`llmtrail.score.*\`/\`llmtrail.similar_template\`, alternately twice, the faster of each): wall $(ratio "$wp_" "$wq_") ×, CPU $(ratio "$cp_" "$cq_") × (target ≤ 1.10); findings: ${NFIND[llmtrail_scan_packs_no_classifier_1]} vs ${NFIND[llmtrail_scan_packs_1]}"
	echo "- index CPU ÷ gzip -dc CPU: $(ratio "${CPU[llmtrail_index]}" "${CPU[gzip_dc]}"); index wall ÷ two parallel gzip -dc: $(ratio "$iw" "${WALL[gzip_dc_x2]}")"
	echo
	echo "Commands (as run; FILES = every .gz of the corpus, CT/INV = the CloudTrail / invocation-log ones, one path a line):"
	echo
	echo '```'
	echo "cat:             xargs -d '\\n' cat < FILES > /dev/null"
	echo "gzip_dc:         xargs -d '\\n' gzip -dc < FILES > /dev/null"
	echo "gzip_dc_x2:      the same, FILES split in two halves, two processes at once"
	echo "jq_cloudtrail:   xargs -d '\\n' zcat < CT | jq -c '$ctfilter'"
	echo "jq_prompt_regex: xargs -d '\\n' zcat < INV | jq -c '$invfilter'"
	echo "rg_prompt_regex: xargs -d '\\n' zcat < INV | rg -i -c '$regex'"
	echo "llmtrail_index:  llmtrail -q index CASE CORPUS"
	echo "llmtrail_scan:   llmtrail -q scan CASE -o DIR --fail-on none   [--rules \$LLMTRAIL_CONFORMANCE/sigmahq/rules/cloud/aws]"
	echo "rules N:         tests/bench/gen_rules.sh N RULES; llmtrail -q scan CASE -o DIR -f jsonl --fail-on none --no-default-rules --rules RULES"
	echo "timeline_1h:     llmtrail timeline CASE --since $since --until $until --format jsonl"
	echo "analyze:         llmtrail -q analyze CORPUS -o DIR --fail-on none"
	echo "rescan:          llmtrail -q scan DIR/case.sqlite -o DIR2 --fail-on none   [--rules RULES10: one more rule file]"
	echo '```'
	if [ -n "$micro" ]; then
		echo
		echo "Micro-benchmarks (in process, synthetic CloudTrail-like input):"
		echo
		echo '```'
		printf '%s' "$micro"
		echo '```'
	fi
	echo
	echo "<!-- END make bench -->"
} >"$work/section.md"
cat "$work/section.md"

# Splice the section into BENCH_OUT between the markers (or create it).
if [ -f "$out" ] && grep -q '^<!-- BEGIN make bench' "$out" && grep -q '^<!-- END make bench' "$out"; then
	awk -v sec="$work/section.md" '
		/^<!-- BEGIN make bench/ { while ((getline l < sec) > 0) print l; skip = 1; next }
		/^<!-- END make bench/ { skip = 0; next }
		!skip { print }' "$out" >"$work/out.md"
else
	{ echo "# Performance"; echo; cat "$work/section.md"; } >"$work/out.md"
fi
cp "$work/out.md" "$out"
echo "written to $out"
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
