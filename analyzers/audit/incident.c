/*
 * incident.c — prices, the request-id join and incident building (see
 * incident.h, docs/incidents.md).
 *
 * The join keeps two generations of (request id -> caller), each covering
 * INCIDENT_JOIN_HORIZON_US; a record seen before its call waits the same way
 * and its caller goes to a capped "late" map read after the replay.
 * The builder interns entities (type byte + value) in a capped strmap, sorts
 * the (entity, finding) links by entity then time and sweeps them: findings
 * of one entity within the gap are united (union-find, path halving). Common
 * IPs / user agents link nothing; routine findings link only to each other,
 * and a recurring set's members only to their set;
 * an actor-less silence joins the switch-off that explains it. A finding
 * scores level weight x confidence x stage weight; an incident its best score
 * plus half the rest, boosted for stage diversity and novelty.
 */
#include "config.h"

#include "analyzers/audit/incident.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/sort.h"
#include "model/strmap.h"

#define PRICE_LINE_MAX 1024
#define PRICE_MAX_ROWS 4096

/* ---- prices ------------------------------------------------------------- */

typedef struct price_row {
	char *model;
	double in, out; /* USD per 1M tokens */
} price_row;

struct incident_prices {
	arena *a;
	price_row *v;
	size_t n;
	char label[256];
};

void incident_prices_free(incident_prices *p)
{
	if (p == NULL)
		return;
	arena_free(p->a);
	free(p->v);
	free(p);
}

const char *incident_prices_label(const incident_prices *p)
{
	return p != NULL ? p->label : "";
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static bool parse_price(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *trim(end) != '\0' || !(v >= 0) || v > 1e6)
		return false;
	*out = v;
	return true;
}

static void note_header(char *line, char *version, char *date, size_t n)
{
	char *t = trim(line + 1);
	if (strncmp(t, "version:", 8) == 0)
		snprintf(version, n, "%s", trim(t + 8));
	else if (strncmp(t, "date:", 5) == 0)
		snprintf(date, n, "%s", trim(t + 5));
}

static lt_status price_row_add(incident_prices *p, char *line, const char *path, size_t lineno,
                               lt_error *err)
{
	char *tab1 = strchr(line, '\t');
	char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
	if (tab1 == NULL || tab2 == NULL)
		return lt_error_set(err, LT_EITEM, "%s:%zu: expected model<TAB>input<TAB>output", path, lineno);
	*tab1 = *tab2 = '\0';
	price_row row;
	if (!parse_price(tab1 + 1, &row.in) || !parse_price(tab2 + 1, &row.out))
		return lt_error_set(err, LT_EITEM, "%s:%zu: bad price", path, lineno);
	row.model = arena_strndup(p->a, trim(line), strlen(trim(line)));
	if (row.model == NULL || p->n >= PRICE_MAX_ROWS)
		return lt_error_set(err, row.model ? LT_EITEM : LT_EFATAL, "%s:%zu: %s", path, lineno,
		                    row.model ? "too many rows" : "out of memory");
	p->v[p->n++] = row;
	return LT_OK;
}

lt_status incident_prices_load(const char *path, incident_prices **out, lt_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return lt_error_set(err, LT_EFILE, "cannot read price table %s: %s", path, strerror(errno));
	incident_prices *p = calloc(1, sizeof *p);
	if (p == NULL || (p->a = arena_new(0, 0)) == NULL ||
	    (p->v = malloc(PRICE_MAX_ROWS * sizeof *p->v)) == NULL) {
		fclose(f);
		incident_prices_free(p);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	char line[PRICE_LINE_MAX], version[96] = "?", date[96] = "?";
	size_t lineno = 0;
	lt_status st = LT_OK;
	while (st == LT_OK && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			st = lt_error_set(err, LT_EITEM, "%s:%zu: line longer than %d bytes", path, lineno,
			                  PRICE_LINE_MAX);
		else if (line[0] == '#')
			note_header(line, version, date, sizeof version);
		else if (trim(line)[0] != '\0')
			st = price_row_add(p, line, path, lineno, err);
	}
	fclose(f);
	if (st != LT_OK) {
		incident_prices_free(p);
		return st;
	}
	const char *base = strrchr(path, '/');
	snprintf(p->label, sizeof p->label, "%s version %s (%s)", base ? base + 1 : path, version, date);
	*out = p;
	return LT_OK;
}

static bool slice_eq(rpt_str s, const char *c)
{
	size_t n = strlen(c);
	return s.n == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

bool incident_prices_find(const incident_prices *p, rpt_str model, double *in_per_mtok,
                          double *out_per_mtok)
{
	if (p == NULL || model.n == 0)
		return false;
	/* an ARN: the part after the last '/' */
	for (size_t i = model.n; i > 0; i--)
		if (model.p[i - 1] == '/') {
			model = rpt_sn(model.p + i, model.n - i);
			break;
		}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p->n; i++)
			if (slice_eq(model, p->v[i].model)) {
				*in_per_mtok = p->v[i].in;
				*out_per_mtok = p->v[i].out;
				return true;
			}
		/* a regional inference profile: "us.", "eu.", "apac.", "global." + id */
		const char *dot = memchr(model.p, '.', model.n);
		if (dot == NULL || dot - model.p > 6)
			return false;
		model = rpt_sn(dot + 1, model.n - (size_t)(dot + 1 - model.p));
	}
	return false;
}

/* ---- request-id join ---------------------------------------------------- */

typedef struct caller {
	rpt_str ip, ua, key;
	bool bearer_token;
} caller;

typedef struct generation {
	arena *a;
	strmap *calls;   /* request id -> caller * (as an integer) */
	strmap *pending; /* request ids of records waiting for their call */
	int64_t from_us;
} generation;

struct incident_join {
	generation g[2]; /* [0] current, [1] previous */
	arena *late_a;
	strmap *late;    /* request id -> caller * */
	uint64_t joined, waiting, late_joined;
};

static void gen_free(generation *g)
{
	arena_free(g->a);
	strmap_free(g->calls);
	strmap_free(g->pending);
	memset(g, 0, sizeof *g);
}

static bool gen_init(generation *g, int64_t from_us)
{
	g->a = arena_new(256 * 1024, 0);
	g->calls = strmap_new(INCIDENT_JOIN_CAP);
	g->pending = strmap_new(INCIDENT_JOIN_CAP);
	g->from_us = from_us;
	return g->a != NULL && g->calls != NULL && g->pending != NULL;
}

incident_join *incident_join_new(void)
{
	incident_join *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->late_a = arena_new(64 * 1024, 0);
	j->late = strmap_new(INCIDENT_JOIN_LATE_CAP);
	if (j->late_a == NULL || j->late == NULL || !gen_init(&j->g[0], INT64_MIN) ||
	    !gen_init(&j->g[1], INT64_MIN)) {
		incident_join_free(j);
		return NULL;
	}
	return j;
}

void incident_join_free(incident_join *j)
{
	if (j == NULL)
		return;
	gen_free(&j->g[0]);
	gen_free(&j->g[1]);
	arena_free(j->late_a);
	strmap_free(j->late);
	free(j);
}

static bool copy_into(arena *a, rpt_str in, rpt_str *out)
{
	char *c = arena_strndup(a, in.n ? in.p : "", in.n);
	*out = rpt_sn(c, in.n);
	return c != NULL;
}

static caller *caller_copy(arena *a, const rpt_event_in *ev)
{
	caller *c = arena_alloc(a, sizeof *c);
	if (c == NULL || !copy_into(a, ev->source_ip, &c->ip) || !copy_into(a, ev->user_agent, &c->ua) ||
	    !copy_into(a, ev->access_key, &c->key))
		return NULL;
	c->bearer_token = ev->bearer_token;
	return c;
}

/* Starts a new generation when t is past the current one's horizon. */
static bool rotate(incident_join *j, int64_t t)
{
	if (j->g[0].from_us == INT64_MIN) {
		j->g[0].from_us = t;
		return true;
	}
	if (t - j->g[0].from_us < INCIDENT_JOIN_HORIZON_US)
		return true;
	gen_free(&j->g[1]);
	if (t - j->g[0].from_us >= 2 * INCIDENT_JOIN_HORIZON_US) { /* both past: a silence */
		gen_free(&j->g[0]);
		if (!gen_init(&j->g[1], INT64_MIN))
			return false;
	} else {
		j->g[1] = j->g[0];
	}
	return gen_init(&j->g[0], t);
}

static const caller *find_call(const incident_join *j, rpt_str rid)
{
	for (int i = 0; i < 2; i++) {
		const uint64_t *v = strmap_find(j->g[i].calls, rid.p, rid.n);
		if (v != NULL && *v != 0)
			return (const caller *)(uintptr_t)*v;
	}
	return NULL;
}

static bool is_pending(const incident_join *j, rpt_str rid)
{
	return strmap_find(j->g[0].pending, rid.p, rid.n) != NULL ||
	       strmap_find(j->g[1].pending, rid.p, rid.n) != NULL;
}

static lt_status remember_call(incident_join *j, const rpt_event_in *ev)
{
	rpt_str rid = ev->request_id;
	if (is_pending(j, rid)) {
		uint64_t *slot = strmap_slot(j->late, rid.p, rid.n, true, NULL);
		if (slot != NULL && *slot == 0) {
			caller *c = caller_copy(j->late_a, ev);
			if (c == NULL)
				return LT_EFATAL;
			*slot = (uint64_t)(uintptr_t)c;
			j->late_joined++;
		}
		return LT_OK; /* the late map full: this record stays without caller */
	}
	bool full = false;
	uint64_t *slot = strmap_slot(j->g[0].calls, rid.p, rid.n, true, &full);
	if (slot == NULL)
		return full ? LT_OK : LT_EFATAL;
	caller *c = caller_copy(j->g[0].a, ev);
	if (c == NULL)
		return LT_EFATAL;
	*slot = (uint64_t)(uintptr_t)c;
	return LT_OK;
}

lt_status incident_join_event(incident_join *j, rpt_event_in *ev, lt_error *err)
{
	if (ev->request_id.n == 0 || ev->time_us == INT64_MIN)
		return LT_OK;
	if (!rotate(j, ev->time_us))
		return lt_error_set(err, LT_EFATAL, "incident join: out of memory");
	bool record = slice_eq(ev->source, "invocation");
	if (!record) {
		bool bedrock = ev->service.n >= 7 && memcmp(ev->service.p, "bedrock", 7) == 0;
		if (slice_eq(ev->source, "cloudtrail") && bedrock && remember_call(j, ev) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "incident join: out of memory");
		return LT_OK;
	}
	const caller *c = find_call(j, ev->request_id);
	if (c != NULL) {
		ev->source_ip = c->ip;
		ev->user_agent = c->ua;
		ev->access_key = c->key;
		ev->bearer_token = c->bearer_token;
		ev->caller_joined = true;
		j->joined++;
		return LT_OK;
	}
	bool full = false;
	if (strmap_slot(j->g[0].pending, ev->request_id.p, ev->request_id.n, true, &full) == NULL && !full)
		return lt_error_set(err, LT_EFATAL, "incident join: out of memory");
	j->waiting++;
	return LT_OK;
}

bool incident_join_late(const incident_join *j, rpt_str request_id, rpt_str *source_ip,
                        rpt_str *user_agent, rpt_str *access_key)
{
	if (j == NULL || request_id.n == 0)
		return false;
	const uint64_t *v = strmap_find(j->late, request_id.p, request_id.n);
	if (v == NULL || *v == 0)
		return false;
	const caller *c = (const caller *)(uintptr_t)*v;
	*source_ip = c->ip;
	*user_agent = c->ua;
	*access_key = c->key;
	return true;
}

void incident_join_counts(const incident_join *j, uint64_t *joined, uint64_t *unjoined)
{
	*joined = j->joined + j->late_joined;
	*unjoined = j->waiting - j->late_joined;
}

/* ---- stages ------------------------------------------------------------- */

/* Tactics in kill-chain order (ties in time are broken by it), with how much
 * a finding in that stage weighs in an incident's risk. */
static const struct {
	const char *name;
	double weight;
} stages[] = {
	{"reconnaissance", 0.6},   {"resource development", 0.6}, {"initial access", 0.8},
	{"ml model access", 0.8},  {"execution", 0.9},            {"persistence", 1.0},
	{"privilege escalation", 1.0}, {"defense evasion", 1.0},  {"credential access", 1.0},
	{"discovery", 0.6},        {"lateral movement", 1.0},     {"collection", 1.0},
	{"command and control", 1.0}, {"exfiltration", 1.0},      {"resource hijacking", 1.0},
	{"impact", 1.0},
};
#define NSTAGES (sizeof stages / sizeof stages[0])

/* ATLAS techniques by their tactic (atlas.mitre.org), for rules that carry
 * no ATT&CK tactic tag. */
static const struct {
	const char *tag, *stage;
} atlas[] = {
	{"atlas.aml.t0012", "initial access"},   {"atlas.aml.t0018", "persistence"},
	{"atlas.aml.t0020", "resource development"}, {"atlas.aml.t0025", "exfiltration"},
	{"atlas.aml.t0029", "impact"},           {"atlas.aml.t0034", "resource hijacking"},
	{"atlas.aml.t0040", "ml model access"},  {"atlas.aml.t0051", "execution"},
	{"atlas.aml.t0053", "execution"},        {"atlas.aml.t0054", "privilege escalation"},
	{"atlas.aml.t0055", "credential access"}, {"atlas.aml.t0056", "discovery"},
	{"atlas.aml.t0057", "exfiltration"},     {"atlas.aml.t0068", "defense evasion"},
	{"atlas.aml.t0069", "discovery"},        {"atlas.aml.t0070", "persistence"},
	{"atlas.aml.t0075", "discovery"},        {"atlas.aml.t0077", "exfiltration"},
	{"atlas.aml.t0081", "persistence"},      {"atlas.aml.t0086", "exfiltration"},
};

/* Where a rule has neither kind of tag: its pack says what it watches. */
static const struct {
	const char *pack, *stage;
} pack_stage[] = {
	{"llmjacking", "resource hijacking"}, {"abuse", "resource hijacking"},
	{"disclosure", "exfiltration"},       {"prompt-misuse", "execution"},
	{"tampering", "defense evasion"},
};

static int stage_index(const char *name)
{
	for (size_t i = 0; i < NSTAGES; i++)
		if (strcmp(stages[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool starts_with(rpt_str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

const char *incident_stage_of_tag(rpt_str tag)
{
	if (starts_with(tag, "attack.t1496"))
		return "resource hijacking";
	if (starts_with(tag, "attack.") && tag.n > 7 && !(tag.p[7] == 't' && tag.n > 8 && tag.p[8] >= '0' &&
	                                                  tag.p[8] <= '9')) {
		char name[48];
		size_t n = tag.n - 7 < sizeof name - 1 ? tag.n - 7 : sizeof name - 1;
		for (size_t i = 0; i < n; i++)
			name[i] = tag.p[7 + i] == '-' || tag.p[7 + i] == '_' ? ' ' : tag.p[7 + i];
		name[n] = '\0';
		int k = stage_index(name);
		return k >= 0 ? stages[k].name : NULL;
	}
	for (size_t i = 0; i < sizeof atlas / sizeof atlas[0]; i++)
		if (starts_with(tag, atlas[i].tag))
			return atlas[i].stage;
	return NULL;
}

/* What a conversation with a model can show: the prompt, the response and
 * how the call was made evidence access, execution, discovery, collection,
 * leaks and a skipped guardrail, not a change in the account's identities
 * or footholds (ATLAS tags a jailbreak prompt "privilege escalation": the
 * call escalates nothing). */
static const char *const model_use_stages[] = {
	"reconnaissance",  "initial access", "ml model access", "execution",          "discovery", "collection",
	"credential access", "exfiltration", "defense evasion", "resource hijacking", "impact",
};

/* Data-plane calls whose content is a model conversation or a retrieval. */
static const char *const model_use_actions[] = {
	"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream", "InvokeAgent",
	"InvokeInlineAgent", "Retrieve", "RetrieveAndGenerate", "RetrieveAndGenerateStream",
};

static bool is_model_use(const rpt_event *e)
{
	if (slice_eq(e->source, "invocation"))
		return true;
	if (!slice_eq(e->source, "cloudtrail"))
		return false;
	for (size_t i = 0; i < sizeof model_use_actions / sizeof model_use_actions[0]; i++)
		if (slice_eq(e->action, model_use_actions[i]))
			return true;
	return false;
}

/* The stages a finding's events can show, as a bit set: every stage unless
 * all of its events are model use (an analyzer's synthetic window: every). */
static uint32_t stages_shown(const rpt_finding *f)
{
	bool model_only = f->nevents > 0;
	for (size_t e = 0; e < f->nevents && model_only; e++)
		model_only = is_model_use(&f->events[e]);
	if (!model_only)
		return ~0u;
	uint32_t set = 0;
	for (size_t i = 0; i < sizeof model_use_stages / sizeof model_use_stages[0]; i++)
		set |= 1u << stage_index(model_use_stages[i]);
	return set;
}

/* The stages of a finding as a bit set over stages[]: its rule's ATT&CK
 * tactics (resource hijacking replacing impact when T1496 is tagged), else
 * its ATLAS tactics, else its pack's; each tier kept only for the stages
 * its events can show (stages_shown). */
static uint32_t finding_stages(const rpt_rule *ru, const rpt_finding *f)
{
	uint32_t shown = stages_shown(f), attack = 0, other = 0;
	bool hijack = false;
	for (size_t i = 0; i < ru->ntags; i++) {
		const char *s = incident_stage_of_tag(ru->tags[i]);
		if (s == NULL)
			continue;
		uint32_t bit = 1u << stage_index(s);
		if (starts_with(ru->tags[i], "attack."))
			attack |= bit;
		else
			other |= bit;
		hijack = hijack || strcmp(s, "resource hijacking") == 0;
	}
	if (hijack)
		attack &= ~(1u << stage_index("impact"));
	if (attack & shown)
		return attack & shown;
	if (other & shown)
		return other & shown;
	for (size_t i = 0; i < sizeof pack_stage / sizeof pack_stage[0]; i++)
		if (slice_eq(ru->pack, pack_stage[i].pack))
			return (1u << stage_index(pack_stage[i].stage)) & shown;
	return 0;
}

static bool rule_has_tag(const rpt_rule *ru, const char *tag)
{
	for (size_t i = 0; i < ru->ntags; i++)
		if (slice_eq(ru->tags[i], tag))
			return true;
	return false;
}

static bool is_objective(int stage)
{
	const char *n = stages[stage].name;
	return strcmp(n, "resource hijacking") == 0 || strcmp(n, "impact") == 0 ||
	       strcmp(n, "exfiltration") == 0 || strcmp(n, "collection") == 0;
}

/* ---- per-finding facts ------------------------------------------------- */

enum { ENT_KEY = 0, ENT_PRINCIPAL = 1, ENT_IP = 2, ENT_UA = 3, ENT_TYPES = 4 };

typedef struct finfo {
	const rpt_finding *f;
	const rpt_rule *ru;
	uint32_t stages;
	double confidence, score;
	bool routine, novelty;
	bool synthetic; /* no event from the evidence: an analyzer's window or bucket */
	bool effect;    /* its rule is tagged RPT_TAG_EFFECT: its principals suffered the act */
	size_t recurrences;
	size_t recur_root, recur_n; /* its recurring (rule, actor) set: first finding and size (SIZE_MAX, 0: none) */
	rpt_str actor; /* role behind its session, else principal, else access key (recurring sets) */
	size_t principal, key; /* its first principal and access key entity (SIZE_MAX: none) */
} finfo;

typedef struct entity {
	rpt_str principals[INCIDENT_COMMON_PRINCIPALS]; /* distinct principals seen with it */
	size_t nprincipals;
	bool common;
} entity;

typedef struct link {
	size_t entity, finding;
	int64_t first_us, last_us;
	bool routine;
	bool minor; /* low or informational: joins only within INCIDENT_MINOR_GAP_US */
} link;

typedef struct builder {
	report *r;
	const incident_options *o;
	size_t n;
	finfo *fi;
	size_t *parent;
	strmap *ents; /* type byte + value -> entity index + 1 */
	entity *ev;
	size_t nent, aent;
	link *links;
	size_t nlinks, alinks;
	uint64_t links_dropped;
	buf key;
	uint64_t case_events;
	rpt_count *top_ips;
	size_t ntop_ips;
	arena *a; /* texts that live as long as the builder */
} builder;

static const double level_weight[RPT_NLEVELS] = {0.2, 1.0, 3.0, 8.0, 20.0};

static bool is_novelty_rule(const rpt_rule *ru)
{
	return starts_with(ru->id, "llmtrail-first-seen") || (ru->title.n > 0 && memmem(ru->title.p, ru->title.n, "New ", 4) != NULL) ||
	       (ru->title.n > 0 && memmem(ru->title.p, ru->title.n, "First Seen", 10) != NULL);
}

/* Confidence a rule earns before anything is known of the case: Sigma status
 * (stable 0.9, test 0.8, else 0.7); statistical builtin checks 0.5. */
static double base_confidence(const rpt_rule *ru, const char **why)
{
	if (slice_eq(ru->pack, "builtin")) {
		if (starts_with(ru->id, "llmtrail-integrity")) {
			*why = "a cryptographic check of the evidence";
			return 0.9;
		}
		if (starts_with(ru->id, "llmtrail-reconcile")) {
			*why = "records inferred missing (reconciliation), which has innocent causes too";
			return 0.6;
		}
		*why = "a statistical built-in check";
		return 0.5;
	}
	if (slice_eq(ru->status, "stable")) {
		*why = "a stable rule";
		return 0.9;
	}
	if (slice_eq(ru->status, "test")) {
		*why = "a rule in test";
		return 0.8;
	}
	*why = "an experimental rule";
	return 0.7;
}

static double stage_weight(uint32_t set)
{
	double w = 0.8; /* no stage known */
	bool any = false;
	for (size_t i = 0; i < NSTAGES; i++)
		if (set & (1u << i)) {
			w = any && w > stages[i].weight ? w : stages[i].weight;
			any = true;
		}
	return w;
}

/* Findings per (rule, group): recurrences of the same thing. */
static lt_status count_recurrences(builder *b, lt_error *err)
{
	strmap *m = strmap_new(0);
	if (m == NULL)
		return lt_error_set(err, LT_EFATAL, "incidents: out of memory");
	lt_status st = LT_OK;
	for (int pass = 0; pass < 2 && st == LT_OK; pass++) {
		for (size_t i = 0; i < b->n && st == LT_OK; i++) {
			const rpt_finding *f = b->fi[i].f;
			buf_reset(&b->key);
			uint64_t rule = f->rule;
			if (buf_append(&b->key, &rule, sizeof rule) != LT_OK ||
			    (f->group_text.n && buf_append(&b->key, f->group_text.p, f->group_text.n) != LT_OK)) {
				st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
				break;
			}
			uint64_t *slot = strmap_slot(m, b->key.data, b->key.len, pass == 0, NULL);
			if (slot == NULL)
				st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
			else if (pass == 0)
				(*slot)++;
			else
				b->fi[i].recurrences = (size_t)*slot;
		}
	}
	strmap_free(m);
	return st;
}

/* ---- the baseline's word on a finding ---------------------------------- */

#define BASELINE_EVENTS_JUDGED 32 /* listed events of a finding looked at */

static void event_caller(const builder *b, const rpt_event *e, caller *c);

/* How usual value (of attr) is for the actor of ev: its access key, else the
 * role behind its session, else its principal, whichever has a history
 * (baseline.h: unknown below the warm-up). *who is the one that answered. */
static baseline_rarity actor_rarity(const baseline *bl, const rpt_event *ev, const caller *c, baseline_attr attr,
                                    rpt_str value, rpt_str *who)
{
	const struct {
		baseline_kind kind;
		rpt_str name;
	} actors[] = {{BASELINE_ACCESS_KEY, c->key}, {BASELINE_ISSUER, ev->principal}, {BASELINE_PRINCIPAL, ev->principal}};
	for (size_t i = 0; i < sizeof actors / sizeof actors[0]; i++) {
		baseline_rarity r = baseline_value(bl, actors[i].kind, actors[i].name, attr, value);
		if (r != BASELINE_UNKNOWN) {
			*who = actors[i].name;
			return r;
		}
	}
	return BASELINE_UNKNOWN;
}

/* Whether every listed event is a call its actor makes on most of its days
 * (frequent), from its usual network (IP prefix frequent) at an hour it is
 * usually active (not rare or unseen). Only control-plane findings: what a
 * model conversation said is not made ordinary by the caller's habits. */
static bool habitual(const builder *b, const finfo *x, rpt_str *who, rpt_str *api)
{
	const baseline *bl = b->o->baseline;
	const rpt_finding *f = x->f;
	if (bl == NULL || x->synthetic || f->nevents == 0 || starts_with(x->ru->id, "llmtrail-integrity"))
		return false;
	for (size_t e = 0; e < f->nevents && e < BASELINE_EVENTS_JUDGED; e++) {
		const rpt_event *ev = &f->events[e];
		caller c;
		event_caller(b, ev, &c);
		rpt_str w1 = {0}, w2 = {0};
		if (is_model_use(ev) || ev->action.n == 0 ||
		    actor_rarity(bl, ev, &c, BASELINE_OPERATION, ev->action, &w1) != BASELINE_FREQUENT ||
		    actor_rarity(bl, ev, &c, BASELINE_IP_PREFIX, c.ip, &w2) != BASELINE_FREQUENT)
			return false;
		baseline_rarity h = baseline_hour(bl, BASELINE_ACCESS_KEY, c.key, ev->time_us);
		if (h == BASELINE_UNKNOWN)
			h = baseline_hour(bl, BASELINE_PRINCIPAL, ev->principal, ev->time_us);
		if (baseline_unusual(h))
			return false;
		*who = w1;
		*api = ev->action;
	}
	return true;
}

/* Whether one listed event's actor acted from a network (IP prefix) and
 * with a client family (user-agent family) both unseen for it. */
static bool novel_source(const builder *b, const finfo *x, rpt_str *who)
{
	const baseline *bl = b->o->baseline;
	for (size_t e = 0; bl != NULL && e < x->f->nevents && e < BASELINE_EVENTS_JUDGED; e++) {
		const rpt_event *ev = &x->f->events[e];
		caller c;
		event_caller(b, ev, &c);
		rpt_str w = {0}, w2 = {0};
		if (c.ip.n && c.ua.n && actor_rarity(bl, ev, &c, BASELINE_IP_PREFIX, c.ip, &w) == BASELINE_UNSEEN &&
		    actor_rarity(bl, ev, &c, BASELINE_UA_FAMILY, c.ua, &w2) == BASELINE_UNSEEN) {
			*who = w;
			return true;
		}
	}
	return false;
}

/* Raises a finding's confidence when its actor acted from a network and a
 * client family both new to it, lowers it when it did what it does daily
 * (habitual); appends why to reason. Returns the characters written. */
static int judge_by_baseline(const builder *b, finfo *x, char *reason, size_t n)
{
	rpt_str who = {0}, api = {0};
	int w = 0;
	if (novel_source(b, x, &who)) {
		x->confidence = 1 - (1 - x->confidence) / 2;
		w = snprintf(reason, n, "; confidence raised: %.*s acted from a network (IP prefix) and a client "
		             "(user-agent family) both unseen for it", (int)(who.n > 80 ? 80 : who.n), who.p);
	} else if (habitual(b, x, &who, &api)) {
		x->confidence /= 2;
		w = snprintf(reason, n, "; confidence halved: %.*s calls %.*s on most of its days, from its usual "
		             "network, at a usual hour", (int)(who.n > 80 ? 80 : who.n), who.p,
		             (int)(api.n > 60 ? 60 : api.n), api.p);
	}
	return w < 0 ? 0 : w;
}

/* Who a finding's recurrence is counted for: the role behind its first
 * event's session (a fleet rotates sessions), else its principal, else its
 * access key; for an analyzer's finding without actor (a silent stretch),
 * the account/region whose log it is about; else empty. */
static rpt_str finding_actor(const builder *b, const finfo *x, char out[BASELINE_TEXT_MAX])
{
	if (x->synthetic) {
		const rpt_event *ev = x->f->nevents ? &x->f->events[0] : NULL;
		if (ev == NULL || ev->principal.n || ev->access_key.n || ev->account.n == 0)
			return rpt_s(NULL);
		int n = snprintf(out, BASELINE_TEXT_MAX, "%.*s/%.*s", (int)(ev->account.n > 40 ? 40 : ev->account.n),
		                 ev->account.p, (int)(ev->region.n > 40 ? 40 : ev->region.n), ev->region.p);
		return rpt_sn(out, n > 0 ? (size_t)n : 0);
	}
	for (size_t e = 0; e < x->f->nevents; e++) {
		const rpt_event *ev = &x->f->events[e];
		if (ev->principal.n) {
			rpt_str role = baseline_normalise(BASELINE_ISSUER, ev->principal, out);
			return role.n ? role : ev->principal;
		}
		caller c;
		event_caller(b, ev, &c);
		if (c.key.n)
			return c.key;
	}
	return rpt_s(NULL);
}

static int cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return (a > b) - (a < b);
}

typedef struct recur_set {
	size_t root, n;
} recur_set;

/* Recurring sets: low and informational findings of one rule and one actor,
 * INCIDENT_ROUTINE_MIN or more in the case (a habit: a fleet's SDK start-up,
 * a CI key's runner of the day), at most INCIDENT_MAX_RECURRING sets (the
 * rest stay apart). A finding whose actor acted from a network and client
 * family both new to it (novel_source) is not part of its actor's habit. */
static lt_status find_recurring(builder *b, lt_error *err)
{
	strmap *m = strmap_new(INCIDENT_MAX_RECURRING);
	recur_set *sets = malloc(INCIDENT_MAX_RECURRING * sizeof *sets);
	char (*actors)[BASELINE_TEXT_MAX] = malloc(b->n * sizeof *actors);
	size_t nsets = 0;
	lt_status st = m != NULL && sets != NULL && actors != NULL ? LT_OK : LT_EFATAL;
	for (size_t i = 0; i < b->n && st == LT_OK; i++) {
		finfo *x = &b->fi[i];
		rpt_str who = {0};
		x->actor = finding_actor(b, x, actors[i]);
		if (x->actor.n == 0 || x->ru->level > RPT_LEVEL_LOW || novel_source(b, x, &who))
			continue;
		buf_reset(&b->key);
		uint64_t rule = x->f->rule;
		if (buf_append(&b->key, &rule, sizeof rule) != LT_OK || buf_append(&b->key, x->actor.p, x->actor.n) != LT_OK) {
			st = LT_EFATAL;
			break;
		}
		bool full = false;
		uint64_t *slot = strmap_slot(m, b->key.data, b->key.len, true, &full);
		if (slot == NULL) {
			st = full ? LT_OK : LT_EFATAL;
			continue;
		}
		if (*slot == 0) {
			sets[nsets] = (recur_set){i, 0};
			*slot = ++nsets;
		}
		sets[*slot - 1].n++;
		x->recur_root = (size_t)*slot - 1; /* the set for now; its root below */
	}
	for (size_t i = 0; i < b->n && st == LT_OK; i++) {
		finfo *x = &b->fi[i];
		const recur_set *r = x->recur_root != SIZE_MAX ? &sets[x->recur_root] : NULL;
		x->recur_root = r != NULL && r->n >= INCIDENT_ROUTINE_MIN ? r->root : SIZE_MAX;
		x->recur_n = x->recur_root != SIZE_MAX ? r->n : 0;
		if (x->recur_n == 0)
			x->actor = rpt_s(NULL); /* actors[] is freed below: only recurring findings keep theirs */
	}
	/* the actors of recurring findings must outlive actors[]: point them at
	 * their root's event text when it is the raw principal or key, else copy */
	for (size_t i = 0; i < b->n && st == LT_OK; i++) {
		finfo *x = &b->fi[i];
		if (x->recur_n == 0 || x->actor.p != actors[i])
			continue;
		char *copy = arena_strndup(b->a, x->actor.p, x->actor.n);
		if (copy == NULL)
			st = LT_EFATAL;
		x->actor = rpt_sn(copy, x->actor.n);
	}
	strmap_free(m);
	free(sets);
	free(actors);
	return st == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "incidents: out of memory");
}

/* "every 61 min" for the median interval between the starts of the
 * incident's largest recurring set's findings; "" when it has none. */
static void recurrence_note(const builder *b, const size_t *members, size_t n, char *out, size_t nout)
{
	out[0] = '\0';
	size_t root = SIZE_MAX, best = 0;
	for (size_t k = 0; k < n; k++)
		if (b->fi[members[k]].recur_n > best) {
			best = b->fi[members[k]].recur_n;
			root = b->fi[members[k]].recur_root;
		}
	int64_t *t = root != SIZE_MAX ? malloc(n * sizeof *t) : NULL;
	if (t == NULL)
		return;
	size_t m = 0;
	for (size_t k = 0; k < n; k++)
		if (b->fi[members[k]].recur_root == root)
			t[m++] = b->fi[members[k]].f->first_us;
	if (m < 2) { /* a silence an actor's switch-off explains, alone in the attack's incident */
		free(t);
		return;
	}
	lt_sort(t, m, sizeof *t, cmp_i64);
	for (size_t k = 0; k + 1 < m; k++)
		t[k] = t[k + 1] - t[k];
	lt_sort(t, m - 1, sizeof *t, cmp_i64);
	int64_t med = t[(m - 1) / 2], min = med / 60000000LL;
	const finfo *x = &b->fi[root];
	rpt_str title = x->ru->title.n ? x->ru->title : x->ru->id;
	snprintf(out, nout, "; recurring: %zu findings of \"%.*s\" by %.*s, every %lld %s (median interval)", m,
	         (int)(title.n > 80 ? 80 : title.n), title.p, (int)(x->actor.n > 80 ? 80 : x->actor.n), x->actor.p,
	         (long long)(min >= 2880 ? min / 1440 : min >= 120 ? min / 60 : min),
	         min >= 2880 ? "days" : min >= 120 ? "h" : "min");
	free(t);
}

static lt_status assess(builder *b, size_t i, lt_error *err)
{
	finfo *x = &b->fi[i];
	const char *why = "";
	x->confidence = base_confidence(x->ru, &why);
	x->routine = x->recurrences >= INCIDENT_ROUTINE_MIN && x->ru->level <= RPT_LEVEL_MEDIUM;
	x->novelty = is_novelty_rule(x->ru);
	char reason[512];
	int n = snprintf(reason, sizeof reason, "%s level from %s", rpt_level_name(x->ru->level), why);
	if (x->recur_n > x->recurrences || (x->recur_n && !x->routine)) {
		x->routine = true;
		x->recurrences = x->recur_n > x->recurrences ? x->recur_n : x->recurrences;
		n += snprintf(reason + n, sizeof reason - (size_t)n, "; recurring: the same rule and actor (%.*s) made "
		              "%zu findings in this case", (int)(x->actor.n > 80 ? 80 : x->actor.n), x->actor.p, x->recur_n);
	}
	if (x->routine) {
		x->confidence /= sqrt((double)x->recurrences);
		n += snprintf(reason + n, sizeof reason - (size_t)n,
		              "; routine: the same rule and group made %zu findings in this case, so "
		              "confidence is divided by %.1f",
		              x->recurrences, sqrt((double)x->recurrences));
	}
	if (n > 0 && (size_t)n < sizeof reason)
		n += judge_by_baseline(b, x, reason + n, sizeof reason - (size_t)n);
	if (x->f->count > 1 && n > 0 && (size_t)n < sizeof reason)
		snprintf(reason + n, sizeof reason - (size_t)n, "; %llu events", (unsigned long long)x->f->count);
	x->score = level_weight[x->ru->level] * x->confidence * stage_weight(x->stages);
	return report_assess_finding(b->r, i, x->confidence, reason, err);
}

/* ---- entities ----------------------------------------------------------- */

static lt_status push_link(builder *b, size_t ent, size_t fi)
{
	if (b->nlinks >= INCIDENT_MAX_LINKS) {
		b->links_dropped++;
		return LT_OK;
	}
	if (b->nlinks == b->alinks) {
		size_t na = b->alinks ? b->alinks * 2 : 256;
		link *nv = realloc(b->links, na * sizeof *nv);
		if (nv == NULL)
			return LT_EFATAL;
		b->links = nv;
		b->alinks = na;
	}
	const finfo *x = &b->fi[fi];
	b->links[b->nlinks++] = (link){ent, fi, x->f->first_us, x->f->last_us, x->routine,
	                               x->ru->level <= RPT_LEVEL_LOW};
	return LT_OK;
}

static void note_principal(entity *e, rpt_str principal)
{
	if (principal.n == 0 || e->common)
		return;
	for (size_t i = 0; i < e->nprincipals; i++)
		if (e->principals[i].n == principal.n && memcmp(e->principals[i].p, principal.p, principal.n) == 0)
			return;
	if (e->nprincipals == INCIDENT_COMMON_PRINCIPALS) {
		e->common = true;
		return;
	}
	e->principals[e->nprincipals++] = principal;
}

/* Links finding fi to entity (type, value); principal is who used it. */
static lt_status add_entity(builder *b, size_t fi, int type, rpt_str value, rpt_str principal)
{
	if (value.n == 0 || slice_eq(value, "-"))
		return LT_OK;
	buf_reset(&b->key);
	unsigned char t = (unsigned char)type;
	if (buf_append(&b->key, &t, 1) != LT_OK || buf_append(&b->key, value.p, value.n) != LT_OK)
		return LT_EFATAL;
	bool full = false;
	uint64_t *slot = strmap_slot(b->ents, b->key.data, b->key.len, true, &full);
	if (slot == NULL)
		return full ? LT_OK : LT_EFATAL;
	if (*slot == 0) {
		if (b->nent == b->aent) {
			size_t na = b->aent ? b->aent * 2 : 256;
			entity *nv = realloc(b->ev, na * sizeof *nv);
			if (nv == NULL)
				return LT_EFATAL;
			b->ev = nv;
			b->aent = na;
		}
		memset(&b->ev[b->nent], 0, sizeof b->ev[0]);
		*slot = ++b->nent;
	}
	size_t e = (size_t)*slot - 1;
	if (type == ENT_IP || type == ENT_UA)
		note_principal(&b->ev[e], principal);
	if (type == ENT_PRINCIPAL && b->fi[fi].principal == SIZE_MAX)
		b->fi[fi].principal = e;
	if (type == ENT_KEY && b->fi[fi].key == SIZE_MAX)
		b->fi[fi].key = e;
	/* the same entity twice in a row for one finding adds one link */
	if (b->nlinks && b->links[b->nlinks - 1].entity == e && b->links[b->nlinks - 1].finding == fi)
		return LT_OK;
	return push_link(b, e, fi);
}

/* "name=value, name=value" of a correlation's group, or a builtin's pair:
 * the entity type a group name stands for (-1: none). */
static int group_type(rpt_str name)
{
	static const struct {
		const char *needle;
		int type;
	} names[] = {{"accessKeyId", ENT_KEY},  {"access_key", ENT_KEY}, {"sourceIPAddress", ENT_IP},
	             {"source-ip", ENT_IP},     {"source_ip", ENT_IP},   {"userAgent", ENT_UA},
	             {"user-agent", ENT_UA},    {"user_agent", ENT_UA},  {".arn", ENT_PRINCIPAL},
	             {"principal", ENT_PRINCIPAL}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (name.n >= strlen(names[i].needle) && memmem(name.p, name.n, names[i].needle, strlen(names[i].needle)))
			return names[i].type;
	return -1;
}

static lt_status group_entities(builder *b, size_t fi, rpt_str name, rpt_str value)
{
	if (!slice_eq(name, "group"))
		return group_type(name) >= 0 ? add_entity(b, fi, group_type(name), value, rpt_s(NULL)) : LT_OK;
	/* a correlation's group: "field=value, field=value" */
	const char *p = value.p, *end = value.p + value.n;
	while (p < end) {
		const char *comma = memmem(p, (size_t)(end - p), ", ", 2);
		const char *stop = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq != NULL) {
			int t = group_type(rpt_sn(p, (size_t)(eq - p)));
			if (t >= 0 && add_entity(b, fi, t, rpt_sn(eq + 1, (size_t)(stop - eq - 1)), rpt_s(NULL)) != LT_OK)
				return LT_EFATAL;
		}
		p = comma ? comma + 2 : end;
	}
	return LT_OK;
}

/* The caller of e: its own fields, or the CloudTrail call's when joined late. */
static void event_caller(const builder *b, const rpt_event *e, caller *c)
{
	c->ip = e->source_ip;
	c->ua = e->user_agent;
	c->key = e->access_key;
	c->bearer_token = e->bearer_token;
	if (c->ip.n == 0 && slice_eq(e->source, "invocation"))
		(void)incident_join_late(b->o->join, e->request_id, &c->ip, &c->ua, &c->key);
}

static lt_status finding_entities(builder *b, size_t fi)
{
	const rpt_finding *f = b->fi[fi].f;
	for (size_t g = 0; g < f->ngroup; g++)
		if (group_entities(b, fi, f->group[g].name, f->group[g].value) != LT_OK)
			return LT_EFATAL;
	for (size_t k = 0; k < f->nevents; k++) {
		const rpt_event *e = &f->events[k];
		caller c;
		event_caller(b, e, &c);
		if (add_entity(b, fi, ENT_KEY, c.key, e->principal) != LT_OK ||
		    add_entity(b, fi, ENT_PRINCIPAL, e->principal, e->principal) != LT_OK ||
		    add_entity(b, fi, ENT_IP, c.ip, e->principal) != LT_OK ||
		    add_entity(b, fi, ENT_UA, c.ua, e->principal) != LT_OK)
			return LT_EFATAL;
	}
	return LT_OK;
}

/* IPs carrying a large share of the case's events discriminate nothing. */
static void mark_busy_ips(builder *b)
{
	if (b->case_events == 0)
		return;
	for (size_t i = 0; i < b->ntop_ips; i++) {
		if ((double)b->top_ips[i].count < INCIDENT_COMMON_SHARE * (double)b->case_events)
			break;
		buf_reset(&b->key);
		unsigned char t = ENT_IP;
		if (buf_append(&b->key, &t, 1) != LT_OK ||
		    buf_append(&b->key, b->top_ips[i].name.p, b->top_ips[i].name.n) != LT_OK)
			return;
		const uint64_t *v = strmap_find(b->ents, b->key.data, b->key.len);
		if (v != NULL)
			b->ev[*v - 1].common = true;
	}
}

/* ---- union-find --------------------------------------------------------- */

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a != b)
		parent[a > b ? a : b] = a < b ? a : b; /* the smaller index is the root: deterministic */
}

static int cmp_link(const void *pa, const void *pb)
{
	const link *a = pa, *b = pb;
	if (a->entity != b->entity)
		return a->entity < b->entity ? -1 : 1;
	if (a->routine != b->routine)
		return a->routine ? 1 : -1;
	if (a->first_us != b->first_us)
		return a->first_us < b->first_us ? -1 : 1;
	return a->finding < b->finding ? -1 : a->finding > b->finding;
}

/* Per entity, findings whose spans come within the gap of the run so far
 * join it; the gap is INCIDENT_MINOR_GAP_US when the finding joining or the
 * one that ends the run is minor (one stray low finding of a busy principal
 * does not stretch an incident by hours). */
static void sweep(builder *b)
{
	int64_t gap = b->o->gap_us > 0 ? b->o->gap_us : INCIDENT_GAP_US;
	int64_t minor_gap = gap < INCIDENT_MINOR_GAP_US ? gap : INCIDENT_MINOR_GAP_US;
	lt_sort(b->links, b->nlinks, sizeof *b->links, cmp_link);
	size_t run_head = SIZE_MAX;
	int64_t run_end = INT64_MIN;
	bool end_minor = false;
	for (size_t i = 0; i < b->nlinks; i++) {
		const link *l = &b->links[i];
		/* a recurring set's member belongs to its set (union_recurring) and
		 * links nothing by time: a habit neither absorbs nor bridges */
		if (b->ev[l->entity].common || b->fi[l->finding].recur_root != SIZE_MAX)
			continue;
		int64_t g = l->minor || end_minor ? minor_gap : gap;
		bool same = run_head != SIZE_MAX && b->links[run_head].entity == l->entity &&
		            b->links[run_head].routine == l->routine && l->first_us != INT64_MIN &&
		            run_end != INT64_MIN && l->first_us - run_end <= g;
		if (same)
			uf_union(b->parent, b->links[run_head].finding, l->finding);
		else
			run_head = i;
		if (!same || l->last_us > run_end) {
			run_end = l->last_us;
			end_minor = l->minor;
		}
	}
}

/* An analyzer's finding with no actor (a silent stretch after logging was
 * switched off) joins the finding that explains it: a defense-evasion finding
 * with an actor, in the same account, ending at most INCIDENT_CAUSE_US
 * before the stretch starts (the latest such). */
static rpt_str finding_account(const rpt_finding *f)
{
	for (size_t e = 0; e < f->nevents; e++)
		if (f->events[e].account.n)
			return f->events[e].account;
	return rpt_s(NULL);
}

static void link_causes(builder *b, const bool *has_actor, bool *caused)
{
	int de = stage_index("defense evasion");
	for (size_t i = 0; i < b->n; i++) {
		const finfo *x = &b->fi[i];
		rpt_str acct = finding_account(x->f);
		if (has_actor[i] || !x->synthetic || !(x->stages & (1u << de)) || acct.n == 0)
			continue;
		size_t best = SIZE_MAX;
		for (size_t k = 0; k < b->n; k++) {
			const finfo *y = &b->fi[k];
			if (!has_actor[k] || y->synthetic || !(y->stages & (1u << de)) || y->f->last_us > x->f->first_us ||
			    x->f->first_us - y->f->last_us > INCIDENT_CAUSE_US)
				continue;
			rpt_str a2 = finding_account(y->f);
			if (a2.n != acct.n || memcmp(a2.p, acct.p, acct.n) != 0)
				continue;
			if (best == SIZE_MAX || y->f->last_us > b->fi[best].f->last_us)
				best = k;
		}
		if (best != SIZE_MAX) {
			uf_union(b->parent, i, best);
			caused[i] = true;
		}
	}
}

/* Each recurring set is one incident, less the members an actor's finding
 * explains (link_causes): a silence after an attacker's switch-off is the
 * attack's, and must not bring the stream's nightly habit with it. */
static lt_status union_recurring(builder *b, const bool *caused)
{
	size_t *rep = malloc(b->n * sizeof *rep);
	if (rep == NULL)
		return LT_EFATAL;
	for (size_t i = 0; i < b->n; i++)
		rep[i] = SIZE_MAX;
	for (size_t i = 0; i < b->n; i++) {
		size_t root = b->fi[i].recur_root;
		if (root == SIZE_MAX || caused[i])
			continue;
		if (rep[root] == SIZE_MAX)
			rep[root] = i;
		else
			uf_union(b->parent, i, rep[root]);
	}
	free(rep);
	return LT_OK;
}

/* ---- incidents ---------------------------------------------------------- */

typedef struct strset {
	rpt_str v[INCIDENT_MAX_LIST];
	size_t n;
	size_t more; /* distinct values past the list */
} strset;

static void set_add(strset *s, rpt_str x)
{
	if (x.n == 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].n == x.n && memcmp(s->v[i].p, x.p, x.n) == 0)
			return;
	if (s->n < INCIDENT_MAX_LIST)
		s->v[s->n++] = x;
	else
		s->more++;
}

static rpt_strs strs_of(const strset *s)
{
	rpt_strs r = {s->v, s->n};
	return r;
}

typedef struct uidref {
	rpt_str uid;
	int64_t time_us;
	const rpt_event *e;
} uidref;

typedef struct inc {
	size_t root;
	size_t *members; /* finding indexes */
	size_t nmembers;
	double risk, confidence;
	double rank; /* risk, x INCIDENT_UNUSUAL_RANK when unusual for its actor (baseline) */
	rpt_level level;
	int64_t first_us, last_us;
	uint64_t events;
	bool chain;
	int stage_order[NSTAGES];
	size_t nstages;
	char reason[768];
} inc;

static const builder *g_sort_builder; /* qsort has no context: one builder sorts at a time */

/* Members worst first: by score, then time, then index. */
static int cmp_member(const void *pa, const void *pb)
{
	const builder *b = g_sort_builder;
	size_t x = *(const size_t *)pa, y = *(const size_t *)pb;
	const finfo *fx = &b->fi[x], *fy = &b->fi[y];
	if (fx->score != fy->score)
		return fx->score > fy->score ? -1 : 1;
	if (fx->f->first_us != fy->f->first_us)
		return fx->f->first_us < fy->f->first_us ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Stages in the order first reached (ties: kill-chain order). */
static void order_stages(const builder *b, inc *c)
{
	int64_t first[NSTAGES];
	bool late[NSTAGES]; /* reached only by synthetic findings: ordered after the others */
	for (size_t s = 0; s < NSTAGES; s++) {
		first[s] = INT64_MAX;
		late[s] = true;
	}
	for (size_t k = 0; k < c->nmembers; k++) {
		const finfo *x = &b->fi[c->members[k]];
		for (size_t s = 0; s < NSTAGES; s++) {
			if (!(x->stages & (1u << s)))
				continue;
			if ((late[s] && !x->synthetic) || (late[s] == x->synthetic && x->f->first_us < first[s]))
				first[s] = x->f->first_us;
			late[s] = late[s] && x->synthetic;
		}
	}
	c->nstages = 0;
	for (;;) {
		int best = -1;
		for (size_t s = 0; s < NSTAGES; s++) {
			bool taken = false;
			for (size_t k = 0; k < c->nstages; k++)
				taken = taken || c->stage_order[k] == (int)s;
			if (taken || first[s] == INT64_MAX)
				continue;
			if (best < 0 || late[s] < late[best] || (late[s] == late[best] && first[s] < first[best]))
				best = (int)s;
		}
		if (best < 0)
			break;
		c->stage_order[c->nstages++] = best;
	}
}

#define INCIDENT_UNUSUAL_RANK 1.5

/* Whether one of the incident's events was, for its principal or access key,
 * at an hour and from a source IP or user agent both unusual (rare or
 * unseen; baseline.h); writes the reason's clause into why. */
static bool unusual_for_actor(const builder *b, const inc *c, char *why, size_t nwhy)
{
	const baseline *bl = b->o->baseline;
	for (size_t k = 0; bl != NULL && k < c->nmembers; k++) {
		const rpt_finding *f = b->fi[c->members[k]].f;
		for (size_t e = 0; e < f->nevents; e++) {
			const rpt_event *ev = &f->events[e];
			caller cl;
			event_caller(b, ev, &cl);
			const rpt_str who[2] = {ev->principal, cl.key};
			for (int kind = 0; kind < 2; kind++) {
				baseline_rarity hour = baseline_hour(bl, (baseline_kind)kind, who[kind], ev->time_us);
				if (!baseline_unusual(hour))
					continue;
				baseline_rarity ip = baseline_value(bl, (baseline_kind)kind, who[kind], BASELINE_SOURCE_IP, cl.ip);
				baseline_rarity ua = baseline_value(bl, (baseline_kind)kind, who[kind], BASELINE_USER_AGENT, cl.ua);
				if (!baseline_unusual(ip) && !baseline_unusual(ua))
					continue;
				snprintf(why, nwhy, "; at an hour %s for %.*s, from a %s %s for it", baseline_rarity_name(hour),
				         (int)(who[kind].n > 80 ? 80 : who[kind].n), who[kind].p,
				         baseline_unusual(ip) ? "source IP" : "user agent",
				         baseline_unusual(ip) ? baseline_rarity_name(ip) : baseline_rarity_name(ua));
				return true;
			}
		}
	}
	return false;
}

static bool minor_finding(const finfo *x)
{
	return x->ru->level <= RPT_LEVEL_LOW;
}

static double diversity_of(size_t nstages)
{
	double d = 1 + 0.25 * (double)(nstages > 1 ? nstages - 1 : 0);
	return d > 2 ? 2 : d;
}

static size_t count_bits(uint32_t v)
{
	size_t n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Whether one actor (the same principal, or the same access key) reached
 * discovery or reconnaissance, then defense evasion, then an objective, in
 * that order in time: a progression no routine habit makes by itself. The
 * actors tried are the first INCIDENT_MAX_LIST distinct principals; findings
 * of effects (RPT_TAG_EFFECT: their calls went unlogged because somebody
 * deleted the logging) are not their principals' acts and do not count. */
static bool progression_by_one_actor(const builder *b, const inc *c)
{
	int disc = stage_index("discovery"), recon = stage_index("reconnaissance"), ev = stage_index("defense evasion");
	uint32_t find = 1u << disc | 1u << recon, evade = 1u << ev, objective = 0;
	for (size_t s = 0; s < NSTAGES; s++)
		objective |= is_objective((int)s) ? 1u << s : 0;
	size_t tried[INCIDENT_MAX_LIST], ntried = 0;
	for (size_t k = 0; k < c->nmembers && ntried < INCIDENT_MAX_LIST; k++) {
		const finfo *a = &b->fi[c->members[k]];
		size_t who = a->principal != SIZE_MAX ? a->principal : a->key;
		bool seen = who == SIZE_MAX;
		for (size_t t = 0; !seen && t < ntried; t++)
			seen = tried[t] == who;
		if (seen)
			continue;
		tried[ntried++] = who;
		int64_t at[3] = {INT64_MAX, INT64_MAX, INT64_MAX};
		const uint32_t step[3] = {find, evade, objective};
		for (int s = 0; s < 3; s++)
			for (size_t m = 0; m < c->nmembers; m++) {
				const finfo *y = &b->fi[c->members[m]];
				bool same = y->principal == who || y->key == who; /* entity ids are unique across types */
				int64_t t0 = s ? at[s - 1] : INT64_MIN;
				if (same && (y->stages & step[s]) && !y->synthetic && !y->effect && y->f->first_us >= t0 &&
				    y->f->first_us < at[s])
					at[s] = y->f->first_us;
			}
		if (at[2] != INT64_MAX)
			return true;
	}
	return false;
}

/* Risk and level. Findings of medium level or more add up as they are (the
 * best, plus half each other); low and informational ones, the routine
 * evidence of any busy account, add with diminishing returns, at most
 * INCIDENT_MINOR_CAP together beside a better finding, and never decide the
 * level alone: medium and high need the risk of the medium and higher
 * findings alone; without them an incident is low (informational below
 * INCIDENT_RISK_LOW), or medium when one actor's findings make a progression
 * (progression_by_one_actor). */
static void score_incident(const builder *b, inc *c)
{
	double major_best = 0, major_rest = 0, minor_best = 0, minor_rest = 0, miss = 1;
	uint32_t major_stages = 0;
	/* novelty boosts only a behaviour: "new IP" and "new principal" alone are not more than themselves */
	bool novelty = false, behaviour = false, confident_high = false, objective = false, routine_only = true;
	c->first_us = INT64_MAX;
	c->last_us = INT64_MIN;
	c->events = 0;
	bool real = false;
	for (size_t k = 0; k < c->nmembers; k++)
		real = real || !b->fi[c->members[k]].synthetic;
	for (size_t k = 0; k < c->nmembers; k++) { /* members are sorted by score, worst first */
		const finfo *x = &b->fi[c->members[k]];
		bool bounds = !real || !x->synthetic; /* an analyzer's bucket does not stretch the evidence's span */
		if (!minor_finding(x)) {
			*(major_best == 0 ? &major_best : &major_rest) += x->score;
			major_stages |= x->stages;
		} else {
			*(minor_best == 0 ? &minor_best : &minor_rest) += x->score;
		}
		miss *= 1 - x->confidence;
		novelty = novelty || x->novelty;
		behaviour = behaviour || (!x->novelty && x->ru->level >= RPT_LEVEL_MEDIUM);
		confident_high = confident_high || (x->ru->level >= RPT_LEVEL_HIGH && x->confidence >= 0.6);
		routine_only = routine_only && x->routine;
		if (bounds && x->f->first_us != INT64_MIN && x->f->first_us < c->first_us)
			c->first_us = x->f->first_us;
		if (bounds && x->f->last_us != INT64_MIN && x->f->last_us > c->last_us)
			c->last_us = x->f->last_us;
		c->events += x->f->count;
	}
	if (c->first_us == INT64_MAX)
		c->first_us = c->last_us = INT64_MIN;
	for (size_t k = 0; k < c->nstages; k++)
		objective = objective || is_objective(c->stage_order[k]);
	bool major = major_best > 0;
	/* the minor findings beyond the first add at most INCIDENT_MINOR_CAP, saturating */
	double minor_more = INCIDENT_MINOR_CAP * (1 - exp(-0.5 * minor_rest / INCIDENT_MINOR_CAP));
	double minor = major ? INCIDENT_MINOR_CAP * (1 - exp(-0.5 * (minor_best + minor_rest) / INCIDENT_MINOR_CAP))
	                     : minor_best + minor_more;
	double best = major ? major_best : minor_best;
	char unusual_why[200] = "", recurring[240];
	recurrence_note(b, c->members, c->nmembers, recurring, sizeof recurring);
	bool unusual = behaviour && !routine_only && unusual_for_actor(b, c, unusual_why, sizeof unusual_why);
	novelty = novelty && behaviour && !routine_only;
	double boost = novelty ? 1.25 : 1.0;
	double major_risk = (major_best + 0.5 * major_rest) * diversity_of(count_bits(major_stages)) * boost;
	c->risk = (major_best + 0.5 * major_rest + minor) * diversity_of(c->nstages) * boost;
	c->rank = c->risk * (unusual ? INCIDENT_UNUSUAL_RANK : 1.0);
	c->confidence = 1 - miss;
	c->chain = confident_high && objective && c->nstages >= 3;
	bool progression = !c->chain && progression_by_one_actor(b, c);
	int n;
	if (c->chain) {
		c->level = RPT_LEVEL_CRITICAL;
		n = snprintf(c->reason, sizeof c->reason,
		             "critical: a completed chain of %zu stages ending in an objective (", c->nstages);
	} else {
		c->level = !major ? (c->risk >= INCIDENT_RISK_LOW ? RPT_LEVEL_LOW : RPT_LEVEL_INFORMATIONAL)
		         : major_risk >= INCIDENT_RISK_HIGH ? RPT_LEVEL_HIGH
		         : major_risk >= INCIDENT_RISK_MEDIUM ? RPT_LEVEL_MEDIUM
		         : c->risk >= INCIDENT_RISK_LOW ? RPT_LEVEL_LOW : RPT_LEVEL_INFORMATIONAL;
		if (progression && c->level < RPT_LEVEL_MEDIUM)
			c->level = RPT_LEVEL_MEDIUM;
		n = snprintf(c->reason, sizeof c->reason, "%s: risk %.1f from %zu finding%s (best %.1f",
		             rpt_level_name(c->level), c->risk, c->nmembers, c->nmembers == 1 ? "" : "s", best);
		if (n > 0 && (size_t)n < sizeof c->reason && major && c->risk != major_risk)
			n += snprintf(c->reason + n, sizeof c->reason - (size_t)n, "; %.1f from medium or higher ones",
			              major_risk);
		if (n > 0 && (size_t)n < sizeof c->reason)
			n += snprintf(c->reason + n, sizeof c->reason - (size_t)n, ") over %zu stage%s (", c->nstages,
			              c->nstages == 1 ? "" : "s");
	}
	for (size_t k = 0; k < c->nstages && n > 0 && (size_t)n < sizeof c->reason; k++)
		n += snprintf(c->reason + n, sizeof c->reason - (size_t)n, "%s%s", k ? " > " : "",
		              stages[c->stage_order[k]].name);
	if (n > 0 && (size_t)n < sizeof c->reason)
		n += snprintf(c->reason + n, sizeof c->reason - (size_t)n, ")%s%s%s%s%s",
		              !major && !c->chain ? (progression ? "; low findings only, but one actor's progression "
		                                                   "from discovery through defense evasion to an objective"
		                                                 : "; low findings only")
		                                  : "",
		              novelty ? "; a new actor or resource for the case did it" : "",
		              routine_only ? "; only routine findings" : "", unusual_why, recurring);
}

/* ---- building one incident --------------------------------------------- */

typedef struct facts {
	strset principals, keys, ips, uas, accounts, regions, models, resources;
	uidref *uids;
	size_t nuids, auids;
	int64_t in_tok, out_tok;
	bool any_tokens;
	double cost;
	size_t priced, unpriced;
	strset unpriced_models;
	uint64_t prompts; /* invocation records listed */
} facts;

static int cmp_uidref(const void *pa, const void *pb)
{
	const uidref *a = pa, *b = pb;
	if (a->time_us != b->time_us)
		return a->time_us < b->time_us ? -1 : 1;
	size_t n = a->uid.n < b->uid.n ? a->uid.n : b->uid.n;
	int c = n ? memcmp(a->uid.p, b->uid.p, n) : 0;
	return c ? c : (a->uid.n > b->uid.n) - (a->uid.n < b->uid.n);
}

static lt_status collect_events(const builder *b, const inc *c, facts *x)
{
	for (size_t k = 0; k < c->nmembers; k++) {
		const rpt_finding *f = b->fi[c->members[k]].f;
		for (size_t e = 0; e < f->nevents; e++) {
			if (f->events[e].uid.n == 0)
				continue;
			if (x->nuids == x->auids) {
				size_t na = x->auids ? x->auids * 2 : 64;
				uidref *nv = realloc(x->uids, na * sizeof *nv);
				if (nv == NULL)
					return LT_EFATAL;
				x->uids = nv;
				x->auids = na;
			}
			x->uids[x->nuids++] = (uidref){f->events[e].uid, f->events[e].time_us, &f->events[e]};
		}
	}
	lt_sort(x->uids, x->nuids, sizeof *x->uids, cmp_uidref);
	size_t w = 0;
	for (size_t i = 0; i < x->nuids; i++)
		if (w == 0 || cmp_uidref(&x->uids[w - 1], &x->uids[i]) != 0)
			x->uids[w++] = x->uids[i];
	x->nuids = w;
	return LT_OK;
}

static void price_event(const builder *b, const rpt_event *e, facts *x)
{
	if (e->input_tokens < 0 && e->output_tokens < 0)
		return;
	int64_t in = e->input_tokens > 0 ? e->input_tokens : 0, out = e->output_tokens > 0 ? e->output_tokens : 0;
	x->in_tok += in;
	x->out_tok += out;
	x->any_tokens = true;
	double pin, pout;
	if (incident_prices_find(b->o->prices, e->model, &pin, &pout)) {
		x->cost += ((double)in * pin + (double)out * pout) / 1e6;
		x->priced++;
	} else {
		x->unpriced++;
		set_add(&x->unpriced_models, e->model);
	}
}

static void event_facts(const builder *b, facts *x)
{
	for (size_t i = 0; i < x->nuids; i++) {
		const rpt_event *e = x->uids[i].e;
		caller c;
		event_caller(b, e, &c);
		set_add(&x->principals, e->principal);
		set_add(&x->keys, c.key);
		set_add(&x->ips, c.ip);
		set_add(&x->uas, c.ua);
		set_add(&x->accounts, e->account);
		set_add(&x->regions, e->region);
		set_add(&x->models, e->model);
		if (slice_eq(e->source, "cloudtrail") && e->action.n)
			set_add(&x->resources, e->action);
		if (slice_eq(e->source, "invocation"))
			x->prompts++;
		price_event(b, e, x);
	}
}

/* Short name of an ARN for titles: the part after ":user/", ":assumed-role/", ":role/". */
static rpt_str short_principal(rpt_str p)
{
	for (size_t i = 0; i + 1 < p.n; i++)
		if (p.p[i] == ':' && memchr(p.p + i + 1, '/', p.n - i - 1) != NULL &&
		    (starts_with(rpt_sn(p.p + i + 1, p.n - i - 1), "user/") ||
		     starts_with(rpt_sn(p.p + i + 1, p.n - i - 1), "assumed-role/") ||
		     starts_with(rpt_sn(p.p + i + 1, p.n - i - 1), "role/") ||
		     starts_with(rpt_sn(p.p + i + 1, p.n - i - 1), "root")))
			return rpt_sn(p.p + i + 1, p.n - i - 1);
	return p;
}

static lt_status make_title(const builder *b, const inc *c, const facts *x, buf *t)
{
	const finfo *top = &b->fi[c->members[0]];
	rpt_str name = top->ru->title.n ? top->ru->title : top->ru->id;
	lt_status st = buf_append(t, name.p, name.n);
	if (st == LT_OK && x->principals.n) {
		rpt_str p = short_principal(x->principals.v[0]);
		st = buf_puts(t, " by ");
		if (st == LT_OK)
			st = buf_append(t, p.p, p.n);
		if (st == LT_OK && x->principals.n + x->principals.more > 1)
			st = buf_printf(t, " (+%zu)", x->principals.n + x->principals.more - 1);
	}
	if (st == LT_OK && x->ips.n) {
		st = buf_puts(t, " from ");
		if (st == LT_OK)
			st = buf_append(t, x->ips.v[0].p, x->ips.v[0].n);
	}
	if (st == LT_OK && c->nmembers > 1)
		st = buf_printf(t, " and %zu more finding%s", c->nmembers - 1, c->nmembers == 2 ? "" : "s");
	return st;
}

/* Adds the text in s (copied into a) to the steps. */
static lt_status keep_step(arena *a, const buf *s, strset *out)
{
	char *d = arena_strndup(a, s->data, s->len);
	if (d == NULL)
		return LT_EFATAL;
	set_add(out, rpt_sn(d, s->len));
	return LT_OK;
}

/* Next steps: per actor, then per stage reached (docs/incidents.md). */
static lt_status next_steps(const inc *c, const facts *x, arena *a, strset *out)
{
	buf s;
	buf_init(&s, 0);
	lt_status st = LT_OK;
	for (size_t i = 0; i < x->keys.n && st == LT_OK; i++) {
		buf_reset(&s);
		bool temp = starts_with(x->keys.v[i], "ASIA");
		st = buf_puts(&s, temp ? "Revoke the sessions behind temporary key " : "Deactivate and rotate access key ");
		if (st == LT_OK)
			st = buf_append(&s, x->keys.v[i].p, x->keys.v[i].n);
		if (st == LT_OK)
			st = buf_puts(&s, temp ? " (revoke the role's older sessions) and find how they were obtained"
			                       : " and review everything it did since it was created");
		if (st == LT_OK)
			st = keep_step(a, &s, out);
	}
	static const struct {
		const char *stage, *step;
	} by_stage[] = {
		{"defense evasion", "Restore what was switched off (CloudTrail trail, model invocation logging, "
		                    "guardrail) and treat the time it was off as unobserved"},
		{"resource hijacking", "Check the Bedrock bill and quotas for the period; limit model access to the "
		                       "principals that need it"},
		{"exfiltration", "Treat every secret shown in the listed responses as leaked: rotate it"},
		{"collection", "Review what the listed prompts and responses exposed"},
		{"execution", "Review the listed prompts and tighten the guardrail on this application"},
		{"credential access", "Rotate the credentials the listed prompts or tool calls reached for"},
		{"persistence", "Remove what was created or changed (keys, users, agents, policies)"},
		{"discovery", "Treat the enumeration as the start of an intrusion: check the actor's other calls"},
		{"initial access", "Confirm with the owner whether the new principal, IP or user agent is theirs"},
	};
	for (size_t k = 0; k < c->nstages && st == LT_OK; k++)
		for (size_t i = 0; i < sizeof by_stage / sizeof by_stage[0]; i++)
			if (strcmp(stages[c->stage_order[k]].name, by_stage[i].stage) == 0)
				set_add(out, rpt_s(by_stage[i].step));
	if (st == LT_OK && x->prompts > 0) {
		buf_reset(&s);
		st = buf_printf(&s, "Review the %llu invocation record%s listed (prompts and responses)",
		                (unsigned long long)x->prompts, x->prompts == 1 ? "" : "s");
		if (st == LT_OK)
			st = keep_step(a, &s, out);
	}
	for (size_t i = 0; i < x->ips.n && i < 3 && st == LT_OK; i++) {
		buf_reset(&s);
		st = buf_puts(&s, "Look up source IP ");
		if (st == LT_OK)
			st = buf_append(&s, x->ips.v[i].p, x->ips.v[i].n);
		if (st == LT_OK)
			st = buf_puts(&s, " in VPC, proxy and other accounts' logs");
		if (st == LT_OK)
			st = keep_step(a, &s, out);
	}
	buf_free(&s);
	return st;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static lt_status incident_id(report *r, const inc *c, char out[RPT_ID_BUFSZ])
{
	uint64_t h = LT_FNV64_BASIS;
	/* the ids of its findings, in id order: the same findings, the same id */
	char (*ids)[RPT_ID_BUFSZ] = malloc(c->nmembers * sizeof *ids);
	if (ids == NULL)
		return LT_EFATAL;
	for (size_t k = 0; k < c->nmembers; k++)
		report_finding_id(r, c->members[k], ids[k]);
	lt_sort(ids, c->nmembers, sizeof *ids, cmp_id);
	for (size_t k = 0; k < c->nmembers; k++)
		h = lt_fnv64_add(h, ids[k], strlen(ids[k]) + 1); /* with its NUL: a separator */
	snprintf(out, RPT_ID_BUFSZ, "INC-%012llx", (unsigned long long)(h >> 16));
	free(ids);
	return LT_OK;
}

static lt_status cost_note(const builder *b, const facts *x, buf *n)
{
	if (!x->any_tokens)
		return buf_puts(n, "no listed event carried token counts");
	lt_status st = buf_printf(n, "%zu of %zu listed event(s) with tokens priced from %s", x->priced,
	                          x->priced + x->unpriced,
	                          b->o->prices ? incident_prices_label(b->o->prices) : "no price table");
	for (size_t i = 0; i < x->unpriced_models.n && st == LT_OK; i++) {
		st = buf_puts(n, i ? ", " : "; not in the table: ");
		if (st == LT_OK)
			st = buf_append(n, x->unpriced_models.v[i].p, x->unpriced_models.v[i].n);
	}
	if (st == LT_OK)
		st = buf_puts(n, "; events counted but not listed are not included");
	return st;
}

static lt_status add_one(builder *b, const inc *c, arena *a, lt_error *err)
{
	facts *x = calloc(1, sizeof *x);
	strset *steps = calloc(1, sizeof *steps);
	rpt_str *stage_names = calloc(NSTAGES, sizeof *stage_names);
	rpt_str *uids = NULL;
	buf title, note;
	buf_init(&title, 0);
	buf_init(&note, 0);
	lt_status st = x && steps && stage_names ? collect_events(b, c, x) : LT_EFATAL;
	if (st == LT_OK) {
		event_facts(b, x);
		st = next_steps(c, x, a, steps);
	}
	size_t nuids = x && x->nuids < INCIDENT_MAX_UIDS ? x->nuids : INCIDENT_MAX_UIDS;
	if (st == LT_OK && nuids && (uids = malloc(nuids * sizeof *uids)) == NULL)
		st = LT_EFATAL;
	for (size_t i = 0; st == LT_OK && i < nuids; i++)
		uids[i] = x->uids[i].uid;
	for (size_t k = 0; st == LT_OK && k < c->nstages; k++)
		stage_names[k] = rpt_s(stages[c->stage_order[k]].name);
	char id[RPT_ID_BUFSZ];
	if (st == LT_OK)
		st = incident_id(b->r, c, id);
	if (st == LT_OK)
		st = make_title(b, c, x, &title);
	if (st == LT_OK)
		st = cost_note(b, x, &note);
	if (st != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
	if (st == LT_OK) {
		rpt_incident in;
		memset(&in, 0, sizeof in);
		in.id = rpt_s(id);
		in.title = rpt_sn(title.data, title.len);
		in.risk = c->risk;
		in.level = c->level;
		in.confidence = c->confidence;
		in.level_reason = rpt_s(c->reason);
		in.first_us = c->first_us;
		in.last_us = c->last_us;
		in.principals = strs_of(&x->principals);
		in.access_keys = strs_of(&x->keys);
		in.source_ips = strs_of(&x->ips);
		in.user_agents = strs_of(&x->uas);
		in.accounts = strs_of(&x->accounts);
		in.regions = strs_of(&x->regions);
		in.stages = (rpt_strs){stage_names, c->nstages};
		in.models = strs_of(&x->models);
		in.resources = strs_of(&x->resources);
		in.input_tokens = x->any_tokens ? x->in_tok : -1;
		in.output_tokens = x->any_tokens ? x->out_tok : -1;
		in.cost_usd = x->priced ? x->cost : -1;
		in.cost_note = rpt_sn(note.data, note.len);
		in.findings = c->members;
		in.nfindings = c->nmembers;
		in.event_uids = (rpt_strs){uids, nuids};
		in.events = c->events;
		in.next_steps = strs_of(steps);
		st = report_add_incident(b->r, &in, err);
	}
	buf_free(&title);
	buf_free(&note);
	free(uids);
	if (x)
		free(x->uids);
	free(x);
	free(steps);
	free(stage_names);
	return st;
}

/* ---- the build ---------------------------------------------------------- */

static int cmp_inc(const void *pa, const void *pb)
{
	const inc *a = pa, *b = pb;
	if (a->level != b->level)
		return a->level > b->level ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->risk != b->risk)
		return a->risk > b->risk ? -1 : 1;
	if (a->first_us != b->first_us)
		return a->first_us < b->first_us ? -1 : 1;
	return a->root < b->root ? -1 : a->root > b->root;
}

static lt_status gather(builder *b, inc **out, size_t *nout)
{
	size_t *count = calloc(b->n, sizeof *count);
	size_t *slot = malloc(b->n * sizeof *slot);
	size_t *store = malloc(b->n * sizeof *store);
	inc *v = NULL;
	size_t nv = 0;
	if (count == NULL || slot == NULL || store == NULL)
		goto oom;
	for (size_t i = 0; i < b->n; i++)
		count[uf_find(b->parent, i)]++;
	for (size_t i = 0; i < b->n; i++)
		nv += count[i] > 0;
	v = calloc(nv ? nv : 1, sizeof *v);
	if (v == NULL)
		goto oom;
	size_t k = 0, at = 0;
	for (size_t i = 0; i < b->n; i++) {
		slot[i] = SIZE_MAX;
		if (count[i] == 0)
			continue;
		v[k].root = i;
		v[k].members = store + at;
		at += count[i];
		slot[i] = k++;
	}
	for (size_t i = 0; i < b->n; i++) {
		inc *c = &v[slot[uf_find(b->parent, i)]];
		c->members[c->nmembers++] = i;
	}
	g_sort_builder = b;
	for (size_t i = 0; i < nv; i++) {
		lt_sort(v[i].members, v[i].nmembers, sizeof *v[i].members, cmp_member);
		order_stages(b, &v[i]);
		score_incident(b, &v[i]);
	}
	lt_sort(v, nv, sizeof *v, cmp_inc);
	free(count);
	free(slot);
	*out = v;
	*nout = nv;
	return LT_OK; /* store is owned through the members of v: see free_incs */
oom:
	free(count);
	free(slot);
	free(store);
	free(v);
	return LT_EFATAL;
}

/* The members of all incidents are one block, starting at the incident whose
 * root is the smallest finding index (the block's start). */
static void free_incs(inc *v, size_t n)
{
	size_t *block = NULL;
	for (size_t i = 0; i < n; i++)
		if (block == NULL || v[i].members < block)
			block = v[i].members;
	free(block);
	free(v);
}

static lt_status note_dropped(report *r, size_t dropped, uint64_t links_dropped, lt_error *err)
{
	char msg[256];
	lt_status st = LT_OK;
	if (dropped) {
		snprintf(msg, sizeof msg, "incidents: %zu lower-risk incident(s) past the first %d are not listed "
		         "(their findings are)", dropped, INCIDENT_MAX_INCIDENTS);
		st = report_add_problem(r, "", "", 0, RPT_SEV_INFO, msg, err);
	}
	if (st == LT_OK && links_dropped) {
		snprintf(msg, sizeof msg, "incidents: %llu (entity, finding) links past %d were not used for "
		         "grouping", (unsigned long long)links_dropped, INCIDENT_MAX_LINKS);
		st = report_add_problem(r, "", "", 0, RPT_SEV_INFO, msg, err);
	}
	return st;
}

static void builder_free(builder *b)
{
	free(b->fi);
	free(b->parent);
	strmap_free(b->ents);
	free(b->ev);
	free(b->links);
	free(b->top_ips);
	arena_free(b->a);
	buf_free(&b->key);
}

static lt_status prepare_findings(builder *b, lt_error *err)
{
	for (size_t i = 0; i < b->n; i++) {
		b->parent[i] = i;
		b->fi[i].f = report_finding(b->r, i);
		b->fi[i].ru = report_rule(b->r, b->fi[i].f->rule);
		b->fi[i].stages = finding_stages(b->fi[i].ru, b->fi[i].f);
		b->fi[i].synthetic = true;
		b->fi[i].effect = rule_has_tag(b->fi[i].ru, RPT_TAG_EFFECT);
		b->fi[i].principal = b->fi[i].key = SIZE_MAX;
		b->fi[i].recur_root = SIZE_MAX;
		for (size_t e = 0; e < b->fi[i].f->nevents; e++)
			if (slice_eq(b->fi[i].f->events[e].source, "cloudtrail") ||
			    slice_eq(b->fi[i].f->events[e].source, "invocation"))
				b->fi[i].synthetic = false;
	}
	lt_status st = count_recurrences(b, err);
	if (st == LT_OK)
		st = find_recurring(b, err);
	for (size_t i = 0; i < b->n && st == LT_OK; i++)
		st = assess(b, i, err);
	for (size_t i = 0; i < b->n && st == LT_OK; i++)
		if (finding_entities(b, i) != LT_OK)
			st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
	return st;
}

lt_status incident_build(report *r, const incident_options *o, lt_error *err)
{
	incident_options defaults = {0, NULL, NULL, NULL};
	builder b;
	memset(&b, 0, sizeof b);
	b.r = r;
	b.o = o ? o : &defaults;
	b.n = report_nfindings(r);
	buf_init(&b.key, 0);
	if (b.n == 0)
		return LT_OK;
	b.fi = calloc(b.n, sizeof *b.fi);
	b.parent = malloc(b.n * sizeof *b.parent);
	b.ents = strmap_new(INCIDENT_MAX_ENTITIES);
	b.top_ips = malloc(64 * sizeof *b.top_ips);
	b.a = arena_new(0, 0);
	if (b.fi == NULL || b.parent == NULL || b.ents == NULL || b.top_ips == NULL || b.a == NULL) {
		builder_free(&b);
		return lt_error_set(err, LT_EFATAL, "incidents: out of memory");
	}
	b.case_events = report_total_events(r);
	b.ntop_ips = report_top_ips(r, b.top_ips, 64);
	lt_status st = prepare_findings(&b, err);
	inc *v = NULL;
	size_t nv = 0;
	if (st == LT_OK) {
		mark_busy_ips(&b);
		bool *has_actor = calloc(b.n, sizeof *has_actor), *caused = calloc(b.n, sizeof *caused);
		if (has_actor == NULL || caused == NULL)
			st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
		for (size_t i = 0; st == LT_OK && i < b.nlinks; i++)
			has_actor[b.links[i].finding] = true;
		sweep(&b);
		if (st == LT_OK)
			link_causes(&b, has_actor, caused);
		if (st == LT_OK && union_recurring(&b, caused) != LT_OK)
			st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
		free(has_actor);
		free(caused);
	}
	if (st == LT_OK) {
		if (gather(&b, &v, &nv) != LT_OK)
			st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
	}
	arena *a = st == LT_OK ? arena_new(0, 0) : NULL;
	if (st == LT_OK && a == NULL)
		st = lt_error_set(err, LT_EFATAL, "incidents: out of memory");
	size_t shown = nv < INCIDENT_MAX_INCIDENTS ? nv : INCIDENT_MAX_INCIDENTS;
	for (size_t i = 0; i < shown && st == LT_OK; i++)
		st = add_one(&b, &v[i], a, err);
	if (st == LT_OK)
		st = note_dropped(r, nv - shown, b.links_dropped, err);
	arena_free(a);
	if (v != NULL)
		free_incs(v, nv);
	builder_free(&b);
	return st;
}
