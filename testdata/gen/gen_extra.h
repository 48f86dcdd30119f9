/*
 * gen_extra.h — the Bedrock evidence beside the S3 export: Knowledge Base
 * application logs, CloudTrail data events of agents, knowledge bases and
 * guardrails delivered through a CloudWatch Logs subscription to Firehose to
 * S3, Bedrock API key calls, and an `aws logs filter-log-events` page of the
 * invocation log group that holds their invocation records.
 *
 * What: for the first account and region, a support knowledge base synced
 * daily, queried by the support chatbot, agents and guardrails called
 * during business hours, a developer's Bedrock API key in daily use; with
 * attacks on, on the attack day the leaked CI key adds a data source and syncs
 * a staging bucket into the knowledge base (documents from a new data source,
 * a burst of embedding failures, 60 policy documents deleted), then dumps the
 * knowledge base through Retrieve, and the developer's API key is used from
 * the attacker's address.
 * Determinism: its own PRNG stream (seed, "extra"), so the rest of the
 * export is byte-identical with or without it. Files (under OUT/):
 *   <bucket>/AWSLogs/<acct>/BedrockKnowledgeBaseLogs/<region>/<kb id>/YYYY/MM/DD/<...>.log.gz
 *   firehose-cloudtrail-data-events/YYYY/MM/DD/HH/cwl-cloudtrail-to-s3-1-...   (gzip, no extension)
 *   cloudwatch-exports/filter-log-events-modelinvocations.json
 * Incidents go to truth (ground-truth.jsonl lines).
 */
#ifndef LLMTRAIL_GEN_EXTRA_H
#define LLMTRAIL_GEN_EXTRA_H

#include <stdint.h>

#include "testdata/gen/gen_ct.h"
#include "testdata/gen/gen_util.h"

typedef struct gen_extra_plan {
	const char *out;      /* output folder */
	uint64_t seed;
	int64_t start;        /* 00:00 of the first day */
	int days;
	int attacks;
	int64_t attack_day;   /* 00:00 of the attack day */
	int64_t trail_stop;   /* no CloudTrail delivery from here ... */
	int64_t trail_start;  /* ... to here on the attack day */
	const char *attacker_ip;
	const char *attacker_ua;
} gen_extra_plan;

/* Writes the files; appends the incidents to truth. Returns the number of files written. */
uint64_t gen_extra_write(const gen_extra_plan *p, const gen_world *w, gen_sb *truth);

#endif
