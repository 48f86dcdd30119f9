#!/bin/sh
# gen_overlap.sh DIR RECORDS PAD_BYTES [FILES] — FILES (default 2) gzip'd
# invocation-log files whose RECORDS records each carry a PAD_BYTES prompt
# and interleave in time (file k holds seconds k, k+FILES, k+2*FILES, ...),
# so a time-ordered replay alternates between the members on every event.
# The prompts are one repeated letter: the evidence is tiny, the text large.
set -eu
dir=$1 records=$2 pad=$3 files=${4:-2}
mkdir -p "$dir"
k=0
while [ "$k" -lt "$files" ]; do
	awk -v records="$records" -v pad="$pad" -v files="$files" -v k="$k" 'BEGIN {
		p = "a"; while (length(p) < pad) p = p p; p = substr(p, 1, pad)
		for (i = 0; i < records; i++) {
			s = i * files + k
			printf "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\","
			printf "\"timestamp\":\"2024-05-01T%02d:%02d:%02dZ\",", int(s / 3600) % 24, int(s / 60) % 60, s % 60
			printf "\"accountId\":\"111122223333\",\"identity\":{\"arn\":\"arn:aws:sts::111122223333:assumed-role/R/u%d\"},", k
			printf "\"region\":\"us-east-1\",\"requestId\":\"req-%d-%d\",\"operation\":\"InvokeModel\",", k, i
			printf "\"modelId\":\"anthropic.claude-v2\",\"input\":{\"inputContentType\":\"application/json\","
			printf "\"inputBodyJson\":{\"prompt\":\"%s\"},\"inputTokenCount\":5},", p
			printf "\"output\":{\"outputContentType\":\"application/json\",\"outputBodyJson\":{\"completion\":\"ok\"},\"outputTokenCount\":1}}\n"
		}
	}' | gzip -n >"$dir/inv-$k.json.gz"
	k=$((k + 1))
done
