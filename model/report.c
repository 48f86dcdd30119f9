/*
 * report.c — the report model: builders copy into one arena, accessors hand
 * back read-only structs (see report.h).
 *
 * Every collection is a malloc'd vector of public structs whose strings live
 * in the arena; a vector may move when it grows, so accessors' pointers are
 * valid until the next builder call (writers run after building). Findings
 * and their aggregation live in findings.c. The case summary is computed as
 * events are noted: counts by source (RPT_MAX_SOURCES, then "other"), an
 * hourly histogram kept sorted by hour (events arrive in time order, so the
 * common case is an append), and capped tallies of principals and IPs.
 * Nothing here reads the clock except report_now_us, which prefers
 * SOURCE_DATE_EPOCH so that output is reproducible.
 */
#include "model/report.h"
#include "common/ltime.h"
#include "common/hash.h"
#include "common/sort.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "model/findings.h"
#include "model/scope.h"
#include "model/strmap.h"

#define MAX_BUCKETS 250000 /* ~28 years of hours */

typedef struct tbl {
	rpt_table pub;
	rpt_str *cells; /* arena; pub.cells aliases it */
	size_t cap;     /* rows the cells block holds */
} tbl;

typedef struct vec {
	void *v;
	size_t n, alloc;
} vec;

struct report {
	rpt_options opt;
	arena *a;
	rpt_run run;
	char evidence_manifest[65]; /* --sign: SHA-256 of the manifest's evidence lines, "" unsigned */
	vec packs, rules, evidence, problems, integrity, tables, charts, buckets, incidents, controls, periods;
	strmap *evidence_paths;
	findings *fs;
	int64_t first_us, last_us;
	bool range_set;
	uint64_t total_events;
	rpt_count sources[RPT_MAX_SOURCES];
	size_t nsources;
	strmap *principals, *ips;
	uint64_t other_principals, other_ips;
	scope scope;
	bool scoped;
	uint64_t hits_filtered;
};

/* ---- names -------------------------------------------------------------- */

static const char *const level_names[] = {"informational", "low", "medium", "high", "critical",
                                          "none"};

const char *rpt_level_name(rpt_level l)
{
	return (unsigned)l <= RPT_LEVEL_NONE ? level_names[l] : "unknown";
}

lt_status rpt_level_parse(const char *s, rpt_level *out)
{
	for (unsigned i = 0; i <= RPT_LEVEL_NONE; i++) {
		if (s != NULL && strcmp(s, level_names[i]) == 0) {
			*out = (rpt_level)i;
			return LT_OK;
		}
	}
	return LT_EITEM;
}

const char *rpt_outcome_name(rpt_outcome o)
{
	static const char *const names[] = {"passed", "fired", "not applicable", "unsupported",
	                                    "failed", "filtered"};
	return (unsigned)o <= RPT_FILTERED ? names[o] : "unknown";
}

const char *rpt_severity_name(rpt_severity s)
{
	static const char *const names[] = {"info", "warning", "error"};
	return (unsigned)s <= RPT_SEV_ERROR ? names[s] : "unknown";
}

const char *rpt_check_name(rpt_check c)
{
	static const char *const names[] = {"valid", "invalid", "unverifiable"};
	return (unsigned)c <= RPT_CHECK_UNVERIFIABLE ? names[c] : "unknown";
}

/* ---- lifetime ----------------------------------------------------------- */

void rpt_options_default(rpt_options *o)
{
	memset(o, 0, sizeof *o);
	o->fail_on = RPT_LEVEL_HIGH;
	o->redact = true;
	o->window_us = RPT_DEFAULT_WINDOW_US;
	o->max_events = RPT_DEFAULT_MAX_EVENTS;
	o->max_findings = RPT_DEFAULT_MAX_FINDINGS;
}

void rpt_event_init(rpt_event_in *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->input_tokens = ev->output_tokens = ev->latency_ms = -1;
}

report *report_new(const rpt_options *opts)
{
	report *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	if (opts != NULL)
		r->opt = *opts;
	else
		rpt_options_default(&r->opt);
	if (r->opt.max_events == 0)
		r->opt.max_events = RPT_DEFAULT_MAX_EVENTS;
	if (r->opt.max_findings == 0)
		r->opt.max_findings = RPT_DEFAULT_MAX_FINDINGS;
	r->first_us = r->last_us = INT64_MIN;
	r->a = arena_new(0, 0);
	r->fs = findings_new(&r->opt);
	r->principals = strmap_new(RPT_TOP_CAP);
	r->ips = strmap_new(RPT_TOP_CAP);
	r->evidence_paths = strmap_new(0);
	if (r->a == NULL || r->fs == NULL || r->principals == NULL || r->ips == NULL ||
	    r->evidence_paths == NULL) {
		report_free(r);
		return NULL;
	}
	return r;
}

void report_free(report *r)
{
	if (r == NULL)
		return;
	vec *all[] = {&r->packs, &r->rules, &r->evidence, &r->problems, &r->integrity,
	              &r->tables, &r->charts, &r->buckets, &r->incidents, &r->controls, &r->periods};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		free(all[i]->v);
	findings_free(r->fs);
	strmap_free(r->principals);
	strmap_free(r->ips);
	strmap_free(r->evidence_paths);
	arena_free(r->a);
	free(r);
}

int64_t report_now_us(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde != NULL && *sde != '\0') {
		char *end;
		errno = 0;
		long long s = strtoll(sde, &end, 10);
		if (errno == 0 && *end == '\0' && s >= 0 && s < INT64_MAX / 1000000)
			return (int64_t)s * 1000000;
	}
	return (int64_t)time(NULL) * 1000000;
}

/* ---- helpers ------------------------------------------------------------ */

/* Internal, unchecked: i < r->rules.n / findings_count. */
static const rpt_rule *rule_at(const report *r, size_t i)
{
	return (const rpt_rule *)r->rules.v + i;
}

static lt_status oom(lt_error *err)
{
	return lt_error_set(err, LT_EFATAL, "report: out of memory");
}

/* A new zeroed element at the end of v, or NULL out of memory. */
static void *vec_push(vec *v, size_t elem)
{
	if (v->n == v->alloc) {
		size_t na = v->alloc ? v->alloc * 2 : 16;
		void *nv = realloc(v->v, na * elem);
		if (nv == NULL)
			return NULL;
		v->v = nv;
		v->alloc = na;
	}
	void *e = (char *)v->v + v->n * elem;
	memset(e, 0, elem);
	v->n++;
	return e;
}

static bool dup_s(report *r, rpt_str in, rpt_str *out)
{
	char *c = arena_strndup(r->a, in.n ? in.p : "", in.n);
	if (c == NULL)
		return false;
	*out = rpt_sn(c, in.n);
	return true;
}

static bool dup_c(report *r, const char *in, rpt_str *out)
{
	return dup_s(r, rpt_s(in), out);
}

/* ---- run, packs, rules -------------------------------------------------- */

lt_status report_set_run(report *r, const char *tool_version, const char *command_line,
                         int64_t run_time_us, const char *case_path, lt_error *err)
{
	r->run.run_time_us = run_time_us;
	if (!dup_c(r, tool_version, &r->run.tool_version) ||
	    !dup_c(r, command_line, &r->run.command_line) || !dup_c(r, case_path, &r->run.case_path))
		return oom(err);
	return LT_OK;
}

void report_set_evidence_manifest(report *r, const char *sha256_hex)
{
	snprintf(r->evidence_manifest, sizeof r->evidence_manifest, "%s", sha256_hex ? sha256_hex : "");
}

const char *report_evidence_manifest(const report *r)
{
	return r->evidence_manifest;
}

lt_status report_add_pack(report *r, const char *name, const char *path, const char *sha256,
                          lt_error *err)
{
	if (name == NULL)
		return lt_error_set(err, LT_EITEM, "report: rule pack without a name");
	rpt_pack *p = vec_push(&r->packs, sizeof *p);
	if (p == NULL || !dup_c(r, name, &p->name) || !dup_c(r, path, &p->path) ||
	    !dup_c(r, sha256, &p->sha256))
		return oom(err);
	return LT_OK;
}

/* n C strings copied into the arena as *out; false out of memory. */
static bool dup_list(report *r, const char *const *in, size_t n, const rpt_str **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return true;
	rpt_str *v = arena_alloc(r->a, n * sizeof *v);
	if (v == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!dup_c(r, in[i], &v[i]))
			return false;
	*out = v;
	*nout = n;
	return true;
}

lt_status report_add_rule(report *r, const rpt_rule_in *in, size_t *index, lt_error *err)
{
	if (in == NULL || in->pack == NULL || in->id == NULL)
		return lt_error_set(err, LT_EITEM, "report: rule without pack or id");
	if ((unsigned)in->level >= RPT_NLEVELS || (unsigned)in->outcome >= RPT_NOUTCOMES)
		return lt_error_set(err, LT_EITEM, "report: rule %s: bad level or outcome", in->id);
	rpt_rule *ru = vec_push(&r->rules, sizeof *ru);
	if (ru == NULL)
		return oom(err);
	ru->level = in->level;
	ru->outcome = in->outcome;
	ru->line = in->line;
	if (!dup_c(r, in->pack, &ru->pack) || !dup_c(r, in->id, &ru->id) ||
	    !dup_c(r, in->title, &ru->title) || !dup_c(r, in->status, &ru->status) ||
	    !dup_c(r, in->file, &ru->file) || !dup_c(r, in->description, &ru->description) ||
	    !dup_c(r, in->reason, &ru->reason))
		return oom(err);
	if (!dup_list(r, in->tags, in->ntags, &ru->tags, &ru->ntags) ||
	    !dup_list(r, in->falsepositives, in->nfalsepositives, &ru->falsepositives, &ru->nfalsepositives) ||
	    !dup_list(r, in->references, in->nreferences, &ru->references, &ru->nreferences))
		return oom(err);
	if (index != NULL)
		*index = r->rules.n - 1;
	return LT_OK;
}

lt_status report_set_rule_outcome(report *r, size_t rule, rpt_outcome o, const char *reason,
                                  lt_error *err)
{
	if (rule >= r->rules.n || (unsigned)o >= RPT_NOUTCOMES)
		return lt_error_set(err, LT_EITEM, "report: no rule %zu or bad outcome", rule);
	rpt_rule *ru = (rpt_rule *)r->rules.v + rule;
	ru->outcome = o;
	if (reason != NULL && !dup_c(r, reason, &ru->reason))
		return oom(err);
	return LT_OK;
}

/* ---- evidence, problems -------------------------------------------------- */

lt_status report_add_evidence(report *r, const rpt_evidence_in *in, lt_error *err)
{
	if (in == NULL || in->path == NULL)
		return lt_error_set(err, LT_EITEM, "report: evidence without a path");
	rpt_evidence *e = vec_push(&r->evidence, sizeof *e);
	if (e == NULL)
		return oom(err);
	e->size = in->size;
	e->events = in->events;
	e->duplicates = in->duplicates;
	e->problems = in->problems;
	if (!dup_c(r, in->path, &e->path) || !dup_c(r, in->member, &e->member) ||
	    !dup_c(r, in->sha256, &e->sha256) ||
	    !dup_c(r, in->sha256_decompressed, &e->sha256_decompressed) ||
	    !dup_c(r, in->format, &e->format))
		return oom(err);
	if (strmap_slot(r->evidence_paths, in->path, strlen(in->path), true, NULL) == NULL)
		return oom(err);
	return LT_OK;
}

lt_status report_add_problem(report *r, const char *file, const char *member, uint64_t line,
                             rpt_severity sev, const char *reason, lt_error *err)
{
	rpt_problem *p = vec_push(&r->problems, sizeof *p);
	if (p == NULL)
		return oom(err);
	p->line = line;
	p->severity = (unsigned)sev <= RPT_SEV_ERROR ? sev : RPT_SEV_ERROR;
	if (!dup_c(r, file, &p->file) || !dup_c(r, member, &p->member) ||
	    !dup_c(r, reason, &p->reason))
		return oom(err);
	return LT_OK;
}

/* ---- case summary -------------------------------------------------------- */

/* Index of source name in r->sources, adding it (or "other") as needed; SIZE_MAX out of memory. */
static size_t source_index(report *r, rpt_str name)
{
	for (size_t i = 0; i < r->nsources; i++)
		if (r->sources[i].name.n == name.n &&
		    (name.n == 0 || memcmp(r->sources[i].name.p, name.p, name.n) == 0))
			return i;
	if (r->nsources == RPT_MAX_SOURCES - 1)
		name = rpt_s("other");
	else if (r->nsources == RPT_MAX_SOURCES)
		return RPT_MAX_SOURCES - 1;
	if (!dup_s(r, name, &r->sources[r->nsources].name))
		return SIZE_MAX;
	r->sources[r->nsources].count = 0;
	return r->nsources++;
}

static bool bucket_add(report *r, int64_t time_us, size_t source)
{
	int64_t hour = ltime_floor_div(time_us, LTIME_HOUR_US) * LTIME_HOUR_US;
	rpt_bucket *b = r->buckets.v;
	size_t n = r->buckets.n;
	size_t lo = 0, hi = n;
	if (n && b[n - 1].hour_us <= hour) {
		lo = b[n - 1].hour_us == hour ? n - 1 : n;
	} else {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (b[mid].hour_us < hour)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (lo < n && b[lo].hour_us == hour) {
		b[lo].counts[source]++;
		return true;
	}
	if (n >= MAX_BUCKETS)
		return true;
	if (vec_push(&r->buckets, sizeof *b) == NULL)
		return false;
	b = r->buckets.v;
	memmove(&b[lo + 1], &b[lo], (n - lo) * sizeof *b);
	memset(&b[lo], 0, sizeof *b);
	b[lo].hour_us = hour;
	b[lo].counts[source] = 1;
	return true;
}

static bool tally(strmap *m, rpt_str key, uint64_t *other)
{
	if (key.n == 0)
		return true;
	bool full = false;
	uint64_t *c = strmap_slot(m, key.p, key.n, true, &full);
	if (c != NULL)
		(*c)++;
	else if (full)
		(*other)++;
	else
		return false;
	return true;
}

lt_status report_note_event(report *r, const rpt_event_in *ev, lt_error *err)
{
	size_t s = source_index(r, ev->source);
	if (s == SIZE_MAX)
		return oom(err);
	r->sources[s].count++;
	r->total_events++;
	if (ev->time_us != INT64_MIN) {
		if (!r->range_set) {
			if (r->first_us == INT64_MIN || ev->time_us < r->first_us)
				r->first_us = ev->time_us;
			if (r->last_us == INT64_MIN || ev->time_us > r->last_us)
				r->last_us = ev->time_us;
		}
		if (!bucket_add(r, ev->time_us, s))
			return oom(err);
	}
	if (!tally(r->principals, ev->principal, &r->other_principals) ||
	    !tally(r->ips, ev->source_ip, &r->other_ips))
		return oom(err);
	return LT_OK;
}

/* ---- findings ------------------------------------------------------------ */

bool report_hit_keeps_event(report *r, size_t rule, const rpt_pair *group, size_t ngroup,
                            const rpt_event_in *ev)
{
	return rule < r->rules.n && findings_would_keep(r->fs, rule, group, ngroup, ev);
}

lt_status report_add_hit(report *r, size_t rule, const rpt_pair *group, size_t ngroup,
                         const rpt_event_in *ev, const rpt_match_in *matches, size_t nmatches,
                         lt_error *err)
{
	if (rule >= r->rules.n)
		return lt_error_set(err, LT_EITEM, "report: hit for unknown rule %zu", rule);
	rpt_rule *ru = (rpt_rule *)r->rules.v + rule;
	if (r->scoped && !scope_admits(&r->scope, ru->level, ev)) {
		ru->filtered++;
		r->hits_filtered++;
		if (ru->outcome == RPT_PASSED)
			ru->outcome = RPT_FILTERED;
		return LT_OK;
	}
	bool opened = false;
	lt_status st = findings_add_hit(r->fs, rule, group, ngroup, ev, matches, nmatches, &opened,
	                                err);
	if (st != LT_OK)
		return st;
	ru->hits++;
	if (opened)
		ru->findings++;
	if (ru->outcome == RPT_PASSED || ru->outcome == RPT_FILTERED)
		ru->outcome = RPT_FIRED;
	return LT_OK;
}

void report_set_scope(report *r, const scope *s)
{
	r->scope = *s;
	r->scoped = true;
}

bool report_scope_needs_header(const report *r)
{
	return r->scoped && scope_has_fields(&r->scope);
}

uint64_t report_hits_filtered(const report *r)
{
	return r->hits_filtered;
}

/* ---- dashboard, integrity ------------------------------------------------ */

lt_status report_add_table(report *r, const char *title, size_t ncols, const char *const *cols,
                           size_t *table, lt_error *err)
{
	if (ncols == 0 || cols == NULL)
		return lt_error_set(err, LT_EITEM, "report: table without columns");
	tbl *tb = vec_push(&r->tables, sizeof *tb);
	if (tb == NULL)
		return oom(err);
	rpt_table *t = &tb->pub;
	rpt_str *c = arena_alloc(r->a, ncols * sizeof *c);
	if (c == NULL || !dup_c(r, title, &t->title))
		return oom(err);
	for (size_t i = 0; i < ncols; i++)
		if (!dup_c(r, cols[i], &c[i]))
			return oom(err);
	t->cols = c;
	t->ncols = ncols;
	if (table != NULL)
		*table = r->tables.n - 1;
	return LT_OK;
}

lt_status report_table_add_row(report *r, size_t table, const rpt_str *cells, lt_error *err)
{
	if (table >= r->tables.n || cells == NULL)
		return lt_error_set(err, LT_EITEM, "report: no table %zu", table);
	tbl *tb = (tbl *)r->tables.v + table;
	rpt_table *t = &tb->pub;
	if (t->nrows == tb->cap) {
		size_t ncap = tb->cap ? tb->cap * 2 : 4;
		rpt_str *nc = arena_alloc(r->a, ncap * t->ncols * sizeof *nc);
		if (nc == NULL)
			return oom(err);
		if (t->nrows)
			memcpy(nc, tb->cells, t->nrows * t->ncols * sizeof *nc);
		tb->cells = nc; /* the old block stays in the arena until report_free */
		tb->cap = ncap;
	}
	for (size_t i = 0; i < t->ncols; i++)
		if (!dup_s(r, cells[i], &tb->cells[t->nrows * t->ncols + i]))
			return oom(err);
	t->cells = tb->cells;
	t->nrows++;
	return LT_OK;
}

lt_status report_add_chart(report *r, const char *title, rpt_chart_kind kind, const char *unit,
                           size_t nx, const char *const *xlabels, size_t *chart, lt_error *err)
{
	if (nx == 0 || xlabels == NULL)
		return lt_error_set(err, LT_EITEM, "report: chart without x labels");
	if (kind != RPT_CHART_BAR && kind != RPT_CHART_LINE && kind != RPT_CHART_STACKED &&
	    kind != RPT_CHART_SCATTER)
		return lt_error_set(err, LT_EITEM, "report: unknown chart kind %d", (int)kind);
	rpt_chart *c = vec_push(&r->charts, sizeof *c);
	if (c == NULL)
		return oom(err);
	c->kind = kind;
	rpt_str *x = arena_alloc(r->a, nx * sizeof *x);
	if (x == NULL || !dup_c(r, title, &c->title) || !dup_c(r, unit, &c->unit))
		return oom(err);
	for (size_t i = 0; i < nx; i++)
		if (!dup_c(r, xlabels[i], &x[i]))
			return oom(err);
	c->xlabels = x;
	c->nx = nx;
	if (chart != NULL)
		*chart = r->charts.n - 1;
	return LT_OK;
}

lt_status report_chart_add_series(report *r, size_t chart, const char *name,
                                  const double *values, lt_error *err)
{
	if (chart >= r->charts.n || values == NULL)
		return lt_error_set(err, LT_EITEM, "report: no chart %zu", chart);
	rpt_chart *c = (rpt_chart *)r->charts.v + chart;
	if (c->kind == RPT_CHART_SCATTER && c->nseries >= RPT_SCATTER_SERIES)
		return lt_error_set(err, LT_EITEM,
		                    "report: scatter chart %zu takes exactly %d series (x values, y values)",
		                    chart, RPT_SCATTER_SERIES);
	rpt_series *s = arena_alloc(r->a, (c->nseries + 1) * sizeof *s);
	double *v = arena_alloc(r->a, c->nx * sizeof *v);
	if (s == NULL || v == NULL)
		return oom(err);
	if (c->nseries)
		memcpy(s, c->series, c->nseries * sizeof *s);
	memcpy(v, values, c->nx * sizeof *v);
	s[c->nseries].values = v;
	if (!dup_c(r, name, &s[c->nseries].name))
		return oom(err);
	c->series = s;
	c->nseries++;
	return LT_OK;
}

lt_status report_add_integrity(report *r, const char *object, const char *check, rpt_check status,
                               const char *detail, lt_error *err)
{
	rpt_integrity *i = vec_push(&r->integrity, sizeof *i);
	if (i == NULL)
		return oom(err);
	i->status = (unsigned)status <= RPT_CHECK_UNVERIFIABLE ? status : RPT_CHECK_UNVERIFIABLE;
	if (!dup_c(r, object, &i->object) || !dup_c(r, check, &i->check) ||
	    !dup_c(r, detail, &i->detail))
		return oom(err);
	return LT_OK;
}

static bool dup_strs(report *r, rpt_strs in, rpt_strs *out);

lt_status report_add_period(report *r, const rpt_period *in, lt_error *err)
{
	rpt_period *p = vec_push(&r->periods, sizeof *p);
	if (p == NULL)
		return oom(err);
	*p = *in;
	if (!dup_s(r, in->account, &p->account) || !dup_s(r, in->region, &p->region) ||
	    !dup_strs(r, in->silent_list, &p->silent_list) || !dup_strs(r, in->dark_list, &p->dark_list))
		return oom(err);
	return LT_OK;
}

/* ---- controls ------------------------------------------------------------ */

const char *rpt_control_status_name(rpt_control_status s)
{
	static const char *const names[] = {"pass", "fail", "not applicable", "not evaluable"};
	return (unsigned)s <= RPT_CONTROL_NOT_EVALUABLE ? names[s] : "unknown";
}

static bool dup_pairs(report *r, const rpt_pair *in, size_t n, const rpt_pair **out)
{
	*out = NULL;
	if (n == 0)
		return true;
	rpt_pair *v = arena_alloc(r->a, n * sizeof *v);
	if (v == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!dup_s(r, in[i].name, &v[i].name) || !dup_s(r, in[i].value, &v[i].value))
			return false;
	*out = v;
	return true;
}


lt_status report_add_control(report *r, const rpt_control *in, lt_error *err)
{
	if (in == NULL || in->id.n == 0)
		return lt_error_set(err, LT_EITEM, "report: a control needs an id");
	rpt_control *c = vec_push(&r->controls, sizeof *c);
	if (c == NULL)
		return oom(err);
	*c = *in;
	c->status = (unsigned)in->status <= RPT_CONTROL_NOT_EVALUABLE ? in->status : RPT_CONTROL_NOT_EVALUABLE;
	rpt_strs ex = in->examples;
	if (ex.n > RPT_CONTROL_EXAMPLES)
		ex.n = RPT_CONTROL_EXAMPLES;
	if (!dup_s(r, in->id, &c->id) || !dup_s(r, in->title, &c->title) ||
	    !dup_s(r, in->rationale, &c->rationale) || !dup_s(r, in->kind, &c->kind) ||
	    !dup_s(r, in->detail, &c->detail) || !dup_s(r, in->worst_day, &c->worst_day) ||
	    !dup_pairs(r, in->mappings, in->nmappings, &c->mappings) || !dup_strs(r, ex, &c->examples))
		return oom(err);
	return LT_OK;
}

size_t report_ncontrols(const report *r) { return r->controls.n; }

const rpt_control *report_control(const report *r, size_t i)
{
	return i < r->controls.n ? (const rpt_control *)r->controls.v + i : NULL;
}

size_t report_ncontrols_failed(const report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < report_ncontrols(r); i++)
		n += report_control(r, i)->status == RPT_CONTROL_FAIL;
	return n;
}

/* ---- incidents ----------------------------------------------------------- */

lt_status report_assess_finding(report *r, size_t finding, double confidence, const char *reason,
                                lt_error *err)
{
	return findings_assess(r->fs, finding, confidence, reason, err);
}

static bool dup_strs(report *r, rpt_strs in, rpt_strs *out)
{
	out->n = 0;
	out->v = NULL;
	if (in.n == 0)
		return true;
	rpt_str *v = arena_alloc(r->a, in.n * sizeof *v);
	if (v == NULL)
		return false;
	for (size_t i = 0; i < in.n; i++)
		if (!dup_s(r, in.v[i], &v[i]))
			return false;
	out->v = v;
	out->n = in.n;
	return true;
}

lt_status report_add_incident(report *r, const rpt_incident *in, lt_error *err)
{
	if (in == NULL || (unsigned)in->level >= RPT_NLEVELS)
		return lt_error_set(err, LT_EITEM, "report: incident without a valid level");
	for (size_t i = 0; i < in->nfindings; i++)
		if (in->findings[i] >= findings_count(r->fs))
			return lt_error_set(err, LT_EITEM, "report: incident names no finding %zu",
			                    in->findings[i]);
	rpt_incident *x = vec_push(&r->incidents, sizeof *x);
	if (x == NULL)
		return oom(err);
	*x = *in;
	size_t *fi = in->nfindings ? arena_alloc(r->a, in->nfindings * sizeof *fi) : NULL;
	if (in->nfindings && fi == NULL)
		return oom(err);
	if (in->nfindings)
		memcpy(fi, in->findings, in->nfindings * sizeof *fi);
	x->findings = fi;
	if (!dup_s(r, in->id, &x->id) || !dup_s(r, in->title, &x->title) ||
	    !dup_s(r, in->level_reason, &x->level_reason) || !dup_s(r, in->cost_note, &x->cost_note) ||
	    !dup_strs(r, in->principals, &x->principals) ||
	    !dup_strs(r, in->access_keys, &x->access_keys) ||
	    !dup_strs(r, in->source_ips, &x->source_ips) ||
	    !dup_strs(r, in->user_agents, &x->user_agents) ||
	    !dup_strs(r, in->accounts, &x->accounts) || !dup_strs(r, in->regions, &x->regions) ||
	    !dup_strs(r, in->stages, &x->stages) || !dup_strs(r, in->models, &x->models) ||
	    !dup_strs(r, in->resources, &x->resources) ||
	    !dup_strs(r, in->event_uids, &x->event_uids) ||
	    !dup_strs(r, in->next_steps, &x->next_steps))
		return oom(err);
	return LT_OK;
}

/* FNV-1a, 64 bits, over a separated field. */
static uint64_t fnv_add(uint64_t h, const char *p, size_t n)
{
	return lt_fnv64_byte(lt_fnv64_add(h, p, n), 0xff); /* separator: no byte of a field ends one */
}

void report_finding_id(const report *r, size_t finding, char out[RPT_ID_BUFSZ])
{
	const rpt_finding *f = findings_get(r->fs, finding);
	if (f == NULL) {
		snprintf(out, RPT_ID_BUFSZ, "F-none");
		return;
	}
	const rpt_rule *ru = rule_at(r, f->rule);
	char t[32];
	int tl = snprintf(t, sizeof t, "%lld", (long long)f->first_us);
	uint64_t h = LT_FNV64_BASIS;
	h = fnv_add(h, ru->pack.p, ru->pack.n);
	h = fnv_add(h, ru->id.p, ru->id.n);
	h = fnv_add(h, f->group_text.p, f->group_text.n);
	h = fnv_add(h, t, tl > 0 ? (size_t)tl : 0);
	if (f->nevents)
		h = fnv_add(h, f->events[0].uid.p, f->events[0].uid.n);
	snprintf(out, RPT_ID_BUFSZ, "F-%012llx", (unsigned long long)(h >> 16));
}

/* ---- accessors ----------------------------------------------------------- */

#define VEC_GET(r, field, type, i) ((i) < (r)->field.n ? (const type *)(r)->field.v + (i) : NULL)

const rpt_options *report_options(const report *r) { return &r->opt; }
const rpt_run *report_run(const report *r) { return &r->run; }
size_t report_npacks(const report *r) { return r->packs.n; }
const rpt_pack *report_pack(const report *r, size_t i) { return VEC_GET(r, packs, rpt_pack, i); }
size_t report_nrules(const report *r) { return r->rules.n; }
const rpt_rule *report_rule(const report *r, size_t i) { return VEC_GET(r, rules, rpt_rule, i); }
size_t report_nevidence(const report *r) { return r->evidence.n; }
const rpt_evidence *report_evidence(const report *r, size_t i)
{
	return VEC_GET(r, evidence, rpt_evidence, i);
}
uint64_t report_evidence_files(const report *r) { return strmap_count(r->evidence_paths); }
size_t report_nproblems(const report *r) { return r->problems.n; }
size_t report_nproblems_serious(const report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->problems.n; i++)
		n += VEC_GET(r, problems, rpt_problem, i)->severity >= RPT_SEV_WARNING;
	return n;
}
const rpt_problem *report_problem(const report *r, size_t i)
{
	return VEC_GET(r, problems, rpt_problem, i);
}
size_t report_nfindings(const report *r) { return findings_count(r->fs); }
const rpt_finding *report_finding(const report *r, size_t i) { return findings_get(r->fs, i); }
uint64_t report_findings_dropped(const report *r) { return findings_dropped(r->fs); }
uint64_t report_findings_abbreviated(const report *r) { return findings_abbreviated(r->fs); }
size_t report_nintegrity(const report *r) { return r->integrity.n; }
size_t report_nperiods(const report *r) { return r->periods.n; }
const rpt_period *report_period(const report *r, size_t i)
{
	return VEC_GET(r, periods, rpt_period, i);
}
size_t report_nincidents(const report *r) { return r->incidents.n; }
const rpt_incident *report_incident(const report *r, size_t i)
{
	return VEC_GET(r, incidents, rpt_incident, i);
}
const rpt_integrity *report_integrity(const report *r, size_t i)
{
	return VEC_GET(r, integrity, rpt_integrity, i);
}
size_t report_ntables(const report *r) { return r->tables.n; }
const rpt_table *report_table(const report *r, size_t i)
{
	return i < r->tables.n ? &((const tbl *)r->tables.v)[i].pub : NULL;
}
size_t report_ncharts(const report *r) { return r->charts.n; }
const rpt_chart *report_chart(const report *r, size_t i) { return VEC_GET(r, charts, rpt_chart, i); }

void report_time_range(const report *r, int64_t *first_us, int64_t *last_us)
{
	*first_us = r->first_us;
	*last_us = r->last_us;
}

uint64_t report_total_events(const report *r)
{
	uint64_t t = 0;
	for (size_t i = 0; i < r->nsources; i++)
		t += r->sources[i].count;
	return t > r->total_events ? t : r->total_events;
}

size_t report_nsources(const report *r) { return r->nsources; }
const rpt_count *report_source(const report *r, size_t i)
{
	return i < r->nsources ? &r->sources[i] : NULL;
}
size_t report_nbuckets(const report *r) { return r->buckets.n; }
const rpt_bucket *report_bucket(const report *r, size_t i)
{
	return VEC_GET(r, buckets, rpt_bucket, i);
}

static int cmp_count(const void *a, const void *b)
{
	const rpt_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	size_t n = x->name.n < y->name.n ? x->name.n : y->name.n;
	int c = n ? memcmp(x->name.p, y->name.p, n) : 0;
	return c ? c : (x->name.n > y->name.n) - (x->name.n < y->name.n);
}

static size_t top_of(const strmap *m, uint64_t other, rpt_count *out, size_t n)
{
	size_t count = strmap_count(m);
	rpt_count *all = malloc((count + 1) * sizeof *all);
	if (all == NULL)
		return 0;
	for (size_t i = 0; i < count; i++) {
		const char *k;
		strmap_entry(m, i, &k, &all[i].name.n, &all[i].count);
		all[i].name.p = k;
	}
	if (other) {
		all[count].name = rpt_s("(other)");
		all[count++].count = other;
	}
	lt_sort(all, count, sizeof *all, cmp_count);
	size_t w = count < n ? count : n;
	memcpy(out, all, w * sizeof *out);
	free(all);
	return w;
}

size_t report_top_principals(const report *r, rpt_count *out, size_t n)
{
	return top_of(r->principals, r->other_principals, out, n);
}

size_t report_top_ips(const report *r, rpt_count *out, size_t n)
{
	return top_of(r->ips, r->other_ips, out, n);
}

void report_level_counts(const report *r, uint64_t counts[RPT_NLEVELS])
{
	memset(counts, 0, RPT_NLEVELS * sizeof counts[0]);
	for (size_t i = 0; i < findings_count(r->fs); i++) {
		const rpt_finding *f = findings_get(r->fs, i);
		if (f != NULL)
			counts[rule_at(r, f->rule)->level]++;
	}
}

rpt_level report_worst_level(const report *r)
{
	uint64_t c[RPT_NLEVELS];
	report_level_counts(r, c);
	for (int l = RPT_NLEVELS - 1; l >= 0; l--)
		if (c[l])
			return (rpt_level)l;
	return RPT_LEVEL_NONE;
}

bool report_fails(const report *r)
{
	rpt_level w = report_worst_level(r);
	return w != RPT_LEVEL_NONE && r->opt.fail_on != RPT_LEVEL_NONE && w >= r->opt.fail_on;
}

static size_t report_nrules_failed(const report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < report_nrules(r); i++)
		n += report_rule(r, i)->outcome == RPT_FAILED;
	return n;
}

rpt_verdict report_verdict(const report *r)
{
	if (report_total_events(r) == 0)
		return RPT_VERDICT_NO_EVIDENCE;
	if (report_fails(r) || (r->opt.fail_on_control && report_ncontrols_failed(r) > 0))
		return RPT_VERDICT_FAIL;
	if (r->opt.fail_on == RPT_LEVEL_NONE)
		return RPT_VERDICT_NOT_GATED;
	if (report_nproblems_serious(r) > 0 || report_nrules_failed(r) > 0)
		return RPT_VERDICT_INCOMPLETE;
	return RPT_VERDICT_PASS;
}

static uint64_t findings_at_or_above(const report *r, uint64_t *total)
{
	uint64_t c[RPT_NLEVELS], above = 0;
	report_level_counts(r, c);
	*total = 0;
	for (int l = 0; l < RPT_NLEVELS; l++) {
		*total += c[l];
		if (r->opt.fail_on != RPT_LEVEL_NONE && l >= (int)r->opt.fail_on)
			above += c[l];
	}
	return above;
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

size_t report_verdict_reason(const report *r, char *out, size_t n)
{
	uint64_t total;
	uint64_t above = findings_at_or_above(r, &total);
	const char *fail_on = rpt_level_name(r->opt.fail_on);
	int k = 0;
	switch (report_verdict(r)) {
	case RPT_VERDICT_NO_EVIDENCE:
		k = snprintf(out, n, "no event could be read, so nothing was judged");
		break;
	case RPT_VERDICT_FAIL:
		if (!report_fails(r)) {
			k = snprintf(out, n, "%zu control%s failed (--fail-on-control), %" PRIu64 " finding%s in all",
			             report_ncontrols_failed(r), plural(report_ncontrols_failed(r)), total, plural(total));
			break;
		}
		k = snprintf(out, n, "%" PRIu64 " finding%s at or above %s (the fail-on level), %" PRIu64 " in all",
		             above, plural(above), fail_on, total);
		break;
	case RPT_VERDICT_NOT_GATED:
		k = snprintf(out, n, "--fail-on none: %" PRIu64 " finding%s listed, none judged", total,
		             plural(total));
		break;
	case RPT_VERDICT_INCOMPLETE:
	case RPT_VERDICT_PASS:
		k = total ? snprintf(out, n, "no finding at or above %s (the fail-on level), %" PRIu64 " below it",
		                     fail_on, total)
		          : snprintf(out, n, "no findings");
		break;
	}
	size_t len = k > 0 ? (size_t)k : 0;
	size_t np = report_nproblems_serious(r), nf = report_nrules_failed(r);
	if (np)
		len += (size_t)snprintf(len < n ? out + len : NULL, len < n ? n - len : 0,
		                        "; %zu evidence problem%s: not everything was read", np, plural(np));
	if (nf)
		len += (size_t)snprintf(len < n ? out + len : NULL, len < n ? n - len : 0,
		                        "; %zu rule%s failed", nf, plural(nf));
	size_t nc = report_ncontrols_failed(r);
	if (nc && report_fails(r))
		len += (size_t)snprintf(len < n ? out + len : NULL, len < n ? n - len : 0,
		                        "; %zu control%s failed", nc, plural(nc));
	else if (nc && !r->opt.fail_on_control)
		len += (size_t)snprintf(len < n ? out + len : NULL, len < n ? n - len : 0,
		                        "; %zu control%s failed (not gating without --fail-on-control)", nc,
		                        plural(nc));
	return len;
}

const char *rpt_verdict_name(rpt_verdict v)
{
	static const char *const names[] = {"PASS", "FAIL", "NOT GATED", "INCOMPLETE", "NO EVIDENCE"};
	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static int cmp_str(rpt_str a, rpt_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = n ? memcmp(a.p, b.p, n) : 0;
	return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* qsort has no context argument in C11: the report being sorted is passed here. */
static const report *sort_report;

static int cmp_rule_idx(size_t x, size_t y)
{
	const rpt_rule *a = rule_at(sort_report, x), *b = rule_at(sort_report, y);
	int c = cmp_str(a->pack, b->pack);
	if (c == 0)
		c = cmp_str(a->id, b->id);
	return c ? c : (x > y) - (x < y);
}

static int cmp_rules(const void *pa, const void *pb)
{
	return cmp_rule_idx(*(const size_t *)pa, *(const size_t *)pb);
}

static int cmp_findings(const void *pa, const void *pb)
{
	size_t x = *(const size_t *)pa, y = *(const size_t *)pb;
	const rpt_finding *a = findings_get(sort_report->fs, x);
	const rpt_finding *b = findings_get(sort_report->fs, y);
	if (a == NULL || b == NULL)
		return (x > y) - (x < y);
	rpt_level la = rule_at(sort_report, a->rule)->level;
	rpt_level lb = rule_at(sort_report, b->rule)->level;
	if (la != lb)
		return la > lb ? -1 : 1;
	if (a->rule != b->rule)
		return cmp_rule_idx(a->rule, b->rule);
	if (a->first_us != b->first_us)
		return a->first_us < b->first_us ? -1 : 1;
	int c = cmp_str(a->group_text, b->group_text);
	return c ? c : (x > y) - (x < y);
}

static size_t *sorted(const report *r, size_t n, int (*cmp)(const void *, const void *))
{
	if (n == 0)
		return NULL;
	size_t *v = malloc(n * sizeof *v);
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = i;
	sort_report = r;
	lt_sort(v, n, sizeof *v, cmp);
	sort_report = NULL;
	return v;
}

size_t *report_findings_order(const report *r)
{
	return sorted(r, report_nfindings(r), cmp_findings);
}

size_t *report_rules_order(const report *r)
{
	return sorted(r, report_nrules(r), cmp_rules);
}

size_t report_event_rules(report *r, const rpt_event_in *ev, size_t *rules, size_t max)
{
	return findings_event_rules(r->fs, ev, rules, max);
}

size_t report_uids_pending(report *r)
{
	return findings_uids_pending(r->fs);
}

lt_status report_resolve_uid(report *r, uint64_t seq, rpt_str uid)
{
	return findings_resolve_uid(r->fs, seq, uid);
}

void report_uids_resolved(report *r)
{
	findings_uids_resolved(r->fs);
}

lt_status report_event_rules_status(const report *r, lt_error *err)
{
	return findings_hits_status(r->fs, err);
}

lt_status report_write_failed(lt_error *err, const char *name)
{
	int e = errno ? errno : EIO;
	return lt_error_set(err, LT_EFILE, "%s: write failed: %s", name, strerror(e));
}

lt_status report_write_path(const report *r, report_writer fn, const char *path, lt_error *err)
{
	char tmp[LT_ERROR_PATH_MAX + 8];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	lt_error_where(err, path, NULL, 0);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return lt_error_set(err, LT_EFILE, "output path too long");
	FILE *f = fopen(tmp, "wb");
	if (f == NULL)
		return lt_error_set(err, LT_EFILE, "cannot create: %s", strerror(errno));
	lt_status st = fn(r, f, err);
	if (fclose(f) != 0 && st == LT_OK)
		st = lt_error_set(err, LT_EFILE, "cannot write: %s", strerror(errno));
	if (st == LT_OK && rename(tmp, path) != 0)
		st = lt_error_set(err, LT_EFILE, "cannot rename into place: %s", strerror(errno));
	if (st != LT_OK)
		remove(tmp);
	lt_error_where(err, path, NULL, 0);
	return st;
}
