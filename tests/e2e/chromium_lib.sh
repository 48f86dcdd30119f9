# chromium_lib.sh — helpers shared by the report end-to-end tests that load a
# report in headless Chromium (sourced). Sets chromium to the browser
# ($CHROMIUM, or the first of the usual paths), or prints the TAP plan that
# skips the whole script, naming why, and exits.
chromium=${CHROMIUM:-}
for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
	[ -z "$chromium" ] && [ -x "$c" ] && chromium=$c
done
if [ -z "$chromium" ]; then
	echo "1..0 # SKIP chromium not installed (set CHROMIUM=/path/to/chromium)"
	exit 0
fi
