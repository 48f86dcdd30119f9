#!/usr/bin/env python3
# make_fixtures.py — regenerates the decoder fixtures in this folder (real AWS shapes:
# CloudTrail log file, JSON Lines, bare array, lookup-events output, digests,
# Bedrock invocation logs for every body shape, a CloudWatch export).
# The tests assert exact values from these files: review the diff after running.
import json, base64, os
D = os.path.dirname(os.path.abspath(__file__))
os.makedirs(D, exist_ok=True)
def c(o): return json.dumps(o, separators=(',', ':'), ensure_ascii=False)
ACCT = "111122223333"
ALICE = "arn:aws:sts::111122223333:assumed-role/BedrockUser/alice"
UA = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84"
assumed = {"type":"AssumedRole","principalId":"AROA3EXAMPLEROLEID:alice","arn":ALICE,"accountId":ACCT,"accessKeyId":"ASIA3EXAMPLEKEY00001",
  "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA3EXAMPLEROLEID","arn":"arn:aws:iam::111122223333:role/BedrockUser","accountId":ACCT,"userName":"BedrockUser"},
  "attributes":{"creationDate":"2024-05-01T11:58:00Z","mfaAuthenticated":"false"}}}
bob = {"type":"IAMUser","principalId":"AIDA3EXAMPLEUSER0001","arn":"arn:aws:iam::111122223333:user/bob","accountId":ACCT,"accessKeyId":"AKIA3EXAMPLEKEY00002","userName":"bob"}
tls = {"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"bedrock-runtime.us-east-1.amazonaws.com"}
def ct(**kw):
    r = {"eventVersion":"1.09","userIdentity":kw.pop("ui"),"eventTime":kw.pop("t"),"eventSource":kw.pop("src"),"eventName":kw.pop("name"),
         "awsRegion":kw.pop("region","us-east-1"),"sourceIPAddress":kw.pop("ip","203.0.113.10"),"userAgent":kw.pop("ua",UA)}
    if "err" in kw:
        r["errorCode"] = kw["err"][0]; r["errorMessage"] = kw["err"][1]; kw.pop("err")
    r["requestParameters"] = kw.pop("rp", None)
    r["responseElements"] = kw.pop("re", None)
    r["requestID"] = kw.pop("rid"); r["eventID"] = kw.pop("eid")
    r["readOnly"] = kw.pop("ro", True); r["eventType"] = "AwsApiCall"; r["managementEvent"] = True
    r["recipientAccountId"] = ACCT; r["eventCategory"] = "Management"; r["tlsDetails"] = tls
    r.update(kw)
    return r
recs = [
 ct(ui=assumed, t="2024-05-01T12:00:01Z", src="bedrock.amazonaws.com", name="InvokeModel",
    rp={"modelId":"anthropic.claude-3-sonnet-20240229-v1:0"}, rid="c7f1a3e2-5b1d-4a8b-9f00-000000000001", eid="6f0e1d2c-1111-4222-8333-944455566601"),
 ct(ui=bob, t="2024-05-01T12:00:02Z", src="bedrock.amazonaws.com", name="ListFoundationModels", ip="198.51.100.7", ua="aws-cli/2.15.40 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/bedrock.list-foundation-models",
    rp={"byOutputModality":"TEXT"}, rid="0a1b2c3d-0000-4000-8000-000000000002", eid="6f0e1d2c-1111-4222-8333-944455566602"),
 ct(ui=bob, t="2024-05-01T12:00:03.250Z", src="bedrock.amazonaws.com", name="PutModelInvocationLoggingConfiguration", ro=False, ip="198.51.100.7",
    rp={"loggingConfig":{"s3Config":{"bucketName":"llm-logs-111122223333","keyPrefix":""},"textDataDeliveryEnabled":True,"imageDataDeliveryEnabled":True,"embeddingDataDeliveryEnabled":True}},
    rid="0a1b2c3d-0000-4000-8000-000000000003", eid="6f0e1d2c-1111-4222-8333-944455566603"),
 ct(ui=bob, t="2024-05-01T12:00:04Z", src="sts.amazonaws.com", name="GetCallerIdentity", ip="198.51.100.7",
    rid="0a1b2c3d-0000-4000-8000-000000000004", eid="6f0e1d2c-1111-4222-8333-944455566604"),
 ct(ui={"type":"AWSService","invokedBy":"bedrock.amazonaws.com"}, t="2024-05-01T12:00:05Z", src="sts.amazonaws.com", name="AssumeRole",
    ip="bedrock.amazonaws.com", ua="bedrock.amazonaws.com", ro=True,
    rp={"roleArn":"arn:aws:iam::111122223333:role/BedrockKBRole","roleSessionName":"bedrock-kb"},
    rid="0a1b2c3d-0000-4000-8000-000000000005", eid="6f0e1d2c-1111-4222-8333-944455566605"),
 ct(ui=assumed, t="2024-05-01T12:00:06Z", src="bedrock.amazonaws.com", name="InvokeModel", err=("AccessDenied","User: arn:aws:sts::111122223333:assumed-role/BedrockUser/alice is not authorized to perform: bedrock:InvokeModel"),
    rp={"modelId":"arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-70b-instruct-v1:0"},
    rid="0a1b2c3d-0000-4000-8000-000000000006", eid="6f0e1d2c-1111-4222-8333-944455566606"),
 ct(ui=bob, t="2024-05-01T12:00:07Z", src="bedrock.amazonaws.com", name="GetFoundationModel", ip="198.51.100.7",
    rp={"modelIdentifier":"amazon.titan-text-express-v1"}, rid="0a1b2c3d-0000-4000-8000-000000000007", eid="6f0e1d2c-1111-4222-8333-944455566607"),
]
# key-order variant: same fields, reversed order, and a role session without arn (fallback to sessionIssuer)
v = ct(ui={"type":"AssumedRole","principalId":"AROA3EXAMPLEROLEID:carol","accountId":ACCT,"accessKeyId":"ASIA3EXAMPLEKEY00003",
          "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Ops","accountId":ACCT}}},
       t="2024-05-01T12:00:08Z", src="bedrock.amazonaws.com", name="Converse", region="eu-west-1",
       rp={"modelArn":"arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"},
       rid="0a1b2c3d-0000-4000-8000-000000000008", eid="6f0e1d2c-1111-4222-8333-944455566608")
v = dict(reversed(list(v.items())))
del v["recipientAccountId"]
recs.append(v)
open(f"{D}/cloudtrail_bedrock.json","w").write(c({"Records":recs}))
# JSONL: 3 good, blank, bad, CRLF, missing eventID
lines = [c(recs[0]), c(recs[1]), "", '{"eventVersion":"1.09","eventTime":"2024-05-01T12:01:00Z",', c(recs[3]) + "\r",
         c({k:v2 for k,v2 in recs[6].items() if k != "eventID"})]
open(f"{D}/cloudtrail_records.jsonl","w").write("\n".join(lines) + "\n")
open(f"{D}/cloudtrail_array.json","w").write(json.dumps(recs[:3], indent=2) + "\n")
# lookup-events: CLI output, pretty, CloudTrailEvent is a JSON string
def lookup_ev(r, user):
    return {"EventId":r["eventID"],"EventName":r["eventName"],"ReadOnly":"true" if r["readOnly"] else "false",
            "AccessKeyId":r["userIdentity"].get("accessKeyId",""),"EventTime":"2024-05-01T12:00:01+00:00","EventSource":r["eventSource"],
            "Username":user,"Resources":[],"CloudTrailEvent":c(r)}
open(f"{D}/lookup_events.json","w").write(json.dumps({"Events":[lookup_ev(recs[0],"alice"),lookup_ev(recs[3],"bob")],"NextToken":"eyJOZXh0VG9rZW4iOiBudWxsfQ=="}, indent=4) + "\n")
# digests
dig_prev = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_management-trail_us-east-1_20240501T120000Z.json.gz"
digest = {"awsAccountId":ACCT,"digestStartTime":"2024-05-01T12:00:00Z","digestEndTime":"2024-05-01T13:00:00Z",
 "digestS3Bucket":"aws-cloudtrail-logs-111122223333-3f8a","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_management-trail_us-east-1_20240501T130000Z.json.gz",
 "digestPublicKeyFingerprint":"4ff1bd0b8a8e3f2ac8c7d1fb13a1a6f0","digestSignatureAlgorithm":"SHA256withRSA",
 "newestEventTime":"2024-05-01T12:00:08Z","oldestEventTime":"2024-05-01T12:00:01Z",
 "previousDigestS3Bucket":"aws-cloudtrail-logs-111122223333-3f8a","previousDigestS3Object":dig_prev,
 "previousDigestHashValue":"97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d","previousDigestHashAlgorithm":"SHA-256",
 "previousDigestSignature":"50887ccffad4c002b97caa37cc9dc626e3c680207d41d27fa5835458e066e0d3652fc4dfc30937e4d5f4cc7f796e7a258fb50a43ac427f2237f6e505d4efaf373d156e15e3b68dea9f58111d395b62628d6bd367a9024d2183b0ef2b5c3c4c8d1fa2cc81a3e2c67a3ec7bd36ffc8b9a18c0fbaf4abcc8b2b1e1f2c1b1fd2d9b0f0fcd1c4a7bf4df8ee8e4a8c3d8b73b3c2d1e0f9a8b7c6d5e4f30211223344556677889900aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889900aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889900aabbccddeeff0011223344556677889900aabbccdd",
 "logFiles":[{"s3Bucket":"aws-cloudtrail-logs-111122223333-3f8a","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1205Z_9nYN7gp2eWAJHIfT.json.gz",
   "hashValue":"9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6","hashAlgorithm":"SHA-256","newestEventTime":"2024-05-01T12:00:08Z","oldestEventTime":"2024-05-01T12:00:01Z"},
  {"s3Bucket":"aws-cloudtrail-logs-111122223333-3f8a","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1210Z_Qw3rTy5Ui8OpAsDf.json.gz",
   "hashValue":"0d3e8a3e0b7c5d2f1a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f","hashAlgorithm":"SHA-256","newestEventTime":"2024-05-01T12:09:59Z","oldestEventTime":"2024-05-01T12:05:00Z"}]}
open(f"{D}/digest.json","w").write(c(digest))
first = dict(digest); 
for k in ["previousDigestS3Bucket","previousDigestS3Object","previousDigestHashValue","previousDigestHashAlgorithm","previousDigestSignature"]: first[k] = None
first["logFiles"] = []; del first["newestEventTime"]; del first["oldestEventTime"]
open(f"{D}/digest_first.json","w").write(c(first))

# ---- invocation logs
def inv(rid, op, model, inb=None, outb=None, itok=None, otok=None, t="2024-05-01T12:00:01Z", err=None, inref=None, outref=None, order=None):
    r = {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":t,"accountId":ACCT,"identity":{"arn":ALICE},"region":"us-east-1","requestId":rid,"operation":op,"modelId":model}
    if err: r["errorCode"] = err
    i = {"inputContentType":"application/json"}
    if inb is not None: i["inputBodyJson"] = inb
    if inref: i["inputBodyS3Path"] = inref
    if itok is not None: i["inputTokenCount"] = itok
    r["input"] = i
    if outb is not None or otok is not None or outref:
        o = {"outputContentType":"application/json"}
        if outb is not None: o["outputBodyJson"] = outb
        if outref: o["outputBodyS3Path"] = outref
        if otok is not None: o["outputTokenCount"] = otok
        r["output"] = o
    if order == "shuffle":
        keys = ["output","input","modelId","operation","requestId","region","identity","accountId","timestamp","schemaVersion","schemaType"] + (["errorCode"] if err else [])
        r = {k:r[k] for k in keys if k in r}
    return r
doc_txt = base64.b64encode(b"Quarterly numbers: revenue 12M").decode()
L = []
L.append(inv("req-converse-0001","Converse","anthropic.claude-3-sonnet-20240229-v1:0",
  {"messages":[{"role":"user","content":[{"text":"What is the weather in Paris?"},{"document":{"format":"txt","name":"q1","source":{"bytes":doc_txt}}}]},
               {"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]},
               {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_1","content":[{"json":{"temp":21}},{"text":"sunny"}],"status":"success"}},{"guardContent":{"text":{"text":"guarded question"}}}]}],
   "system":[{"text":"You are a weather bot."},{"guardContent":{"text":{"text":"Be nice."}}}],
   "inferenceConfig":{"maxTokens":512,"temperature":0.5}},
  {"output":{"message":{"role":"assistant","content":[{"text":"It is sunny, 21 C."},{"toolUse":{"toolUseId":"tooluse_2","name":"log_answer","input":{"ok":True}}}]}},
   "stopReason":"tool_use","metrics":{"latencyMs":842},"usage":{"inputTokens":58,"outputTokens":21,"totalTokens":79}}, 58, 21))
L.append(inv("req-converse-guard","Converse","anthropic.claude-3-haiku-20240307-v1:0",
  {"messages":[{"role":"user","content":[{"text":"How do I make a weapon?"}]}]},
  {"output":{"message":{"role":"assistant","content":[{"text":"Sorry, I cannot help with that."}]}},"stopReason":"guardrail_intervened",
   "metrics":{"latencyMs":300},"usage":{"inputTokens":12,"outputTokens":8,"totalTokens":20},
   "trace":{"guardrail":{"modelOutput":["Here is how to make a weapon: step one"],"inputAssessment":{"gr-1":{"contentPolicy":{"filters":[]}}},"outputAssessments":{"gr-1":[{"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH","action":"BLOCKED"}]}}]}}}}, 12, 8))
L.append(inv("req-anthropic-0001","InvokeModel","anthropic.claude-3-sonnet-20240229-v1:0",
  {"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"system":"You are terse.",
   "messages":[{"role":"user","content":"Summarize the report."},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"fetch","input":{"doc":"r1"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":[{"type":"text","text":"Report body"}]},{"type":"text","text":"Thanks"},
                 {"type":"document","source":{"type":"text","media_type":"text/plain","data":"Doc text"}}]}]},
  {"id":"msg_01","type":"message","role":"assistant","content":[{"type":"text","text":"Short summary."},{"type":"tool_use","id":"toolu_02","name":"save","input":{"k":"v"}}],
   "stop_reason":"tool_use","usage":{"input_tokens":40,"output_tokens":9}}, 40, 9, t="2024-05-01T12:00:02.500Z", order="shuffle"))
L.append(inv("req-claude-text","InvokeModel","anthropic.claude-v2:1",
  {"prompt":"\n\nHuman: Tell me a joke\n\nAssistant:","max_tokens_to_sample":200},
  {"completion":" Why did the chicken cross the road?","stop_reason":"stop_sequence","stop":"\n\nHuman:"}, 15, 10))
L.append(inv("req-titan","InvokeModel","amazon.titan-text-express-v1",
  {"inputText":"Write a haiku","textGenerationConfig":{"maxTokenCount":100}},
  {"inputTextTokenCount":4,"results":[{"tokenCount":12,"outputText":"Leaves fall softly","completionReason":"FINISH"}]}, 4, 12))
L.append(inv("req-llama","InvokeModel","meta.llama3-70b-instruct-v1:0",
  {"prompt":"<|begin_of_text|>Hello","max_gen_len":64},
  {"generation":"Hi there!","prompt_token_count":5,"generation_token_count":4,"stop_reason":"stop"}, 5, 4))
L.append(inv("req-mistral","InvokeModel","mistral.mistral-7b-instruct-v0:2",
  {"prompt":"<s>[INST] Name a color [/INST]","max_tokens":20},
  {"outputs":[{"text":"Blue","stop_reason":"stop"}]}, 9, 1))
L.append(inv("req-cohere-r","InvokeModel","cohere.command-r-v1:0",
  {"message":"And in French?","chat_history":[{"role":"USER","message":"Say hello"},{"role":"CHATBOT","message":"Hello"}],"preamble":"You translate.",
   "documents":[{"title":"Glossary","snippet":"hello = bonjour"}]},
  {"response_id":"r1","text":"Bonjour","generation_id":"g1","finish_reason":"COMPLETE","chat_history":[{"role":"USER","message":"And in French?"},{"role":"CHATBOT","message":"Bonjour"}]}, 20, 2))
L.append(inv("req-cohere","InvokeModel","cohere.command-text-v14",
  {"prompt":"Count to three","max_tokens":20},
  {"id":"c1","generations":[{"id":"g1","text":"one two three","finish_reason":"COMPLETE"}],"prompt":"Count to three"}, 3, 3))
L.append(inv("req-ai21","InvokeModel","ai21.j2-ultra-v1",
  {"prompt":"Complete: the sky is","maxTokens":10},
  {"id":1234,"prompt":{"text":"Complete: the sky is","tokens":[]},"completions":[{"data":{"text":" blue","tokens":[]},"finishReason":{"reason":"endoftext"}}]}, 5, 1))
L.append(inv("req-jamba","InvokeModel","ai21.jamba-1-5-large-v1:0",
  {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of Italy?"}],"max_tokens":20},
  {"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"Rome","tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"Italy\"}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":1}}, 10, 1))
L.append(inv("req-stream-anthropic","InvokeModelWithResponseStream","anthropic.claude-3-haiku-20240307-v1:0",
  {"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"Stream please"}]}]},
  [{"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","content":[],"usage":{"input_tokens":8,"output_tokens":1}}},
   {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}},
   {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}},
   {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", world"}},
   {"type":"content_block_stop","index":0},
   {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_9","name":"calc","input":{}}},
   {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"x\": "}},
   {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"2}"}},
   {"type":"content_block_stop","index":1},
   {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":12}},
   {"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":8,"outputTokenCount":12,"invocationLatency":1234,"firstByteLatency":321}}], 8, 12))
L.append(inv("req-conversestream","ConverseStream","amazon.nova-pro-v1:0",
  {"messages":[{"role":"user","content":[{"text":"Hi Nova"}]}],"system":[{"text":"Sys"}]},
  [{"messageStart":{"role":"assistant"}},{"contentBlockDelta":{"delta":{"text":"Hel"},"contentBlockIndex":0}},{"contentBlockDelta":{"delta":{"text":"lo"},"contentBlockIndex":0}},
   {"contentBlockStop":{"contentBlockIndex":0}},
   {"contentBlockStart":{"start":{"toolUse":{"toolUseId":"tu_7","name":"search"}},"contentBlockIndex":1}},
   {"contentBlockDelta":{"delta":{"toolUse":{"input":"{\"q\":\"nova\"}"}},"contentBlockIndex":1}},
   {"contentBlockStop":{"contentBlockIndex":1}},
   {"messageStop":{"stopReason":"tool_use"}},{"metadata":{"usage":{"inputTokens":5,"outputTokens":3},"metrics":{"latencyMs":456}}}], 5, 3))
L.append(inv("req-stream-titan","InvokeModelWithResponseStream","amazon.titan-text-premier-v1:0",
  {"inputText":"Count"},
  [{"outputText":"1 2","index":0,"totalOutputTextTokenCount":None,"completionReason":None,"inputTextTokenCount":1},
   {"outputText":" 3","index":0,"totalOutputTextTokenCount":3,"completionReason":"FINISH","inputTextTokenCount":None,"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":3,"invocationLatency":77,"firstByteLatency":20}}], 1, 3))
L.append(inv("req-stream-llama","InvokeModelWithResponseStream","meta.llama3-8b-instruct-v1:0",
  {"prompt":"Say yes"},
  [{"generation":"Ye","prompt_token_count":3,"generation_token_count":1,"stop_reason":None},
   {"generation":"s","prompt_token_count":None,"generation_token_count":2,"stop_reason":"stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":3,"outputTokenCount":2,"invocationLatency":55,"firstByteLatency":10}}], 3, 2))
L.append(inv("req-error","InvokeModel","anthropic.claude-3-opus-20240229-v1:0",
  {"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}, None, 3, None, err="ThrottlingException"))
L.append(inv("req-external","Converse","anthropic.claude-3-sonnet-20240229-v1:0", None, None, 120000, 900,
  inref="s3://llm-logs-111122223333/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2024/05/01/12/data/req-external_input.json.gz",
  outref="s3://llm-logs-111122223333/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2024/05/01/12/data/req-external_output.json.gz"))
L.append(inv("req-invoke-guard","InvokeModel","anthropic.claude-3-haiku-20240307-v1:0",
  {"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"My SSN is 123-45-6789"}]},
  {"type":"message","role":"assistant","content":[{"type":"text","text":"Sorry, the model cannot answer this question."}],"stop_reason":"end_turn",
   "amazon-bedrock-guardrailAction":"INTERVENED","amazon-bedrock-trace":{"guardrail":{"input":{"gr-2":{"sensitiveInformationPolicy":{"piiEntities":[{"type":"US_SOCIAL_SECURITY_NUMBER","match":"123-45-6789","action":"BLOCKED"}]}}}}}}, 14, 10))
L.append(inv("req-string-body","InvokeModel","meta.llama3-8b-instruct-v1:0",
  c({"prompt":"string wrapped prompt"}), c({"generation":"string wrapped answer"}), 4, 4))
open(f"{D}/invocations.jsonl","w").write("".join(c(r) + "\n" for r in L))
# bad lines
bad = [c(L[3]), "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":", "", c({k:v2 for k,v2 in L[4].items() if k != "requestId"}),
       c({k:v2 for k,v2 in L[5].items() if k != "timestamp"}), "RAW_UTF8", c(L[6])]
with open(f"{D}/invocations_bad.jsonl","wb") as f:
    for b in bad:
        if b == "RAW_UTF8":
            r = dict(L[6]); r["requestId"] = "req-bad-utf8"; r["input"] = {"inputBodyJson":{"prompt":"caf@@"}}
            f.write(c(r).replace("@@", "\udcff").encode("utf-8","surrogateescape") + b"\n")
        else:
            f.write(b.encode() + b"\n")
# cloudwatch export
cw = ["2024-05-01T12:00:01.123Z " + c(L[4]), "2024-05-01T12:00:02.000Z " + c(L[5]),
      "2024-05-01T12:00:03.000Z " + c({k:v2 for k,v2 in L[6].items() if k != "timestamp"}), "2024-05-01T12:00:04.000Z not json at all"]
open(f"{D}/invocations_cloudwatch.log","w").write("\n".join(cw) + "\n")
# pretty-printed concatenated records (jq '.Records[]' output)
open(f"{D}/cloudtrail_pretty.json","w").write("".join(json.dumps(r, indent=2) + "\n" for r in recs[:2]))
# external body under data/
open(f"{D}/body_external.json","w").write(c({"messages":[{"role":"user","content":[{"text":"A very long externally stored prompt"}]}],"system":[{"text":"ext system"}]}))
open(f"{D}/README.md","w").write("# Evidence export\n\nExported from S3 on 2024-05-02 by the IR team.\n")
png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
open(f"{D}/pixel.png","wb").write(png)
