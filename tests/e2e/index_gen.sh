#!/bin/sh
# index_gen.sh DIR FILES RECORDS [SEED] — writes a CloudTrail/invocation-log-like
# evidence tree under DIR: FILES gzip'd CloudTrail log files of RECORDS records
# each, and FILES/4 gzip'd invocation logs. Deterministic for a given SEED.
# Used by the index_* end-to-end tests and to measure index throughput.
set -eu
dir=$1 files=$2 records=$3 seed=${4:-1}
ct="$dir/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01"
inv="$dir/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2024/05/01/12"
mkdir -p "$ct" "$inv"
i=0
while [ "$i" -lt "$files" ]; do
	awk -v f="$i" -v n="$records" -v seed="$seed" 'BEGIN {
		srand(seed * 100003 + f);
		split("InvokeModel Converse ListFoundationModels GetObject PutObject AssumeRole DescribeInstances", act, " ");
		split("bedrock.amazonaws.com bedrock.amazonaws.com bedrock.amazonaws.com s3.amazonaws.com s3.amazonaws.com sts.amazonaws.com ec2.amazonaws.com", src, " ");
		printf "{\"Records\":[";
		for (r = 0; r < n; r++) {
			a = int(rand() * 7) + 1; u = int(rand() * 40); s = f * 300 + int(r * 300 / n);
			printf "%s{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE%d:user%d\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/Role%d/user%d\",\"accountId\":\"111122223333\",\"accessKeyId\":\"ASIAEXAMPLE%06d\",\"sessionContext\":{\"attributes\":{\"creationDate\":\"2024-05-01T00:00:00Z\",\"mfaAuthenticated\":\"false\"}}},", (r ? "," : ""), u, u, u % 5, u, u
			printf "\"eventTime\":\"2024-05-01T%02d:%02d:%02dZ\",\"eventSource\":\"%s\",\"eventName\":\"%s\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.%d.%d\",\"userAgent\":\"aws-cli/2.15.%d Python/3.11.6 Linux/6.1 botocore/2.4.%d\",", int(s / 3600) % 24, int(s / 60) % 60, s % 60, src[a], act[a], u % 200, (u * 7) % 250, u % 9, u % 5
			printf "\"requestParameters\":{\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\",\"bucketName\":\"bucket-%d\",\"key\":\"data/%d/%d.json\"},\"responseElements\":null,\"requestID\":\"%08x-%04x-4%03x-8%03x-%012x\",\"eventID\":\"%08x-%04x-4%03x-9%03x-%06x%06x\",\"readOnly\":true,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"111122223333\",\"eventCategory\":\"Management\",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"%s\"}}", u, f, r, f, r % 65536, u, r % 4096, f * 1000003 + r, seed, f, r % 4096, r % 4096, f, r, src[a]
		}
		printf "]}\n";
	}' | gzip -n > "$ct/111122223333_CloudTrail_us-east-1_20240501T$(printf %04d "$i")Z_gen$seed.json.gz"
	if [ $((i % 4)) -eq 0 ]; then
		awk -v f="$i" -v n="$records" -v seed="$seed" 'BEGIN {
			srand(seed * 7919 + f);
			for (r = 0; r < n / 4; r++) {
				u = int(rand() * 40); s = f * 300 + int(r * 1200 / n);
				printf "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\"2024-05-01T%02d:%02d:%02d.%03dZ\",\"accountId\":\"111122223333\",\"identity\":{\"arn\":\"arn:aws:sts::111122223333:assumed-role/Role%d/user%d\"},\"region\":\"us-east-1\",\"requestId\":\"inv-%d-%d-%d\",\"operation\":\"Converse\",\"modelId\":\"amazon.nova-lite-v1:0\",", int(s / 3600) % 24, int(s / 60) % 60, s % 60, r % 1000, u % 5, u, seed, f, r
				printf "\"input\":{\"inputContentType\":\"application/json\",\"inputBodyJson\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Question %d from user%d: summarise document %d please\"}]}]},\"inputTokenCount\":%d},\"output\":{\"outputContentType\":\"application/json\",\"outputBodyJson\":{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Answer %d.\"}]}},\"stopReason\":\"end_turn\",\"metrics\":{\"latencyMs\":%d}},\"outputTokenCount\":%d}}\n", r, u, f, 10 + r % 50, r, 100 + r % 900, 5 + r % 30
			}
		}' | gzip -n > "$inv/gen$seed-$(printf %04d "$i").json.gz"
	fi
	i=$((i + 1))
done
