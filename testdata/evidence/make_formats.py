#!/usr/bin/env python3
"""Writes cwlogs/ and formats-bad/ (the ingest-cwlogs, ingest-kblogs and
ingest-bad-formats golden cases): CloudWatch Logs pages as the AWS CLI prints
them, a Firehose subscription delivery, Knowledge Base application logs,
CloudTrail data events of Bedrock agents, knowledge bases, flows and
guardrails (one made with a Bedrock API key), and damaged and foreign
look-alikes of each. Deterministic; tests never run it."""
import gzip, io, json, os

ACCT = "111122223333"
HERE = os.path.dirname(os.path.abspath(__file__))
KB = f"arn:aws:bedrock:us-east-1:{ACCT}:knowledge-base/KBEXAMPLE1"


def ms(t):  # "13:40:00.250" on 2024-05-01 -> epoch ms
    import datetime
    h, m, s = t.split(":")
    d = datetime.datetime(2024, 5, 1, int(h), int(m), tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000 + float(s) * 1000)


def inv(req, t, text, ts=True):
    r = {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "accountId": ACCT,
         "identity": {"arn": f"arn:aws:sts::{ACCT}:assumed-role/BedrockApp/app-session"},
         "region": "us-east-1", "requestId": req, "operation": "Converse",
         "modelId": "amazon.nova-micro-v1:0",
         "input": {"inputContentType": "application/json",
                   "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": text}]}]},
                   "inputTokenCount": 3},
         "output": {"outputContentType": "application/json",
                    "outputBodyJson": {"output": {"message": {"role": "assistant", "content": [{"text": "OK"}]}},
                                       "stopReason": "end_turn", "metrics": {"latencyMs": 90}},
                    "outputTokenCount": 1}}
    if ts:
        r["timestamp"] = f"2024-05-01T{t}Z"
    return r


def ident(user="bob", key="AKIA3EXAMPLEBOB00001"):
    return {"type": "IAMUser", "principalId": "AIDA3EXAMPLE" + user.upper(),
            "arn": f"arn:aws:iam::{ACCT}:user/{user}", "accountId": ACCT,
            "accessKeyId": key, "userName": user}


def ct(eid, t, name, params, resources=None, user="bob", extra=None, category="Data", ip="192.0.2.10"):
    r = {"eventVersion": "1.09", "userIdentity": ident(user), "eventTime": f"2024-05-01T{t}Z",
         "eventSource": "bedrock.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
         "sourceIPAddress": ip, "userAgent": "Boto3/1.34.90 md/Botocore#1.34.90",
         "requestParameters": params, "responseElements": None,
         "requestID": "a0000000-0000-4000-8000-" + eid[-12:], "eventID": eid,
         "readOnly": False, "eventType": "AwsApiCall", "managementEvent": category != "Data",
         "recipientAccountId": ACCT, "eventCategory": category}
    if resources:
        r["resources"] = [{"accountId": ACCT, "type": ty, "ARN": arn} for ty, arn in resources]
    if extra:
        r.update(extra)
    return r


def kb(t, etype, event, level="INFO"):
    e = {"ingestion_job_id": "JOBEXAMPLE", "data_source_id": "DSEXAMPLE1", "knowledge_base_arn": KB}
    e.update(event)
    return {"event_timestamp": ms(t), "event": e, "event_version": "1.0", "event_type": etype, "level": level}


def doc(uri, status, reasons=None, stats=None):
    e = {"document_location": {"type": "S3", "s3_location": {"uri": uri}}, "status": status}
    if reasons is not None:
        e["status_reasons"] = reasons
    if stats is not None:
        e["chunk_statistics"] = stats
    return e


def chunks(created=0, deleted=0, failed=0):
    return {"ignored": 0, "created": created, "deleted": deleted, "metadata_updated": 0,
            "failed_to_create": failed, "failed_to_delete": 0, "failed_to_update_metadata": 0}


AGENT = f"arn:aws:bedrock:us-east-1:{ACCT}:agent-alias/AGENTEXMPL/ALIASEXMPL"
GR = f"arn:aws:bedrock:us-east-1:{ACCT}:guardrail/grexample001"
FLOW = f"arn:aws:bedrock:us-east-1:{ACCT}:flow/FLOWEXAMPL/alias/FLALIASEXM"

DATA_EVENTS = [
    ct("f1000000-0000-4000-8000-000000000001", "13:40:00", "InvokeAgent",
       {"agentId": "AGENTEXMPL", "agentAliasId": "ALIASEXMPL", "sessionId": "s-1", "inputText": "***"},
       [("AWS::Bedrock::AgentAlias", AGENT)]),
    ct("f1000000-0000-4000-8000-000000000002", "13:40:05", "Retrieve",
       {"knowledgeBaseId": "KBEXAMPLE1", "retrievalQuery": {"text": "***"}},
       [("AWS::Bedrock::KnowledgeBase", KB)]),
    ct("f1000000-0000-4000-8000-000000000003", "13:40:10", "RetrieveAndGenerate",
       {"input": {"text": "***"}, "retrieveAndGenerateConfiguration": {"type": "KNOWLEDGE_BASE",
        "knowledgeBaseConfiguration": {"knowledgeBaseId": "KBEXAMPLE1",
                                       "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"}}},
       [("AWS::Bedrock::KnowledgeBase", KB)]),
    ct("f1000000-0000-4000-8000-000000000004", "13:40:15", "ApplyGuardrail",
       {"guardrailIdentifier": "grexample001", "guardrailVersion": "1", "source": "INPUT", "content": "***"},
       [("AWS::Bedrock::Guardrail", GR)]),
    ct("f1000000-0000-4000-8000-000000000005", "13:40:20", "InvokeFlow",
       {"flowIdentifier": "FLOWEXAMPL", "flowAliasIdentifier": "FLALIASEXM", "inputs": "***"},
       [("AWS::Bedrock::FlowAlias", FLOW)]),
    ct("f1000000-0000-4000-8000-000000000006", "13:40:25", "Converse",
       {"modelId": "amazon.nova-micro-v1:0"}, None, user="BedrockAPIKey_a1b2",
       extra={"additionalEventData": {"callWithBearerToken": True}}, category="Management",
       ip="203.0.113.9"),
]


def write(path, text, mode="w"):
    with open(os.path.join(HERE, path), mode) as f:
        f.write(text)


def pretty(v):
    return json.dumps(v, indent=4) + "\n"


def main():
    c = lambda v: json.dumps(v, separators=(",", ":"))
    kb_records = [
        kb("13:00:00.000", "StartIngestionJob.StatusChanged",
           {"ingestion_job_status": "INGESTION_JOB_STARTED"}),
        kb("13:00:05.000", "StartIngestionJob.ResourceStatusChanged",
           doc("s3://acme-kb-docs/handbook/vacation.md", "INDEXED", stats=chunks(created=4))),
        kb("13:00:06.000", "StartIngestionJob.ResourceStatusChanged",
           doc("s3://acme-kb-docs/handbook/big.pdf", "RESOURCE_IGNORED",
               ["Resource exceeded allowed size limit of 50 Megabytes."]), "WARN"),
        kb("13:00:07.000", "StartIngestionJob.ResourceStatusChanged",
           doc("s3://acme-kb-docs/handbook/old.md", "DELETED", stats=chunks(deleted=3))),
        kb("13:00:08.000", "StartIngestionJob.ResourceStatusChanged",
           doc("s3://acme-kb-docs/handbook/scan.pdf", "EMBEDDING_FAILED",
               ["Embedding model throttled the request."]), "ERROR"),
        kb("13:00:30.000", "StartIngestionJob.StatusChanged",
           {"ingestion_job_status": "COMPLETE",
            "resource_statistics": {"number_of_resources_ingested": 1, "number_of_resources_deleted": 1,
                                    "number_of_resources_failed": 1}}),
    ]
    # S3 vended delivery: JSON Lines
    write("cwlogs/kb-logs.jsonl", "".join(c(r) + "\n" for r in kb_records))
    write("cwlogs/ct-data-events.jsonl", "".join(c(r) + "\n" for r in DATA_EVENTS))

    inv_stream = "aws/bedrock/modelinvocations"
    ct_stream = f"{ACCT}_CloudTrail_us-east-1"
    kb_stream = "ingestion-logs"
    evs = [
        (inv_stream, "13:30:00.250", inv("req-fle-1", "13:30:00", "Hello from filter-log-events")),
        (inv_stream, "13:30:05.500", inv("req-fle-notime", "", "A record without its own timestamp", ts=False)),
        (ct_stream, "13:40:25.000", DATA_EVENTS[5]),
        (kb_stream, "13:00:05.000", kb_records[1]),
        ("lambda/2024/05/01", "13:31:00.000", "START RequestId: 0f0f Version: $LATEST"),
    ]
    page = {"events": [], "searchedLogStreams": [
        {"logStreamName": s, "searchedCompletely": True} for s in (inv_stream, ct_stream, kb_stream)]}
    for i, (s, t, msg) in enumerate(evs):
        page["events"].append({"logStreamName": s, "timestamp": ms(t),
                               "message": msg if isinstance(msg, str) else c(msg),
                               "ingestionTime": ms(t) + 900,
                               "eventId": "3801%052d" % (i + 1)})
    write("cwlogs/filter-log-events.json", pretty(page))
    get = {"events": [{"timestamp": ms("13:32:00.000"),
                       "message": c(inv("req-gle-1", "13:32:00", "Hello from get-log-events")),
                       "ingestionTime": ms("13:32:01.000")}],
           "nextForwardToken": "f/38010000000000000000000000000000000000000000000000000001/s",
           "nextBackwardToken": "b/38010000000000000000000000000000000000000000000000000001/s"}
    write("cwlogs/get-log-events.json", pretty(get))

    def data_message(group, stream, records, first_id):
        return {"messageType": "DATA_MESSAGE", "owner": ACCT, "logGroup": group, "logStream": stream,
                "subscriptionFilters": ["to-firehose"],
                "logEvents": [{"id": "%056d" % (first_id + i), "timestamp": ms(t), "message": c(r)}
                              for i, (t, r) in enumerate(records)]}
    control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
               "logStream": "", "subscriptionFilters": [],
               "logEvents": [{"id": "", "timestamp": ms("13:29:00.000"),
                              "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}
    delivery = "".join(c(o) for o in [
        control,
        data_message("/aws/bedrock/invocations", inv_stream,
                     [("13:33:00.000", inv("req-fh-1", "13:33:00", "Hello from Firehose")),
                      ("13:33:30.000", inv("req-fh-2", "13:33:30", "Second over Firehose"))], 1),
        data_message("/aws/vendedlogs/bedrock/knowledge-base/APPLICATION_LOGS/KBEXAMPLE1", kb_stream,
                     [("13:00:08.000", kb_records[4])], 10),
    ])
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, filename="") as f:
        f.write(delivery.encode())
    write("cwlogs/cwl-firehose-1-2024-05-01-13-35-00-0a1b2c3d", gz.getvalue(), "wb")

    # damaged
    objs = [c(data_message("/aws/bedrock/invocations", inv_stream,
                           [("13:34:00.000", inv("req-fh-dmg-%d" % k, "13:34:00", "damage test"))], 20 + k))
            for k in range(3)]
    write("formats-bad/firehose-damaged", objs[0] + objs[1][: len(objs[1]) // 2] + objs[2] + "\n")
    full = pretty(page)
    write("formats-bad/filter-log-events-truncated.json", full[: full.index('"eventId": "38010000000000000000000000000000000000000000000000000003"')])
    bad_kb = [c(kb_records[0]), c(dict(kb_records[1], event_timestamp="yesterday")),
              '{"event_timestamp": 1714568405000, "event": {"status": "INDEXED"', c(kb_records[5])]
    write("formats-bad/kb-logs-bad.jsonl", "\n".join(bad_kb) + "\n")
    # look-alikes in shapes we do not know: must be said
    write("formats-bad/lookalike-results.json", pretty({"results": [DATA_EVENTS[1]], "count": 1}))
    write("formats-bad/lookalike-shipper.jsonl",
          "".join(c({"log": c(inv("req-ship-%d" % k, "13:50:00", "shipped")), "stream": "stdout"}) + "\n"
                  for k in range(2)))
    # foreign files with the same first keys: must stay quiet
    write("formats-bad/foreign-events.json", pretty({"events": [{"name": "deploy", "at": "2024-05-01"}],
                                                     "total": 1}))
    write("formats-bad/foreign-messagetype.json", pretty({"messageType": "NOTIFY", "body": "hello"}))
    write("formats-bad/foreign-event-timestamp.json",
          pretty({"event_timestamp": 1714568405000, "event": "login", "user": "alice"}))


if __name__ == "__main__":
    main()
