#!/bin/sh
# reconcile_damaged.sh — damage-aware reconciliation (issue 21 item 5):
# CloudTrail InvokeModel calls whose invocation-log records sat in a
# truncated member are attributed to that member at informational level, not
# reported as invocation logging switched off; the same calls with a damaged
# member at another time still are. TAP output; needs python3.
set -u
: "${LLMTRAIL:?}"
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-recdmg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/make.py" <<'PY'
import gzip, json, os, random, sys
root, inv_hour = sys.argv[1], sys.argv[2]
acct, region = "111122223333", "us-east-1"
rng = random.Random(7)
ct_dir = os.path.join(root, "AWSLogs", acct, "CloudTrail", region, "2024", "05", "01")
inv_dir = os.path.join(root, "AWSLogs", acct, "BedrockModelInvocationLogs", region, "2024", "05", "01", inv_hour)
os.makedirs(ct_dir); os.makedirs(inv_dir)
arn = "arn:aws:sts::%s:assumed-role/BedrockApp/app-session" % acct
records, lines = [], []
for i in range(6):
    t = "2024-05-01T12:%02d:00Z" % i
    records.append({"eventVersion": "1.09", "userIdentity": {"type": "AssumedRole", "arn": arn, "accountId": acct,
                    "accessKeyId": "ASIA3EXAMPLEAPP00001"}, "eventTime": t, "eventSource": "bedrock.amazonaws.com",
                    "eventName": "InvokeModel", "awsRegion": region, "sourceIPAddress": "198.51.100.20",
                    "userAgent": "Boto3/1.34.90", "requestParameters": {"modelId": "amazon.nova-lite-v1:0"},
                    "responseElements": None, "requestID": "req-%d" % i, "eventID": "0d1c2b3a-0001-4e5f-8a9b-00000000000%d" % i,
                    "readOnly": True, "eventType": "AwsApiCall", "recipientAccountId": acct})
    stamp = t if inv_hour == "12" else "2024-05-01T%s:%02d:00Z" % (inv_hour, i)
    rid = "req-%d" % i if inv_hour == "12" else "other-%d" % i
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(4000))
    lines.append(json.dumps({"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": stamp,
                             "accountId": acct, "identity": {"arn": arn}, "region": region, "requestId": rid,
                             "operation": "InvokeModel", "modelId": "amazon.nova-lite-v1:0",
                             "input": {"inputContentType": "application/json",
                                       "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": noise}]}]},
                                       "inputTokenCount": 900},
                             "output": {"outputContentType": "application/json",
                                        "outputBodyJson": {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}},
                                        "outputTokenCount": 1}}))
with open(os.path.join(ct_dir, "%s_CloudTrail_%s_20240501T1205Z_a1b2c3d4e5f6a7b8.json" % (acct, region)), "w") as f:
    json.dump({"Records": records}, f)
data = gzip.compress(("\n".join(lines) + "\n").encode())
with open(os.path.join(inv_dir, "20240501T%s0600000Z_0123456789abcdef.json.gz" % inv_hour), "wb") as f:
    f.write(data[: len(data) * 2 // 5])  # cut short: the later records are lost
PY
n=0
fails=0
report() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else fails=$((fails + 1)); echo "not ok $n - $2"; fi; }
rules_of() { python3 -c "import json,sys; [print(json.loads(l)['rule']['id'], json.loads(l)['rule']['level']) for l in open(sys.argv[1])]" "$1"; }

python3 "$tmp/make.py" "$tmp/same" 12
"$LLMTRAIL" -q analyze "$tmp/same" -o "$tmp/out-same" --fail-on high >/dev/null 2>"$tmp/err"
rc=$?
rules_of "$tmp/out-same/findings.jsonl" >"$tmp/same.rules"
sed 's/^/# /' "$tmp/same.rules"
grep -q '^llmtrail-reconcile-counterpart-in-damaged-member informational$' "$tmp/same.rules"
report $? "calls whose records sat in the truncated member are attributed to it (informational)"
! grep -q -e 'invocation-logging-gap' -e 'invocation-log-missing' -e 'coverage-gap-invocation' "$tmp/same.rules"
report $? "... and not reported as invocation logging off or records missing"
grep -q 'counterpart probably in damaged member [^"]*20240501T120600000Z_0123456789abcdef.json.gz' "$tmp/out-same/findings.jsonl"
report $? "... the finding names the damaged member"
[ "$rc" -eq 3 ] || [ "$rc" -eq 0 ]
report $? "... the run fails on no finding; the exit code tells only of the unreadable member (exit $rc)"

python3 "$tmp/make.py" "$tmp/other" 18
"$LLMTRAIL" -q analyze "$tmp/other" -o "$tmp/out-other" --fail-on none >/dev/null 2>&1
rules_of "$tmp/out-other/findings.jsonl" >"$tmp/other.rules"
grep -q '^llmtrail-reconcile-invocation-logging-gap high$' "$tmp/other.rules"
report $? "a damaged member six hours later does not excuse the calls: logging gap (high)"
! grep -q 'counterpart-in-damaged-member' "$tmp/other.rules"
report $? "... and nothing is attributed to it"
echo "1..$n"
[ "$fails" -eq 0 ]
