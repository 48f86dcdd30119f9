# tap_lib.sh — TAP helpers for the report end-to-end tests (sourced): a temp
# dir T removed on exit, check DESCRIPTION COMMAND... (one test), and
# tap_end (the plan, and the exit status).
T=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fails=0
check() {
	d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else fails=$((fails + 1)); echo "not ok $n - $d"; fi
}
tap_end() {
	echo "1..$n"
	[ "$fails" -eq 0 ]
}
