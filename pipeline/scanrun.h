/*
 * scanrun.h — `scan` without the command line: a case index and rule packs in,
 * reports out. Shared by `llmtrail scan` and `llmtrail analyze`.
 *
 * One pass replays the case in time order through the compiled rule set and
 * the usage metrics, building the report model (model/report.h); then
 * CloudTrail digest verification and CloudTrail <-> invocation-log
 * reconciliation run over the index; a second, header-only pass streams
 * timeline.csv with the rules that hit each event. Custody (evidence,
 * members, hashes) and problems come from the index.
 *
 * With a policy (--policy), its compliance controls are evaluated over the
 * same replay (analyzers/controls.h) and written to controls.jsonl and every
 * report. Exit conditions are noted in the caller's exit_state: findings at
 * or above fail_on or, with --fail-on-control, a failed control (1), rule files that do not load (2), evidence problems recorded in
 * the case (3), fatal errors (4).
 */
#ifndef LLMTRAIL_CMD_SCANRUN_H
#define LLMTRAIL_CMD_SCANRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/sigma/sigma.h"
#include "pipeline/exitcode.h"
#include "common/valmatch.h"
#include "model/report.h"

#define SCAN_FMT_HTML 0x01u
#define SCAN_FMT_JUNIT 0x02u
#define SCAN_FMT_JSONL 0x04u
#define SCAN_FMT_CSV 0x08u
#define SCAN_FMT_MD 0x10u
#define SCAN_FMT_ALL 0x1fu
#define SCAN_MAX_RULE_PATHS 64

typedef struct scan_options {
	const char *out_dir;
	const char *rule_paths[SCAN_MAX_RULE_PATHS];
	size_t nrule_paths;
	bool default_rules;
	int64_t since_us, until_us;
	rpt_level min_level, fail_on;
	const char *match[VM_NFIELDS]; /* --principal .. --action: findings' events (model/scope.h) */
	unsigned formats;
	bool redact;
	const char *public_keys[SCAN_MAX_RULE_PATHS]; /* --public-keys, repeatable */
	size_t npublic_keys;
	const char *policy_path;  /* --policy: compliance controls (NULL: none) */
	const char *baseline_case; /* --baseline: an earlier case the baselines learn from (NULL: none) */
	bool fail_on_control;     /* --fail-on-control: a failed control exits 1 */
	const char *sign_key;     /* --sign: private key (PEM) for manifest.sig (NULL: unsigned) */
	const char *command_line; /* recorded in reports */
	bool redetect; /* --redetect: match every record again, ignoring detections the index stored */
	bool full_timeline; /* --full-timeline: timeline.csv holds every event, not only those findings reference */
	bool evidence_just_hashed; /* analyze (not --append): this run's index hashed every evidence file
	                              moments ago, so the live custody check compares sizes and presence
	                              and does not read the evidence again for its SHA-256 */
} scan_options;

void scan_options_init(scan_options *o);

/* After every option: 0, or LT_EXIT_USAGE (after saying why) when the
 * options contradict each other (--since not before --until). */
int scan_options_check(const scan_options *o);

/* The rule set options o name (the shipped packs unless --no-default-rules,
 * then every --rules path), compiled, with no message: analyze's index
 * workers detect with it before the scan loads the same rules and reports
 * their problems. Its ruleset_digest equals the scan's when the rule files
 * did not change in between. NULL when out of memory. */
sigma_ruleset *scan_rules_new(const scan_options *o) LT_WUR;

/* Scans the case at case_path; notes exit conditions in ex. */
void scan_run(const char *case_path, const scan_options *o, exit_state *ex);

#endif
