#!/bin/sh
# gen_ua.sh OUT N [UALEN] — N CloudTrail Bedrock InvokeModel events, each
# with its own user agent of UALEN bytes (2048 by default): a shared prefix
# then the event's number, so the values are distinct but compress well
# (250,000 events are about 8 MB of gzip). Events are spread over 20
# principals, 4 source addresses and 28 days, 1,000 per file, written under
# OUT/AWSLogs/.../CloudTrail/... The evidence for issue 22 #16: memory for
# high-cardinality long values (first-seen, baselines, correlation groups).
set -eu
out=$1 n=$2 ualen=${3:-2048}
acct=111122223333
awk -v n="$n" -v ualen="$ualen" -v acct="$acct" -v out="$out" '
function pad(len,   s) { s = "aws-sdk-custom/9.9 "; while (length(s) < len) s = s "x"; return substr(s, 1, len) }
BEGIN {
	base = pad(ualen - 12)
	per = 1000
	for (f = 0; f * per < n; f++) {
		day = 1 + int(f * per * 28 / n)
		dir = sprintf("%s/AWSLogs/%s/CloudTrail/us-east-1/2026/02/%02d", out, acct, day)
		name = sprintf("%s/%s_CloudTrail_us-east-1_202602%02dT0000Z_ua%07d.json", dir, acct, day, f)
		system("mkdir -p \"" dir "\"")
		printf "{\"Records\":[" > name
		for (i = f * per; i < n && i < (f + 1) * per; i++) {
			t = 1769904000 + int(i * 28.0 * 86400 / n)
			secs = t - 1769904000
			d = 1 + int(secs / 86400); h = int(secs % 86400 / 3600); m = int(secs % 3600 / 60); s = secs % 60
			p = i % 20
			printf "%s{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDA%016d\",\"arn\":\"arn:aws:iam::%s:user/u%02d\",\"accountId\":\"%s\",\"accessKeyId\":\"AKIA%016d\",\"userName\":\"u%02d\"},\"eventTime\":\"2026-02-%02dT%02d:%02d:%02dZ\",\"eventSource\":\"bedrock.amazonaws.com\",\"eventName\":\"InvokeModel\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.%d\",\"userAgent\":\"%s%012d\",\"requestParameters\":{\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\"},\"responseElements\":null,\"requestID\":\"r-%012d\",\"eventID\":\"e-%012d\",\"readOnly\":true,\"eventType\":\"AwsApiCall\",\"managementEvent\":false,\"recipientAccountId\":\"%s\",\"eventCategory\":\"Data\"}", (i == f * per ? "" : ","), p, acct, p, acct, p, p, d, h, m, s, 1 + i % 4, base, i, i, i, acct >> name
		}
		printf "]}\n" >> name
		close(name)
		system("gzip -f -6 \"" name "\"")
	}
}'
