#!/bin/sh
# junit_schema.sh — junit.xml from the plain, hostile and 10,000-finding
# reports is valid against $LLMTRAIL_CONFORMANCE/junit/JUnit.xsd, checked with
# xmllint (libxml2). tests/unit/test_junit.c checks the same in-process with
# xmlSchemaValidateDoc. Skips visibly without the schema or xmllint. TAP.
set -u
: "${LLMTRAIL_BUILDDIR:?}"
gen="$LLMTRAIL_BUILDDIR/tests/e2e/report_gen"
xsd="${LLMTRAIL_CONFORMANCE:-}/junit/JUnit.xsd"
if [ ! -f "$xsd" ]; then
	echo "1..0 # SKIP conformance suite not available: $xsd"
	exit 0
fi
if ! command -v xmllint >/dev/null 2>&1; then
	echo "1..0 # SKIP xmllint not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
for kind in plain hostile many; do
	mkdir -p "$tmp/$kind"
	n=$((n + 1))
	if "$gen" "$kind" "$tmp/$kind" &&
		xmllint --noout --nonet --schema "$xsd" "$tmp/$kind/junit.xml" 2>"$tmp/err"; then
		echo "ok $n - $kind junit.xml is valid against JUnit.xsd"
	else
		echo "not ok $n - $kind junit.xml is valid against JUnit.xsd"
		sed 's/^/# /' "$tmp/err" | head -5
	fi
done
echo "1..$n"
