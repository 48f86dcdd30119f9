/*
 * findings.c — aggregation of rule hits into findings (see findings.h).
 *
 * In: one hit at a time, in replay order. Out: a vector of findings whose
 * events, matches and excerpts are copied into one arena. The aggregation key
 * is the rule index plus the group pairs, length-prefixed so that no choice of
 * names or values can make two different groups collide; a strmap maps that
 * key to the rule+group's latest finding. Which rules hit which event, for
 * the CSV timeline's "rules" column, is kept by the event's position in the
 * replay (a hitlog: bounded memory, spilled to a temporary file); hits on
 * events that have no position (builtin analyzers read events through
 * replays of their own) go to a strmap (source, uid) -> rules hit, capped
 * at RPT_HIT_INDEX_CAP pairs.
 *
 * Excerpts: RPT_EXCERPT_CONTEXT bytes of context either side of the match,
 * moved to UTF-8 character boundaries, the match cut at RPT_MATCH_MAX bytes.
 * A secret (disclosure rule) is replaced by findings_redact's text before it
 * is stored, so a redacted report never holds the secret in memory or output;
 * the context around it is masked too (copy_masked), because the secret a rule
 * anchored on a keyword found is often right beside the match.
 */
#include "model/findings.h"
#include "common/sort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/sha256.h"
#include "model/hitlog.h"
#include "model/strmap.h"

typedef struct fnd {
	rpt_finding pub;
	rpt_event *events; /* arena; pub.events aliases it */
	size_t ev_alloc;
	rpt_str *uids; /* arena; pub.event_uids aliases it */
	size_t uid_alloc;
	uint64_t last_event_key; /* the last event's event_key */
} fnd;

/* A listed uid still to learn: the slot of finding's event_uids that a
 * counted-only event (a correlation's, hit without its header) holds until
 * findings_resolve_uid gives its uid. */
typedef struct pending_uid {
	uint64_t seq;
	size_t finding, slot;
} pending_uid;

typedef struct hitnode {
	size_t rule;
	uint64_t next; /* node index + 1, 0 = end */
} hitnode;

struct findings {
	rpt_options opt;
	arena *a;
	fnd *v;
	size_t n, alloc;
	uint64_t dropped;
	size_t long_bytes;    /* bytes of strings over RPT_LONG_TEXT copied whole */
	uint64_t abbreviated; /* strings kept abbreviated past RPT_LONG_BUDGET */
	buf abbrev;           /* where the abbreviation is made */
	strmap *latest; /* aggregation key -> finding index + 1 */
	hitlog *byseq;  /* (event seq, rule) of replayed events */
	strmap *byuid;  /* source \0 uid -> hitnode index + 1, events without a seq */
	hitnode *nodes;
	size_t nnodes, nodes_alloc;
	size_t uids_total; /* event uids listed over all findings */
	pending_uid *pend; /* sorted by seq once resolving starts */
	size_t npend, pend_alloc, pend_next;
	bool pend_sorted;
	bool uids_final; /* resolved: a uid-less event is counted omitted */
};

findings *findings_new(const rpt_options *o)
{
	findings *fs = calloc(1, sizeof *fs);
	if (fs == NULL)
		return NULL;
	fs->opt = *o;
	if (fs->opt.max_events == 0)
		fs->opt.max_events = RPT_DEFAULT_MAX_EVENTS;
	if (fs->opt.max_findings == 0)
		fs->opt.max_findings = RPT_DEFAULT_MAX_FINDINGS;
	fs->a = arena_new(256 * 1024, 0);
	fs->latest = strmap_new(0);
	fs->byuid = strmap_new(RPT_HIT_INDEX_CAP);
	fs->byseq = hitlog_new(0);
	if (fs->a == NULL || fs->latest == NULL || fs->byuid == NULL || fs->byseq == NULL) {
		findings_free(fs);
		return NULL;
	}
	return fs;
}

void findings_free(findings *fs)
{
	if (fs == NULL)
		return;
	arena_free(fs->a);
	buf_free(&fs->abbrev);
	free(fs->v);
	free(fs->nodes);
	free(fs->pend);
	strmap_free(fs->latest);
	strmap_free(fs->byuid);
	hitlog_free(fs->byseq);
	free(fs);
}

size_t findings_count(const findings *fs)
{
	return fs->n;
}

const rpt_finding *findings_get(const findings *fs, size_t i)
{
	return i < fs->n ? &fs->v[i].pub : NULL;
}

uint64_t findings_dropped(const findings *fs)
{
	return fs->dropped;
}

uint64_t findings_abbreviated(const findings *fs)
{
	return fs->abbreviated;
}

/* ---- redaction ---------------------------------------------------------- */

/* Length of the UTF-8 sequence starting at p[0..n): 1..4, or 1 for an invalid byte. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xF0 && p[0] < 0xF5 ? 4
	           : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : 1;
	if (len > n)
		return 1;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 1;
	return len;
}

size_t findings_redact(const char *p, size_t n, char *out, size_t outsz)
{
	if (outsz == 0)
		return 0;
	const unsigned char *u = (const unsigned char *)p;
	size_t chars = 0;
	for (size_t i = 0; i < n; i += utf8_len(u + i, n - i))
		chars++;
	size_t keep = chars / 4 < 4 ? chars / 4 : 4;
	size_t kept_bytes = 0;
	for (size_t k = 0; k < keep; k++)
		kept_bytes += utf8_len(u + kept_bytes, n - kept_bytes);
	char tail[40];
	int tl = snprintf(tail, sizeof tail, "\xE2\x80\xA6(%zu chars)", chars);
	size_t tlen = tl > 0 ? (size_t)tl : 0;
	if (kept_bytes + tlen >= outsz)
		kept_bytes = 0;
	if (tlen >= outsz)
		tlen = outsz - 1;
	if (kept_bytes)
		memcpy(out, p, kept_bytes);
	memcpy(out + kept_bytes, tail, tlen);
	out[kept_bytes + tlen] = '\0';
	return kept_bytes + tlen;
}

/* ---- copying ------------------------------------------------------------ */

static bool copy_str(arena *a, rpt_str in, rpt_str *out)
{
	char *c = arena_strndup(a, in.n ? in.p : "", in.n);
	if (c == NULL)
		return false;
	out->p = c;
	out->n = in.n;
	return true;
}

/* An event string: whole while the long ones fit RPT_LONG_BUDGET, else abbreviated. */
static bool copy_field(findings *fs, rpt_str in, rpt_str *out)
{
	if (in.n <= RPT_LONG_TEXT || fs->long_bytes + in.n <= RPT_LONG_BUDGET) {
		if (in.n > RPT_LONG_TEXT)
			fs->long_bytes += in.n;
		return copy_str(fs->a, in, out);
	}
	buf_reset(&fs->abbrev);
	if (sha256_abbrev(&fs->abbrev, in.p, in.n, RPT_LONG_PREFIX) != LT_OK)
		return false;
	fs->abbreviated++;
	return copy_str(fs->a, (rpt_str){buf_cstr(&fs->abbrev), fs->abbrev.len}, out);
}

static bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Moves a cut point forward (toward a character start) at most 3 bytes. */
static size_t boundary_fwd(const unsigned char *p, size_t n, size_t i, size_t limit)
{
	for (int k = 0; k < 3 && i < limit && i < n && is_cont(p[i]); k++)
		i++;
	return i;
}

/* Moves a cut point back (so that it does not split a character) at most 3 bytes. */
static size_t boundary_back(const unsigned char *p, size_t n, size_t i, size_t floor)
{
	for (int k = 0; k < 3 && i > floor && i < n && is_cont(p[i]); k++)
		i--;
	return i;
}

static bool token_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/' || c == '=' || c == '_' || c == '-' || c == '.';
}

/*
 * Copies context text next to a redacted secret, masking what could be another
 * secret: every run of token characters at least REDACT_TOKEN_MIN long that
 * holds a digit becomes "***" (key ids, secret keys, tokens, base64 lines),
 * while words stay readable ("aws_secret_access_key ="). Returns bytes written
 * to out (at most n).
 */
#define REDACT_TOKEN_MIN 10
static size_t copy_masked(const unsigned char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (!token_char(p[i])) {
			out[o++] = (char)p[i++];
			continue;
		}
		size_t j = i;
		bool digit = false;
		while (j < n && token_char(p[j])) {
			digit = digit || (p[j] >= '0' && p[j] <= '9');
			j++;
		}
		if (j - i >= REDACT_TOKEN_MIN && digit) {
			memcpy(out + o, "***", 3);
			o += 3;
		} else {
			memcpy(out + o, p + i, j - i);
			o += j - i;
		}
		i = j;
	}
	return o;
}

static bool make_match(findings *fs, const rpt_match_in *in, rpt_match *m)
{
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.p ? in->value.n : 0;
	size_t start = in->start < n ? in->start : n;
	size_t end = in->end < start ? start : in->end > n ? n : in->end;

	memset(m, 0, sizeof *m);
	if (!copy_str(fs->a, in->field, &m->field))
		return false;
	m->value_start = start;
	m->value_end = end;
	m->value_len = n;
	m->redacted = in->secret && fs->opt.redact;

	size_t cs = boundary_fwd(v, n, start - (start < RPT_EXCERPT_CONTEXT ? start : RPT_EXCERPT_CONTEXT), start);
	size_t me = end;
	bool cut_match = false;
	if (!m->redacted && end - start > RPT_MATCH_MAX) {
		me = boundary_back(v, n, start + RPT_MATCH_MAX, start);
		cut_match = true;
	}
	size_t ce = me;
	if (!cut_match) {
		ce = end + (n - end < RPT_EXCERPT_CONTEXT ? n - end : RPT_EXCERPT_CONTEXT);
		ce = boundary_back(v, n, ce, end);
	}
	char red[64];
	const char *mid = (const char *)v + start;
	size_t midn = me - start;
	if (m->redacted) {
		midn = findings_redact(mid, end - start, red, sizeof red);
		mid = red;
	}
	/* masking only shrinks text ("***" replaces at least REDACT_TOKEN_MIN bytes) */
	size_t cap = (start - cs) + midn + (ce - me);
	char *ex = arena_alloc(fs->a, cap + 1);
	if (ex == NULL)
		return false;
	size_t before = start - cs, after = ce > me ? ce - me : 0;
	if (m->redacted) {
		before = copy_masked(v + cs, start - cs, ex);
		memcpy(ex + before, mid, midn);
		after = copy_masked(v + me, after, ex + before + midn);
	} else {
		memcpy(ex, v + cs, before);
		memcpy(ex + before, mid, midn);
		memcpy(ex + before + midn, v + me, after);
	}
	size_t total = before + midn + after;
	ex[total] = '\0';
	m->excerpt = rpt_sn(ex, total);
	m->mark_start = before;
	m->mark_end = before + midn;
	m->cut_before = cs > 0;
	m->cut_after = cut_match || ce < n;
	return true;
}

static bool add_matches(findings *fs, rpt_event *e, const rpt_match_in *in, size_t nin)
{
	size_t room = RPT_MAX_MATCHES - e->nmatches;
	size_t take = nin < room ? nin : room;
	e->matches_dropped += nin - take;
	if (take == 0)
		return true;
	rpt_match *m = arena_alloc(fs->a, (e->nmatches + take) * sizeof *m);
	if (m == NULL)
		return false;
	if (e->nmatches)
		memcpy(m, e->matches, e->nmatches * sizeof *m);
	for (size_t i = 0; i < take; i++)
		if (!make_match(fs, &in[i], &m[e->nmatches + i]))
			return false;
	e->matches = m;
	e->nmatches += take;
	return true;
}

static bool make_event(findings *fs, const rpt_event_in *in, rpt_event *e)
{
	memset(e, 0, sizeof *e);
	e->time_us = in->time_us;
	e->line = in->line;
	e->input_tokens = in->input_tokens;
	e->output_tokens = in->output_tokens;
	e->caller_joined = in->caller_joined;
	e->bearer_token = in->bearer_token;
	return copy_str(fs->a, in->source, &e->source) && copy_str(fs->a, in->uid, &e->uid) &&
	       copy_field(fs, in->action, &e->action) && copy_field(fs, in->principal, &e->principal) &&
	       copy_field(fs, in->source_ip, &e->source_ip) && copy_str(fs->a, in->request_id, &e->request_id) &&
	       copy_field(fs, in->access_key, &e->access_key) && copy_field(fs, in->user_agent, &e->user_agent) &&
	       copy_field(fs, in->account, &e->account) && copy_field(fs, in->region, &e->region) &&
	       copy_field(fs, in->model, &e->model) && copy_field(fs, in->error_code, &e->error_code) &&
	       copy_str(fs->a, in->evidence, &e->evidence) && copy_str(fs->a, in->member, &e->member) &&
	       copy_str(fs->a, in->member_sha256, &e->member_sha256);
}

/* ---- keys --------------------------------------------------------------- */

static lt_status key_put(buf *k, rpt_str s)
{
	uint64_t n = s.n;
	lt_status st = buf_append(k, &n, sizeof n);
	if (st == LT_OK && s.n)
		st = buf_append(k, s.p, s.n);
	return st;
}

static lt_status group_key(buf *k, size_t rule, const rpt_pair *g, size_t ng)
{
	uint64_t r = rule;
	lt_status st = buf_append(k, &r, sizeof r);
	for (size_t i = 0; i < ng && st == LT_OK; i++) {
		st = key_put(k, g[i].name);
		if (st == LT_OK)
			st = key_put(k, g[i].value);
	}
	return st;
}

/* Names an event: its replay position when it has one (a correlation's
 * counted events carry no uid), else (source, uid). */
static uint64_t event_key(const rpt_event_in *ev)
{
	if (ev->seq != 0)
		return ev->seq;
	uint64_t h1 = strmap_hash(ev->source.p ? ev->source.p : "", ev->source.n);
	uint64_t h2 = strmap_hash(ev->uid.p ? ev->uid.p : "", ev->uid.n);
	return h1 * 31 + h2 + 1;
}

/* ---- the event -> rules index ------------------------------------------- */

static lt_status uid_key(buf *k, rpt_str source, rpt_str uid)
{
	lt_status st = key_put(k, source);
	return st == LT_OK ? key_put(k, uid) : st;
}

static lt_status index_hit(findings *fs, size_t rule, const rpt_event_in *ev, lt_error *err)
{
	if (ev->seq != 0) {
		lt_error e;
		lt_status st = hitlog_add(fs->byseq, ev->seq, (uint32_t)rule, &e);
		if (st == LT_EFATAL && err != NULL)
			*err = e;
		return st == LT_EITEM ? LT_OK : st; /* past the limits: not shown on the row */
	}
	if (ev->uid.n == 0)
		return LT_OK;
	buf k;
	buf_init(&k, 0);
	if (uid_key(&k, ev->source, ev->uid) != LT_OK) {
		buf_free(&k);
		return lt_error_set(err, LT_EFATAL, "report: out of memory");
	}
	bool full = false;
	uint64_t *head = strmap_slot(fs->byuid, k.data, k.len, true, &full);
	buf_free(&k);
	if (head == NULL)
		return full ? LT_OK : lt_error_set(err, LT_EFATAL, "report: out of memory");
	for (uint64_t i = *head; i != 0; i = fs->nodes[i - 1].next)
		if (fs->nodes[i - 1].rule == rule)
			return LT_OK;
	if (fs->nnodes >= RPT_HIT_INDEX_CAP)
		return LT_OK;
	if (fs->nnodes == fs->nodes_alloc) {
		size_t na = fs->nodes_alloc ? fs->nodes_alloc * 2 : 256;
		hitnode *nn = realloc(fs->nodes, na * sizeof *nn);
		if (nn == NULL)
			return lt_error_set(err, LT_EFATAL, "report: out of memory");
		fs->nodes = nn;
		fs->nodes_alloc = na;
	}
	fs->nodes[fs->nnodes].rule = rule;
	fs->nodes[fs->nnodes].next = *head;
	*head = ++fs->nnodes;
	return LT_OK;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static size_t merge_rules(size_t *rules, size_t n, size_t max)
{
	size_t k = n < max ? n : max;
	lt_sort(rules, k, sizeof *rules, cmp_size);
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (w == 0 || rules[w - 1] != rules[i])
			rules[w++] = rules[i];
	return n - (k - w);
}

size_t findings_event_rules(findings *fs, const rpt_event_in *ev, size_t *rules, size_t max)
{
	size_t count = 0, unnamed = 0;
	if (ev->seq != 0) {
		/* a rewind or read failure leaves the row without these rules and is
		 * reported once, by findings_hits_status */
		uint32_t r32[64];
		size_t cap = max < 64 ? max : 64;
		if (hitlog_rewind(fs->byseq, NULL) == LT_OK)
			count = hitlog_rules(fs->byseq, ev->seq, r32, cap);
		for (size_t i = 0; i < count && i < cap; i++)
			rules[i] = r32[i];
		if (count > cap) { /* counted, not named */
			unnamed = count - cap;
			count = cap;
		}
	}
	if (ev->uid.n == 0 || strmap_count(fs->byuid) == 0)
		return merge_rules(rules, count, max) + unnamed;
	buf k;
	buf_init(&k, 0);
	if (uid_key(&k, ev->source, ev->uid) != LT_OK) {
		buf_free(&k);
		return merge_rules(rules, count, max) + unnamed;
	}
	const uint64_t *head = strmap_find(fs->byuid, k.data, k.len);
	buf_free(&k);
	for (uint64_t i = head ? *head : 0; i != 0; i = fs->nodes[i - 1].next) {
		if (count < max)
			rules[count] = fs->nodes[i - 1].rule;
		count++;
	}
	return merge_rules(rules, count, max) + unnamed;
}

lt_status findings_assess(findings *fs, size_t i, double confidence, const char *reason,
                          lt_error *err)
{
	if (i >= fs->n)
		return lt_error_set(err, LT_EITEM, "report: no finding %zu", i);
	fs->v[i].pub.confidence = confidence < 0 ? 0 : confidence > 1 ? 1 : confidence;
	if (!copy_str(fs->a, rpt_s(reason), &fs->v[i].pub.level_reason))
		return lt_error_set(err, LT_EFATAL, "report: out of memory");
	return LT_OK;
}

lt_status findings_hits_status(const findings *fs, lt_error *err)
{
	return hitlog_failed(fs->byseq, err) ? LT_EFATAL : LT_OK;
}

/* ---- aggregation -------------------------------------------------------- */

static lt_status open_finding(findings *fs, size_t rule, const rpt_pair *g, size_t ng,
                              const rpt_event_in *ev, size_t *index)
{
	if (fs->n == fs->alloc) {
		size_t na = fs->alloc ? fs->alloc * 2 : 64;
		fnd *nv = realloc(fs->v, na * sizeof *nv);
		if (nv == NULL)
			return LT_EFATAL;
		fs->v = nv;
		fs->alloc = na;
	}
	fnd *f = &fs->v[fs->n];
	memset(f, 0, sizeof *f);
	f->pub.rule = rule;
	f->pub.first_us = f->pub.last_us = ev->time_us;
	f->pub.confidence = -1;
	rpt_pair *pairs = NULL;
	if (ng) {
		pairs = arena_alloc(fs->a, ng * sizeof *pairs);
		if (pairs == NULL)
			return LT_EFATAL;
	}
	buf text;
	buf_init(&text, 0);
	lt_status st = LT_OK;
	for (size_t i = 0; i < ng && st == LT_OK; i++) {
		if (!copy_str(fs->a, g[i].name, &pairs[i].name) ||
		    !copy_str(fs->a, g[i].value, &pairs[i].value))
			st = LT_EFATAL;
		if (st == LT_OK && i)
			st = buf_puts(&text, ", ");
		if (st == LT_OK && g[i].name.n)
			st = buf_append(&text, g[i].name.p, g[i].name.n);
		if (st == LT_OK)
			st = buf_putc(&text, '=');
		if (st == LT_OK && g[i].value.n)
			st = buf_append(&text, g[i].value.p, g[i].value.n);
	}
	if (st == LT_OK && !copy_str(fs->a, rpt_sn(text.data, text.len), &f->pub.group_text))
		st = LT_EFATAL;
	buf_free(&text);
	if (st != LT_OK)
		return LT_EFATAL;
	f->pub.group = pairs;
	f->pub.ngroup = ng;
	*index = fs->n++;
	return LT_OK;
}

static bool add_pending(findings *fs, uint64_t seq, size_t finding, size_t slot)
{
	if (fs->npend == fs->pend_alloc) {
		size_t na = fs->pend_alloc ? fs->pend_alloc * 2 : 64;
		pending_uid *np = realloc(fs->pend, na * sizeof *np);
		if (np == NULL)
			return false;
		fs->pend = np;
		fs->pend_alloc = na;
	}
	fs->pend[fs->npend++] = (pending_uid){seq, finding, slot};
	return true;
}

/* Lists the event's uid on the finding, within RPT_MAX_EVENT_UIDS per
 * finding and RPT_EVENT_UIDS_TOTAL over all; else counts it omitted. An
 * event hit without its uid but with its replay seq holds a slot, pending
 * until findings_resolve_uid. */
static lt_status list_uid(findings *fs, fnd *f, rpt_str uid, uint64_t seq)
{
	bool pending = uid.n == 0 && seq != 0 && !fs->uids_final && !fs->pend_sorted;
	if ((uid.n == 0 && !pending) || f->pub.nevent_uids >= RPT_MAX_EVENT_UIDS ||
	    fs->uids_total >= RPT_EVENT_UIDS_TOTAL) {
		f->pub.event_uids_omitted++;
		return LT_OK;
	}
	if (f->pub.nevent_uids == f->uid_alloc) {
		size_t na = f->uid_alloc ? f->uid_alloc * 2 : 4;
		if (na > RPT_MAX_EVENT_UIDS)
			na = RPT_MAX_EVENT_UIDS;
		rpt_str *nu = arena_alloc(fs->a, na * sizeof *nu);
		if (nu == NULL)
			return LT_EFATAL;
		if (f->pub.nevent_uids)
			memcpy(nu, f->uids, f->pub.nevent_uids * sizeof *nu);
		f->uids = nu;
		f->uid_alloc = na;
		f->pub.event_uids = nu;
	}
	if (pending) {
		f->uids[f->pub.nevent_uids] = rpt_sn(NULL, 0);
		if (!add_pending(fs, seq, (size_t)(f - fs->v), f->pub.nevent_uids))
			return LT_EFATAL;
	} else if (!copy_str(fs->a, uid, &f->uids[f->pub.nevent_uids])) {
		return LT_EFATAL;
	}
	f->pub.nevent_uids++;
	fs->uids_total++;
	return LT_OK;
}

static lt_status append_event(findings *fs, fnd *f, const rpt_event_in *ev,
                              const rpt_match_in *m, size_t nm)
{
	uint64_t key = event_key(ev);
	if (f->pub.count > 0 && f->last_event_key == key) {
		if (f->pub.nevents == f->pub.count)
			return add_matches(fs, &f->events[f->pub.nevents - 1], m, nm) ? LT_OK : LT_EFATAL;
		return LT_OK;
	}
	f->last_event_key = key;
	f->pub.count++;
	if (list_uid(fs, f, ev->uid, ev->seq) != LT_OK)
		return LT_EFATAL;
	if (ev->time_us < f->pub.first_us)
		f->pub.first_us = ev->time_us;
	if (ev->time_us > f->pub.last_us)
		f->pub.last_us = ev->time_us;
	if (f->pub.nevents >= fs->opt.max_events)
		return LT_OK;
	if (f->pub.nevents == f->ev_alloc) {
		size_t na = f->ev_alloc ? f->ev_alloc * 2 : 2;
		if (na > fs->opt.max_events)
			na = fs->opt.max_events;
		rpt_event *ne = arena_alloc(fs->a, na * sizeof *ne);
		if (ne == NULL)
			return LT_EFATAL;
		if (f->pub.nevents)
			memcpy(ne, f->events, f->pub.nevents * sizeof *ne);
		f->events = ne;
		f->ev_alloc = na;
		f->pub.events = ne;
	}
	rpt_event *e = &f->events[f->pub.nevents];
	if (!make_event(fs, ev, e) || !add_matches(fs, e, m, nm))
		return LT_EFATAL;
	f->pub.nevents++;
	return LT_OK;
}

static bool within_window(const findings *fs, const fnd *f, const rpt_event_in *ev)
{
	if (f->last_event_key == event_key(ev))
		return true;
	if (fs->opt.window_us <= 0 || ev->time_us == INT64_MIN || f->pub.last_us == INT64_MIN)
		return false; /* an unknown time never joins by time */
	/* times are microseconds of years 0000-9999 (ltime), so differences cannot overflow */
	int64_t d = ev->time_us >= f->pub.last_us ? ev->time_us - f->pub.last_us
	                                          : (ev->time_us >= f->pub.first_us ? 0 : f->pub.first_us - ev->time_us);
	return d <= fs->opt.window_us;
}

/* The rule+group's latest-finding slot (created when create; NULL when
 * absent and not created, or out of memory). */
static uint64_t *latest_slot(findings *fs, size_t rule, const rpt_pair *group, size_t ngroup, bool create)
{
	buf k;
	buf_init(&k, 0);
	uint64_t *latest = NULL;
	if (group_key(&k, rule, group, ngroup) == LT_OK)
		latest = strmap_slot(fs->latest, k.data, k.len, create, NULL);
	buf_free(&k);
	return latest;
}

/* The finding a hit at ev joins (its rule+group's latest, when ev is within
 * its aggregation window), or NULL: the hit opens one (or is dropped). */
static fnd *joined_finding(findings *fs, const uint64_t *latest, const rpt_event_in *ev)
{
	if (latest == NULL || *latest == 0 || !within_window(fs, &fs->v[*latest - 1], ev))
		return NULL;
	return &fs->v[*latest - 1];
}

bool findings_would_keep(findings *fs, size_t rule, const rpt_pair *group, size_t ngroup,
                         const rpt_event_in *ev)
{
	const fnd *f = joined_finding(fs, latest_slot(fs, rule, group, ngroup, false), ev);
	if (f != NULL)
		return f->last_event_key != event_key(ev) && f->pub.nevents < fs->opt.max_events;
	return fs->n < fs->opt.max_findings;
}

lt_status findings_add_hit(findings *fs, size_t rule, const rpt_pair *group, size_t ngroup,
                           const rpt_event_in *ev, const rpt_match_in *matches, size_t nmatches,
                           bool *opened, lt_error *err)
{
	if (opened != NULL)
		*opened = false;
	if (ev == NULL || (ngroup && group == NULL) || (nmatches && matches == NULL))
		return lt_error_set(err, LT_EITEM, "report: hit without event, group or matches");
	uint64_t *latest = latest_slot(fs, rule, group, ngroup, true);
	if (latest == NULL)
		return lt_error_set(err, LT_EFATAL, "report: out of memory");
	fnd *joined = joined_finding(fs, latest, ev);
	size_t idx;
	if (joined != NULL) {
		idx = (size_t)(joined - fs->v);
	} else if (fs->n >= fs->opt.max_findings) {
		fs->dropped++; /* not kept, but the timeline still says which rules hit it */
		return index_hit(fs, rule, ev, err);
	} else {
		if (open_finding(fs, rule, group, ngroup, ev, &idx) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "report: out of memory");
		*latest = idx + 1;
		if (opened != NULL)
			*opened = true;
	}
	if (append_event(fs, &fs->v[idx], ev, matches, nmatches) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "report: out of memory");
	return index_hit(fs, rule, ev, err);
}

static int pending_cmp(const void *a, const void *b)
{
	const pending_uid *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->finding != y->finding)
		return x->finding < y->finding ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

size_t findings_uids_pending(findings *fs)
{
	if (!fs->pend_sorted && fs->npend > 1)
		qsort(fs->pend, fs->npend, sizeof *fs->pend, pending_cmp);
	fs->pend_sorted = true;
	return fs->npend - fs->pend_next;
}

lt_status findings_resolve_uid(findings *fs, uint64_t seq, rpt_str uid)
{
	while (fs->pend_next < fs->npend && fs->pend[fs->pend_next].seq < seq)
		fs->pend_next++; /* a seq never given: its slot stays empty, counted omitted at the end */
	for (; fs->pend_next < fs->npend && fs->pend[fs->pend_next].seq == seq; fs->pend_next++) {
		const pending_uid *p = &fs->pend[fs->pend_next];
		fnd *f = &fs->v[p->finding];
		if (uid.n && !copy_str(fs->a, uid, &f->uids[p->slot]))
			return LT_EFATAL;
	}
	return LT_OK;
}

void findings_uids_resolved(findings *fs)
{
	fs->uids_final = true;
	if (fs->npend == 0)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		fnd *f = &fs->v[i];
		size_t k = 0;
		for (size_t j = 0; j < f->pub.nevent_uids; j++) {
			if (f->uids[j].n)
				f->uids[k++] = f->uids[j];
			else
				f->pub.event_uids_omitted++;
		}
		fs->uids_total -= f->pub.nevent_uids - k;
		f->pub.nevent_uids = k;
	}
	free(fs->pend);
	fs->pend = NULL;
	fs->npend = fs->pend_alloc = fs->pend_next = 0;
	fs->pend_sorted = false;
}
