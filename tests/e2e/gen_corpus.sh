#!/usr/bin/env bash
# gen_corpus.sh — end-to-end checks of the corpus generator llmtrail-gen (TAP).
#
# Runs llmtrail-gen on a small --size twice with the same seed and checks:
# byte-identical output; S3 key layouts; every .gz is valid gzip and every
# JSON document parses (jq, else python3, else skipped visibly); digest
# logFiles hashes equal SHA-256 of the decompressed log files and cover every
# log file; digest chains link (previous object, hash, signature); every digest
# signature verifies with `openssl dgst -sha256 -verify` against the key in
# public-keys.json; ground-truth ids exist in the data; the committed demo in
# testdata/demo/ is exactly what the generator writes (but for the two files
# written by hand: README.md, the story, and policy.yaml, the demo's policy).
set -u

GEN=${LLMTRAIL_BUILDDIR:-.}/llmtrail-gen
SRC=${LLMTRAIL_SRCDIR:-..}
KEY=$SRC/testdata/demo-signing-key.pem
BUCKET=acme-central-audit-logs

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
finish() { echo "1..$n"; exit 0; }
jqq() { jq -e "$@" >/dev/null; }

if [ ! -x "$GEN" ]; then
	echo "1..0 # SKIP llmtrail-gen not built"
	exit 0
fi
for tool in openssl sha256sum gzip; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not installed"
		exit 0
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen_corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
A=$tmp/a
ROOT=$A/$BUCKET
ARGS="--size 2M --seed 42 --days 1 --accounts 2 --regions 2 --key $KEY"

# ---------------------------------------------------------- determinism
sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# shellcheck disable=SC2086
check "generator runs (seed 42, 2M)" "$GEN" --out "$A" $ARGS
# shellcheck disable=SC2086
check "generator runs again with the same seed, on one thread" "$GEN" --out "$tmp/b" $ARGS --threads 1
sums "$A" >"$tmp/a.sum"
sums "$tmp/b" >"$tmp/b.sum"
check "same seed gives byte-identical output, whatever the thread count ($(wc -l <"$tmp/a.sum") files)" cmp -s "$tmp/a.sum" "$tmp/b.sum"
rm -rf "$tmp/b"
# Without --key the signing key is made from the seed: before, a fresh random
# key changed every digest's signature, hence its compressed size, which the
# --size feedback loop turned into different traffic from the first hour on.
NOKEY="--size 1M --seed 7 --days 2 --accounts 1 --regions 2"
# shellcheck disable=SC2086
"$GEN" --out "$tmp/k1" $NOKEY --threads 1 2>/dev/null
# shellcheck disable=SC2086
"$GEN" --out "$tmp/k2" $NOKEY --threads 1 2>/dev/null
# shellcheck disable=SC2086
"$GEN" --out "$tmp/k3" $NOKEY --threads 2 2>/dev/null
sums "$tmp/k1" >"$tmp/k1.sum"
sums "$tmp/k2" >"$tmp/k2.sum"
sums "$tmp/k3" >"$tmp/k3.sum"
check "without --key, same seed gives byte-identical output on one thread, key included ($(wc -l <"$tmp/k1.sum") files)" \
	cmp -s "$tmp/k1.sum" "$tmp/k2.sum"
check "without --key, same seed gives byte-identical output on one thread and on two" cmp -s "$tmp/k1.sum" "$tmp/k3.sum"
# shellcheck disable=SC2086
"$GEN" --out "$tmp/k4" --size 1M --seed 8 --days 2 --accounts 1 --regions 2 2>/dev/null
check "without --key, another seed gives another signing key" sh -c '! cmp -s "$1/signing-key.pem" "$2/signing-key.pem"' _ "$tmp/k1" "$tmp/k4"
if openssl pkey -in "$tmp/k1/signing-key.pem" -check -noout >/dev/null 2>&1; then
	ok "the seed-derived signing key is a consistent RSA key (openssl pkey -check)"
else
	not_ok "the seed-derived signing key is a consistent RSA key (openssl pkey -check)"
fi
rm -rf "$tmp/k1" "$tmp/k2" "$tmp/k3" "$tmp/k4"
# shellcheck disable=SC2086
"$GEN" --out "$tmp/c" --size 1M --seed 43 --days 1 --accounts 1 --regions 1 --attacks off --key "$KEY"
check "--attacks off writes an empty ground truth" test ! -s "$tmp/c/ground-truth.jsonl"
rm -rf "$tmp/c"

size=$(find "$ROOT" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
check "total compressed size near --size 2M (got $size bytes)" test "$size" -gt 1700000 -a "$size" -lt 2600000

# -------------------------------------------------------------- layouts
(cd "$ROOT" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$tmp/files"
CT_RE='^AWSLogs/([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})/\1_CloudTrail_\2_\3\4\5T[0-9]{4}Z_[A-Za-z0-9]{16}\.json\.gz$'
DG_RE='^AWSLogs/([0-9]{12})/CloudTrail-Digest/([a-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})/\1_CloudTrail-Digest_\2_org-audit-trail_us-east-1_\3\4\5T[0-9]{6}Z\.json\.gz$'
IV_RE='^AWSLogs/([0-9]{12})/BedrockModelInvocationLogs/([a-z0-9-]+)/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/[0-9]{8}T[0-9]{9}Z_[0-9a-f]{16}\.json\.gz$'
DA_RE='^AWSLogs/([0-9]{12})/BedrockModelInvocationLogs/([a-z0-9-]+)/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/data/[0-9a-f-]{36}_(input|output)\.json\.gz$'
KB_RE='^AWSLogs/([0-9]{12})/BedrockKnowledgeBaseLogs/([a-z0-9-]+)/([A-Z0-9]{10})/[0-9]{4}/[0-9]{2}/[0-9]{2}/\1_BedrockKnowledgeBaseLogs_\3_[0-9]{8}T[0-9]{4}Z_[0-9a-f]{8}\.log\.gz$'
grep -Ev "$CT_RE" "$tmp/files" | grep -Ev "$DG_RE" | grep -Ev "$IV_RE" | grep -Ev "$DA_RE" | grep -Ev "$KB_RE" >"$tmp/odd"
check "every key matches an AWS layout" test ! -s "$tmp/odd"
[ -s "$tmp/odd" ] && head -5 "$tmp/odd" | sed 's/^/# odd key: /'
grep -E "$CT_RE" "$tmp/files" >"$tmp/ct"
grep -E "$DG_RE" "$tmp/files" >"$tmp/dg"
grep -E "$IV_RE" "$tmp/files" >"$tmp/iv"
grep -E "$DA_RE" "$tmp/files" >"$tmp/da"
grep -E "$KB_RE" "$tmp/files" >"$tmp/kb"
check "Knowledge Base log files present ($(wc -l <"$tmp/kb")), Firehose objects and the CloudWatch export beside the bucket" \
	test -s "$tmp/kb" -a -d "$A/firehose-cloudtrail-data-events" -a -s "$A/cloudwatch-exports/filter-log-events-modelinvocations.json"
check "CloudTrail ($(wc -l <"$tmp/ct")), digest ($(wc -l <"$tmp/dg")), invocation ($(wc -l <"$tmp/iv")) and S3 body ($(wc -l <"$tmp/da")) files present" \
	test -s "$tmp/ct" -a -s "$tmp/dg" -a -s "$tmp/iv" -a -s "$tmp/da"

# --------------------------------------------------------- gzip + JSON
(cd "$ROOT" && xargs gzip -t <"$tmp/files") 2>"$tmp/gz.err"
check "every .gz is valid gzip" test ! -s "$tmp/gz.err"

(cd "$ROOT" && xargs gzip -dc <"$tmp/ct") >"$tmp/ct.json"
(cd "$ROOT" && xargs gzip -dc <"$tmp/dg") >"$tmp/dg.json"
(cd "$ROOT" && xargs gzip -dc <"$tmp/iv") >"$tmp/iv.jsonl"
(cd "$ROOT" && xargs gzip -dc <"$tmp/da") >"$tmp/da.json"
if command -v jq >/dev/null 2>&1; then
	check "CloudTrail files parse, each {\"Records\":[...]}" jqq -n '[inputs | (.Records | type == "array")] | all' "$tmp/ct.json"
	check "digest files parse" jqq -n '[inputs | has("logFiles")] | all' "$tmp/dg.json"
	check "invocation logs: every line a ModelInvocationLog" jqq -n '[inputs | .schemaType == "ModelInvocationLog"] | all' "$tmp/iv.jsonl"
	check "S3 body objects parse" jqq -n '[inputs] | length > 0' "$tmp/da.json"
	check "public-keys.json parses" jqq '.PublicKeyList[0].Value | length > 100' "$A/public-keys.json"
	check "ground-truth.jsonl parses" jqq -n '[inputs | has("incident")] | all' "$A/ground-truth.jsonl"
	have_jq=1
elif command -v python3 >/dev/null 2>&1; then
	pyparse() {
		python3 -c 'import json,sys
d=json.JSONDecoder(); s=open(sys.argv[1],encoding="utf-8").read(); i=0; k=0
while True:
    while i < len(s) and s[i].isspace(): i += 1
    if i >= len(s): break
    o, i = d.raw_decode(s, i); k += 1
sys.exit(0 if k else 1)' "$1"
	}
	for f in ct.json dg.json iv.jsonl da.json; do check "$f parses (python3)" pyparse "$tmp/$f"; done
	check "public-keys.json parses (python3)" pyparse "$A/public-keys.json"
	check "ground-truth.jsonl parses (python3)" pyparse "$A/ground-truth.jsonl"
	have_jq=0
else
	skip "JSON parsing" "neither jq nor python3 installed"
	have_jq=0
fi

if [ "$have_jq" != 1 ]; then
	skip "digest, signature and ground-truth checks" "need jq"
	finish
fi

# ------------------------------------------------------ digest hashes
(cd "$ROOT" && while read -r f; do
	printf '%s %s\n' "$(gzip -dc "$f" | sha256sum | cut -c1-64)" "$f"
done <"$tmp/ct") | LC_ALL=C sort >"$tmp/ct.hash"
jq -r '.logFiles[] | .hashValue + " " + .s3Object' "$tmp/dg.json" | LC_ALL=C sort >"$tmp/dg.hash"
check "digest hashValues = SHA-256 of decompressed log files, every log file listed once" cmp -s "$tmp/ct.hash" "$tmp/dg.hash"

# ---------------------------------------------- chains and signatures
jq -r '.PublicKeyList[0].Value' "$A/public-keys.json" | openssl base64 -d -A >"$tmp/pub.der"
openssl rsa -RSAPublicKey_in -inform DER -in "$tmp/pub.der" -pubout -out "$tmp/pub.pem" 2>/dev/null
check "public key Value is a DER RSAPublicKey" test -s "$tmp/pub.pem"
fp=$(openssl dgst -md5 -r "$tmp/pub.der" | cut -c1-32)
check "Fingerprint = MD5 of the DER key" test "$fp" = "$(jq -r '.PublicKeyList[0].Fingerprint' "$A/public-keys.json")"
check "digests name that fingerprint" test "$(jq -r '.digestPublicKeyFingerprint' "$tmp/dg.json" | sort -u)" = "$fp"

hex2bin() { local h=$1 i; for ((i = 0; i < ${#h}; i += 2)); do printf "\\x${h:i:2}"; done; }
bad_sig=0
bad_link=0
nsig=0
prev_chain=""
while read -r key; do
	f=$ROOT/$key
	gzip -dc "$f" >"$tmp/d.json"
	sha=$(sha256sum <"$tmp/d.json" | cut -c1-64)
	sig=$(jq -r --arg k "$key" 'select(.digestS3Object == $k) | .signature' "$A/digest-signatures.jsonl")
	IFS=$'\t' read -r end bucket obj pobj phash psig < <(jq -r '[.digestEndTime, .digestS3Bucket, .digestS3Object,
		(.previousDigestS3Object // "null"), (.previousDigestHashValue // "null"), (.previousDigestSignature // "null")] | @tsv' "$tmp/d.json")
	chain=${key%/*/*/*/*}
	if [ "$chain" = "$prev_chain" ]; then
		[ "$pobj" = "$prev_key" ] && [ "$phash" = "$prev_sha" ] && [ "$psig" = "$prev_sig" ] || bad_link=$((bad_link + 1))
	else
		[ "$pobj" = null ] && [ "$psig" = null ] || bad_link=$((bad_link + 1))
	fi
	[ "$obj" = "$key" ] || bad_link=$((bad_link + 1))
	printf '%s\n%s/%s\n%s\n%s' "$end" "$bucket" "$obj" "$sha" "$psig" >"$tmp/msg"
	hex2bin "$sig" >"$tmp/sig"
	openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/msg" >/dev/null 2>&1 || bad_sig=$((bad_sig + 1))
	nsig=$((nsig + 1))
	prev_chain=$chain prev_key=$key prev_sha=$sha prev_sig=$sig
done <"$tmp/dg"
check "digest chains link: previous object, hash of decompressed digest, signature" test "$bad_link" = 0
check "all $nsig digest signatures verify with openssl dgst -sha256 -verify" test "$bad_sig" = 0
printf 'x' >>"$tmp/msg"
check "a tampered string to sign does not verify" test "$(openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig" "$tmp/msg" 2>&1 | grep -c 'Verified OK')" = 0

# --------------------------------------------------------- ground truth
want="bedrock_api_key_misuse cloudtrail_stopped guardrail_deleted invocation_logging_disabled knowledge_base_dump knowledge_base_poisoning llmjacking prompt_injection secret_leak"
check "ground truth names the nine incidents" test "$(jq -r .incident "$A/ground-truth.jsonl" | LC_ALL=C sort | tr '\n' ' ')" = "$want "
jq -r '(.event_ids + .request_ids)[]' "$A/ground-truth.jsonl" | LC_ALL=C sort -u >"$tmp/ids"
find "$A/firehose-cloudtrail-data-events" -type f | LC_ALL=C sort | xargs gzip -dc | tr '}' '\n' >"$tmp/fh.txt"
cat "$tmp/ct.json" "$tmp/iv.jsonl" "$tmp/fh.txt" "$A/cloudwatch-exports/filter-log-events-modelinvocations.json" |
	grep -oFf "$tmp/ids" | LC_ALL=C sort -u >"$tmp/found"
check "all $(wc -l <"$tmp/ids") ground-truth ids occur in the data" cmp -s "$tmp/ids" "$tmp/found"
jq -r 'select(.incident == "invocation_logging_disabled") | .request_ids[]' "$A/ground-truth.jsonl" >"$tmp/unlogged"
check "calls made while invocation logging was off are in CloudTrail ($(wc -l <"$tmp/unlogged"))" \
	test "$(grep -oFf "$tmp/unlogged" "$tmp/ct.json" | sort -u | wc -l)" = "$(wc -l <"$tmp/unlogged")" -a -s "$tmp/unlogged"
check "... and absent from the invocation logs" test "$(grep -cFf "$tmp/unlogged" "$tmp/iv.jsonl")" = 0
jq -r 'select(.incident == "secret_leak") | .secrets[].value' "$A/ground-truth.jsonl" >"$tmp/secrets"
check "leaked secrets appear in responses" test "$(grep -oFf "$tmp/secrets" "$tmp/iv.jsonl" | sort -u | wc -l)" = 4
jq -r .requestId "$tmp/iv.jsonl" | LC_ALL=C sort -u >"$tmp/inv.ids"
jq -r '.Records[] | select(.eventSource == "bedrock.amazonaws.com") | .requestID' "$tmp/ct.json" | LC_ALL=C sort -u >"$tmp/ct.ids"
joined=$(LC_ALL=C comm -12 "$tmp/inv.ids" "$tmp/ct.ids" | wc -l)
total=$(wc -l <"$tmp/inv.ids")
check "invocation requestIds match CloudTrail requestIDs ($joined of $total)" test $((joined * 100)) -ge $((total * 90))
jq -r '.input.inputBodyS3Path // empty, .output.outputBodyS3Path // empty' "$tmp/iv.jsonl" | sed "s|^s3://$BUCKET/||" | LC_ALL=C sort >"$tmp/s3refs"
check "every inputBodyS3Path/outputBodyS3Path ($(wc -l <"$tmp/s3refs")) names a file of the export" cmp -s "$tmp/s3refs" "$tmp/da"
check "near-misses present (AWS example key)" grep -q AKIAIOSFODNN7EXAMPLE "$tmp/iv.jsonl"
check "streamed outputs carry amazon-bedrock-invocationMetrics" grep -q amazon-bedrock-invocationMetrics "$tmp/iv.jsonl"
check "guardrail interventions present" grep -q guardrail_intervened "$tmp/iv.jsonl"

# ------------------------------------------------------------ the demo
if [ -d "$SRC/testdata/demo/$BUCKET" ]; then
	"$GEN" --scenario demo --key "$KEY" --out "$tmp/demo" 2>/dev/null
	check "testdata/demo is exactly what 'llmtrail-gen --scenario demo' writes" \
		diff -r -x README.md -x policy.yaml "$SRC/testdata/demo" "$tmp/demo"
else
	skip "committed demo matches the generator" "testdata/demo not generated yet"
fi

finish
