/*
 * evdup.c — re-delivery or conflict (see evdup.h).
 *
 * A group is the run of merged rows with one (time, source, uid); the merge
 * flags every row after the first. evdup keeps the locations of the rows kept
 * so far in the group (at most EVDUP_KEPT_MAX) and their content hashes,
 * computed lazily: a group of one row never reads content. The canonical hash
 * feeds SHA-256 a tagged, length-prefixed walk of the parsed record with each
 * object's members sorted by key (stable, so repeated keys keep their
 * order), which makes key order, spacing and string escapes irrelevant and
 * every other difference visible. For a conflict both records are parsed once
 * more and their top-level members compared to name what differs. Records
 * are copied into the judge's arena (the replay's cache may evict a chunk
 * between two reads), which is reset for each row and capped.
 */
#include "config.h"

#include "store/evdup.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ltime.h"
#include "ingest/sha256.h"
#include "store/replay.h"

#define EVDUP_ARENA_CAP ((size_t)512 << 20)

typedef struct kept_row {
	int64_t member_id;
	uint64_t line, offset, length;
	int hashed;
	unsigned char hash[SHA256_LEN];
} kept_row;

struct evdup {
	case_db *c;
	replay *rd; /* used only for its chunk cache (replay_read_span) */
	arena *a;
	sha256_ctx *sha;
	kept_row kept[EVDUP_KEPT_MAX];
	size_t nkept;
};

/* Fields whose difference changes who did what, to what, from where, with what outcome. */
static const char *const high_fields[] = {
	"userIdentity", "eventName",   "eventSource", "eventTime",  "eventID",      "requestParameters",
	"responseElements", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "recipientAccountId",
	"awsRegion",    "requestID",   "resources",   "additionalEventData", "serviceEventDetails",
	"identity",     "operation",   "modelId",     "input",      "output",       "accountId",
	"region",       "requestId",   "timestamp",   "inferenceRegion",
};

lt_status evdup_new(case_db *c, evdup **out, lt_error *err)
{
	*out = NULL;
	evdup *d = calloc(1, sizeof *d);
	if (d == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	d->c = c;
	d->a = arena_new(0, EVDUP_ARENA_CAP);
	d->sha = sha256_new();
	replay_filter f;
	replay_filter_init(&f);
	f.flags = REPLAY_HEADERS_ONLY;
	lt_status st = d->a == NULL || d->sha == NULL ? lt_error_set(err, LT_EFATAL, "out of memory") : LT_OK;
	if (st == LT_OK)
		st = replay_new(c, &f, &d->rd, err);
	if (st != LT_OK) {
		evdup_free(d);
		return st;
	}
	*out = d;
	return LT_OK;
}

void evdup_free(evdup *d)
{
	if (d == NULL)
		return;
	replay_free(d->rd);
	arena_free(d->a);
	sha256_free(d->sha);
	free(d);
}

/* --- canonical hash ---------------------------------------------------------- */

/* A tag and a count (bytes that follow, or children). */
static void put_header(sha256_ctx *h, char tag, size_t n)
{
	unsigned char hdr[9];
	hdr[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)((uint64_t)n >> (8 * i));
	sha256_update(h, hdr, sizeof hdr);
}

static void put_tagged(sha256_ctx *h, char tag, const void *p, size_t n)
{
	put_header(h, tag, n);
	if (n > 0)
		sha256_update(h, p, n);
}

static int member_cmp(const void *va, const void *vb)
{
	const json_member *a = *(const json_member *const *)va, *b = *(const json_member *const *)vb;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int d = n ? memcmp(a->key, b->key, n) : 0;
	if (d != 0)
		return d;
	if (a->key_len != b->key_len)
		return a->key_len < b->key_len ? -1 : 1;
	return a < b ? -1 : a > b; /* members are contiguous: stable by document order */
}

/* The object's members sorted by key, in a; NULL if out of memory. */
static const json_member **sorted_members(const json_value *v, arena *a)
{
	const json_member **m = arena_alloc(a, (v->len ? v->len : 1) * sizeof *m);
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < v->len; i++)
		m[i] = &v->u.members[i];
	qsort(m, v->len, sizeof *m, member_cmp);
	return m;
}

static lt_status hash_value(sha256_ctx *h, const json_value *v, arena *a)
{
	switch (v->type) {
	case JSON_NULL:
		put_header(h, 'n', 0);
		return LT_OK;
	case JSON_FALSE:
		put_header(h, 'f', 0);
		return LT_OK;
	case JSON_TRUE:
		put_header(h, 't', 0);
		return LT_OK;
	case JSON_NUMBER:
		put_tagged(h, 'd', v->u.s, v->len);
		return LT_OK;
	case JSON_STRING:
		put_tagged(h, 's', v->u.s, v->len);
		return LT_OK;
	case JSON_ARRAY:
		put_header(h, 'a', v->len);
		for (size_t i = 0; i < v->len; i++)
			if (hash_value(h, &v->u.items[i], a) != LT_OK)
				return LT_EFATAL;
		return LT_OK;
	case JSON_OBJECT: {
		const json_member **m = sorted_members(v, a);
		if (m == NULL)
			return LT_EFATAL;
		put_header(h, 'o', v->len);
		for (size_t i = 0; i < v->len; i++) {
			put_tagged(h, 'k', m[i]->key, m[i]->key_len);
			if (hash_value(h, &m[i]->value, a) != LT_OK)
				return LT_EFATAL;
		}
		return LT_OK;
	}
	}
	return LT_OK;
}

static lt_status hash_with(sha256_ctx *h, const json_value *v, arena *a, unsigned char out[SHA256_LEN])
{
	if (sha256_reset(h) != LT_OK || hash_value(h, v, a) != LT_OK)
		return LT_EFATAL;
	return sha256_final(h, out);
}

lt_status evdup_json_hash(const json_value *v, arena *a, unsigned char out[32])
{
	sha256_ctx *h = sha256_new();
	if (h == NULL)
		return LT_EFATAL;
	lt_status st = hash_with(h, v, a, out);
	sha256_free(h);
	return st;
}

/* --- differing fields --------------------------------------------------------- */

static int is_high(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof high_fields / sizeof high_fields[0]; i++)
		if (strlen(high_fields[i]) == n && memcmp(high_fields[i], k, n) == 0)
			return 1;
	return 0;
}

static void add_field(char *fields, size_t cap, size_t *len, const char *k, size_t n)
{
	const char *sep = *len ? ", " : "";
	size_t need = strlen(sep) + n;
	if (*len + need + 4 >= cap) {
		if (*len + 4 < cap && strcmp(fields + (*len >= 3 ? *len - 3 : 0), "...") != 0) {
			memcpy(fields + *len, "...", 4);
			*len += 3;
		}
		return;
	}
	memcpy(fields + *len, sep, strlen(sep));
	memcpy(fields + *len + strlen(sep), k, n);
	*len += need;
	fields[*len] = '\0';
}

/* 1 if the last members named k differ (or only one side has k), 0 if equal, -1 out of memory. */
static int member_differs(const json_value *a, const json_value *b, const char *k, size_t n, sha256_ctx *h,
                          arena *ar)
{
	const json_value *va = json_getn(a, k, n), *vb = json_getn(b, k, n);
	if (va == NULL || vb == NULL)
		return va != vb;
	unsigned char ha[SHA256_LEN], hb[SHA256_LEN];
	if (hash_with(h, va, ar, ha) != LT_OK || hash_with(h, vb, ar, hb) != LT_OK)
		return -1;
	return memcmp(ha, hb, sizeof ha) != 0;
}

static int diff_objects(const json_value *a, const json_value *b, arena *ar, char *fields, size_t cap,
                        sha256_ctx *h)
{
	/* every key of a and b, sorted: a merge of the two sorted member lists */
	const json_member **ma = sorted_members(a, ar), **mb = sorted_members(b, ar);
	if (ma == NULL || mb == NULL)
		return -1;
	size_t i = 0, j = 0, len = 0;
	int high = 0;
	const char *last = NULL;
	size_t last_n = 0;
	while (i < a->len || j < b->len) {
		const json_member *m = j >= b->len || (i < a->len && member_cmp(&ma[i], &mb[j]) <= 0) ? ma[i++] : mb[j++];
		if (last != NULL && last_n == m->key_len && memcmp(last, m->key, last_n) == 0)
			continue;
		last = m->key;
		last_n = m->key_len;
		int d = member_differs(a, b, m->key, m->key_len, h, ar);
		if (d < 0)
			return -1;
		if (d) {
			add_field(fields, cap, &len, m->key, m->key_len);
			high |= is_high(m->key, m->key_len);
		}
	}
	if (len == 0) /* same members, but repeated keys or their order differ */
		add_field(fields, cap, &len, "(repeated keys)", 15);
	return high;
}

int evdup_diff(const json_value *a, const json_value *b, arena *ar, char *fields, size_t cap)
{
	if (cap == 0)
		return -1;
	fields[0] = '\0';
	if (a == NULL || b == NULL || a->type != JSON_OBJECT || b->type != JSON_OBJECT) {
		snprintf(fields, cap, "%s", "(record)");
		return 1;
	}
	sha256_ctx *h = sha256_new();
	if (h == NULL)
		return -1;
	int r = diff_objects(a, b, ar, fields, cap, h);
	sha256_free(h);
	return r;
}

/* --- judging a merge ---------------------------------------------------------- */

/* The record at (member, offset, length) copied into d->a and parsed; *doc NULL if it does not parse. */
static lt_status load_record(evdup *d, int64_t member_id, uint64_t offset, uint64_t length, ev_str *raw,
                             const json_value **doc, lt_error *err)
{
	*doc = NULL;
	ev_str span = EV_STR_NULL;
	lt_status st = replay_read_span(d->rd, member_id, offset, length, &span, err);
	if (st != LT_OK)
		return st;
	char *copy = arena_alloc(d->a, span.n + 1);
	if (copy == NULL)
		return lt_error_set(err, LT_EITEM, "record too large to compare (%zu bytes)", span.n);
	memcpy(copy, span.p ? span.p : "", span.n);
	copy[span.n] = '\0';
	*raw = ev_str_from(copy, span.n);
	size_t skip = 0; /* a CloudWatch export line carries "<timestamp> " before the record */
	while (skip < span.n && copy[skip] != '{' && copy[skip] != '[')
		skip++;
	json_value *v = NULL;
	json_options o = {JSON_ALLOW_BOM, 0};
	lt_error e2;
	lt_error_clear(&e2);
	if (json_parse(d->a, copy + skip, span.n - skip, &o, &v, NULL, &e2) == LT_OK)
		*doc = v;
	return LT_OK;
}

/* The content hash of a stored record: canonical when it parses, else of its bytes (tagged apart). */
static lt_status record_hash(evdup *d, const kept_row *k, unsigned char out[SHA256_LEN], lt_error *err)
{
	ev_str raw;
	const json_value *doc = NULL;
	lt_status st = load_record(d, k->member_id, k->offset, k->length, &raw, &doc, err);
	if (st != LT_OK)
		return st;
	if (doc != NULL)
		return hash_with(d->sha, doc, d->a, out) == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
	if (sha256_reset(d->sha) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	put_tagged(d->sha, 'r', raw.p, raw.n);
	return sha256_final(d->sha, out) == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
}

static lt_status ensure_hash(evdup *d, kept_row *k, lt_error *err)
{
	if (k->hashed)
		return LT_OK;
	arena_reset(d->a);
	lt_status st = record_hash(d, k, k->hash, err);
	k->hashed = st == LT_OK;
	return st;
}

static void describe_unreadable(evdup_conflict *cf, const lt_error *e)
{
	snprintf(cf->fields, sizeof cf->fields, "(content not readable: %.200s)", e->msg);
	cf->high = 1;
}

/* Fills cf: row r differs from the group's first row. */
static lt_status describe(evdup *d, const kept_row *r, evdup_conflict *cf, lt_error *err)
{
	const kept_row *first = &d->kept[0];
	memset(cf, 0, sizeof *cf);
	cf->first_member_id = first->member_id;
	cf->first_line = first->line;
	cf->first_offset = first->offset;
	arena_reset(d->a);
	ev_str ra, rb;
	const json_value *da = NULL, *db = NULL;
	lt_error e2;
	lt_error_clear(&e2);
	lt_status st = load_record(d, first->member_id, first->offset, first->length, &ra, &da, &e2);
	if (st == LT_OK)
		st = load_record(d, r->member_id, r->offset, r->length, &rb, &db, &e2);
	if (st == LT_EFATAL) {
		*err = e2;
		return st;
	}
	if (st != LT_OK) {
		describe_unreadable(cf, &e2);
		return LT_OK;
	}
	int high = evdup_diff(da, db, d->a, cf->fields, sizeof cf->fields);
	if (high < 0)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	cf->high = high;
	return LT_OK;
}

static void keep(evdup *d, const evmerge_item *it, const unsigned char *hash)
{
	if (d->nkept >= EVDUP_KEPT_MAX)
		return;
	kept_row *k = &d->kept[d->nkept++];
	memset(k, 0, sizeof *k);
	k->member_id = it->member_id;
	k->line = it->row->line;
	k->offset = it->row->offset;
	k->length = it->row->length;
	if (hash != NULL) {
		memcpy(k->hash, hash, SHA256_LEN);
		k->hashed = 1;
	}
}

/* Is this row's content that of a kept row? (-1 unreadable, with e set) */
static int matches_kept(evdup *d, kept_row *row, lt_status *st, lt_error *e, lt_error *err)
{
	*st = ensure_hash(d, row, e);
	if (*st != LT_OK)
		return -1;
	for (size_t i = 0; i < d->nkept; i++) {
		*st = ensure_hash(d, &d->kept[i], e);
		if (*st == LT_EFATAL) {
			*err = *e;
			return -1;
		}
		if (*st == LT_OK && memcmp(d->kept[i].hash, row->hash, SHA256_LEN) == 0)
			return 1;
	}
	*st = LT_OK;
	return 0;
}

lt_status evdup_judge(evdup *d, const evmerge_item *it, evdup_verdict *verdict, evdup_conflict *cf, lt_error *err)
{
	if (!it->duplicate) {
		d->nkept = 0;
		keep(d, it, NULL);
		*verdict = EVDUP_FIRST;
		return LT_OK;
	}
	*verdict = EVDUP_CONFLICT;
	if (d->nkept >= EVDUP_KEPT_MAX) {
		memset(cf, 0, sizeof *cf);
		cf->first_member_id = d->kept[0].member_id;
		cf->first_line = d->kept[0].line;
		cf->first_offset = d->kept[0].offset;
		cf->high = 1;
		snprintf(cf->fields, sizeof cf->fields, "(not compared: more than %d different copies)", EVDUP_KEPT_MAX);
		return LT_OK;
	}
	kept_row row;
	memset(&row, 0, sizeof row);
	row.member_id = it->member_id;
	row.line = it->row->line;
	row.offset = it->row->offset;
	row.length = it->row->length;
	lt_error e;
	lt_error_clear(&e);
	lt_status st = LT_OK;
	int m = matches_kept(d, &row, &st, &e, err);
	if (st == LT_EFATAL)
		return st;
	if (m == 1) {
		*verdict = EVDUP_COPY;
		return LT_OK;
	}
	if (m < 0) {
		memset(cf, 0, sizeof *cf);
		cf->first_member_id = d->kept[0].member_id;
		cf->first_line = d->kept[0].line;
		cf->first_offset = d->kept[0].offset;
		describe_unreadable(cf, &e);
		return LT_OK;
	}
	st = describe(d, &row, cf, err);
	if (st == LT_OK)
		keep(d, it, row.hash);
	return st;
}

/* --- recorded conflicts -------------------------------------------------------- */

static lt_status sql_fail(case_db *c, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index %s: %s: %s", case_path(c), what, sqlite3_errmsg(case_sqlite(c)));
}

static const char *text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

lt_status evdup_each_conflict(case_db *c, evdup_conflict_fn fn, void *ctx, lt_error *err)
{
	if (!case_has_table(c, "conflicts"))
		return LT_OK;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(c),
	                       "SELECT k.source, k.uid, k.time_us, e.path, m.path, k.line, k.offset,"
	                       " fe.path, fm.path, k.first_line, k.first_offset, k.level, k.fields"
	                       " FROM conflicts k"
	                       " JOIN members m ON m.id = k.member_id JOIN evidence e ON e.id = m.evidence_id"
	                       " JOIN members fm ON fm.id = k.first_member_id JOIN evidence fe ON fe.id = fm.evidence_id"
	                       " ORDER BY k.time_us, k.source, k.uid, k.id",
	                       -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "read conflicts");
	lt_status st = LT_OK;
	int rc;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		evdup_conflict_row r = {
			.source = ev_source_name((ev_source)sqlite3_column_int(s, 0)),
			.uid = text(s, 1),
			.time_us = sqlite3_column_int64(s, 2),
			.evidence = text(s, 3),
			.member = text(s, 4),
			.line = (uint64_t)sqlite3_column_int64(s, 5),
			.offset = (uint64_t)sqlite3_column_int64(s, 6),
			.first_evidence = text(s, 7),
			.first_member = text(s, 8),
			.first_line = (uint64_t)sqlite3_column_int64(s, 9),
			.first_offset = (uint64_t)sqlite3_column_int64(s, 10),
			.level = text(s, 11),
			.fields = text(s, 12),
		};
		st = fn(ctx, &r, err);
	}
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(c, err, "read conflicts");
	sqlite3_finalize(s);
	return st;
}

/* Where the first copy is: evidence path and member, or (short) the member alone. */
static lt_status put_where(const evdup_conflict_row *r, int short_where, buf *out)
{
	const char *base = strrchr(r->first_evidence, '/');
	const char *ev = short_where && base != NULL ? base + 1 : r->first_evidence;
	lt_status st = LT_OK;
	if (!(short_where && *r->first_member))
		st = case_escape_text(out, ev, strlen(ev));
	if (st == LT_OK && *r->first_member && !short_where)
		st = buf_puts(out, ": ");
	if (st == LT_OK && *r->first_member)
		st = case_escape_text(out, r->first_member, strlen(r->first_member));
	return st;
}

lt_status evdup_describe(const evdup_conflict_row *r, int short_where, buf *out)
{
	char t[LTIME_BUFSZ];
	ltime_format(r->time_us, 6, t);
	lt_status st = buf_printf(out, "%s ", r->source);
	if (st == LT_OK)
		st = case_escape_text(out, r->uid, strlen(r->uid));
	if (st == LT_OK)
		st = buf_printf(out, " at %s: same id, other content: differs in ", t);
	if (st == LT_OK)
		st = case_escape_text(out, r->fields, strlen(r->fields));
	if (st == LT_OK)
		st = buf_printf(out, " (%s) from ", r->level);
	if (st == LT_OK)
		st = put_where(r, short_where, out);
	if (st == LT_OK)
		st = buf_printf(out, ": line %llu", (unsigned long long)r->first_line);
	return st;
}
