/*
 * scanrun.c — the scan pipeline (see scanrun.h): rule packs are loaded and
 * compiled once; the case is replayed in time order and every event goes
 * through the rule set; hits become findings through the report model's
 * aggregator; custody and problems are read from the index; then each
 * requested writer runs. The case is replayed once: timeline.csv's rows are
 * spooled during that pass and written at the end, when every rule that hit
 * an event is known (see "timeline.csv" below). cmd/ is where stages meet,
 * so this file only wires: it decides nothing about what is a finding.
 *
 * Rules whose log source has no events in the case are "not applicable";
 * rules below --min-level are not run (also "not applicable", with that
 * reason); rules that do not load are "failed" and make the exit code 2.
 * So are rules that fail at run time (a regex past its match limit): each
 * such failure is counted per rule, the rule's outcome becomes "failed" with
 * the count, the first reason and the first events named, stdout's summary
 * counts the events and rules, and stderr names the rules that failed most.
 * They are not evidence problems: the evidence was read.
 */
#include "config.h"

#include "pipeline/scanrun.h"
#include "pipeline/custodyrun.h"
#include "pipeline/outpath.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzers/audit/controls.h"
#include "analyzers/audit/copies.h"
#include "analyzers/audit/incident.h"
#include "analyzers/audit/metrics.h"
#include "analyzers/audit/metrics_report.h"
#include "analyzers/audit/period.h"
#include "analyzers/audit/policy.h"
#include "analyzers/audit/reconcile.h"
#include "analyzers/sigma/sigma.h"
#include "analyzers/audit/verify.h"
#include "pipeline/detectrun.h"
#include "pipeline/progress.h"
#include "pipeline/rulesdir.h"
#include "pipeline/term.h"
#include "common/log.h"
#include "common/tmpfile.h"
#include "common/ltime.h"
#include "ingest/sha256.h"
#include "reports/csv.h"
#include "reports/html.h"
#include "reports/jsonl.h"
#include "reports/junit.h"
#include "reports/listcsv.h"
#include "reports/manifest.h"
#include "reports/markdown.h"
#include "reports/reportset.h"
#include "model/scope.h"
#include "store/case.h"
#include "store/caseq.h"
#include "store/custody.h"
#include "store/replay.h"

#define SCAN_MAX_RULE_ERRORS_SHOWN 20
#define SCAN_FAILING_RULES_NAMED 10 /* rules failing at run time named on stderr */
#define SCAN_FAIL_EVENTS_NAMED 3    /* events a failing rule's reason names */
#define SCAN_MAX_PACKS 128

void scan_options_init(scan_options *o)
{
	memset(o, 0, sizeof *o);
	o->out_dir = "llmtrail-report";
	o->default_rules = true;
	o->since_us = INT64_MIN;
	o->until_us = INT64_MAX;
	o->min_level = RPT_LEVEL_INFORMATIONAL;
	o->fail_on = RPT_LEVEL_HIGH;
	o->formats = SCAN_FMT_ALL;
	o->redact = true;
}

int scan_options_check(const scan_options *o)
{
	if (o->since_us >= o->until_us) {
		fprintf(stderr, "llmtrail: --since must be before --until\n");
		return LT_EXIT_USAGE;
	}
	return 0;
}

/* ---- state of one scan --------------------------------------------------- */

/* Open-addressing map from a rule pointer to its index in the ruleset, so a
 * hit finds its rule in O(1) however many rules are loaded. */
typedef struct rule_map {
	const sigma_rule **keys;
	size_t *vals;
	size_t cap; /* power of two, at least twice the rules */
} rule_map;

static size_t rule_map_slot(const rule_map *m, const sigma_rule *r)
{
	uintptr_t x = (uintptr_t)r;
	x ^= x >> 17;
	x *= (uintptr_t)0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 7) & (m->cap - 1);
}

static lt_status rule_map_build(rule_map *m, const sigma_ruleset *rs)
{
	size_t n = ruleset_count(rs);
	m->cap = 16;
	while (m->cap < n * 2)
		m->cap *= 2;
	m->keys = calloc(m->cap, sizeof *m->keys);
	m->vals = calloc(m->cap, sizeof *m->vals);
	if (m->keys == NULL || m->vals == NULL)
		return LT_EFATAL;
	for (size_t i = 0; i < n; i++) {
		const sigma_rule *r = ruleset_rule(rs, i);
		size_t k = rule_map_slot(m, r);
		while (m->keys[k] != NULL)
			k = (k + 1) & (m->cap - 1);
		m->keys[k] = r;
		m->vals[k] = i;
	}
	return LT_OK;
}

static size_t rule_map_get(const rule_map *m, const sigma_rule *r)
{
	for (size_t k = rule_map_slot(m, r); m->keys[k] != NULL; k = (k + 1) & (m->cap - 1))
		if (m->keys[k] == r)
			return m->vals[k];
	return SIZE_MAX;
}

static void rule_map_free(rule_map *m)
{
	free(m->keys);
	free(m->vals);
}


/* One rule's failures at run time: how many events, the first reason and
 * the first events' ids ("" until the first failure). */
typedef struct rule_failures {
	uint64_t n;
	char why[128];
	char first[SCAN_FAIL_EVENTS_NAMED * 72];
} rule_failures;

typedef struct scan {
	const scan_options *o;
	exit_state *ex;
	case_db *c;
	report *r;
	sigma_ruleset *rs;
	size_t *rule_index; /* sigma rule i -> report rule index (SIZE_MAX: not in report) */
	bool *rule_active;  /* evaluated (applicable, at or above --min-level) */
	rule_map map;
	metrics *m;
	uint64_t rule_errors_shown;
	rule_failures *fails; /* per sigma rule: failures at run time */
	uint64_t fail_events;  /* their sum, once report_rule_failures ran */
	size_t fail_rules;     /* rules with failures */
	case_totals totals;
	uint64_t corr_lookups_missed; /* correlation events not found again in the index */
	struct integrity *in; /* digest verification and reconciliation, run beside the replay */
	incident_join *join;  /* invocation records -> their CloudTrail call's caller */
	baseline *baseline;   /* per-entity hours and sources, for incident ranking */
	incident_prices *prices; /* NULL: no cost estimates */
	uint64_t stored_used; /* events matched with the detection the index stored */
	policy *pol;          /* --policy, and its controls' evaluation (NULL: none) */
	controls *ctl;
	period *period; /* the period per account/region and its gaps */
	manifest_key *sign_key; /* --sign (NULL: unsigned) */
	char manifest_digest[65];
} scan;

static void say_error(const char *prefix, const lt_error *err)
{
	char msg[LT_ERROR_PATH_MAX * 2 + LT_ERROR_MSG_MAX + 64];
	lt_error_format(err, msg, sizeof msg);
	log_error("%s: %s", prefix, msg);
}

/* ---- rules --------------------------------------------------------------- */

static rpt_level rule_level(const sigma_rule *rule)
{
	rpt_level l;
	const char *s = sigma_rule_level(rule);
	if (s[0] != '\0' && rpt_level_parse(s, &l) == LT_OK && l != RPT_LEVEL_NONE)
		return l;
	return RPT_LEVEL_MEDIUM; /* Sigma leaves a missing level open; docs/rules.md says medium */
}

/* Pack name of a rule file: the first folder below the root it was loaded from. */
static void pack_name(const char *root, const char *file, char *out, size_t n)
{
	size_t rl = strlen(root);
	const char *rest = file;
	if (strncmp(file, root, rl) == 0 && (file[rl] == '/' || file[rl] == '\0')) {
		rest = file + rl;
		while (*rest == '/')
			rest++;
		const char *slash = strchr(rest, '/');
		if (slash != NULL) {
			snprintf(out, n, "%.*s", (int)(slash - rest), rest);
			return;
		}
	}
	/* a single file, or a flat folder: the folder's (or file's) own name */
	const char *base = strrchr(root, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : root;
	snprintf(out, n, "%s", base);
}

typedef struct rule_root {
	const char *path;
	bool shipped;
} rule_root;

static const char *root_of(const rule_root *roots, size_t nroots, const char *file)
{
	const char *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < nroots; i++) {
		size_t l = strlen(roots[i].path);
		if (strncmp(file, roots[i].path, l) == 0 && l >= best_len) {
			best = roots[i].path;
			best_len = l;
		}
	}
	return best != NULL ? best : file;
}

static bool source_present(const scan *s, ev_source src)
{
	if (src == EV_SRC_CLOUDTRAIL)
		return s->totals.events_cloudtrail > 0;
	if (src == EV_SRC_INVOCATION)
		return s->totals.events_invocation > 0;
	if (src == EV_SRC_KBLOG)
		return s->totals.events_kblog > 0;
	return false;
}

/* Adds every rule to the report with its initial outcome. */
static lt_status register_rules(scan *s, const rule_root *roots, size_t nroots, lt_error *err)
{
	size_t n = ruleset_count(s->rs);
	s->rule_index = calloc(n ? n : 1, sizeof *s->rule_index);
	s->rule_active = calloc(n ? n : 1, sizeof *s->rule_active);
	s->fails = calloc(n ? n : 1, sizeof *s->fails);
	if (s->rule_index == NULL || s->rule_active == NULL || s->fails == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const sigma_rule *rule = ruleset_rule(s->rs, i);
		s->rule_index[i] = SIZE_MAX;
		if (sigma_rule_kind(rule) == SIGMA_KIND_FILTER)
			continue; /* filters are part of the rules they name */
		char pack[256];
		const char *root = root_of(roots, nroots, sigma_rule_file(rule));
		pack_name(root, sigma_rule_file(rule), pack, sizeof pack);
		const char *tags[64];
		size_t ntags = sigma_rule_ntags(rule);
		if (ntags > 64)
			ntags = 64;
		for (size_t t = 0; t < ntags; t++)
			tags[t] = sigma_rule_tag(rule, t);
		const char *fps[16], *refs[16];
		size_t nfps = sigma_rule_nfalsepositives(rule), nrefs = sigma_rule_nreferences(rule);
		nfps = nfps > 16 ? 16 : nfps;
		nrefs = nrefs > 16 ? 16 : nrefs;
		for (size_t t = 0; t < nfps; t++)
			fps[t] = sigma_rule_falsepositive(rule, t);
		for (size_t t = 0; t < nrefs; t++)
			refs[t] = sigma_rule_reference(rule, t);
		char idbuf[512];
		const char *id = sigma_rule_id(rule);
		if (id[0] == '\0') {
			/* an id is required to list a rule: fall back to name, then file:line */
			id = sigma_rule_name(rule);
			if (id[0] == '\0') {
				snprintf(idbuf, sizeof idbuf, "%s:%u", sigma_rule_file(rule), sigma_rule_line(rule));
				id = idbuf;
			}
		}
		rpt_rule_in in = {
			.pack = pack,
			.id = id,
			.title = sigma_rule_title(rule),
			.status = sigma_rule_status(rule),
			.file = sigma_rule_file(rule),
			.line = sigma_rule_err_line(rule) ? sigma_rule_err_line(rule) : sigma_rule_line(rule),
			.description = sigma_rule_description(rule),
			.tags = tags,
			.ntags = ntags,
			.level = rule_level(rule),
			.outcome = RPT_PASSED,
			.reason = NULL,
			.falsepositives = fps,
			.nfalsepositives = nfps,
			.references = refs,
			.nreferences = nrefs,
		};
		switch (sigma_rule_state(rule)) {
		case SIGMA_ERROR:
			in.outcome = RPT_FAILED;
			in.reason = sigma_rule_reason(rule);
			exit_state_note(s->ex, LT_EXIT_USAGE);
			if (s->rule_errors_shown++ < SCAN_MAX_RULE_ERRORS_SHOWN)
				log_error("rule error: %s:%u: %s", sigma_rule_file(rule), sigma_rule_err_line(rule),
				          sigma_rule_reason(rule));
			break;
		case SIGMA_UNSUPPORTED:
			in.outcome = RPT_UNSUPPORTED;
			in.reason = sigma_rule_reason(rule);
			break;
		case SIGMA_LOADED:
			if (!source_present(s, sigma_rule_source(rule))) {
				in.outcome = RPT_NOT_APPLICABLE;
				in.reason = sigma_rule_source(rule) == EV_SRC_UNKNOWN
				                ? "log source not handled by llmtrail"
				                : "no events of this log source in the case";
			} else if (in.level < s->o->min_level) {
				in.outcome = RPT_FILTERED;
				in.reason = "below --min-level";
			} else {
				s->rule_active[i] = true;
			}
			break;
		}
		if (report_add_rule(s->r, &in, &s->rule_index[i], err) != LT_OK)
			return err->status;
	}
	return LT_OK;
}

/* SHA-256 over the rule files of a pack, in load order (sorted): each file's
 * path below the root, a NUL, then its bytes. */
static void pack_hash(const scan *s, const char *root, const char *pack, char out[65])
{
	sha256_ctx *h = sha256_new();
	out[0] = '\0';
	if (h == NULL)
		return;
	size_t rl = strlen(root);
	const char *last = NULL;
	for (size_t i = 0; i < ruleset_count(s->rs); i++) {
		const char *file = sigma_rule_file(ruleset_rule(s->rs, i));
		char p[256];
		if (strncmp(file, root, rl) != 0)
			continue;
		pack_name(root, file, p, sizeof p);
		if (strcmp(p, pack) != 0 || (last != NULL && strcmp(last, file) == 0))
			continue; /* another pack, or another document of the same file */
		last = file;
		sha256_update(h, file + rl, strlen(file + rl) + 1);
		FILE *f = fopen(file, "rb");
		if (f == NULL)
			continue;
		unsigned char chunk[65536];
		size_t k;
		while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
			sha256_update(h, chunk, k);
		fclose(f);
	}
	if (sha256_final_hex(h, out) != LT_OK)
		out[0] = '\0';
	sha256_free(h);
}

static void register_packs(scan *s, const rule_root *roots, size_t nroots)
{
	char seen[SCAN_MAX_PACKS][256];
	size_t nseen = 0;
	for (size_t i = 0; i < ruleset_count(s->rs) && nseen < SCAN_MAX_PACKS; i++) {
		const char *file = sigma_rule_file(ruleset_rule(s->rs, i));
		const char *root = root_of(roots, nroots, file);
		char pack[256];
		pack_name(root, file, pack, sizeof pack);
		bool dup = false;
		for (size_t k = 0; k < nseen; k++)
			dup = dup || strcmp(seen[k], pack) == 0;
		if (dup)
			continue;
		snprintf(seen[nseen++], sizeof seen[0], "%s", pack);
		char hex[65];
		pack_hash(s, root, pack, hex);
		lt_error err;
		lt_error_clear(&err);
		if (report_add_pack(s->r, pack, root, hex, &err) != LT_OK)
			say_error("report", &err);
	}
}

/* The rule roots options o name: the shipped packs (into shipped, when
 * found; *missing when asked for and not found), then every --rules path. */
static size_t rule_roots(const scan_options *o, rule_root *roots, char *shipped, size_t n, bool *missing)
{
	size_t nroots = 0;
	*missing = false;
	if (o->default_rules) {
		if (rulesdir_find(shipped, n) == NULL)
			*missing = true;
		else
			roots[nroots++] = (rule_root){shipped, true};
	}
	for (size_t i = 0; i < o->nrule_paths; i++)
		roots[nroots++] = (rule_root){o->rule_paths[i], false};
	return nroots;
}

sigma_ruleset *scan_rules_new(const scan_options *o)
{
	rule_root roots[SCAN_MAX_RULE_PATHS + 1];
	char shipped[PATH_MAX];
	bool missing;
	size_t nroots = rule_roots(o, roots, shipped, sizeof shipped, &missing);
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	for (size_t i = 0; rs != NULL && i < nroots; i++) {
		lt_error_clear(&err);
		if (ruleset_load_path(rs, roots[i].path, &err) == LT_EFATAL) {
			ruleset_free(rs);
			return NULL;
		}
	}
	if (rs != NULL && ruleset_compile(rs, &err) != LT_OK) {
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

static lt_status load_rules(scan *s, lt_error *err)
{
	rule_root roots[SCAN_MAX_RULE_PATHS + 1];
	char shipped[PATH_MAX];
	bool missing;
	size_t nroots = rule_roots(s->o, roots, shipped, sizeof shipped, &missing);
	s->rs = ruleset_new();
	if (s->rs == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (missing) {
		log_error("the shipped rule packs were not found (set LLMTRAIL_RULES_DIR)");
		exit_state_note(s->ex, LT_EXIT_USAGE);
	}
	for (size_t i = 0; i < nroots; i++) {
		lt_error e;
		lt_error_clear(&e);
		if (ruleset_load_path(s->rs, roots[i].path, &e) != LT_OK) {
			if (e.status == LT_EFATAL)
				return lt_error_set(err, LT_EFATAL, "%s", e.msg);
			say_error("rules", &e);
			exit_state_note(s->ex, LT_EXIT_USAGE);
		}
	}
	if (ruleset_compile(s->rs, err) != LT_OK)
		return err->status;
	if (rule_map_build(&s->map, s->rs) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	register_packs(s, roots, nroots);
	return register_rules(s, roots, nroots, err);
}

/* ---- work beside the replay ---------------------------------------------
 *
 * The replay's prepare hook runs on its producer thread, ahead of the main
 * thread: it runs the stateless part of rule matching (sigma_detect: the
 * prefilter, selections, regexes; the main thread then only applies
 * correlation and first-seen state, in replay order). So the two cores
 * share the per-event work.
 * Detection goes where there is room: the producer detects an event only
 * while it is more than PREP_DETECT_LEAD events ahead of the main thread
 * (which publishes the seq it has reached); otherwise the main thread, which
 * would be waiting, detects it itself (ruleset_match). Detection is a pure
 * function of the event, so the results do not depend on who ran it. */

#define PREP_DETECT_LEAD 256 /* one batch of the replay's read-ahead */

typedef struct prepared {
	const sigma_detection *det; /* NULL: not detected (the main thread matches) */
} prepared;

typedef struct prep_ctx {
	const sigma_ruleset *rs;
	const controls *ctl; /* --policy: its controls may read the record (controls_wants_record) */
	sigma_detector *det; /* used on the producer thread only */
	_Atomic uint64_t main_seq; /* the event the main thread is at */
	uint64_t stored_used; /* events matched with the detection the index stored (read after the replay) */
	_Atomic uint64_t stored_damaged; /* stored detections that did not decode (detected again) */
	const sigma_detection *pending; /* event_wants_record's decoding, for prepare_event */
	uint64_t records_read;          /* events whose record event_wants_record asked for */
	bool pending_oom;
} prep_ctx;

/* Before the record is read: the detection the index stored for ev, decoded
 * now (for prepare_event, on the same thread, next), and whether ev needs its
 * record: when there is no usable stored detection (not stored, deferred,
 * damaged: detect from the record, and a damaged one is counted), or metrics
 * or the policy's controls read more than the header. */
static bool event_wants_record(void *ctx, const event *ev, const detblock_entry *stored, arena *a)
{
	prep_ctx *pc = ctx;
	pc->pending = NULL;
	pc->pending_oom = false;
	if (stored != NULL) {
		lt_error e;
		lt_error_clear(&e);
		lt_status st = detectrun_stored(pc->rs, stored, a, &pc->pending, &e);
		if (st == LT_EFATAL)
			pc->pending_oom = true;
		else if (st != LT_OK)
			atomic_fetch_add_explicit(&pc->stored_damaged, 1, memory_order_relaxed);
	}
	bool wants = pc->pending == NULL || metrics_wants_record(ev) || controls_wants_record(pc->ctl, ev);
	pc->records_read += wants;
	return wants;
}

static lt_status prepare_event(void *ctx, event *ev, const detblock_entry *stored, arena *a, lt_error *err)
{
	prep_ctx *pc = ctx;
	prepared *p = arena_alloc(a, sizeof *p);
	if (p == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory preparing an event");
	memset(p, 0, sizeof *p);
	(void)stored; /* event_wants_record decoded it */
	if (pc->pending_oom)
		return lt_error_set(err, LT_EFATAL, "out of memory reading a stored detection");
	p->det = pc->pending;
	pc->pending = NULL;
	if (p->det != NULL)
		pc->stored_used++;
	uint64_t at = atomic_load_explicit(&pc->main_seq, memory_order_relaxed);
	if (p->det == NULL && pc->det != NULL && ev->seq > at + PREP_DETECT_LEAD) {
		const sigma_detection *d = NULL;
		void *mem = NULL;
		if (sigma_detect(pc->det, ev, &d) != LT_OK ||
		    (mem = arena_alloc(a, sigma_detection_size(d))) == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory while matching");
		p->det = sigma_detection_copy(d, mem);
	}
	ev->user = p;
	return LT_OK;
}

/* ---- matching ------------------------------------------------------------ */

typedef struct hit_ctx {
	scan *s;
	const event *ev;
	rpt_event_in rev;
	lt_status status;
} hit_ctx;

/* Counts a failure of sigma rule idx on ev (reported once per rule, at the
 * end of the replay, by report_rule_failures). */
static void note_rule_failure(scan *s, size_t idx, const event *ev, const char *why)
{
	rule_failures *f = &s->fails[idx];
	if (f->n++ == 0)
		snprintf(f->why, sizeof f->why, "%s", why);
	if (f->n <= SCAN_FAIL_EVENTS_NAMED) {
		size_t used = strlen(f->first);
		snprintf(f->first + used, sizeof f->first - used, "%s%.*s", used ? ", " : "",
		         (int)(ev->uid.n > 64 ? 64 : ev->uid.n), ev->uid.p ? ev->uid.p : "");
	}
}

/* The rule with the most failures among those not yet named (SIZE_MAX: none
 * left); ties go to the first loaded. */
static size_t next_failing_rule(const scan *s, const bool *named)
{
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < ruleset_count(s->rs); i++)
		if (s->fails[i].n > 0 && !named[i] && (best == SIZE_MAX || s->fails[i].n > s->fails[best].n))
			best = i;
	return best;
}

/* Rules that failed at run time: each becomes "failed" in the report with
 * its count, and the run a rule error (exit 2); stderr names the
 * SCAN_FAILING_RULES_NAMED that failed most, most first. */
static lt_status report_rule_failures(scan *s, lt_error *err)
{
	size_t n = ruleset_count(s->rs), named_n = 0;
	bool *named = calloc(n ? n : 1, sizeof *named);
	if (named == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	lt_status st = LT_OK;
	for (size_t i; st == LT_OK && (i = next_failing_rule(s, named)) != SIZE_MAX; named_n++) {
		const rule_failures *f = &s->fails[i];
		const sigma_rule *rule = ruleset_rule(s->rs, i);
		named[i] = true;
		s->fail_rules++;
		s->fail_events += f->n;
		char reason[LT_ERROR_MSG_MAX];
		snprintf(reason, sizeof reason, "failed at run time on %llu event(s): %s (first on %s)",
		         (unsigned long long)f->n, f->why, f->first);
		if (named_n < SCAN_FAILING_RULES_NAMED)
			log_error("rule %s (%.120s) %s", sigma_rule_id(rule), sigma_rule_title(rule), reason);
		st = report_set_rule_outcome(s->r, s->rule_index[i], RPT_FAILED, reason, err);
	}
	free(named);
	if (s->fail_rules > SCAN_FAILING_RULES_NAMED)
		log_error("%zu more rule(s) failed at run time: the report names them all",
		          s->fail_rules - SCAN_FAILING_RULES_NAMED);
	if (s->fail_rules > 0)
		exit_state_note(s->ex, LT_EXIT_USAGE);
	return st;
}

/* An event of a correlation finding that could not be read back from the
 * index is counted and marked in timeline.csv, but shown without its header:
 * the report says so (it means the index changed under the scan). */
static lt_status note_lookups_missed(scan *s, lt_error *err)
{
	char reason[LT_ERROR_MSG_MAX];
	snprintf(reason, sizeof reason,
	         "%llu event(s) of correlation findings could not be read back from the index: "
	         "they are counted without their header fields",
	         (unsigned long long)s->corr_lookups_missed);
	log_warn("%s", reason);
	return report_add_problem(s->r, "", "", 0, RPT_SEV_WARNING, reason, err);
}

/* A correlation whose windows were full (10,000 events of one group, or
 * all windows together at the ruleset's budget) dropped their oldest events:
 * its findings list the newest (its counts, sums and averages stay exact;
 * a percentile is over the events kept); one whose aggregate coarsened past
 * its bounds left some evaluations undecided and did not fire on them. The
 * report notes each, once per rule (info: every event was read and matched;
 * warning: a window may have met the condition unreported). */
static lt_status note_corr_dropped(scan *s, lt_error *err)
{
	for (size_t i = 0; i < ruleset_count(s->rs); i++) {
		const sigma_rule *r = ruleset_rule(s->rs, i);
		uint64_t n = sigma_rule_corr_unlisted(r), pct = sigma_rule_corr_dropped(r);
		uint64_t und = sigma_rule_corr_undecided(r);
		if ((n == 0 && und == 0) || !s->rule_active[i])
			continue;
		char reason[LT_ERROR_MSG_MAX];
		lt_status st = LT_OK;
		if (n > 0) {
			snprintf(reason, sizeof reason,
			         "correlation %s (%.120s): %llu matched event(s) were dropped from full windows (at most "
			         "%u events per group, %u in all the windows): its findings list the newest events of "
			         "their window; %s",
			         sigma_rule_id(r), sigma_rule_title(r), (unsigned long long)n, SIGMA_CORR_MAX_WINDOW,
			         SIGMA_CORR_MAX_EVENTS,
			         pct ? "its percentiles are over the events kept"
			             : "its counts, sums and averages are exact");
			log_warn("%s", reason);
			st = report_add_problem(s->r, "", "", 0, RPT_SEV_INFO, reason, err);
		}
		if (st == LT_OK && und > 0) {
			snprintf(reason, sizeof reason,
			         "correlation %s (%.120s): %llu evaluation(s) undecided, not fired: a group's window held "
			         "more distinct times or values than the bounds (%u per group, %u in all), so its "
			         "aggregate was known only within an interval that straddles the condition",
			         sigma_rule_id(r), sigma_rule_title(r), (unsigned long long)und, SIGMA_CORR_MAX_CELLS,
			         SIGMA_CORR_MAX_STATE);
			log_warn("%s", reason);
			st = report_add_problem(s->r, "", "", 0, RPT_SEV_WARNING, reason, err);
		}
		if (st != LT_OK)
			return st;
	}
	return LT_OK;
}

/* Findings keep the events' long strings whole up to RPT_LONG_BUDGET bytes,
 * then abbreviated (model/rpt.h): the report says how many, once. */
static lt_status note_abbreviated(scan *s, lt_error *err)
{
	uint64_t n = report_findings_abbreviated(s->r);
	if (n == 0)
		return LT_OK;
	char reason[LT_ERROR_MSG_MAX];
	snprintf(reason, sizeof reason,
	         "%llu event string(s) longer than %u bytes (user agents, names) are shown in the findings as "
	         "their first %u bytes, length and SHA-256: the findings' copies of such strings reached %zu MiB "
	         "(the whole record: llmtrail show)",
	         (unsigned long long)n, RPT_LONG_TEXT, RPT_LONG_PREFIX, RPT_LONG_BUDGET >> 20);
	log_warn("%s", reason);
	return report_add_problem(s->r, "", "", 0, RPT_SEV_INFO, reason, err);
}

/* Stored detections that did not decode mean a damaged case; those events
 * were detected again from their records, so nothing was lost, but the
 * report says so. */
static lt_status note_stored_damaged(scan *s, uint64_t n, uint64_t blocks, const char *first, lt_error *err)
{
	char reason[LT_ERROR_MSG_MAX];
	snprintf(reason, sizeof reason,
	         "stored detections of %llu event(s) and %llu event block(s) in the case index did not decode: "
	         "those events were matched again from their records%s%.300s",
	         (unsigned long long)n, (unsigned long long)blocks, first[0] ? " (first: " : "", first);
	if (first[0] && strlen(reason) + 2 <= sizeof reason)
		strcat(reason, ")");
	log_warn("%s", reason);
	return report_add_problem(s->r, "", "", 0, RPT_SEV_WARNING, reason, err);
}

/* Header fields and provenance of an event that took part in a correlation
 * (the engine keeps only its place: source, time, tie), read back from the
 * index. Returns true when found; e keeps pointers into the replay, valid
 * until *rp is freed. */
static bool lookup_event(case_db *c, const sigma_corr_event *ce, replay **rp, rpt_event_in *e)
{
	replay_filter f;
	replay_filter_init(&f);
	f.source = ce->source;
	f.since_us = ce->time_us;
	f.until_us = ce->time_us == INT64_MAX ? INT64_MAX : ce->time_us + 1;
	f.flags = REPLAY_HEADERS_ONLY;
	lt_error err;
	const event *ev = NULL;
	if (replay_new(c, &f, rp, &err) != LT_OK)
		return false;
	while (replay_next(*rp, &ev, &err) != LT_EFATAL && ev != NULL) {
		if (ev->source == ce->source && ev->time_us == ce->time_us && ev->tie == ce->tie) {
			report_csv_event(ev, e);
			return true;
		}
	}
	return false;
}

static lt_status add_correlation(hit_ctx *h, size_t ri, const sigma_hit *hit)
{
	const sigma_corr_fired *f = hit->corr;
	rpt_pair group = {rpt_s("group"), rpt_s(f->group)};
	size_t ngroup = f->group[0] != '\0' ? 1 : 0;
	lt_error err;
	lt_error_clear(&err);
	/* A window hands out every event it counted; the report keeps the first
	 * few of a finding in full and counts the others. Only those it keeps are
	 * read back from the index (the completing event is at hand). */
	for (size_t i = 0; i < f->nevents; i++) {
		const sigma_corr_event *ce = &f->events[i];
		rpt_event_in e;
		rpt_event_init(&e);
		e.time_us = ce->time_us;
		e.source = rpt_s(ev_source_name(ce->source));
		e.seq = ce->seq;
		replay *rp = NULL;
		if (h->ev != NULL && ce->seq == h->ev->seq)
			e = h->rev; /* the completing event: full header */
		else if ((report_hit_keeps_event(h->s->r, ri, &group, ngroup, &e) || report_scope_needs_header(h->s->r)) &&
		         !lookup_event(h->s->c, ce, &rp, &e))
			h->s->corr_lookups_missed++;
		e.seq = ce->seq;
		lt_status st = report_add_hit(h->s->r, ri, &group, ngroup, &e, NULL, 0, &err);
		replay_free(rp);
		if (st != LT_OK)
			return err.status;
	}
	return LT_OK;
}

static int on_hit(void *ctx, const sigma_hit *hit)
{
	hit_ctx *h = ctx;
	scan *s = h->s;
	size_t idx = rule_map_get(&s->map, hit->rule);
	if (idx == SIZE_MAX || !s->rule_active[idx] || s->rule_index[idx] == SIZE_MAX)
		return 0;
	if (hit->error != NULL) {
		if (h->ev != NULL)
			note_rule_failure(s, idx, h->ev, hit->error);
		return 0;
	}
	size_t ri = s->rule_index[idx];
	if (hit->corr != NULL) {
		h->status = add_correlation(h, ri, hit);
		return h->status == LT_EFATAL;
	}
	rpt_match_in m[SIGMA_MAX_SPANS];
	size_t nm = hit->nspans < SIGMA_MAX_SPANS ? hit->nspans : SIGMA_MAX_SPANS;
	bool secret = sigma_rule_redact(hit->rule);
	for (size_t i = 0; i < nm; i++) {
		const sigma_span *sp = &hit->spans[i];
		m[i].field = rpt_s(sp->field);
		m[i].value = rpt_sn(sp->value, sp->value_len);
		m[i].start = sp->start;
		m[i].end = sp->end;
		m[i].secret = secret;
	}
	rpt_pair group[1];
	size_t ngroup = 0;
	if (h->rev.principal.n > 0)
		group[ngroup++] = (rpt_pair){rpt_s("principal"), h->rev.principal};
	else if (h->rev.source_ip.n > 0)
		group[ngroup++] = (rpt_pair){rpt_s("source_ip"), h->rev.source_ip};
	lt_error err;
	lt_error_clear(&err);
	if (report_add_hit(s->r, ri, group, ngroup, &h->rev, m, nm, &err) != LT_OK) {
		h->status = err.status;
		if (err.status == LT_EFATAL)
			return 1;
		say_error("report", &err);
	}
	return 0;
}

/* The events the scan judges; the timeline pass replays the same ones, so
 * the seq of each is the same in both. */
static void scan_filter(const scan *s, replay_filter *f)
{
	replay_filter_init(f);
	f->since_us = s->o->since_us;
	f->until_us = s->o->until_us;
}

/* A replay of c whose producer thread decodes the detections the index
 * stored (reading a record only when there is none, or metrics or controls
 * need it) or detects ahead of the main thread (prepare_event). On success
 * *rp and pc->det are the caller's to free (replay_free, then
 * sigma_detector_free). */
static lt_status replay_prepared(scan *s, case_db *c, replay_filter *f, prep_ctx *pc, replay **rp, lt_error *err)
{
	f->flags |= REPLAY_PREFETCH; /* reading and parsing beside the matching */
	f->detections = s->o->redetect ? NULL : ruleset_digest(s->rs);
	*pc = (prep_ctx){s->rs, s->ctl, sigma_detector_new(s->rs), 0, 0, 0, NULL, 0, false};
	if (pc->det == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	f->prepare = prepare_event;
	f->prepare_ctx = pc;
	if (f->detections != NULL)
		f->wants_record = event_wants_record; /* reports need only headers */
	if (replay_new(c, f, rp, err) != LT_OK) {
		sigma_detector_free(pc->det);
		pc->det = NULL;
		return err->status;
	}
	return LT_OK;
}

static lt_status replay_case(scan *s, lt_error *err)
{
	replay_filter f;
	scan_filter(s, &f);
	prep_ctx pc;
	replay *rp = NULL;
	if (replay_prepared(s, s->c, &f, &pc, &rp, err) != LT_OK)
		return err->status;
	const event *ev = NULL;
	lt_status st;
	uint64_t lost = 0, seen = 0;
	progress *pg = progress_new("scan", "events", (uint64_t)(s->totals.events > 0 ? s->totals.events : 0));
	for (;;) {
		lt_error e;
		lt_error_clear(&e);
		progress_update(pg, seen++);
		st = replay_next(rp, &ev, &e);
		if (st == LT_EFATAL) {
			*err = e;
			break;
		}
		if (ev == NULL) {
			st = LT_OK;
			break;
		}
		if (st != LT_OK && lost++ < SCAN_MAX_RULE_ERRORS_SHOWN)
			say_error("replay", &e);
		hit_ctx h = {s, ev, {0}, LT_OK};
		report_csv_event(ev, &h.rev);
		h.rev.seq = ev->seq; /* hits on it are kept by its place in this replay */
		atomic_store_explicit(&pc.main_seq, ev->seq, memory_order_relaxed);
		const prepared *pp = ev->user;
		lt_error re;
		lt_error_clear(&re);
		if (report_note_event(s->r, &h.rev, &re) != LT_OK && re.status == LT_EFATAL) {
			*err = re;
			st = LT_EFATAL;
			break;
		}
		if (incident_join_event(s->join, &h.rev, err) != LT_OK) {
			st = LT_EFATAL;
			break;
		}
		baseline_observe(s->baseline, &h.rev);
		lt_error me;
		lt_error_clear(&me);
		if (metrics_add(s->m, ev, &me) == LT_EFATAL) {
			*err = me;
			st = LT_EFATAL;
			break;
		}
		if (s->ctl != NULL && controls_add(s->ctl, ev, err) != LT_OK) {
			st = LT_EFATAL;
			break;
		}
		if (period_add(s->period, ev, err) != LT_OK) {
			st = LT_EFATAL;
			break;
		}
		lt_status ms = pp != NULL && pp->det != NULL
		                   ? ruleset_match_detected(s->rs, ev, pp->det, on_hit, &h)
		                   : ruleset_match(s->rs, ev, on_hit, &h);
		if (ms != LT_OK || h.status == LT_EFATAL) {
			st = lt_error_set(err, LT_EFATAL, "out of memory while matching");
			break;
		}
	}
	progress_end(pg);
	const char *damaged_first = "";
	uint64_t damaged_blocks = st == LT_OK ? replay_detections_damaged(rp, &damaged_first) : 0;
	char damaged_why[LT_ERROR_MSG_MAX];
	snprintf(damaged_why, sizeof damaged_why, "%s", damaged_first); /* rp is freed next */
	replay_free(rp); /* joins the producer: pc is no longer used */
	s->stored_used = pc.stored_used;
	log_info("matched %llu of %llu events with the detections the index stored (pipeline/detectrun.h); "
	         "%llu records read",
	         (unsigned long long)pc.stored_used, (unsigned long long)seen,
	         (unsigned long long)(f.wants_record != NULL ? pc.records_read : seen));
	if (st == LT_OK && (pc.stored_damaged > 0 || damaged_blocks > 0))
		st = note_stored_damaged(s, pc.stored_damaged, damaged_blocks, damaged_why, err);
	sigma_detector_free(pc.det);
	if (st == LT_OK) {
		/* windows still open at the end ("fewer than" correlations) close now */
		hit_ctx h = {s, NULL, {0}, LT_OK};
		rpt_event_init(&h.rev);
		if (ruleset_finish(s->rs, on_hit, &h) != LT_OK || h.status == LT_EFATAL)
			st = lt_error_set(err, LT_EFATAL, "out of memory while closing correlation windows");
	}
	if (st == LT_OK && s->corr_lookups_missed > 0)
		st = note_lookups_missed(s, err);
	if (st == LT_OK)
		st = note_corr_dropped(s, err);
	return st;
}

/* ---- built-in analyzers ------------------------------------------------- */

/* Digest verification, then reconciliation over the time the digests claim,
 * then the usage dashboard; each adds its integrity rows, tables, charts and
 * builtin findings to the report. */
/* Digest verification and CloudTrail <-> invocation-log reconciliation need
 * neither the rules nor the main replay, so they run in a thread of their
 * own, on their own read-only connection, while the replay feeds the rules;
 * their findings join the report after the replay, in the same order as
 * when they ran after it. */
typedef struct integrity {
	const char *case_path;
	verify_keys *keys;
	case_db *c;
	verify_result *v;
	reconcile_result *rr;
	uint64_t custody_hash_max;
	custody_found *custody; /* the evidence re-checked against the case (custody is live) */
	lt_status st;
	lt_error err;
	pthread_t thread;
	int started;
} integrity;

static void *integrity_main(void *arg)
{
	integrity *in = arg;
	lt_status st = case_open(in->case_path, CASE_READONLY, &in->c, &in->err);
	if (st == LT_OK)
		st = verify_case(in->c, in->keys, &in->v, &in->err);
	reconcile_options ro;
	reconcile_options_init(&ro);
	if (st == LT_OK && verify_get_summary(in->v)->digests > 0) {
		ro.claimed_from_us = verify_get_summary(in->v)->first_us;
		ro.claimed_until_us = verify_get_summary(in->v)->last_us;
	}
	if (st == LT_OK)
		st = reconcile_case(in->c, &ro, &in->rr, &in->err);
	if (st == LT_OK && (in->custody = custody_find(in->c, NULL, 0, in->custody_hash_max, 0, &in->err)) == NULL)
		st = in->err.status;
	in->st = st;
	return NULL;
}

static lt_status start_integrity(scan *s, const char *case_path, lt_error *err)
{
	integrity *in = calloc(1, sizeof *in);
	if (in == NULL || (in->keys = verify_keys_new()) == NULL) {
		free(in);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	s->in = in;
	in->case_path = case_path;
	in->custody_hash_max = s->o->evidence_just_hashed ? 0 : CUSTODY_HASH_MAX;
	for (size_t i = 0; i < s->o->npublic_keys; i++) {
		lt_error e;
		lt_error_clear(&e);
		if (verify_keys_load(in->keys, s->o->public_keys[i], &e) != LT_OK) {
			say_error("--public-keys", &e);
			exit_state_note(s->ex, LT_EXIT_USAGE);
		}
	}
	if (pthread_create(&in->thread, NULL, integrity_main, in) != 0)
		return lt_error_set(err, LT_EFATAL, "cannot start the integrity thread");
	in->started = 1;
	return LT_OK;
}

static void join_integrity(scan *s)
{
	if (s->in != NULL && s->in->started) {
		pthread_join(s->in->thread, NULL);
		s->in->started = 0;
	}
}

static void free_integrity(scan *s)
{
	integrity *in = s->in;
	if (in == NULL)
		return;
	join_integrity(s);
	reconcile_result_free(in->rr);
	custody_found_free(in->custody);
	verify_result_free(in->v);
	verify_keys_free(in->keys);
	case_close(in->c);
	free(in);
	s->in = NULL;
}

static lt_status run_builtin(scan *s, lt_error *err)
{
	integrity *in = s->in;
	join_integrity(s);
	lt_status st = in->st;
	if (st != LT_OK)
		*err = in->err;
	if (st == LT_OK && s->ctl != NULL)
		st = controls_note_integrity(s->ctl, in->v, in->rr, err);
	if (st == LT_OK)
		st = verify_add_to_report(in->v, s->r, err);
	if (st == LT_OK)
		st = copies_add_to_report(in->c, s->r, err);
	if (st == LT_OK)
		st = reconcile_add_to_report(in->rr, in->c, s->r, err);
	if (st == LT_OK)
		st = metrics_finish(s->m, err);
	if (st == LT_OK)
		st = metrics_add_to_report(s->m, s->r, err);
	return st;
}

/* ---- custody and problems from the index --------------------------------- */

static lt_status custody_row(void *ctx, const caseq_custody *m, lt_error *err)
{
	scan *s = ctx;
	rpt_evidence_in in = {
		.path = m->evidence,
		.member = m->member,
		.size = m->size,
		.sha256 = m->sha256,
		.sha256_decompressed =
			m->content_sha256[0] != '\0' && strcmp(m->content_sha256, m->sha256) != 0 ? m->content_sha256 : NULL,
		.format = m->format,
		.events = m->events,
		.duplicates = m->duplicates,
		.problems = m->problems,
	};
	return report_add_evidence(s->r, &in, err);
}

static lt_status add_custody(scan *s, lt_error *err)
{
	return caseq_each_custody(s->c, custody_row, s, err);
}

typedef struct problems_ctx {
	scan *s;
	uint64_t evidence_problems;
} problems_ctx;

static lt_status problem_row(void *ctx, const caseq_problem *p, lt_error *err)
{
	problems_ctx *x = ctx;
	char reason[LT_ERROR_MSG_MAX + 64];
	snprintf(reason, sizeof reason, "%s: %s", p->kind, p->reason);
	bool note = strcmp(p->kind, "note") == 0; /* said, but not a fault (docs/case-schema.md) */
	rpt_severity sev = note ? RPT_SEV_INFO
	                   : strcmp(p->kind, "missing-body") == 0 || strcmp(p->kind, "bad-record") == 0
	                       ? RPT_SEV_WARNING
	                       : RPT_SEV_ERROR;
	x->evidence_problems += !note;
	return report_add_problem(x->s->r, p->file, p->member, p->line, sev, reason, err);
}

static lt_status add_problems(scan *s, const custody_found *custody, lt_error *err)
{
	problems_ctx x = {s, 0};
	lt_status rc = caseq_each_problem(s->c, problem_row, &x, err);
	uint64_t evidence_problems = x.evidence_problems;
	if (rc == LT_OK) { /* custody is live: the evidence on disk against the case (found beside the replay) */
		int64_t gone = custody_found_say(custody, s->r);
		if (gone < 0)
			return lt_error_set(err, LT_EFATAL, "cannot re-check the evidence");
		evidence_problems += (uint64_t)gone;
	}
	if (evidence_problems > 0) {
		log_warn("%llu evidence problem(s) are recorded in the case or found on disk; see the reports",
		         (unsigned long long)evidence_problems);
		exit_state_note(s->ex, LT_EXIT_UNREADABLE);
	}
	return rc;
}

/* ---- writing ------------------------------------------------------------- */

static lt_status ensure_dir(const char *dir, lt_error *err)
{
	if (outpath_mkdirs(dir) == 0)
		return LT_OK;
	return lt_error_set(err, LT_EFATAL, "cannot create output folder %s: %s", dir, strerror(errno));
}

/* A second replay of the scan's events, headers only, with the scan's
 * filter: the same events, so the same seq per event. */
static lt_status open_headers(scan *s, replay **rp, lt_error *err)
{
	replay_filter f;
	scan_filter(s, &f);
	f.flags = REPLAY_HEADERS_ONLY;
	return replay_new(s->c, &f, rp, err);
}

/* Calls each(ctx, ev) for the replay's events in order until the replay
 * ends or each says stop (LT_EITEM: done, not an error); err from the
 * replay or from each. */
typedef lt_status (*header_fn)(void *ctx, const event *ev, lt_error *err);
static lt_status each_header(replay *rp, header_fn each, void *ctx, lt_error *err)
{
	for (;;) {
		const event *ev = NULL;
		lt_error e;
		lt_error_clear(&e);
		if (replay_next(rp, &ev, &e) == LT_EFATAL) {
			*err = e;
			return LT_EFATAL;
		}
		if (ev == NULL)
			return LT_OK;
		lt_status st = each(ctx, ev, err);
		if (st != LT_OK)
			return st == LT_EITEM ? LT_OK : st;
	}
}

typedef struct tl_row {
	scan *s;
	report_csv *csv;
} tl_row;

static lt_status timeline_row(void *ctx, const event *ev, lt_error *err)
{
	tl_row *t = ctx;
	rpt_event_in rev;
	report_csv_event(ev, &rev);
	rev.seq = ev->seq;
	return report_csv_row_hit(t->csv, t->s->r, &rev, t->s->o->full_timeline, err);
}

static lt_status uid_of(void *ctx, const event *ev, lt_error *err)
{
	report *r = ctx;
	if (report_resolve_uid(r, ev->seq, rpt_sn(ev->uid.p, ev->uid.n)) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory while listing the findings' event uids");
	return report_uids_pending(r) > 0 ? LT_OK : LT_EITEM;
}

/* ---- timeline.csv ---------------------------------------------------------
 *
 * A report's timeline is the findings' timeline: the events some finding or
 * incident references (a rule hit them), in time order, with the rules that
 * hit each by title and level; --full-timeline writes every event. The
 * rules of an event are known only once the report is complete (a
 * correlation fires after the events it counts, builtin analyzers run
 * after the replay), so the rows come from a second pass over the event
 * headers alone (the same filter, so the same seq per event), written
 * atomically (timeline.csv.tmp, then renamed). Memory stays one row. */
static lt_status write_timeline(scan *s, const char *dir, lt_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s/timeline.csv", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	replay *rp = NULL;
	if (open_headers(s, &rp, err) != LT_OK)
		return err->status;
	FILE *out = fopen(tmp, "wb");
	if (out == NULL) {
		replay_free(rp);
		return lt_error_set(err, LT_EFATAL, "cannot write %s: %s", tmp, strerror(errno));
	}
	tl_row row = {s, report_csv_begin(out, err)};
	report_csv *csv = row.csv;
	lt_status st = csv != NULL ? each_header(rp, timeline_row, &row, err) : LT_EFATAL;
	replay_free(rp);
	if (st == LT_OK)
		st = report_event_rules_status(s->r, err);
	if (csv != NULL) {
		lt_status es = report_csv_end(csv, err);
		if (st == LT_OK)
			st = es;
	}
	if (fclose(out) != 0 && st == LT_OK)
		st = lt_error_set(err, LT_EFATAL, "cannot write %s: %s", tmp, strerror(errno));
	if (st == LT_OK && rename(tmp, path) != 0)
		st = lt_error_set(err, LT_EFATAL, "cannot rename %s: %s", tmp, strerror(errno));
	if (st != LT_OK)
		remove(tmp);
	return st;
}

/* The uids of the events correlations only counted (findings.jsonl's
 * event_uids lists every event a finding covers): one pass over the event
 * headers with the scan's filter (so the same seq per event), in seq order,
 * only when some are pending. */
static lt_status resolve_uids(scan *s, lt_error *err)
{
	if (report_uids_pending(s->r) == 0)
		return LT_OK;
	replay *rp = NULL;
	if (open_headers(s, &rp, err) != LT_OK)
		return err->status;
	lt_status st = each_header(rp, uid_of, s->r, err);
	replay_free(rp);
	report_uids_resolved(s->r);
	return st;
}

/* Every file a report set may hold (reports/reportset.h drops stale ones). */
static const char *const report_files[] = {"report.html", "junit.xml", "findings.jsonl", "incidents.jsonl", "summary.md",
                                           "timeline.csv", "controls.jsonl", LISTCSV_INTEGRITY, LISTCSV_CUSTODY,
                                           MANIFEST_NAME, MANIFEST_SIG_NAME};
#define SCAN_SIGNED_FILES 9 /* report_files that manifest.sha256 lists (all but the manifest's own) */

/* Testing aid: LLMTRAIL_FAIL_REPORT=NAME makes writing NAME fail (EIO), to
 * show that a run failing between two report files leaves the previous set. */
static lt_status injected_failure(const char *name, lt_error *err)
{
	const char *f = getenv("LLMTRAIL_FAIL_REPORT");
	if (f == NULL || strcmp(f, name) != 0)
		return LT_OK;
	lt_error_clear(err);
	errno = EIO;
	return report_write_failed(err, name);
}

/* The report files, into the staging folder dir. */
static lt_status write_set(scan *s, const char *dir, lt_error *err)
{
	static const struct {
		unsigned bit;
		const char *name;
		report_writer fn;
	} writers[] = {
		{SCAN_FMT_HTML, "report.html", report_write_html},
		{SCAN_FMT_JUNIT, "junit.xml", report_write_junit},
		{SCAN_FMT_JSONL, "findings.jsonl", report_write_jsonl},
		{SCAN_FMT_JSONL, "incidents.jsonl", report_write_incidents_jsonl},
		{SCAN_FMT_MD, "summary.md", report_write_markdown},
		/* the full lists the HTML summarises and links to */
		{SCAN_FMT_HTML, LISTCSV_INTEGRITY, report_write_integrity_csv},
		{SCAN_FMT_HTML, LISTCSV_CUSTODY, report_write_custody_csv},
	};
	for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
		if (!(s->o->formats & writers[i].bit))
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, writers[i].name);
		if (injected_failure(writers[i].name, err) != LT_OK ||
		    report_write_path(s->r, writers[i].fn, path, err) != LT_OK)
			return err->status;
	}
	if (s->ctl != NULL && (s->o->formats & SCAN_FMT_JSONL)) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/controls.jsonl", dir);
		if (injected_failure("controls.jsonl", err) != LT_OK ||
		    report_write_path(s->r, report_write_controls_jsonl, path, err) != LT_OK)
			return err->status;
	}
	if ((s->o->formats & SCAN_FMT_CSV) &&
	    (injected_failure("timeline.csv", err) != LT_OK || write_timeline(s, dir, err) != LT_OK))
		return err->status;
	if (s->sign_key != NULL)
		return manifest_write(s->r, dir, report_files, SCAN_SIGNED_FILES, s->sign_key, s->manifest_digest, err);
	return LT_OK;
}

/* The set is written beside the output folder and swapped in at once. */
static lt_status write_outputs(scan *s, lt_error *err)
{
	report_set *rs = NULL;
	lt_status st = ensure_dir(s->o->out_dir, err); /* and its parents: the set is staged beside it */
	if (st == LT_OK && s->sign_key != NULL) { /* report.html names the custody it is signed over */
		char evidence_digest[65];
		st = manifest_evidence_digest(s->r, evidence_digest, err);
		if (st == LT_OK)
			report_set_evidence_manifest(s->r, evidence_digest);
	}
	if (st == LT_OK)
		st = report_set_begin(s->o->out_dir, report_files, sizeof report_files / sizeof report_files[0], &rs,
	                                err);
	if (st == LT_OK)
		st = write_set(s, report_set_path(rs), err);
	if (st != LT_OK) {
		report_set_abort(rs);
		return st;
	}
	int atomic = 0;
	st = report_set_commit(rs, &atomic, err);
	if (st == LT_OK && !atomic)
		log_warn("%s: the report files were replaced one by one (the folder could not be swapped as a whole)",
		         s->o->out_dir);
	return st;
}

/* The price table shipped beside the rule packs (rules/prices/); without it
 * incidents carry tokens but no cost. */
static void load_prices(scan *s)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (rulesdir_find(dir, sizeof dir) == NULL) {
		log_warn("no price table (the shipped rules folder was not found): incidents carry no cost");
		return;
	}
	snprintf(path, sizeof path, "%s/prices/bedrock-prices.tsv", dir);
	lt_error e;
	lt_error_clear(&e);
	if (incident_prices_load(path, &s->prices, &e) != LT_OK)
		say_error("price table", &e);
}

static lt_status build_incidents(scan *s, lt_error *err)
{
	incident_options io = {0, s->prices, s->join, s->baseline};
	return incident_build(s->r, &io, err);
}

#define SCAN_SUMMARY_INCIDENTS 5

/* The top incidents, one line each: level, risk, when, title. */
static void print_incidents(const scan *s)
{
	size_t n = report_nincidents(s->r);
	printf("incidents: %zu%s\n", n, n ? " (highest risk first)" : "");
	for (size_t i = 0; i < n && i < SCAN_SUMMARY_INCIDENTS; i++) {
		const rpt_incident *in = report_incident(s->r, i);
		char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
		ltime_format(in->first_us, 0, a);
		ltime_format(in->last_us, 0, b);
		buf t;
		buf_init(&t, 0);
		if (case_escape_text(&t, in->title.p, in->title.n > 160 ? 160 : in->title.n) != LT_OK)
			buf_reset(&t);
		printf("  %zu. %-13s risk %5.1f  %s .. %s  %.*s\n", i + 1, rpt_level_name(in->level), in->risk,
		       a, b, (int)t.len, t.data ? t.data : "");
		buf_free(&t);
	}
	if (n > SCAN_SUMMARY_INCIDENTS)
		printf("  ... %zu more in incidents.jsonl\n", n - SCAN_SUMMARY_INCIDENTS);
}

static void print_controls(const scan *s)
{
	size_t n[4] = {0, 0, 0, 0};
	if (report_ncontrols(s->r) == 0)
		return;
	for (size_t i = 0; i < report_ncontrols(s->r); i++)
		n[report_control(s->r, i)->status]++;
	printf("controls: %zu passed, %zu failed, %zu not applicable, %zu not evaluable%s\n", n[RPT_CONTROL_PASS],
	       n[RPT_CONTROL_FAIL], n[RPT_CONTROL_NOT_APPLICABLE], n[RPT_CONTROL_NOT_EVALUABLE],
	       n[RPT_CONTROL_FAIL] && !s->o->fail_on_control ? " (not gating: --fail-on-control)" : "");
}

/* --policy: read and checked before any event is (errors as FILE:LINE). */
static lt_status load_policy(scan *s, lt_error *err)
{
	if (s->o->policy_path == NULL)
		return LT_OK;
	lt_error e;
	lt_error_clear(&e);
	lt_status st = policy_load(s->o->policy_path, &s->pol, &e);
	if (st == LT_EFATAL) {
		*err = e;
		return st;
	}
	if (st != LT_OK) {
		if (e.line > 0)
			fprintf(stderr, "llmtrail: %s:%llu: %s\n", e.file, (unsigned long long)e.line, e.msg);
		else
			fprintf(stderr, "llmtrail: %s: %s\n", e.file, e.msg);
		exit_state_note(s->ex, LT_EXIT_USAGE);
		return lt_error_set(err, LT_EFILE, "--policy: the policy file is not valid");
	}
	if ((s->ctl = controls_new(s->pol)) == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	return LT_OK;
}

/* --sign: the key is read before any event is, so a bad key costs no scan. */
static lt_status load_sign_key(scan *s, lt_error *err)
{
	if (s->o->sign_key == NULL)
		return LT_OK;
	lt_error e;
	lt_error_clear(&e);
	lt_status st = manifest_key_load(s->o->sign_key, true, &s->sign_key, &e);
	if (st == LT_EFATAL) {
		*err = e;
		return st;
	}
	if (st != LT_OK) {
		say_error("--sign", &e);
		exit_state_note(s->ex, LT_EXIT_USAGE);
		return lt_error_set(err, LT_EFILE, "--sign: the key cannot be used");
	}
	return LT_OK;
}

static void print_summary(const scan *s)
{
	print_incidents(s);
	uint64_t counts[RPT_NLEVELS];
	report_level_counts(s->r, counts);
	fputs("findings:", stdout);
	for (int l = RPT_LEVEL_CRITICAL; l >= RPT_LEVEL_INFORMATIONAL; l--) {
		const char *name = rpt_level_name((rpt_level)l);
		printf("%s %s%llu %s%s", l == RPT_LEVEL_CRITICAL ? "" : ",", counts[l] ? term_level_on(stdout, name) : "",
		       (unsigned long long)counts[l], name, counts[l] ? term_off(stdout) : "");
	}
	fputc('\n', stdout);
	size_t fired = 0, na = 0, unsupported = 0, failed = 0, passed = 0, filtered = 0;
	for (size_t i = 0; i < report_nrules(s->r); i++) {
		switch (report_rule(s->r, i)->outcome) {
		case RPT_FIRED:
			fired++;
			break;
		case RPT_PASSED:
			passed++;
			break;
		case RPT_NOT_APPLICABLE:
			na++;
			break;
		case RPT_UNSUPPORTED:
			unsupported++;
			break;
		case RPT_FAILED:
			failed++;
			break;
		case RPT_FILTERED:
			filtered++;
			break;
		}
	}
	printf("rules: %zu fired, %zu passed, %zu not applicable, %zu unsupported, %zu failed", fired,
	       passed, na, unsupported, failed);
	if (filtered)
		printf(", %zu filtered", filtered);
	fputc('\n', stdout);
	if (s->fail_rules > 0)
		printf("rule errors: %llu event(s) in %zu rule(s)\n", (unsigned long long)s->fail_events,
		       s->fail_rules);
	print_controls(s);
	printf("evidence problems: %zu\n", report_nproblems_serious(s->r));
	char reason[512];
	report_verdict_reason(s->r, reason, sizeof reason);
	const char *v = rpt_verdict_name(report_verdict(s->r));
	printf("verdict: %s%s%s: %s\n", term_level_on(stdout, v), v, term_off(stdout), reason);
	if (s->sign_key != NULL)
		printf("signed: %s/%s (SHA-256 %s), %s/%s\n", s->o->out_dir, MANIFEST_NAME, s->manifest_digest, s->o->out_dir,
		       MANIFEST_SIG_NAME);
	if (s->o->formats & SCAN_FMT_HTML)
		printf("report: %s/report.html\n", s->o->out_dir);
	else
		printf("reports: %s/\n", s->o->out_dir);
}

/* --min-level, --since, --until and the field filters, for every finding source. */
static void set_scope(scan *s)
{
	scope sc;
	scope_init(&sc);
	sc.since_us = s->o->since_us;
	sc.until_us = s->o->until_us;
	sc.min_level = s->o->min_level;
	memcpy(sc.match, s->o->match, sizeof sc.match);
	report_set_scope(s->r, &sc);
}

/* When the filters left nothing: say so, and how values match. */
static void hint_empty_scope(const scan *s)
{
	scope sc;
	scope_init(&sc);
	memcpy(sc.match, s->o->match, sizeof sc.match);
	char what[512];
	if (report_nfindings(s->r) > 0 || scope_describe(&sc, what, sizeof what) == 0)
		return;
	fprintf(stderr, "llmtrail: hint: no finding's event matches %s (%llu hits outside the filters; values match "
	                "any case, as globs, or the part of an ARN after its last '/'; see `llmtrail stats`)\n",
	        what, (unsigned long long)report_hits_filtered(s->r));
}

/* --baseline OLDCASE: every event of an earlier case teaches the per-entity
 * baselines (hour of week, sources), the first-seen history of the usage
 * metrics and the Sigma rules' own first_seen state (ruleset_learn_first_seen:
 * with the detections OLDCASE's index stored for these rules, else detected
 * from its records) before this case is replayed; nothing of it is reported. */
static lt_status learn_baseline_case(scan *s, const char *path, lt_error *err)
{
	case_db *old = NULL;
	lt_error oe;
	lt_error_clear(&oe);
	lt_status st = case_open(path, CASE_READONLY, &old, &oe);
	if (st != LT_OK)
		return lt_error_set(err, st, "--baseline %s: %s", path, oe.msg);
	replay_filter f;
	replay_filter_init(&f);
	prep_ctx pc;
	replay *rp = NULL;
	if (replay_prepared(s, old, &f, &pc, &rp, &oe) != LT_OK) {
		case_close(old);
		return lt_error_set(err, oe.status, "--baseline %s: %s", path, oe.msg);
	}
	const event *ev = NULL;
	uint64_t n = 0;
	while (st == LT_OK) {
		lt_error re;
		lt_error_clear(&re);
		if (replay_next(rp, &ev, &re) == LT_EFATAL) {
			st = lt_error_set(err, LT_EFATAL, "--baseline %s: %s", path, re.msg);
			break;
		}
		if (ev == NULL)
			break;
		atomic_store_explicit(&pc.main_seq, ev->seq, memory_order_relaxed);
		rpt_event_in rev;
		report_csv_event(ev, &rev);
		baseline_observe(s->baseline, &rev);
		st = metrics_learn(s->m, ev, err);
		const prepared *pp = ev->user;
		if (st == LT_OK && ruleset_learn_first_seen(s->rs, ev, pp != NULL ? pp->det : NULL) != LT_OK)
			st = lt_error_set(err, LT_EFATAL, "--baseline %s: out of memory while matching", path);
		n++;
	}
	replay_free(rp); /* joins the producer: pc is no longer used */
	sigma_detector_free(pc.det);
	case_close(old);
	if (st == LT_OK && n == 0)
		st = lt_error_set(err, LT_EFILE, "--baseline %s: the case holds no events", path);
	return st;
}

void scan_run(const char *case_path, const scan_options *o, exit_state *ex)
{
	scan s;
	memset(&s, 0, sizeof s);
	s.o = o;
	s.ex = ex;
	lt_error err;
	lt_error_clear(&err);
	rpt_options ro;
	rpt_options_default(&ro);
	ro.fail_on = o->fail_on;
	ro.redact = o->redact;
	ro.fail_on_control = o->fail_on_control;
	lt_status st = load_policy(&s, &err);
	if (st == LT_OK)
		st = load_sign_key(&s, &err);
	if (st == LT_EFILE) { /* said (a policy error as FILE:LINE) and noted as a usage error */
		controls_free(s.ctl);
		policy_free(s.pol);
		return;
	}
	if (st == LT_OK)
		st = case_open(case_path, CASE_READONLY, &s.c, &err);
	if (st == LT_OK)
		st = case_get_totals(s.c, &s.totals, &err);
	if (st == LT_OK && (s.r = report_new(&ro)) == NULL)
		st = lt_error_set(&err, LT_EFATAL, "out of memory");
	if (st == LT_OK) {
		set_scope(&s);
		st = report_set_run(s.r, PACKAGE_VERSION, o->command_line, report_now_us(), case_path, &err);
	}
	if (st == LT_OK)
		st = load_rules(&s, &err);
	if (st == LT_OK) {
		load_prices(&s);
		if ((s.join = incident_join_new()) == NULL || (s.baseline = baseline_new()) == NULL)
			st = lt_error_set(&err, LT_EFATAL, "out of memory");
	}
	if (st == LT_OK) {
		metrics_options mo;
		metrics_options_init(&mo);
		mo.since_us = o->since_us;
		mo.until_us = o->until_us;
		if ((s.m = metrics_new(&mo)) == NULL || (s.period = period_new()) == NULL)
			st = lt_error_set(&err, LT_EFATAL, "out of memory");
	}
	if (st == LT_OK && o->baseline_case != NULL)
		st = learn_baseline_case(&s, o->baseline_case, &err);
	if (st == LT_OK)
		st = start_integrity(&s, case_path, &err);
	if (st == LT_OK)
		st = replay_case(&s, &err);
	if (st == LT_OK)
		st = report_rule_failures(&s, &err);
	if (st == LT_OK)
		st = run_builtin(&s, &err);
	if (st == LT_OK)
		st = resolve_uids(&s, &err);
	if (st == LT_OK)
		st = period_add_to_report(s.period, s.r, &err);
	if (st == LT_OK)
		st = note_abbreviated(&s, &err);
	if (st == LT_OK)
		st = add_custody(&s, &err);
	if (st == LT_OK)
		st = add_problems(&s, s.in->custody, &err);
	free_integrity(&s);
	if (st == LT_OK)
		st = build_incidents(&s, &err);
	if (st == LT_OK && s.ctl != NULL)
		st = controls_add_to_report(s.ctl, s.r, &err);
	if (st == LT_OK)
		st = write_outputs(&s, &err);
	if (st != LT_OK) {
		say_error("scan", &err);
		exit_state_note(ex, LT_EXIT_FATAL);
	} else {
		print_summary(&s);
		hint_empty_scope(&s);
		if (report_verdict(s.r) == RPT_VERDICT_NO_EVIDENCE) {
			fprintf(stderr, "llmtrail: error: no event could be read from the evidence: nothing was "
			                "analysed (see the problems above)\n");
			exit_state_note(ex, LT_EXIT_FATAL);
		} else if (report_verdict(s.r) == RPT_VERDICT_FAIL) {
			exit_state_note(ex, LT_EXIT_FINDINGS);
		}
	}
	incident_join_free(s.join);
	baseline_free(s.baseline);
	incident_prices_free(s.prices);
	free(s.rule_index);
	free(s.rule_active);
	free(s.fails);
	rule_map_free(&s.map);
	metrics_free(s.m);
	period_free(s.period);
	controls_free(s.ctl);
	policy_free(s.pol);
	manifest_key_free(s.sign_key);
	ruleset_free(s.rs);
	report_free(s.r);
	case_close(s.c);
}
