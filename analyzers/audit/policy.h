/*
 * policy.h — the organisation's AI policy as a list of compliance controls,
 * read from a YAML file (--policy FILE; format in docs/controls.md, schema
 * in docs/policy.schema.json).
 *
 * A policy is a mapping with a `controls:` sequence; each control has an id,
 * a title, a type, a rationale, optional mappings to frameworks (ISO/IEC
 * 42001, NIST AI RMF, SOC 2, or any name) and the parameters of its type.
 * The loader checks everything it can before any event is read: unknown
 * keys and types, missing or malformed parameters, duplicate ids, each
 * reported as FILE:LINE with the YAML line of the offending node.
 *
 * Model ids are kept as bedrock_model_key gives them (an inference profile
 * and a foundation-model ARN name the same model); principal patterns are
 * globs ('*' any run of characters) matched by policy_principal_match.
 *
 * Ownership: a policy is opaque; policy_free(NULL) is a no-op; every string
 * and array read back lives until policy_free.
 * Limits: the file is at most SIGMA_YAML_MAX_BYTES, POLICY_MAX_CONTROLS
 * controls, POLICY_MAX_VALUES values per list.
 * Errors: LT_EFILE with err->file = the path, err->line = the YAML line.
 */
#ifndef LLMTRAIL_ANALYZERS_POLICY_H
#define LLMTRAIL_ANALYZERS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "model/report.h"

#define POLICY_MAX_CONTROLS 1000
#define POLICY_MAX_VALUES 10000

typedef enum policy_kind {
	POLICY_APPROVED_MODELS = 0,   /* models: [...] */
	POLICY_APPROVED_REGIONS,      /* regions: [...] */
	POLICY_ALLOWED_PRINCIPALS,    /* principals: [glob, ...] */
	POLICY_GUARDRAIL_REQUIRED,    /* principals: [glob, ...]; guardrail: any | {id, version} */
	POLICY_NO_ROOT_OR_ACCESS_KEYS,/* no parameters */
	POLICY_BUDGET,                /* max_tokens_per_day, max_invocations_per_day (per principal, or per tag value) */
	POLICY_LOGGING_COVERAGE,      /* no parameters */
	POLICY_DIGEST_CHAIN,          /* no parameters */
	POLICY_MAX_DISCLOSURE,        /* level: highest disclosure finding level allowed */
	POLICY_MAX_INCIDENT,          /* level: highest incident level allowed */
	POLICY_TEXT_DELIVERY,         /* no parameters: invocation logging delivers prompts and answers */
	POLICY_NKINDS
} policy_kind;

typedef struct policy_control {
	const char *id, *title, *rationale;
	policy_kind kind;
	unsigned line;              /* where the control starts in the file */
	const char *const *values;  /* models (keys), regions or principal globs */
	size_t nvalues;
	const char *guardrail_id;   /* guardrail-required: NULL = any guardrail */
	const char *guardrail_version; /* NULL = any version */
	int64_t max_tokens, max_invocations; /* budget per principal per UTC day; -1 = none */
	const char *tag;            /* budget: per value of this principal tag instead (NULL: per principal) */
	rpt_level level;            /* max-*-level: findings/incidents above it fail */
	const rpt_pair *mappings;   /* framework -> clause */
	size_t nmappings;
} policy_control;

typedef struct policy policy;

/* "approved-models", "approved-regions", ... (as written in the file). */
const char *policy_kind_name(policy_kind k);

/* Reads and checks path. */
lt_status policy_load(const char *path, policy **out, lt_error *err) LT_WUR;
/* The same from text (name is used in errors as the file). */
lt_status policy_parse(const char *text, size_t len, const char *name, policy **out,
                       lt_error *err) LT_WUR;
void policy_free(policy *p);

const char *policy_name(const policy *p); /* the file's `name:`, or "" */
size_t policy_ncontrols(const policy *p);
const policy_control *policy_control_at(const policy *p, size_t i);

/* True when glob (with '*' wildcards) matches the principal ARN, or, for an
 * assumed-role session ARN (arn:PART:sts::ACCT:assumed-role/ROLE/SESSION),
 * the role's own ARN (arn:PART:iam::ACCT:role/ROLE), or the bare role or
 * user name. */
bool policy_principal_match(const char *glob, const char *principal, size_t n);

#endif
