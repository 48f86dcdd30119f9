# index_lib.sh — helpers shared by the index_*.sh end-to-end tests (sourced).
# Provides: TAP helpers, a temp dir cleaned on exit, and an evidence tree
# built from tests/data/store in an S3-export layout.
set -u
: "${LLMTRAIL:?LLMTRAIL must name the built binary}"
: "${LLMTRAIL_SRCDIR:?}"
DATA="$LLMTRAIL_SRCDIR/tests/data/store"
T=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
LC_ALL=C TZ=UTC
export LC_ALL TZ
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
CT_DIR=AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01
INV_DIR=AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2024/05/01/12
# make_export DIR: ct-a.json.gz, inv.json.gz and the stored request body.
make_export() {
	mkdir -p "$1/$CT_DIR" "$1/$INV_DIR/data"
	gzip -nc "$DATA/ct-a.json" >"$1/$CT_DIR/111122223333_CloudTrail_us-east-1_20240501T1200Z_a.json.gz"
	gzip -nc "$DATA/inv.jsonl" >"$1/$INV_DIR/inv.json.gz"
	cp "$DATA/body/req-0002-input.json" "$1/$INV_DIR/data/"
}
have_sqlite3() { command -v sqlite3 >/dev/null 2>&1; }
# dump CASE: everything in the index but the run log and row ids, in a stable order.
dump() {
	sqlite3 "$1" <<'SQL'
SELECT 'evidence', path, kind, size, sha256 FROM evidence ORDER BY path;
SELECT 'member', e.path, m.path, m.name, m.size, m.sha256, m.content_size, m.content_sha256, m.format, m.state,
       (SELECT s.path FROM members s WHERE s.id = m.same_as), m.events, m.duplicates, m.problems
  FROM members m JOIN evidence e ON e.id = m.evidence_id ORDER BY e.path, m.path;
SELECT 'chunk', e.path, m.path, c.seq, c.offset, c.length, c.codec, hex(c.data)
  FROM chunks c JOIN members m ON m.id = c.member_id JOIN evidence e ON e.id = m.evidence_id ORDER BY e.path, m.path, c.seq;
SELECT 'block', e.path, m.path, b.source, b.t_min, b.t_max, b.n, hex(b.data)
  FROM blocks b JOIN members m ON m.id = b.member_id JOIN evidence e ON e.id = m.evidence_id ORDER BY e.path, m.path, b.t_min, b.id;
SELECT 'body_ref', e.path, m.path, r.line, r.uid, r.input_ref, r.output_ref, r.missing
  FROM body_refs r JOIN members m ON m.id = r.member_id JOIN evidence e ON e.id = m.evidence_id ORDER BY e.path, m.path, r.line;
SELECT 'dedup', source, duplicates FROM dedup ORDER BY source;
SELECT 'problem', kind, file, member, line, offset, reason FROM problems ORDER BY kind, file, member, line, reason;
SELECT 'string', s FROM strs ORDER BY s;
SQL
}
finish() {
	echo "1..$n"
	[ "$fails" -eq 0 ]
}
