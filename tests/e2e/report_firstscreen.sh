#!/bin/sh
# report_firstscreen.sh — what a responder sees on opening report.html: in
# headless Chromium, at 1366 and 1920 px wide, the first screen (the top
# 1080 px) holds the verdict, the first evidence problem and the top
# incident's title; and no level badge, control status, stage label or rule
# outcome wraps (each stays one line, at most 24 px high: "medium" split over
# two lines was 35 px), nor a column header ("Outc ome", "Acti on"; a chart's table of numbers may wrap its long series names between words).
# The case: the demo (README's first command) with one damaged file added,
# so there is an evidence problem to show. The report loads in an iframe of
# a harness page whose script measures the elements (getBoundingClientRect)
# and writes the numbers into its own DOM, which --dump-dom prints; the
# report itself still runs no script (its CSP forbids it). Positions, not
# pixels: robust to fonts and anti-aliasing. Screenshots are kept when
# LLMTRAIL_KEEP_SHOTS names a folder. TAP output; skips visibly without
# Chromium.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
. "$LLMTRAIL_SRCDIR/tests/e2e/chromium_lib.sh"
. "$LLMTRAIL_SRCDIR/tests/e2e/tap_lib.sh"

cp -R "$LLMTRAIL_SRCDIR/testdata/demo" "$T/demo"
chmod -R u+w "$T/demo"
printf '\037\213\010\000\000\000\000\000\000\003broken' >"$T/demo/acme-central-audit-logs/damaged.json.gz"
D=$LLMTRAIL_SRCDIR/testdata/demo
"$LLMTRAIL" -q analyze "$T/demo" -o "$T/out" --public-keys "$D/public-keys.json" \
	--public-keys "$D/digest-signatures.jsonl" --policy "$D/policy.yaml" --fail-on none >"$T/stdout" 2>"$T/stderr"
rc=$?
check "analyze of the demo with a damaged file exits 3 (some evidence unreadable; got $rc)" [ $rc -eq 3 ]

cat >"$T/out/measure.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="border:0;display:block"></iframe>
<pre id="out">not measured</pre>
<script>
var f = document.getElementById('f');
f.style.width = location.hash.substring(1) + 'px';
f.style.height = '1080px';
f.addEventListener('load', function () {
  var d = f.contentDocument, lines = [];
  if (!d) { document.getElementById('out').textContent = 'no access'; return; }
  function at(name, sel) {
    var e = d.querySelector(sel);
    if (!e) { lines.push(name + ' missing'); return; }
    var r = e.getBoundingClientRect();
    lines.push(name + ' ' + Math.round(r.top) + ' ' + Math.round(r.bottom));
  }
  at('verdict', '.verdict');
  at('problem', '.triage li');
  at('incident', '#inc-1 .t');
  var worst = 0;
  d.querySelectorAll('.badge,.cs,.stage,.oc').forEach(function (e) {
    worst = Math.max(worst, e.getBoundingClientRect().height);
  });
  lines.push('label ' + Math.round(worst));
  var th = 0;
  d.querySelectorAll('th').forEach(function (e) {
    if (!e.closest('.numbers'))
      th = Math.max(th, e.getBoundingClientRect().height);
  });
  lines.push('th ' + Math.round(th));
  lines.push('page ' + d.documentElement.scrollWidth);
  document.getElementById('out').textContent = lines.join('\n');
});
</script></body></html>
HTML

for width in 1366 1920; do
	profile=$(mktemp -d "$T/profile.XXXXXX")
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
		--allow-file-access-from-files --virtual-time-budget=10000 --window-size="$width,1400" \
		--dump-dom "file://$T/out/measure.html#$width" >"$T/dom.$width" 2>"$T/chromium.err"
	sed -n '/<pre id="out">/,/<\/pre>/p' "$T/dom.$width" | sed -e 's/<[^>]*>//g' >"$T/m.$width"
	sed "s/^/# $width: /" "$T/m.$width"
	bottom() { awk -v k="$1" '$1 == k && NF == 3 { print $3 }' "$T/m.$width"; }
	for what in verdict problem incident; do
		b=$(bottom $what)
		check "$width px: the $what is on the first screen (bottom at ${b:-?} px of 1080)" [ "${b:-99999}" -le 1080 ]
	done
	h=$(awk '$1 == "label" { print $2 }' "$T/m.$width")
	check "$width px: no badge, control status, stage or rule outcome wraps (tallest ${h:-?} px)" [ "${h:-99}" -le 24 ]
	h=$(awk '$1 == "page" { print $2 }' "$T/m.$width")
	check "$width px: the page is no wider than the window (${h:-?} px: no sideways scrolling)" [ "${h:-99999}" -le "$width" ]
	h=$(awk '$1 == "th" { print $2 }' "$T/m.$width")
	check "$width px: no column header wraps (tallest ${h:-?} px: one line and padding)" [ "${h:-99}" -le 32 ]
	if [ -n "${LLMTRAIL_KEEP_SHOTS:-}" ]; then
		mkdir -p "$LLMTRAIL_KEEP_SHOTS"
		timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
			--window-size="$width,1080" --screenshot="$LLMTRAIL_KEEP_SHOTS/demo-$width.png" \
			"file://$T/out/report.html" >/dev/null 2>&1
	fi
done
tap_end
