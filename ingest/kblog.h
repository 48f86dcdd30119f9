/*
 * kblog.h — Amazon Bedrock Knowledge Base application logs to events
 * (DESIGN.md §3, §4; docs/formats.md).
 *
 * Knowledge bases deliver "vended" application logs of their ingestion jobs
 * to S3, CloudWatch Logs or Firehose, one JSON object per event:
 *   {"event_timestamp": <epoch ms>, "event_version": "1.0",
 *    "event_type": "StartIngestionJob.StatusChanged" | "StartIngestionJob.ResourceStatusChanged",
 *    "level": "INFO"|"WARN"|"ERROR",
 *    "event": {"ingestion_job_id", "data_source_id", "knowledge_base_arn",
 *              "ingestion_job_status", "resource_statistics" {...}          (job level)
 *              "document_location": {"type", "s3_location": {"uri"}},
 *              "status", "status_reasons": [..], "chunk_statistics" {...}}} (resource level)
 * Spec: https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-bases-logging.html
 *
 * Ownership: every slice set in ev points into rec; nothing is allocated.
 *
 * Field mapping: time = event_timestamp (ms; a number or a numeric string);
 * action = event_type; service = "bedrock-kb"; model = event.knowledge_base_arn;
 * account and region from that ARN; request_id = event.ingestion_job_id;
 * error_code = event.status or event.ingestion_job_status when it names a
 * failure (…FAILED), else level "ERROR" as "ERROR". uid stays absent: the
 * records carry no id, and the indexer names them by the hash of their bytes.
 */
#ifndef LLMTRAIL_INGEST_KBLOG_H
#define LLMTRAIL_INGEST_KBLOG_H

#include <stdbool.h>

#include "common/error.h"
#include "ingest/event.h"
#include "ingest/json.h"

/* True if rec looks like a knowledge base log record: an object with
 * event_timestamp, an "event" object, and event_type or event_version. */
bool kblog_is_record(const json_value *rec);

/* Fills ev's header from rec and sets ev->source = EV_SRC_KBLOG. LT_OK, or
 * LT_EITEM (err->msg names the field) when rec is not an object or
 * event_timestamp is missing or not a plausible epoch-milliseconds number. */
lt_status kblog_fill(event *ev, const json_value *rec, lt_error *err) LT_WUR;

#endif
