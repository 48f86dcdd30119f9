/*
 * cloudtrail.h — CloudTrail records to event header fields (DESIGN.md §3, §4).
 *
 * A CloudTrail record is one element of a log file's "Records" array (or one
 * line of JSON Lines, one element of a bare array, one decoded
 * "CloudTrailEvent" of lookup-events output). cloudtrail_fill reads the parsed
 * record and fills the header fields of an event; it does not touch raw,
 * doc, prov, line or offset (the framing decoder owns those).
 *
 * Ownership: every slice set in ev points into rec (and so into the text or
 * arena rec was parsed from); nothing is allocated.
 *
 * Field mapping: time=eventTime, uid=eventID, request_id=requestID,
 * action=eventName, service=eventSource, principal=userIdentity.arn, else
 * userIdentity.sessionContext.sessionIssuer.arn, else (AWSService)
 * userIdentity.invokedBy; access_key=userIdentity.accessKeyId;
 * account=recipientAccountId, else userIdentity.accountId; region=awsRegion;
 * source_ip=sourceIPAddress; user_agent=userAgent; model=requestParameters.
 * modelId | modelIdentifier | modelArn | baseModelIdentifier;
 * error_code=errorCode. Token counts and latency stay absent (-1).
 * flags: EV_F_BEARER_TOKEN when additionalEventData.callWithBearerToken is
 * true (the call was authenticated with a Bedrock API key, not SigV4).
 * Data events (eventCategory "Data": InvokeAgent, Retrieve, InvokeFlow,
 * ApplyGuardrail, ...) need nothing more: their resources[] stay in the
 * document, where rules and metrics read them.
 */
#ifndef LLMTRAIL_INGEST_CLOUDTRAIL_H
#define LLMTRAIL_INGEST_CLOUDTRAIL_H

#include <stdbool.h>

#include "common/error.h"
#include "ingest/event.h"
#include "ingest/json.h"

/* True if rec looks like a CloudTrail record (an object with eventVersion,
 * eventSource or eventID, and no schemaType). A cheap test for sniffing. */
bool cloudtrail_is_record(const json_value *rec);

/* Fills ev's header from rec and sets ev->source = EV_SRC_CLOUDTRAIL.
 * LT_OK, or LT_EITEM when rec is not an object or a required field (eventTime
 * as a valid timestamp, eventID as a non-empty string) is missing; err->msg
 * then names the field. ev is left partly filled on failure. */
lt_status cloudtrail_fill(event *ev, const json_value *rec, lt_error *err) LT_WUR;

#endif
