#!/bin/sh
# layering.sh — the house rules of docs/ARCHITECTURE.md, checked on every
# `make check` (issue 15 #5). Fails, naming FILE:LINE, when
#   1. a file includes a header of a layer above its own; the layers, lowest
#      first: common < ingest < store < model < analyzers < reports <
#      pipeline < cmd (a folder's subfolders are its layer: analyzers/sigma/
#      is analyzers);
#   2. a file outside store/ includes <sqlite3.h> (all SQL lives in store/);
#   3. the modules include each other in a cycle (a module is NAME.c with
#      NAME.h; A -> B when a file of A includes B.h).
# Debts still standing are listed below with the reason (docs/ARCHITECTURE.md
# "Debts"); anything else fails. TAP output.
set -u
: "${LLMTRAIL_SRCDIR:?}"
cd "$LLMTRAIL_SRCDIR" || exit 1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# Upward includes still standing, as "FILE -> HEADER" (a debt, not a rule):
# none since wave 2 session 3 (the scan's option rows moved to cmd/scanopt,
# the exit state, terminal, progress, output paths, rules folder and custody
# printing down to pipeline/). A new one must be listed here with its reason.
allowed_up=''

files=$(find common ingest store model analyzers reports pipeline cmd -name '*.[ch]' | LC_ALL=C sort)
# FILE<TAB>LINE<TAB>HEADER for every #include "..." and <sqlite3.h>
edges=$(for f in $files; do
	awk -v f="$f" '/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
		h = $0; sub(/^[^<"]*[<"]/, "", h); sub(/[>"].*$/, "", h);
		if ($0 ~ /include[ \t]*</ && h != "sqlite3.h") next;
		printf "%s\t%d\t%s\n", f, FNR, h }' "$f"
done)

rank() {
	case $1 in
	common/*) echo 0 ;; ingest/*) echo 1 ;; store/*) echo 2 ;; model/*) echo 3 ;;
	analyzers/*) echo 4 ;; reports/*) echo 5 ;; pipeline/*) echo 6 ;; cmd/*) echo 7 ;;
	*) echo -1 ;;
	esac
}

# 1. upward includes
up=$(printf '%s\n' "$edges" | while IFS='	' read -r f line h; do
	[ -n "$f" ] || continue
	rf=$(rank "$f") rh=$(rank "$h")
	if [ "$rh" -gt "$rf" ] && ! printf '%s\n' "$allowed_up" | grep -qxF "$f -> $h"; then
		echo "$f:$line: includes $h, a layer above ${f%%/*}/"
	fi
done)
if [ -z "$up" ]; then
	ok "no file includes a header of a layer above its own"
else
	notok "no file includes a header of a layer above its own"
	printf '%s\n' "$up" | sed 's/^/# /'
fi

# 2. sqlite3.h outside store/
sq=$(printf '%s\n' "$edges" | awk -F'\t' '$3 == "sqlite3.h" && $1 !~ /^store\// { printf "%s:%s: includes <sqlite3.h> outside store/\n", $1, $2 }')
if [ -z "$sq" ]; then
	ok "no file outside store/ includes sqlite3.h"
else
	notok "no file outside store/ includes sqlite3.h"
	printf '%s\n' "$sq" | sed 's/^/# /'
fi

# 3. include cycles between modules (depth-first search, every cycle's first
# back edge reported with the path that closes it)
cyc=$(printf '%s\n' "$edges" | awk -F'\t' '
	$3 != "sqlite3.h" && $3 ~ /\.h$/ {
		a = $1; sub(/\.[ch]$/, "", a); b = $3; sub(/\.h$/, "", b);
		if (a == b || (a SUBSEP b) in at) next;
		at[a, b] = $1 ":" $2; nout[a]++; out[a, nout[a]] = b; node[a] = 1; node[b] = 1
	}
	function visit(u,   i, v, k, p) {
		state[u] = 1; stack[++sp] = u
		for (i = 1; i <= nout[u]; i++) {
			v = out[u, i]
			if (state[v] == 1) {
				p = ""
				for (k = sp; k >= 1 && stack[k] != v; k--) ;
				for (; k < sp; k++) p = p " " at[stack[k], stack[k + 1]] " includes " stack[k + 1] ".h;"
				printf "cycle:%s %s includes %s.h\n", p, at[u, v], v
			} else if (state[v] == 0)
				visit(v)
		}
		state[u] = 2; sp--
	}
	END { for (u in node) if (state[u] == 0) visit(u) }')
if [ -z "$cyc" ]; then
	ok "no include cycle between modules"
else
	notok "no include cycle between modules"
	printf '%s\n' "$cyc" | sed 's/^/# /'
fi

echo "1..$n"
[ "$fails" -eq 0 ]
