/*
 * cwlogs.h — CloudWatch Logs as investigators pull it: the JSON printed by
 * `aws logs filter-log-events` / `get-log-events`, and subscription
 * deliveries through Firehose to S3 (DESIGN.md §3; docs/formats.md).
 *
 *   cloudwatch-events        {"events":[{"logStreamName","timestamp","message",
 *                            "ingestionTime","eventId"},...], "searchedLogStreams"|
 *                            "nextForwardToken"...}; several such pages
 *                            concatenated are read one after the other
 *   cloudwatch-subscription  {"messageType":"DATA_MESSAGE","owner","logGroup",
 *                            "logStream","subscriptionFilters","logEvents":
 *                            [{"id","timestamp","message"}]} objects,
 *                            concatenated with or without whitespace between
 *                            them; CONTROL_MESSAGE objects are skipped with a note
 *
 * Each event's message is the record (an invocation log record, a CloudTrail
 * record, a knowledge base log record) and is decoded as such: ev->raw is the
 * message text, ev->line the 1-based ordinal of the log event in the member,
 * ev->offset the member offset of its message string; the event's timestamp
 * is the time of a record that has none of its own (EV_F_TIME_FALLBACK).
 * Problems name the log stream and event id (shown escaped, cut at 80 bytes).
 * Bids and decoders are registered in decode.c's table; they are reached
 * only through decode_member / decode_sniff.
 */
#ifndef LLMTRAIL_INGEST_CWLOGS_H
#define LLMTRAIL_INGEST_CWLOGS_H

#include "ingest/decode_impl.h"

int cwlogs_bid_events(const decode_peek *pk);
void cwlogs_decode_events(dctx *c, const decode_peek *pk);

int cwlogs_bid_subscription(const decode_peek *pk);
void cwlogs_decode_subscription(dctx *c, const decode_peek *pk);

#endif
