/*
 * replay.c — the chronological cursor (see replay.h).
 *
 * One SELECT over events (joined to the string dictionary) walks the
 * events_time index in (time_us, source, uid) order; the filter becomes WHERE
 * terms, and names (principal, action, model) are bound as strings that the
 * join compares, so no lookup happens before the query. For each row the raw
 * bytes are located as [offset, offset+length) in the member's decompressed
 * text: the chunks covering that span are inflated (blob_unpack) into an LRU
 * cache keyed by (member, chunk), so the many events of one member cost one
 * inflate. An event inside one chunk points straight into the cache; one that
 * straddles chunks is copied into the step arena. The record is re-parsed
 * in-situ into the step arena; invocation events then get their derived text
 * from bedrock_derive, with external bodies read back from the member that
 * case_resolve_body finds.
 */
#include "config.h"

#include "store/replay.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/bedrock.h"
#include "ingest/json.h"
#include "store/blob.h"

typedef struct cache_entry {
	int64_t member_id;
	int64_t seq;
	uint64_t offset, length;
	char *data;
	uint64_t tick;
} cache_entry;

struct replay {
	case_db *c;
	sqlite3 *db;
	sqlite3_stmt *q;       /* the event query */
	sqlite3_stmt *q_spans; /* chunks covering a span */
	sqlite3_stmt *q_chunk; /* one chunk's bytes */
	sqlite3_stmt *q_prov;  /* member provenance */
	replay_filter f;
	arena *step;
	event ev;
	ev_provenance prov;
	int64_t prov_member;
	char *prov_evidence, *prov_path;
	cache_entry cache[REPLAY_CACHE_ENTRIES];
	size_t cache_bytes;
	uint64_t tick;
	int done;
};

void replay_filter_init(replay_filter *f)
{
	memset(f, 0, sizeof *f);
	f->since_us = INT64_MIN;
	f->until_us = INT64_MAX;
	f->source = EV_SRC_UNKNOWN;
}

static ev_source src_from(int64_t v)
{
	return v == EV_SRC_CLOUDTRAIL ? EV_SRC_CLOUDTRAIL : v == EV_SRC_INVOCATION ? EV_SRC_INVOCATION : EV_SRC_UNKNOWN;
}

static lt_status sql_fail(sqlite3 *db, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index: %s: %s", what, sqlite3_errmsg(db));
}

#define EVENT_COLUMNS                                                                                        \
	"e.id, e.source, e.uid, e.time_us, e.member_id, e.offset, e.length, e.line, e.flags, e.request_id,"   \
	" a.s, sv.s, p.s, ak.s, ac.s, r.s, ip.s, ua.s, m.s, ec.s, g.s, e.input_tokens, e.output_tokens,"        \
	" e.latency_ms, e.input_body_ref, e.output_body_ref"
#define EVENT_JOINS                                                                                          \
	" FROM events e"                                                                                         \
	" LEFT JOIN strs a ON a.id = e.action LEFT JOIN strs sv ON sv.id = e.service"                            \
	" LEFT JOIN strs p ON p.id = e.principal LEFT JOIN strs ak ON ak.id = e.access_key"                      \
	" LEFT JOIN strs ac ON ac.id = e.account LEFT JOIN strs r ON r.id = e.region"                            \
	" LEFT JOIN strs ip ON ip.id = e.source_ip LEFT JOIN strs ua ON ua.id = e.user_agent"                    \
	" LEFT JOIN strs m ON m.id = e.model LEFT JOIN strs ec ON ec.id = e.error_code"                          \
	" LEFT JOIN strs g ON g.id = e.guardrail_action"

/* Builds "WHERE ..." for the filter; parameters are bound by bind_filter in the same order. */
static lt_status build_where(const replay_filter *f, buf *sql)
{
	lt_status st = buf_puts(sql, " WHERE e.time_us >= ?1 AND e.time_us < ?2");
	if (st == LT_OK && f->source != EV_SRC_UNKNOWN)
		st = buf_puts(sql, " AND e.source = ?3");
	if (st == LT_OK && f->uid != NULL)
		st = buf_puts(sql, " AND e.uid_key IN (?8, ?9, ?10) AND e.uid = ?4");
	if (st == LT_OK && f->principal != NULL)
		st = buf_puts(sql, " AND e.principal = (SELECT id FROM strs WHERE s = ?5)");
	if (st == LT_OK && f->action != NULL)
		st = buf_puts(sql, " AND e.action = (SELECT id FROM strs WHERE s = ?6)");
	if (st == LT_OK && f->model != NULL)
		st = buf_puts(sql, " AND e.model = (SELECT id FROM strs WHERE s = ?7)");
	return st;
}

static void bind_filter(sqlite3_stmt *s, const replay_filter *f)
{
	sqlite3_bind_int64(s, 1, f->since_us);
	sqlite3_bind_int64(s, 2, f->until_us);
	if (f->source != EV_SRC_UNKNOWN)
		sqlite3_bind_int(s, 3, (int)f->source);
	if (f->uid != NULL) {
		size_t n = strlen(f->uid);
		unsigned char packed[16];
		if (case_uuid_pack(f->uid, n, packed))
			sqlite3_bind_blob(s, 4, packed, 16, SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(s, 4, f->uid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 8, case_uid_key(EV_SRC_UNKNOWN, f->uid, n));
		sqlite3_bind_int64(s, 9, case_uid_key(EV_SRC_CLOUDTRAIL, f->uid, n));
		sqlite3_bind_int64(s, 10, case_uid_key(EV_SRC_INVOCATION, f->uid, n));
	}
	if (f->principal != NULL)
		sqlite3_bind_text(s, 5, f->principal, -1, SQLITE_TRANSIENT);
	if (f->action != NULL)
		sqlite3_bind_text(s, 6, f->action, -1, SQLITE_TRANSIENT);
	if (f->model != NULL)
		sqlite3_bind_text(s, 7, f->model, -1, SQLITE_TRANSIENT);
}

static lt_status prepare_filtered(sqlite3 *db, const replay_filter *f, const char *head, const char *tail,
                                  sqlite3_stmt **out, lt_error *err)
{
	buf sql;
	buf_init(&sql, 0);
	lt_status st = buf_puts(&sql, head);
	if (st == LT_OK)
		st = build_where(f, &sql);
	if (st == LT_OK)
		st = buf_puts(&sql, tail);
	if (st != LT_OK) {
		buf_free(&sql);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	int rc = sqlite3_prepare_v2(db, buf_cstr(&sql), -1, out, NULL);
	buf_free(&sql);
	if (rc != SQLITE_OK)
		return sql_fail(db, err, "prepare replay");
	bind_filter(*out, f);
	return LT_OK;
}

lt_status replay_count(case_db *c, const replay_filter *f, int64_t *n, lt_error *err)
{
	sqlite3 *db = case_sqlite(c);
	sqlite3_stmt *s = NULL;
	lt_status st = prepare_filtered(db, f, "SELECT count(*) FROM events e", "", &s, err);
	if (st != LT_OK)
		return st;
	int rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? LT_OK : sql_fail(db, err, "count");
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

lt_status replay_new(case_db *c, const replay_filter *f, replay **out, lt_error *err)
{
	*out = NULL;
	replay *r = calloc(1, sizeof *r);
	if (r == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	r->c = c;
	r->db = case_sqlite(c);
	r->f = *f;
	r->f.principal = dup_opt(f->principal);
	r->f.action = dup_opt(f->action);
	r->f.model = dup_opt(f->model);
	r->f.uid = dup_opt(f->uid);
	r->step = arena_new(0, REPLAY_STEP_CAP);
	lt_status st = LT_OK;
	if (r->step == NULL || (f->principal && !r->f.principal) || (f->action && !r->f.action) ||
	    (f->model && !r->f.model) || (f->uid && !r->f.uid))
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK)
		st = prepare_filtered(r->db, &r->f, "SELECT " EVENT_COLUMNS EVENT_JOINS,
		                      " ORDER BY e.time_us, e.source, e.uid", &r->q, err);
	if (st == LT_OK &&
	    (sqlite3_prepare_v2(r->db,
	                        "SELECT seq, offset, length FROM chunks WHERE member_id = ?1 AND offset < ?3"
	                        " AND offset + length > ?2 ORDER BY seq",
	                        -1, &r->q_spans, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(r->db, "SELECT codec, data FROM chunks WHERE member_id = ?1 AND seq = ?2", -1,
	                        &r->q_chunk, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(r->db,
	                        "SELECT e.path, m.path, m.sha256 FROM members m JOIN evidence e ON e.id = m.evidence_id"
	                        " WHERE m.id = ?1",
	                        -1, &r->q_prov, NULL) != SQLITE_OK))
		st = sql_fail(r->db, err, "prepare replay");
	if (st != LT_OK) {
		replay_free(r);
		return st;
	}
	*out = r;
	return LT_OK;
}

void replay_free(replay *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->q);
	sqlite3_finalize(r->q_spans);
	sqlite3_finalize(r->q_chunk);
	sqlite3_finalize(r->q_prov);
	for (size_t i = 0; i < REPLAY_CACHE_ENTRIES; i++)
		free(r->cache[i].data);
	free((char *)(uintptr_t)r->f.principal);
	free((char *)(uintptr_t)r->f.action);
	free((char *)(uintptr_t)r->f.model);
	free((char *)(uintptr_t)r->f.uid);
	free(r->prov_evidence);
	free(r->prov_path);
	arena_free(r->step);
	free(r);
}

/* --- chunk cache ------------------------------------------------------------ */

static void cache_drop(replay *r, cache_entry *e)
{
	r->cache_bytes -= (size_t)e->length;
	free(e->data);
	memset(e, 0, sizeof *e);
}

/* A free slot, evicting least recently used entries until `need` more bytes fit. */
static cache_entry *cache_slot(replay *r, size_t need)
{
	for (;;) {
		cache_entry *lru = NULL, *empty = NULL;
		size_t used = 0;
		for (size_t i = 0; i < REPLAY_CACHE_ENTRIES; i++) {
			cache_entry *e = &r->cache[i];
			if (e->data == NULL) {
				empty = empty ? empty : e;
				continue;
			}
			used++;
			if (lru == NULL || e->tick < lru->tick)
				lru = e;
		}
		if (empty != NULL && (r->cache_bytes + need <= REPLAY_CACHE_BYTES || used == 0))
			return empty;
		cache_drop(r, lru);
	}
}

static lt_status load_chunk(replay *r, int64_t member_id, int64_t seq, uint64_t offset, uint64_t length,
                            cache_entry **out, lt_error *err)
{
	for (size_t i = 0; i < REPLAY_CACHE_ENTRIES; i++) {
		cache_entry *e = &r->cache[i];
		if (e->data != NULL && e->member_id == member_id && e->seq == seq) {
			e->tick = ++r->tick;
			*out = e;
			return LT_OK;
		}
	}
	if (length > SIZE_MAX / 2)
		return lt_error_set(err, LT_EFILE, "stored chunk too large");
	sqlite3_stmt *s = r->q_chunk;
	sqlite3_bind_int64(s, 1, member_id);
	sqlite3_bind_int64(s, 2, seq);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return sql_fail(r->db, err, "read chunk");
	}
	cache_entry *e = cache_slot(r, (size_t)length);
	e->data = malloc((size_t)length + 1);
	lt_status st = LT_OK;
	if (e->data == NULL)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	else
		st = blob_unpack(blob_codec_from_name((const char *)sqlite3_column_text(s, 0)), sqlite3_column_blob(s, 1),
		                 (size_t)sqlite3_column_bytes(s, 1), e->data, (size_t)length, err);
	sqlite3_reset(s);
	if (st != LT_OK) {
		free(e->data);
		e->data = NULL;
		return st;
	}
	e->data[length] = '\0';
	e->member_id = member_id;
	e->seq = seq;
	e->offset = offset;
	e->length = length;
	e->tick = ++r->tick;
	r->cache_bytes += (size_t)length;
	*out = e;
	return LT_OK;
}

/* Copies the part of chunk e that overlaps [off, off+len) into dst (which starts at off). */
static void copy_overlap(const cache_entry *e, uint64_t off, uint64_t len, char *dst)
{
	uint64_t lo = off > e->offset ? off : e->offset;
	uint64_t hi = off + len < e->offset + e->length ? off + len : e->offset + e->length;
	if (hi > lo)
		memcpy(dst + (lo - off), e->data + (lo - e->offset), (size_t)(hi - lo));
}

/* Points *raw at member text [off, off+len): into the cache, or a copy in the step arena. */
static lt_status read_span(replay *r, int64_t member_id, uint64_t off, uint64_t len, ev_str *raw, lt_error *err)
{
	sqlite3_stmt *s = r->q_spans;
	sqlite3_bind_int64(s, 1, member_id);
	sqlite3_bind_int64(s, 2, (int64_t)off);
	sqlite3_bind_int64(s, 3, (int64_t)(off + len));
	int64_t seqs[64];
	uint64_t offs[64], lens[64];
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 64) {
		seqs[n] = sqlite3_column_int64(s, 0);
		offs[n] = (uint64_t)sqlite3_column_int64(s, 1);
		lens[n] = (uint64_t)sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(r->db, err, "chunk spans");
	if (n == 0 || offs[0] > off || offs[n - 1] + lens[n - 1] < off + len)
		return lt_error_set(err, LT_EFILE, "stored content does not cover bytes %llu..%llu",
		                    (unsigned long long)off, (unsigned long long)(off + len));
	char *copy = NULL;
	if (n > 1 && (copy = arena_alloc(r->step, (size_t)len + 1)) == NULL)
		return lt_error_set(err, LT_EITEM, "record too large to replay (%llu bytes)", (unsigned long long)len);
	for (size_t i = 0; i < n; i++) {
		cache_entry *e = NULL;
		lt_status st = load_chunk(r, member_id, seqs[i], offs[i], lens[i], &e, err);
		if (st != LT_OK)
			return st;
		if (n == 1) {
			*raw = ev_str_from(e->data + (off - e->offset), (size_t)len);
			return LT_OK;
		}
		copy_overlap(e, off, len, copy);
	}
	copy[len] = '\0';
	*raw = ev_str_from(copy, (size_t)len);
	return LT_OK;
}

/* --- provenance ------------------------------------------------------------- */

static lt_status load_prov(replay *r, int64_t member_id, lt_error *err)
{
	if (r->prov_member == member_id)
		return LT_OK;
	sqlite3_stmt *s = r->q_prov;
	sqlite3_bind_int64(s, 1, member_id);
	int rc = sqlite3_step(s);
	free(r->prov_evidence);
	free(r->prov_path);
	r->prov_evidence = r->prov_path = NULL;
	r->prov.sha256[0] = '\0';
	if (rc == SQLITE_ROW) {
		r->prov_evidence = dup_opt((const char *)sqlite3_column_text(s, 0));
		r->prov_path = dup_opt((const char *)sqlite3_column_text(s, 1));
		const unsigned char *sha = sqlite3_column_text(s, 2);
		snprintf(r->prov.sha256, sizeof r->prov.sha256, "%s", sha ? (const char *)sha : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return sql_fail(r->db, err, "member provenance");
	r->prov.evidence = r->prov_evidence ? r->prov_evidence : "";
	r->prov.member = r->prov_path ? r->prov_path : "";
	r->prov.member_id = member_id;
	r->prov_member = member_id;
	return LT_OK;
}

/* --- one event -------------------------------------------------------------- */

static ev_str col_str(replay *r, int i)
{
	const unsigned char *t = sqlite3_column_text(r->q, i);
	if (t == NULL)
		return EV_STR_NULL;
	size_t n = (size_t)sqlite3_column_bytes(r->q, i);
	char *copy = arena_strndup(r->step, (const char *)t, n);
	return copy ? ev_str_from(copy, n) : EV_STR_NULL;
}

/* uid / request_id: text, or a UUID stored as 16 bytes. */
static ev_str col_uid(replay *r, int i)
{
	if (sqlite3_column_type(r->q, i) == SQLITE_BLOB && sqlite3_column_bytes(r->q, i) == 16) {
		char *t = arena_alloc(r->step, 37);
		if (t == NULL)
			return EV_STR_NULL;
		case_uuid_format(sqlite3_column_blob(r->q, i), t);
		return ev_str_from(t, 36);
	}
	return col_str(r, i);
}

static int64_t col_opt_int(replay *r, int i)
{
	return sqlite3_column_type(r->q, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(r->q, i);
}

static void fill_header(replay *r, event *ev)
{
	ev_str *fields[] = {&ev->action,     &ev->service,   &ev->principal, &ev->access_key,
	                    &ev->account,    &ev->region,    &ev->source_ip, &ev->user_agent,
	                    &ev->model,      &ev->error_code, &ev->guardrail_action};
	memset(ev, 0, sizeof *ev);
	ev->source = src_from(sqlite3_column_int64(r->q, 1));
	ev->uid = col_uid(r, 2);
	ev->time_us = sqlite3_column_int64(r->q, 3);
	ev->offset = (uint64_t)sqlite3_column_int64(r->q, 5);
	ev->line = (uint64_t)sqlite3_column_int64(r->q, 7);
	ev->flags = (uint32_t)sqlite3_column_int64(r->q, 8);
	ev->request_id = col_uid(r, 9);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		*fields[i] = col_str(r, 10 + (int)i);
	ev->input_tokens = col_opt_int(r, 21);
	ev->output_tokens = col_opt_int(r, 22);
	ev->latency_ms = col_opt_int(r, 23);
	ev->input_body_ref = col_str(r, 24);
	ev->output_body_ref = col_str(r, 25);
}

static lt_status parse_json(arena *a, const char *p, size_t n, const json_value **out, lt_error *err)
{
	json_value *v = NULL;
	/* A CloudWatch export line carries "<timestamp> " before the record. */
	size_t skip = 0;
	while (skip < n && p[skip] != '{' && p[skip] != '[')
		skip++;
	json_options o = {JSON_ALLOW_BOM, 0};
	lt_status st = json_parse(a, p + skip, n - skip, &o, &v, NULL, err);
	*out = st == LT_OK ? v : NULL;
	return st;
}

/* The body held by the stored object that ref names, parsed; NULL body if missing. */
static lt_status external_body(replay *r, ev_str ref, const json_value **body, lt_error *err)
{
	*body = NULL;
	if (ref.p == NULL || ref.n == 0)
		return LT_OK;
	int64_t mid = 0;
	lt_status st = case_resolve_body(r->c, ref.p, ref.n, &mid, err);
	if (st != LT_OK)
		return st;
	if (mid == 0)
		return lt_error_set(err, LT_EITEM, "external body %.*s is not in the evidence", (int)(ref.n > 400 ? 400 : ref.n),
		                    ref.p);
	buf content;
	buf_init(&content, BEDROCK_MAX_TEXT * 4u);
	st = case_member_content(r->c, mid, &content, err);
	if (st == LT_OK) {
		char *copy = arena_alloc(r->step, content.len + 1);
		if (copy == NULL)
			st = lt_error_set(err, LT_EITEM, "external body too large to replay");
		else {
			memcpy(copy, content.data ? content.data : "", content.len);
			copy[content.len] = '\0';
			st = parse_json(r->step, copy, content.len, body, err);
		}
	}
	buf_free(&content);
	return st == LT_EFATAL ? st : (st == LT_OK ? LT_OK : LT_EITEM);
}

static lt_status derive(replay *r, event *ev, lt_error *err)
{
	const json_value *in = json_get_path(ev->doc, "input.inputBodyJson");
	const json_value *out = json_get_path(ev->doc, "output.outputBodyJson");
	lt_status worst = LT_OK;
	if (in == NULL) {
		lt_status st = external_body(r, ev->input_body_ref, &in, err);
		if (st == LT_EFATAL)
			return st;
		worst = lt_status_worst(worst, st);
	}
	if (out == NULL) {
		lt_error e2;
		lt_error_clear(&e2);
		lt_status st = external_body(r, ev->output_body_ref, &out, worst == LT_OK ? err : &e2);
		if (st == LT_EFATAL)
			return st;
		worst = lt_status_worst(worst, st);
	}
	if (in != NULL || out != NULL) {
		lt_status st = bedrock_derive(ev, in, out, r->step);
		if (st != LT_OK && worst == LT_OK)
			lt_error_set(err, st, "derived text truncated or incomplete");
		worst = lt_status_worst(worst, st);
	}
	return worst;
}

static lt_status fill_body(replay *r, event *ev, int64_t member_id, uint64_t length, lt_error *err)
{
	if (r->f.flags & REPLAY_HEADERS_ONLY)
		return LT_OK;
	lt_status st = read_span(r, member_id, ev->offset, length, &ev->raw, err);
	if (st != LT_OK)
		return st;
	st = parse_json(r->step, ev->raw.p, ev->raw.n, &ev->doc, err);
	if (st != LT_OK)
		return st == LT_EFATAL ? st : LT_EITEM;
	if (ev->source == EV_SRC_INVOCATION && !(r->f.flags & REPLAY_NO_DERIVE))
		return derive(r, ev, err);
	return LT_OK;
}

lt_status replay_next(replay *r, const event **out, lt_error *err)
{
	*out = NULL;
	if (r->done)
		return LT_OK;
	arena_reset(r->step);
	int rc = sqlite3_step(r->q);
	if (rc == SQLITE_DONE) {
		r->done = 1;
		return LT_OK;
	}
	if (rc != SQLITE_ROW)
		return sql_fail(r->db, err, "replay");
	event *ev = &r->ev;
	fill_header(r, ev);
	int64_t member_id = sqlite3_column_int64(r->q, 4);
	uint64_t length = (uint64_t)sqlite3_column_int64(r->q, 6);
	lt_status st = load_prov(r, member_id, err);
	if (st != LT_OK)
		return st;
	ev->prov = &r->prov;
	st = fill_body(r, ev, member_id, length, err);
	if (st == LT_EFATAL)
		return st;
	if (st != LT_OK)
		lt_error_where(err, r->prov.evidence, r->prov.member, ev->line);
	*out = ev;
	return st;
}
