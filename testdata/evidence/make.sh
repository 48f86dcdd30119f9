#!/bin/sh
# make.sh — regenerates the binary evidence fixtures of the ingest-* golden
# cases (testdata/cases/ingest-*/) from the readable sources in src/ and
# shapes/. The outputs are committed: tests never run this script, so the
# tools it needs (gzip, GNU tar, zip, 7z from p7zip-full, sha256sum, awk,
# base64) are needed only to regenerate. Output is deterministic (fixed
# mtimes, gzip -n, sorted tar, TZ=UTC) except for 7z, whose header layout
# depends on the p7zip version.
#
#   export/     an S3 bucket export: CloudTrail, CloudTrail-Digest and Bedrock
#               invocation logs (+ data/ bodies), a README and a PNG
#   archives/   the export as .tar.gz, .zip and .7z; a zip inside a tar
#   bad/        one damaged input per bad-input case
#
# Run from anywhere: sh testdata/evidence/make.sh
set -eu
export LC_ALL=C TZ=UTC
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
STAMP=202405011300.00 # touch -t: 2024-05-01 13:00 UTC, every file's mtime

acct=111122223333
ct_key=AWSLogs/$acct/CloudTrail/us-east-1/2024/05/01/${acct}_CloudTrail_us-east-1_20240501T1235Z_Xq3fE8kP2vN7aB1c.json.gz
dg_key=AWSLogs/$acct/CloudTrail-Digest/us-east-1/2024/05/01/${acct}_CloudTrail-Digest_us-east-1_acme-trail_us-east-1_20240501T130000Z.json.gz
inv_dir=AWSLogs/$acct/BedrockModelInvocationLogs/us-east-1/2024/05/01/12
inv_key=$inv_dir/20240501T121500123Z_3f9a1c2b4d5e6f70.json.gz

gz() { gzip -9nc "$1" >"$2"; }
stamp() { find "$@" -exec touch -h -t "$STAMP" {} +; }
tarc() { # out.tar dir [tar options...]
	out=$1 dir=$2
	shift 2
	tar --sort=name --mtime=@1714568400 --owner=0 --group=0 --numeric-owner --format=gnu "$@" -C "$dir" -cf "$out" .
}

# --- export/ --------------------------------------------------------------
rm -rf export archives bad tar.tmp zip.tmp nest.tmp bad.tmp
mkdir -p "export/$(dirname "$ct_key")" "export/$(dirname "$dg_key")" "export/$inv_dir/data"
gz src/ct-s3-records.json "export/$ct_key"
gz src/inv-models.jsonl "export/$inv_key"
gz src/body-input.json "export/$inv_dir/data/req-external_input.json.gz"
gz src/body-output.json "export/$inv_dir/data/req-external_output.json.gz"
ct_hash=$(sha256sum src/ct-s3-records.json | cut -d' ' -f1)
cat >bad.tmp <<EOF
{"awsAccountId":"$acct","digestStartTime":"2024-05-01T12:00:00Z","digestEndTime":"2024-05-01T13:00:00Z","digestS3Bucket":"acme-bedrock-logs","digestS3Object":"$dg_key","digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2024-05-01T12:30:00Z","oldestEventTime":"2024-05-01T12:00:00Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[{"s3Bucket":"acme-bedrock-logs","s3Object":"$ct_key","hashValue":"$ct_hash","hashAlgorithm":"SHA-256","newestEventTime":"2024-05-01T12:30:00Z","oldestEventTime":"2024-05-01T12:00:00Z"}]}
EOF
gz bad.tmp "export/$dg_key"
rm -f bad.tmp
printf 'Export of s3://acme-bedrock-logs taken 2024-05-01 for case IR-2024-017.\n' >export/README.txt
printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg==' |
	base64 -d >export/logo.png
stamp export

# --- archives/ --------------------------------------------------------------
mkdir archives
tarc archives/export.tar export
gzip -9n archives/export.tar
(cd export && zip -qX -r ../archives/export.zip .)
(cd export && 7z a -bd -bso0 -mtm=on -mtc=off -mta=off ../archives/export.7z . >/dev/null)
mkdir nest.tmp
cp archives/export.zip nest.tmp/export.zip
printf 'zip of the export, handed over inside a tar\n' >nest.tmp/NOTE.txt
stamp nest.tmp
tarc archives/nested.tar nest.tmp
rm -rf nest.tmp
# one CloudTrail log file as single compressed streams (no archive format)
xz -9c src/ct-s3-records.json >archives/ct.json.xz
zstd -q -19c src/ct-s3-records.json >archives/ct.json.zst
bzip2 -9c src/ct-s3-records.json >archives/ct.json.bz2
stamp archives

# --- bad/ -------------------------------------------------------------------
mkdir bad

# truncated gzip: the invocation log cut at 60% of its compressed size
gzip -9nc src/inv-models.jsonl >bad.tmp
n=$(wc -c <bad.tmp)
head -c $((n * 6 / 10)) bad.tmp >bad/truncated.json.gz
rm -f bad.tmp

# an invalid JSON line between two good ones (JSON Lines)
sed -n 3p src/inv-models.jsonl >bad/bad-line.jsonl
printf '{"schemaType":"ModelInvocationLog","requestId":"req-broken","timestamp":"2024-05-01T12:02:30Z",\n' >>bad/bad-line.jsonl
sed -n 4p src/inv-models.jsonl >>bad/bad-line.jsonl

# invalid UTF-8 inside a string (userAgent): C3 28 is a bad sequence, FF never valid
head -n 1 shapes/ct-lines.jsonl | sed 's/"userAgent":"aws-cli\/2.15.40"/"userAgent":"aws-cli\/2.15.40 \\u00e9 BAD:\xc3\x28\xff:END"/' >bad/bad-utf8.jsonl
sed -n 2p shapes/ct-lines.jsonl >>bad/bad-utf8.jsonl

# nesting deeper than the parser's limit (256) in the middle record
sed -n 3p src/inv-models.jsonl >bad/deep.jsonl
awk 'BEGIN { s = "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2024-05-01T12:02:40Z\",\"requestId\":\"req-deep\",\"operation\":\"InvokeModel\",\"input\":{\"inputBodyJson\":";
	for (i = 0; i < 300; i++) s = s "[";
	s = s "1";
	for (i = 0; i < 300; i++) s = s "]";
	print s "}}" }' >>bad/deep.jsonl
sed -n 4p src/inv-models.jsonl >>bad/deep.jsonl

# records missing required fields: CloudTrail without eventTime, without
# eventID; an invocation record without requestId, one without timestamp
sed -n 1p shapes/ct-lines.jsonl >bad/missing-fields.jsonl
sed -n 2p shapes/ct-lines.jsonl | sed 's/"eventTime":"[^"]*",//' >>bad/missing-fields.jsonl
sed -n 2p shapes/ct-lines.jsonl | sed 's/"eventID":"[^"]*",//; s/e1000000-/e1000099-/' >>bad/missing-fields.jsonl
sed -n 3p src/inv-models.jsonl | sed 's/"requestId":"req-titan",//' >>bad/missing-fields.jsonl
sed -n 4p src/inv-models.jsonl | sed 's/"timestamp":"[^"]*",//' >>bad/missing-fields.jsonl
sed -n 5p src/inv-models.jsonl >>bad/missing-fields.jsonl

# external bodies that are not in the evidence (neither data/ object exists)
sed -n 11p src/inv-models.jsonl | sed 's/req-external/req-external-lost/g' >bad/missing-body.jsonl

# a decompression bomb: 70 MB of zeros in 68 KB (refused past 64 MiB at 1000:1)
head -c 70000000 /dev/zero | gzip -9n >bad/bomb.json.gz

# an enormous single line: 67,200,000 bytes (> the 64 MiB record cap) between two
# good lines; a stray byte every 4000 keeps the ratio under the bomb limit
{
	sed -n 3p src/inv-models.jsonl
	awk 'BEGIN { srand(7); printf "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2024-05-01T12:02:50Z\",\"requestId\":\"req-huge\",\"operation\":\"InvokeModel\",\"input\":{\"inputBodyJson\":{\"inputText\":\"";
		pad = sprintf("%3999s", ""); gsub(/ /, "A", pad);
		for (i = 0; i < 16800; i++) printf "%s%c", pad, 98 + int(rand() * 24);
		print "\"}}}" }'
	sed -n 4p src/inv-models.jsonl
} | gzip -9n >bad/long-line.jsonl.gz

# a corrupt member inside a zip: the middle member's deflate data is damaged
mkdir zip.tmp
cp src/ct-s3-records.json zip.tmp/a-cloudtrail.json
cp src/inv-models.jsonl zip.tmp/b-invocations.jsonl
cp shapes/ct-lines.jsonl zip.tmp/c-cloudtrail.jsonl
stamp zip.tmp
(cd zip.tmp && zip -qX -9 ../bad/corrupt-member.zip a-cloudtrail.json b-invocations.jsonl c-cloudtrail.jsonl)
rm -rf zip.tmp
# offset of b's data: find its local header by name, skip 30 + name length, damage 16 bytes further
off=$(grep -abo 'b-invocations.jsonl' bad/corrupt-member.zip | head -n 1 | cut -d: -f1)
printf '\377\377\377\377\377\377\377\377' | dd of=bad/corrupt-member.zip bs=1 seek=$((off + 19 + 40)) conv=notrunc 2>/dev/null

# a symlink in a tar (noted, never followed) and path-traversal member names
# (kept as names, nothing is extracted)
mkdir tar.tmp
cp shapes/ct-lines.jsonl tar.tmp/ct-lines.jsonl
ln -s /etc/passwd tar.tmp/passwd-link
ln -s ../../../../../etc/shadow tar.tmp/shadow-link
stamp tar.tmp
tarc bad/symlink.tar tar.tmp
rm -rf tar.tmp
mkdir tar.tmp
cp shapes/ct-array.json tar.tmp/x1
cp shapes/ct-plain.json tar.tmp/x2
stamp tar.tmp
tarc bad/traversal.tar tar.tmp -P --transform='s,^\./x1$,../../../../tmp/llmtrail-escaped.json,' --transform='s,^\./x2$,/etc/cron.d/llmtrail-escaped.json,'
rm -rf tar.tmp

# several damaged members in one tar.gz: every message names file, member and line
mkdir tar.tmp
cp bad/truncated.json.gz bad/bad-line.jsonl bad/bad-utf8.jsonl bad/missing-fields.jsonl tar.tmp/
stamp tar.tmp
tarc bad/bad-in-archive.tar tar.tmp
gzip -9n bad/bad-in-archive.tar
rm -rf tar.tmp

# token counts that are no counts (too large, negative, fractional, a string,
# an object) beside one valid count: noted per record and not summed
i=0
for v in 1e999999 123456789012345678901234567890123456789 -5 1.5e308 2.5 '"12"' '{}' 4294967296 7; do
	i=$((i + 1))
	printf '{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2024-05-01T12:00:%02dZ","accountId":"111122223333","identity":{"arn":"arn:aws:iam::111122223333:user/tok"},"region":"us-east-1","requestId":"req-tok-%d","operation":"InvokeModel","modelId":"anthropic.claude-v2","input":{"inputContentType":"application/json","inputBodyJson":{"prompt":"hi"},"inputTokenCount":%s},"output":{"outputContentType":"application/json","outputBodyJson":{"completion":"ok"},"outputTokenCount":3}}\n' "$i" "$i" "$v"
done >bad/token-counts.jsonl

# one damaged record (the second) inside {"Records":[...]}: a raw NUL, 300
# levels of nesting, a bad escape; the first and third must still be read
deep=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "["; for (i = 0; i < 300; i++) printf "]" }')
sed 's/"eventName":"Converse"/"eventName":"Con@verse"/' src/ct-s3-records.json | tr '@' '\000' >bad/records-nul.json
sed "s/\"eventName\":\"Converse\"/\"eventName\":\"Converse\",\"deep\":$deep/" src/ct-s3-records.json >bad/records-deep.json
sed 's/"eventName":"Converse"/"eventName":"Con\\qverse"/' src/ct-s3-records.json >bad/records-escape.json

# prompts built to make a backtracking regular expression explode: a trigger
# phrase of a prompt-misuse rule, then 5,000 characters of quotes, spaces,
# underscores or repeated words, then "x". Every rule must finish on every
# record (the hostile-prompts case checks "0 failed")
awk 'BEGIN {
	np = split("ignore all previous instructions|Please ignore all previous instructions.|never mind the instructions|overlook the preceding|put in a code block|what were you told|drop your task|vergiss alles|ignore the above|respond with", pre, "|")
	nf = split("\047| |_|, |a\047|the |previous |ab_", fil, "|")
	n = 0
	for (i = 1; i <= np; i++)
		for (j = 1; j <= nf; j++) {
			s = ""
			while (length(s) < 5000)
				s = s fil[j]
			printf "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\"2024-05-01T12:%02d:%02dZ\",\"accountId\":\"111122223333\",\"identity\":{\"arn\":\"arn:aws:iam::111122223333:user/hostile\"},\"region\":\"us-east-1\",\"requestId\":\"req-hostile-%d\",\"operation\":\"Converse\",\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\",\"input\":{\"inputContentType\":\"application/json\",\"inputBodyJson\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"%s %sx\"}]}]},\"inputTokenCount\":1250},\"output\":{\"outputContentType\":\"application/json\",\"outputBodyJson\":{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"OK.\"}]}},\"stopReason\":\"end_turn\"},\"outputTokenCount\":2}}\n", int(n / 60), n % 60, n, pre[i], s
			n++
		}
}' | gzip -9n >bad/hostile-prompts.jsonl.gz

stamp bad
ls -lR export archives bad | awk '$5 ~ /^[0-9]+$/ { s += $5 } END { print "fixtures: " s " bytes" }'
