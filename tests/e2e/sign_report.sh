#!/bin/sh
# sign_report.sh — scan --sign writes manifest.sha256 (every report file and
# every evidence member, with their SHA-256) and a detached manifest.sig;
# report.html shows the SHA-256 of the manifest's evidence lines (the custody
# it was signed over: it cannot show the digest of a manifest that lists it);
# `llmtrail verify-report` accepts the set as written and refuses it after any
# change: a report file altered or deleted, the manifest edited, the signature
# of another key. RSA (which `openssl dgst -sha256 -verify` checks too) and
# Ed25519 keys from tests/data/sign.
. "$LLMTRAIL_SRCDIR/tests/e2e/index_lib.sh"
echo "1..17"
K="$LLMTRAIL_SRCDIR/tests/data/sign"
make_export "$T/ev"
"$LLMTRAIL" index "$T/case" "$T/ev" >/dev/null 2>&1
"$LLMTRAIL" scan "$T/case" -o "$T/out" --fail-on none --sign "$K/rsa-key.pem" >"$T/stdout" 2>"$T/stderr"
check "scan --sign exits 0 and says where the manifest is" grep -q "^signed: $T/out/manifest.sha256 (SHA-256 [0-9a-f]\{64\})" "$T/stdout"
check "the manifest lists every report file" sh -c 'for f in report.html junit.xml findings.jsonl incidents.jsonl summary.md timeline.csv integrity.csv custody.csv; do grep -q "^[0-9a-f]\{64\}  output/$f\$" "$1" || exit 1; done' x "$T/out/manifest.sha256"
check "... and every evidence member with its stored SHA-256" sh -c 'test "$(grep -c "  evidence/" "$1")" -ge 3' x "$T/out/manifest.sha256"
check "... with the SHA-256 the files have" sh -c 'cd "$1" && grep "  output/" manifest.sha256 | sed "s#  output/#  #" | sha256sum -c --quiet' x "$T/out"
"$LLMTRAIL" verify-report "$T/out" --public-key "$K/rsa-pub.pem" >"$T/v1"
check "verify-report: the set as written is VALID (exit 0)" sh -c 'test $1 -eq 0 && grep -q "^verify-report: VALID" "$2"' x $? "$T/v1"
if command -v openssl >/dev/null 2>&1; then
	check "openssl dgst -sha256 -verify agrees" sh -c 'openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null' x \
		"$K/rsa-pub.pem" "$T/out/manifest.sig" "$T/out/manifest.sha256"
else
	ok "openssl dgst -sha256 -verify agrees # SKIP openssl not installed"
fi
evdigest=$(grep "  evidence/" "$T/out/manifest.sha256" | sha256sum | cut -c1-64)
check "report.html shows the SHA-256 of the manifest's evidence lines" \
	grep -q "<code id=\"evidence-manifest\">$evdigest</code>" "$T/out/report.html"
check "verify-report: report.html shows it" grep -q "evidence manifest SHA-256 $evdigest (report.html shows it)" "$T/v1"
if command -v openssl >/dev/null 2>&1; then
	# a report.html naming other custody, re-signed with the right key: every
	# hash and the signature check out, the shown digest does not
	cp -r "$T/out" "$T/t0"
	sed -i "s/<code id=\"evidence-manifest\">[0-9a-f]\{64\}/<code id=\"evidence-manifest\">$(printf '%064d' 0)/" "$T/t0/report.html"
	sed -i "s/^[0-9a-f]\{64\}  output\/report.html/$(sha256sum "$T/t0/report.html" | cut -c1-64)  output\/report.html/" "$T/t0/manifest.sha256"
	openssl dgst -sha256 -sign "$K/rsa-key.pem" -out "$T/t0/manifest.sig" "$T/t0/manifest.sha256"
	"$LLMTRAIL" verify-report "$T/t0" --public-key "$K/rsa-pub.pem" >"$T/v0"
	check "a re-signed report.html that names other custody: INVALID (exit 1), said" \
		sh -c 'test $1 -eq 1 && grep -q "signature valid" "$2" && grep -q "report.html shows evidence manifest 0\{64\}" "$2"' x $? "$T/v0"
else
	ok "a re-signed report.html that names other custody # SKIP openssl not installed"
fi
cp -r "$T/out" "$T/t1"
printf ' ' >>"$T/t1/summary.md"
"$LLMTRAIL" verify-report "$T/t1" --public-key "$K/rsa-pub.pem" >"$T/v2"
check "a report file with one byte added: INVALID (exit 1), named" sh -c 'test $1 -eq 1 && grep -q "^altered: summary.md" "$2" && grep -q "INVALID" "$2"' x $? "$T/v2"
cp -r "$T/out" "$T/t2"
rm "$T/t2/findings.jsonl"
"$LLMTRAIL" verify-report "$T/t2" --public-key "$K/rsa-pub.pem" >"$T/v3"
check "a report file deleted: INVALID (exit 1), named" sh -c 'test $1 -eq 1 && grep -q "^missing: findings.jsonl" "$2"' x $? "$T/v3"
cp -r "$T/out" "$T/t3"
printf 'x' >>"$T/t3/report.html"
sed -i "s/^[0-9a-f]\{64\}  output\/report.html/$(sha256sum "$T/t3/report.html" | cut -c1-64)  output\/report.html/" "$T/t3/manifest.sha256"
"$LLMTRAIL" verify-report "$T/t3" --public-key "$K/rsa-pub.pem" >"$T/v4"
check "a file altered and the manifest edited to match: the signature fails (exit 1)" sh -c 'test $1 -eq 1 && grep -q "signature INVALID" "$2"' x $? "$T/v4"
"$LLMTRAIL" verify-report "$T/out" --public-key "$K/ed25519-pub.pem" >"$T/v5"
check "another key: INVALID (exit 1)" sh -c 'test $1 -eq 1 && grep -q "signature INVALID" "$2"' x $? "$T/v5"
"$LLMTRAIL" scan "$T/case" -o "$T/ed" --fail-on none --sign "$K/ed25519-key.pem" >/dev/null 2>&1
"$LLMTRAIL" verify-report "$T/ed" --public-key "$K/ed25519-pub.pem" >"$T/v6"
check "an Ed25519 key signs and verifies" sh -c 'test $1 -eq 0 && grep -q "^verify-report: VALID" "$2"' x $? "$T/v6"
"$LLMTRAIL" scan "$T/case" -o "$T/ed" --fail-on none >/dev/null 2>&1
check "an unsigned run into the same folder leaves no stale manifest" sh -c '! test -e "$1/manifest.sha256" && ! test -e "$1/manifest.sig"' x "$T/ed"
"$LLMTRAIL" scan "$T/case" -o "$T/bad" --fail-on none --sign "$K/rsa-pub.pem" >/dev/null 2>"$T/e7"
check "a public key given to --sign: exit 2 before scanning, said" sh -c 'test $1 -eq 2 && grep -q "not a PEM private key" "$2" && ! test -e "$3"' x $? "$T/e7" "$T/bad"
"$LLMTRAIL" verify-report "$T/out" >/dev/null 2>"$T/e8"
check "verify-report without --public-key: exit 2" test $? -eq 2
exit $((fails > 0))
