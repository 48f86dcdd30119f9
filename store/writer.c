/*
 * writer.c — inserting members, their event blocks, content and problems
 * (see writer.h).
 *
 * Every statement is prepared once per writer. A member's events become
 * rows of store/evblock.h: repeated header strings (action, principal, model,
 * region, user agent, ...) are stored once in the strs table and referenced
 * by id, through an in-memory map (open addressing, capped at STR_CACHE_MAX
 * entries, and strings over CASE_STR_SHORT bytes at CASE_STR_LONG_BUDGET bytes
 * in all, then plain lookups); the rows are sorted by source and then
 * (time, source, uid) and stored as blocks of at most EVBLOCK_MAX rows, so a
 * member costs a handful of INSERTs however many events it has. Events that
 * name an external body also get a body_refs row, which
 * writer_resolve_bodies checks at the end of a run. De-duplication by
 * (source, uid) is not done per event: writer_dedup merges all blocks in
 * replay order (store/evmerge.h), where copies of an event are adjacent,
 * judges each later copy by content (store/evdup.h: a re-delivery is
 * counted as a duplicate, a copy with other content is kept and recorded in
 * the conflicts table), and records the counts on the members and in the
 * dedup table.
 * The caller decides the batch size (writer_commit); the transaction is
 * opened lazily by the first write. A member is added in parts
 * (writer_member_begin/_events/_chunks/_end); writer_add_member is those
 * parts in one call, and a huge member calls _events once per batch.
 */
#include "config.h"

#include "store/writer.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/buf.h"
#include "common/sort.h"
#include "ingest/sha256.h"
#include "store/detblock.h"
#include "store/evdup.h"
#include "store/evmerge.h"

#define STR_CACHE_MAX (1u << 20)

typedef struct str_slot {
	char *s;
	size_t n;
	uint64_t hash;
	int64_t id;
} str_slot;

enum {
	Q_EV_SEL,
	Q_EV_INS,
	Q_EV_UPD,
	Q_MEM_SEL,
	Q_MEM_SHA,
	Q_MEM_INS,
	Q_MEM_UPD,
	Q_CHUNK_INS,
	Q_STR_SEL,
	Q_STR_INS,
	Q_BLOCK_INS,
	Q_BODY_INS,
	Q_PROB_INS,
	Q_DET_INS,
	Q_COUNT
};

static const char *const queries[Q_COUNT] = {
	"SELECT id FROM evidence WHERE path=?",
	"INSERT INTO evidence(path, kind, size, sha256, run_id) VALUES(?,?,?,?,?)",
	"UPDATE evidence SET kind=?, size=?, sha256=? WHERE id=? AND sha256 IS NULL",
	"SELECT id, sha256 FROM members WHERE evidence_id=? AND path=?",
	"SELECT id FROM members WHERE sha256=? AND state='indexed' ORDER BY id LIMIT 1",
	"INSERT INTO members(evidence_id, path, name, size, sha256, content_size, content_sha256, format, state,"
	" same_as, run_id) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	"UPDATE members SET events=?, duplicates=?, problems=?, format=?, state=?, content_size=?, content_sha256=?"
	" WHERE id=?",
	"INSERT INTO chunks(member_id, seq, offset, length, codec, data) VALUES(?,?,?,?,?,?)",
	"SELECT id FROM strs WHERE s=?",
	"INSERT INTO strs(s) VALUES(?)",
	"INSERT INTO blocks(member_id, source, t_min, t_max, n, data) VALUES(?,?,?,?,?,?)",
	"INSERT INTO body_refs(member_id, line, uid, input_ref, output_ref) VALUES(?,?,?,?,?)",
	"INSERT OR IGNORE INTO problems(kind, file, member, line, offset, reason, member_id, body_ref_id, run_id)"
	" VALUES(?,?,?,?,?,?,?,?,?)",
	"INSERT INTO detections(block_id, digest, data) VALUES(?,?,?)",
};

struct writer {
	case_db *c;
	sqlite3 *db;
	int64_t run_id;
	int in_txn;
	sqlite3_stmt *q[Q_COUNT];
	char *last_ev_path;
	int64_t last_ev_id;
	str_slot *strs;
	size_t strs_cap, strs_n;
	size_t strs_long; /* bytes of cached strings over CASE_STR_SHORT */
	/* per member, reused: its rows, one block's rows in order, synthesized
	 * uids (only for members with events that have none), one encoded block */
	struct wrow *rows;
	evblock_row *run;
	size_t rows_cap;
	char (*synth)[72];
	size_t synth_cap;
	buf block;
	/* stored detections (writer_set_detections): the rules' digest, one
	 * block's entries in row order, their encoding */
	char det_digest[72];
	const detblock_entry **det_run;
	buf det;
	/* the member being added (writer_member_begin .. writer_member_end) */
	int64_t cur_id;
	size_t cur_chunks;
};

typedef struct wrow {
	evblock_row r;
	size_t idx;
} wrow;

static lt_status fail(writer *w, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index %s: %s: %s", case_path(w->c), what, sqlite3_errmsg(w->db));
}

lt_status writer_new(case_db *c, int64_t run_id, writer **out, lt_error *err)
{
	*out = NULL;
	writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	w->c = c;
	w->db = case_sqlite(c);
	w->run_id = run_id;
	buf_init(&w->block, 0);
	buf_init(&w->det, 0);
	for (int i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v3(w->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &w->q[i], NULL) != SQLITE_OK) {
			lt_status st = fail(w, err, "prepare");
			writer_free(w);
			return st;
		}
	}
	*out = w;
	return LT_OK;
}

void writer_free(writer *w)
{
	if (w == NULL)
		return;
	if (w->in_txn)
		(void)sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(w->q[i]);
	for (size_t i = 0; i < w->strs_cap; i++)
		free(w->strs[i].s);
	free(w->strs);
	free(w->last_ev_path);
	free(w->rows);
	free(w->run);
	free(w->synth);
	buf_free(&w->block);
	buf_free(&w->det);
	free(w->det_run);
	free(w);
}

void writer_set_detections(writer *w, const char *digest)
{
	snprintf(w->det_digest, sizeof w->det_digest, "%s", digest != NULL ? digest : "");
}

static lt_status begin(writer *w, lt_error *err)
{
	if (w->in_txn)
		return LT_OK;
	if (sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(w, err, "begin");
	w->in_txn = 1;
	return LT_OK;
}

lt_status writer_commit(writer *w, lt_error *err)
{
	if (!w->in_txn)
		return LT_OK;
	if (sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return fail(w, err, "commit");
	w->in_txn = 0;
	return LT_OK;
}

/* Steps a statement that returns no row (or whose row is ignored) and resets it. */
static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *p, size_t n)
{
	if (p == NULL || n == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, p, (int)n, SQLITE_STATIC);
}

static void bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

lt_status writer_evidence(writer *w, const char *path, const char *kind, int64_t size, const char *sha256,
                          lt_error *err)
{
	lt_status st = begin(w, err);
	if (st != LT_OK)
		return st;
	sqlite3_stmt *s = w->q[Q_EV_SEL];
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	int64_t id = 0;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(w, err, "select evidence");
	if (id == 0) {
		s = w->q[Q_EV_INS];
		sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		bind_opt_int(s, 3, size);
		if (sha256 && *sha256)
			sqlite3_bind_text(s, 4, sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, w->run_id);
		if (!step_done(s))
			return fail(w, err, "insert evidence");
		id = sqlite3_last_insert_rowid(w->db);
	} else if (sha256 && *sha256) {
		s = w->q[Q_EV_UPD];
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
		bind_opt_int(s, 2, size);
		sqlite3_bind_text(s, 3, sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, id);
		if (!step_done(s))
			return fail(w, err, "update evidence");
	}
	char *copy = strdup(path);
	if (copy == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	free(w->last_ev_path);
	w->last_ev_path = copy;
	w->last_ev_id = id;
	return LT_OK;
}

static lt_status evidence_id(writer *w, const char *path, int64_t *id, lt_error *err)
{
	if (w->last_ev_path == NULL || strcmp(w->last_ev_path, path) != 0) {
		lt_status st = writer_evidence(w, path, "file", -1, NULL, err);
		if (st != LT_OK)
			return st;
	}
	*id = w->last_ev_id;
	return LT_OK;
}

/* --- string dictionary ------------------------------------------------- */

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = lt_fnv64_add(LT_FNV64_SEED_SHORT, p, n);
	return h ? h : 1;
}

static lt_status cache_grow(writer *w)
{
	size_t ncap = w->strs_cap ? w->strs_cap * 2 : 4096;
	str_slot *n = calloc(ncap, sizeof *n);
	if (n == NULL)
		return LT_EFATAL;
	for (size_t i = 0; i < w->strs_cap; i++) {
		if (w->strs[i].s == NULL)
			continue;
		size_t j = (size_t)(w->strs[i].hash & (ncap - 1));
		while (n[j].s != NULL)
			j = (j + 1) & (ncap - 1);
		n[j] = w->strs[i];
	}
	free(w->strs);
	w->strs = n;
	w->strs_cap = ncap;
	return LT_OK;
}

static str_slot *cache_find(writer *w, const char *p, size_t n, uint64_t h)
{
	if (w->strs_cap == 0)
		return NULL;
	size_t j = (size_t)(h & (w->strs_cap - 1));
	while (w->strs[j].s != NULL) {
		if (w->strs[j].hash == h && w->strs[j].n == n && memcmp(w->strs[j].s, p, n) == 0)
			return &w->strs[j];
		j = (j + 1) & (w->strs_cap - 1);
	}
	return &w->strs[j];
}

static lt_status str_lookup_db(writer *w, const char *p, size_t n, int64_t *id, lt_error *err)
{
	sqlite3_stmt *s = w->q[Q_STR_SEL];
	sqlite3_bind_text(s, 1, p, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(w, err, "select string");
	if (*id != 0)
		return LT_OK;
	s = w->q[Q_STR_INS];
	sqlite3_bind_text(s, 1, p, (int)n, SQLITE_STATIC);
	if (!step_done(s))
		return fail(w, err, "insert string");
	*id = sqlite3_last_insert_rowid(w->db);
	return LT_OK;
}

static lt_status str_id(writer *w, ev_str v, int64_t *id, lt_error *err)
{
	*id = 0;
	if (v.p == NULL || v.n == 0)
		return LT_OK;
	if (v.n > 1000000000)
		return lt_error_set(err, LT_EFATAL, "header field too long");
	uint64_t h = hash_bytes(v.p, v.n);
	if ((w->strs_n + 1) * 2 > w->strs_cap && w->strs_n < STR_CACHE_MAX && cache_grow(w) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	str_slot *slot = cache_find(w, v.p, v.n, h);
	if (slot != NULL && slot->s != NULL) {
		*id = slot->id;
		return LT_OK;
	}
	lt_status st = str_lookup_db(w, v.p, v.n, id, err);
	if (st != LT_OK || slot == NULL || w->strs_n >= STR_CACHE_MAX || (w->strs_n + 1) * 2 > w->strs_cap)
		return st;
	/* Long values (user agents, ARNs of attacker-made names) are as many as
	 * the evidence likes: past the budget they are looked up in strs (its
	 * unique index) each time, so the cache stays flat. */
	if (v.n > CASE_STR_SHORT && w->strs_long + v.n > CASE_STR_LONG_BUDGET)
		return st;
	if (v.n > CASE_STR_SHORT)
		w->strs_long += v.n;
	slot->s = malloc(v.n);
	if (slot->s == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	memcpy(slot->s, v.p, v.n);
	slot->n = v.n;
	slot->hash = h;
	slot->id = *id;
	w->strs_n++;
	return LT_OK;
}

/* --- members ------------------------------------------------------------ */

static const char *base_name(const char *evidence, const char *path)
{
	const char *p = (path && *path) ? path : evidence;
	const char *slash = strrchr(p, '/');
	return slash ? slash + 1 : p;
}

static lt_status lookup_member(writer *w, int64_t ev_id, const char *path, int64_t *id, char sha[65],
                               lt_error *err)
{
	sqlite3_stmt *s = w->q[Q_MEM_SEL];
	sqlite3_bind_int64(s, 1, ev_id);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*id = 0;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		const unsigned char *t = sqlite3_column_text(s, 1);
		snprintf(sha, 65, "%s", t ? (const char *)t : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(w, err, "select member");
	return LT_OK;
}

static lt_status lookup_sha(writer *w, const char *sha, int64_t *id, lt_error *err)
{
	sqlite3_stmt *s = w->q[Q_MEM_SHA];
	sqlite3_bind_text(s, 1, sha, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(w, err, "select member by sha256");
	return LT_OK;
}

static lt_status insert_member(writer *w, int64_t ev_id, const writer_member *m, const char *state,
                               int64_t same_as, int64_t *id, lt_error *err)
{
	sqlite3_stmt *s = w->q[Q_MEM_INS];
	sqlite3_bind_int64(s, 1, ev_id);
	sqlite3_bind_text(s, 2, m->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, base_name(m->evidence, m->path), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (int64_t)m->size);
	sqlite3_bind_text(s, 5, m->sha256, -1, SQLITE_STATIC);
	if (m->has_content) {
		sqlite3_bind_int64(s, 6, (int64_t)m->content_size);
		sqlite3_bind_text(s, 7, m->content_sha256, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(s, 8, m->format ? m->format : "unknown", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, state, -1, SQLITE_STATIC);
	if (same_as > 0)
		sqlite3_bind_int64(s, 10, same_as);
	sqlite3_bind_int64(s, 11, w->run_id);
	if (!step_done(s))
		return fail(w, err, "insert member");
	*id = sqlite3_last_insert_rowid(w->db);
	return LT_OK;
}

static lt_status insert_chunks(writer *w, int64_t member_id, const blob_chunks *c, lt_error *err)
{
	sqlite3_stmt *s = w->q[Q_CHUNK_INS];
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		const blob_chunk *ch = &c->v[i];
		sqlite3_bind_int64(s, 1, member_id);
		sqlite3_bind_int64(s, 2, (int64_t)w->cur_chunks++);
		sqlite3_bind_int64(s, 3, (int64_t)ch->offset);
		sqlite3_bind_int64(s, 4, (int64_t)ch->length);
		sqlite3_bind_text(s, 5, blob_codec_name(ch->codec), -1, SQLITE_STATIC);
		sqlite3_bind_blob64(s, 6, ch->data, (sqlite3_uint64)ch->size, SQLITE_STATIC);
		if (!step_done(s))
			return fail(w, err, "insert chunk");
	}
	return LT_OK;
}

/* "sha256:<hex>" of the raw record, for events that carry no uid (the
 * indexer's workers do the same before the raw bytes are let go). */
static lt_status synth_uid(const event *e, char out[72], lt_error *err)
{
	memcpy(out, "sha256:", 7);
	if (sha256_hex(e->raw.p ? e->raw.p : "", e->raw.n, out + 7) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "sha256 failed");
	return LT_OK;
}

/* Room for n rows, one block's run of them, and, if synth, n synthesized uids. */
static lt_status rows_reserve(writer *w, size_t n, int synth, lt_error *err)
{
	if (n > w->rows_cap) {
		size_t nrun = n < EVBLOCK_MAX ? n : EVBLOCK_MAX;
		wrow *r = n <= SIZE_MAX / sizeof *r ? realloc(w->rows, n * sizeof *r) : NULL;
		if (r != NULL)
			w->rows = r;
		evblock_row *run = r != NULL ? realloc(w->run, nrun * sizeof *run) : NULL;
		if (run != NULL)
			w->run = run;
		const detblock_entry **dr = run != NULL ? realloc(w->det_run, nrun * sizeof *dr) : NULL;
		if (dr != NULL)
			w->det_run = dr;
		if (r == NULL || run == NULL || dr == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory for %zu events", n);
		w->rows_cap = n;
	}
	if (synth && n > w->synth_cap) {
		char(*sy)[72] = n <= SIZE_MAX / sizeof *sy ? realloc(w->synth, n * sizeof *sy) : NULL;
		if (sy == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory for %zu events", n);
		w->synth = sy;
		w->synth_cap = n;
	}
	return LT_OK;
}

/* The block row of event e (strings interned, uid synthesized if absent). */
static lt_status make_row(writer *w, const event *e, size_t i, evblock_row *r, lt_error *err)
{
	const ev_str *fields[EVBLOCK_NSTR] = {&e->action,  &e->service,    &e->principal, &e->access_key,
	                                      &e->account, &e->region,     &e->source_ip, &e->user_agent,
	                                      &e->model,   &e->error_code, &e->guardrail_action};
	memset(r, 0, sizeof *r);
	for (size_t k = 0; k < EVBLOCK_NSTR; k++) {
		int64_t id = 0;
		lt_status st = str_id(w, *fields[k], &id, err);
		if (st != LT_OK)
			return st;
		if (id < 0 || id > (int64_t)UINT32_MAX)
			return lt_error_set(err, LT_EFATAL, "string dictionary full");
		r->str[k] = (uint32_t)id;
	}
	r->uid = e->uid;
	if (r->uid.p == NULL || r->uid.n == 0) {
		lt_status st = synth_uid(e, w->synth[i], err);
		if (st != LT_OK)
			return st;
		r->uid = ev_str_from(w->synth[i], strlen(w->synth[i]));
	}
	r->time_us = e->time_us;
	r->source = (uint32_t)e->source;
	r->flags = e->flags & ~(uint32_t)EV_F_BODY_MISSING;
	r->request_id = e->request_id;
	r->input_tokens = e->input_tokens < 0 ? -1 : e->input_tokens;
	r->output_tokens = e->output_tokens < 0 ? -1 : e->output_tokens;
	r->latency_ms = e->latency_ms < 0 ? -1 : e->latency_ms;
	r->offset = e->offset;
	r->length = e->raw.n;
	r->line = e->line;
	r->input_body_ref = e->input_body_ref;
	r->output_body_ref = e->output_body_ref;
	/* The indexer drops such strings with a problem (store/indexer.c)
	 * before they get here; anything else is a caller's bug. */
	if (r->uid.n > EVBLOCK_STR_MAX || r->request_id.n > EVBLOCK_STR_MAX || r->input_body_ref.n > EVBLOCK_STR_MAX ||
	    r->output_body_ref.n > EVBLOCK_STR_MAX)
		return lt_error_set(err, LT_EFATAL, "event header string longer than %u bytes", (unsigned)EVBLOCK_STR_MAX);
	return LT_OK;
}

/* Source first, then replay order, then position in the member: a stable,
 * total order, so equal events keep the order they were found in. */
static int wrow_cmp(const void *a, const void *b)
{
	const wrow *x = a, *y = b;
	if (x->r.source != y->r.source)
		return x->r.source < y->r.source ? -1 : 1;
	int d = evblock_row_cmp(&x->r, &y->r);
	if (d != 0)
		return d;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The block just inserted: its rows' detections, under the rules' digest.
 * Every block of a member indexed with detection has a row (possibly
 * listing nothing), so "no row" means "not detected at index time". */
static lt_status insert_detections(writer *w, size_t n, lt_error *err)
{
	buf_reset(&w->det);
	lt_status st = detblock_encode(w->det_run, n, &w->det, err);
	if (st != LT_OK)
		return st;
	sqlite3_stmt *s = w->q[Q_DET_INS];
	sqlite3_bind_int64(s, 1, sqlite3_last_insert_rowid(w->db));
	sqlite3_bind_text(s, 2, w->det_digest, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 3, w->det.data, (sqlite3_uint64)w->det.len, SQLITE_STATIC);
	return step_done(s) ? LT_OK : fail(w, err, "insert detections");
}

static lt_status insert_block(writer *w, int64_t member_id, const evblock_row *rows, size_t n, lt_error *err)
{
	buf_reset(&w->block);
	lt_status st = evblock_encode(rows, n, &w->block, err);
	if (st != LT_OK)
		return st;
	sqlite3_stmt *s = w->q[Q_BLOCK_INS];
	sqlite3_bind_int64(s, 1, member_id);
	sqlite3_bind_int(s, 2, (int)rows[0].source);
	sqlite3_bind_int64(s, 3, rows[0].time_us);
	sqlite3_bind_int64(s, 4, rows[n - 1].time_us);
	sqlite3_bind_int64(s, 5, (int64_t)n);
	sqlite3_bind_blob64(s, 6, w->block.data, (sqlite3_uint64)w->block.len, SQLITE_STATIC);
	if (!step_done(s))
		return fail(w, err, "insert block");
	return w->det_digest[0] != '\0' ? insert_detections(w, n, err) : LT_OK;
}

/* Blocks of the sorted rows: a new one at each change of source and every
 * EVBLOCK_MAX rows. ev: the events, whose user is their detection (or NULL). */
static lt_status insert_blocks(writer *w, int64_t member_id, const event *ev, size_t n, lt_error *err)
{
	lt_status st = LT_OK;
	size_t k = 0;
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		if (k > 0 && (k == EVBLOCK_MAX || w->run[0].source != w->rows[i].r.source)) {
			st = insert_block(w, member_id, w->run, k, err);
			k = 0;
		}
		w->det_run[k] = ev[w->rows[i].idx].user;
		w->run[k++] = w->rows[i].r;
	}
	if (st == LT_OK && k > 0)
		st = insert_block(w, member_id, w->run, k, err);
	return st;
}

static lt_status insert_body_ref(writer *w, int64_t member_id, const evblock_row *r, lt_error *err)
{
	sqlite3_stmt *s = w->q[Q_BODY_INS];
	sqlite3_bind_int64(s, 1, member_id);
	sqlite3_bind_int64(s, 2, (int64_t)r->line);
	sqlite3_bind_text(s, 3, r->uid.p, (int)r->uid.n, SQLITE_STATIC);
	bind_opt_text(s, 4, r->input_body_ref.p, r->input_body_ref.n);
	bind_opt_text(s, 5, r->output_body_ref.p, r->output_body_ref.n);
	return step_done(s) ? LT_OK : fail(w, err, "insert body reference");
}

/* One batch of a member's events: sorted, then stored as blocks of their own.
 * Blocks of later batches may overlap earlier ones in time; replay merges
 * them by (time, source, uid, block id, row), which is the order one sort of
 * all the member's events would give, so batching changes no output. */
static lt_status insert_events(writer *w, int64_t member_id, const event *ev, size_t n, writer_result *res,
                               lt_error *err)
{
	if (n == 0)
		return LT_OK;
	int synth = 0;
	for (size_t i = 0; i < n && !synth; i++)
		synth = ev[i].uid.n == 0;
	lt_status st = rows_reserve(w, n, synth, err);
	for (size_t i = 0; st == LT_OK && i < n; i++) {
		w->rows[i].idx = i;
		st = make_row(w, &ev[i], i, &w->rows[i].r, err);
		if (st == LT_OK && (w->rows[i].r.input_body_ref.n > 0 || w->rows[i].r.output_body_ref.n > 0))
			st = insert_body_ref(w, member_id, &w->rows[i].r, err);
		res->events_new_by_source[w->rows[i].r.source % EV_SRC_COUNT]++;
	}
	if (st != LT_OK)
		return st;
	res->events_new += n;
	lt_sort(w->rows, n, sizeof *w->rows, wrow_cmp);
	return insert_blocks(w, member_id, ev, n, err);
}

static lt_status insert_problem(writer *w, const char *kind, const char *file, const char *member,
                                uint64_t line, uint64_t offset, const char *reason, int64_t member_id,
                                int64_t body_ref_id, int *added, lt_error *err)
{
	lt_status st = begin(w, err);
	if (st != LT_OK)
		return st;
	sqlite3_stmt *s = w->q[Q_PROB_INS];
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, file ? file : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, member ? member : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (int64_t)line);
	sqlite3_bind_int64(s, 5, (int64_t)offset);
	sqlite3_bind_text(s, 6, reason ? reason : "", -1, SQLITE_STATIC);
	if (member_id > 0)
		sqlite3_bind_int64(s, 7, member_id);
	if (body_ref_id > 0)
		sqlite3_bind_int64(s, 8, body_ref_id);
	sqlite3_bind_int64(s, 9, w->run_id);
	if (!step_done(s))
		return fail(w, err, "insert problem");
	*added = sqlite3_changes(w->db) > 0;
	return LT_OK;
}

lt_status writer_problem_add(writer *w, const char *kind, const char *file, const char *member, uint64_t line,
                             uint64_t offset, const char *reason, int *added, lt_error *err)
{
	return insert_problem(w, kind, file, member, line, offset, reason, 0, 0, added, err);
}

lt_status writer_member_begin(writer *w, const writer_member *m, writer_result *res, int *wanted, lt_error *err)
{
	memset(res, 0, sizeof *res);
	*wanted = 0;
	w->cur_id = 0;
	w->cur_chunks = 0;
	int64_t ev_id = 0, id = 0, same = 0;
	char old_sha[65] = "";
	lt_status st = begin(w, err);
	if (st == LT_OK)
		st = evidence_id(w, m->evidence, &ev_id, err);
	if (st == LT_OK)
		st = lookup_member(w, ev_id, m->path, &id, old_sha, err);
	if (st != LT_OK)
		return st;
	if (id != 0) {
		res->state = "skipped";
		if (strcmp(old_sha, m->sha256) == 0)
			return LT_OK;
		char reason[256];
		snprintf(reason, sizeof reason, "member changed since it was indexed: sha256 %.64s, was %.64s", m->sha256,
		         old_sha);
		int added = 0;
		res->state = "changed";
		st = insert_problem(w, PROBLEM_CHANGED, m->evidence, m->path, 0, 0, reason, id, 0, &added, err);
		res->problems_new += (uint64_t)added;
		return st;
	}
	const char *state = m->state ? m->state : MEMBER_INDEXED;
	if (strcmp(state, MEMBER_INDEXED) == 0) {
		st = lookup_sha(w, m->sha256, &same, err);
		if (st != LT_OK)
			return st;
		if (same != 0)
			state = MEMBER_DUPLICATE;
	}
	st = insert_member(w, ev_id, m, state, same, &id, err);
	if (st != LT_OK)
		return st;
	res->state = state;
	res->member_id = id;
	if (strcmp(state, MEMBER_DUPLICATE) == 0)
		return LT_OK;
	w->cur_id = id;
	*wanted = 1;
	return LT_OK;
}

lt_status writer_member_events(writer *w, const event *ev, size_t n, writer_result *res, lt_error *err)
{
	if (w->cur_id == 0)
		return lt_error_set(err, LT_EFATAL, "writer: events outside a member");
	return insert_events(w, w->cur_id, ev, n, res, err);
}

lt_status writer_member_chunks(writer *w, const blob_chunks *c, lt_error *err)
{
	if (w->cur_id == 0)
		return lt_error_set(err, LT_EFATAL, "writer: content outside a member");
	return insert_chunks(w, w->cur_id, c, err);
}

/* The member's problems that are faults: a "note" (a CONTROL_MESSAGE passed
 * over on purpose) is recorded but does not make the member one that "had
 * problems" (the exit code of a later run, docs/case-schema.md). */
static size_t fault_count(const writer_member *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nproblems; i++)
		n += strcmp(m->problems[i].kind, PROBLEM_NOTE) != 0;
	return n;
}

lt_status writer_member_end(writer *w, const writer_member *m, writer_result *res, lt_error *err)
{
	int64_t id = w->cur_id;
	if (id == 0)
		return lt_error_set(err, LT_EFATAL, "writer: no member to end");
	w->cur_id = 0;
	lt_status st = LT_OK;
	for (size_t i = 0; st == LT_OK && i < m->nproblems; i++) {
		const writer_problem *p = &m->problems[i];
		int added = 0;
		st = insert_problem(w, p->kind, m->evidence, m->path, p->line, p->offset, p->reason, id, 0, &added, err);
		res->problems_new += (uint64_t)added;
	}
	if (st != LT_OK)
		return st;
	res->state = m->state ? m->state : MEMBER_INDEXED;
	sqlite3_stmt *s = w->q[Q_MEM_UPD];
	sqlite3_bind_int64(s, 1, (int64_t)res->events_new);
	sqlite3_bind_int64(s, 2, 0);
	sqlite3_bind_int64(s, 3, (int64_t)fault_count(m));
	sqlite3_bind_text(s, 4, m->format ? m->format : "unknown", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, res->state, -1, SQLITE_STATIC);
	if (m->has_content) {
		sqlite3_bind_int64(s, 6, (int64_t)m->content_size);
		sqlite3_bind_text(s, 7, m->content_sha256, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 8, id);
	return step_done(s) ? LT_OK : fail(w, err, "update member");
}

lt_status writer_add_member(writer *w, const writer_member *m, writer_result *res, lt_error *err)
{
	int wanted = 0;
	lt_status st = writer_member_begin(w, m, res, &wanted, err);
	if (st != LT_OK || !wanted)
		return st;
	st = writer_member_chunks(w, m->chunks, err);
	if (st == LT_OK)
		st = writer_member_events(w, m->events, m->nevents, res, err);
	if (st == LT_OK)
		st = writer_member_end(w, m, res, err);
	return st;
}

/* --- external bodies ------------------------------------------------------ */

typedef struct body_ref {
	int64_t id;
	int64_t missing;
	uint64_t line;
	char *file, *member, *in, *out;
} body_ref;

static char *dup_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

static lt_status check_one(writer *w, const char *which, const char *ref, const body_ref *r, int *missing,
                           uint64_t *nmissing, lt_error *err)
{
	if (ref == NULL || *ref == '\0')
		return LT_OK;
	int64_t mid = 0;
	lt_status st = case_resolve_body(w->c, ref, strlen(ref), &mid, err);
	if (st != LT_OK || mid != 0)
		return st;
	*missing = 1;
	(*nmissing)++;
	char reason[1200];
	snprintf(reason, sizeof reason, "%s body %s is not in the evidence", which, ref);
	int added = 0;
	return insert_problem(w, PROBLEM_MISSING_BODY, r->file, r->member, r->line, 0, reason, 0, r->id, &added, err);
}

static lt_status check_ref(writer *w, const body_ref *r, uint64_t *nmissing, lt_error *err)
{
	int missing = 0;
	lt_status st = check_one(w, "input", r->in, r, &missing, nmissing, err);
	if (st == LT_OK)
		st = check_one(w, "output", r->out, r, &missing, nmissing, err);
	if (st != LT_OK)
		return st;
	char sql[160];
	if (!missing) {
		snprintf(sql, sizeof sql, "DELETE FROM problems WHERE kind='missing-body' AND body_ref_id=%lld",
		         (long long)r->id);
		st = case_exec(w->c, sql, err);
	}
	if (st == LT_OK && missing != r->missing) {
		snprintf(sql, sizeof sql, "UPDATE body_refs SET missing=%d WHERE id=%lld", missing, (long long)r->id);
		st = case_exec(w->c, sql, err);
	}
	return st;
}

lt_status writer_resolve_bodies(writer *w, uint64_t *missing, lt_error *err)
{
	*missing = 0;
	sqlite3_stmt *s = NULL;
	lt_status st = begin(w, err);
	if (st != LT_OK)
		return st;
	if (sqlite3_prepare_v2(w->db,
	                       "SELECT b.id, b.missing, b.line, e.path, m.path, b.input_ref, b.output_ref"
	                       " FROM body_refs b JOIN members m ON m.id = b.member_id JOIN evidence e"
	                       " ON e.id = m.evidence_id ORDER BY b.id",
	                       -1, &s, NULL) != SQLITE_OK)
		return fail(w, err, "prepare body refs");
	int rc;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		body_ref r = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), (uint64_t)sqlite3_column_int64(s, 2),
		              dup_col(s, 3),              dup_col(s, 4),              dup_col(s, 5),
		              dup_col(s, 6)};
		st = check_ref(w, &r, missing, err);
		free(r.file);
		free(r.member);
		free(r.in);
		free(r.out);
	}
	sqlite3_finalize(s);
	if (st == LT_OK)
		st = writer_commit(w, err);
	return st;
}

/* --- de-duplication ----------------------------------------------------------- */

/* Members that carry duplicates: member id -> count (open addressing). */
typedef struct dup_map {
	int64_t *key;
	uint64_t *val;
	size_t cap, n;
} dup_map;

static int dup_add(dup_map *m, int64_t key)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		int64_t *nk = calloc(ncap, sizeof *nk);
		uint64_t *nv = calloc(ncap, sizeof *nv);
		if (nk == NULL || nv == NULL) {
			free(nk);
			free(nv);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (m->key[i] == 0)
				continue;
			size_t j = (size_t)((uint64_t)m->key[i] * 0x9e3779b97f4a7c15ull) & (ncap - 1);
			while (nk[j] != 0)
				j = (j + 1) & (ncap - 1);
			nk[j] = m->key[i];
			nv[j] = m->val[i];
		}
		free(m->key);
		free(m->val);
		m->key = nk;
		m->val = nv;
		m->cap = ncap;
	}
	size_t j = (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ull) & (m->cap - 1);
	while (m->key[j] != 0 && m->key[j] != key)
		j = (j + 1) & (m->cap - 1);
	if (m->key[j] == 0) {
		m->key[j] = key;
		m->n++;
	}
	m->val[j]++;
	return 0;
}

static lt_status dedup_is_current(writer *w, int *current, int64_t *last_block, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(w->db,
	                       "SELECT (SELECT coalesce(max(id), 0) FROM blocks),"
	                       " (SELECT coalesce(min(last_block), -1) FROM dedup)",
	                       -1, &s, NULL) != SQLITE_OK)
		return fail(w, err, "prepare dedup state");
	int rc = sqlite3_step(s);
	*last_block = sqlite3_column_int64(s, 0);
	*current = rc == SQLITE_ROW && sqlite3_column_int64(s, 0) == sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? LT_OK : fail(w, err, "dedup state");
}

static lt_status dedup_store(writer *w, const dup_map *dm, const uint64_t dups[EV_SRC_COUNT], int64_t last_block,
                             lt_error *err)
{
	lt_status st = case_exec(w->c,
	                         "UPDATE members SET duplicates = 0, events = b.n"
	                         " FROM (SELECT member_id, sum(n) AS n FROM blocks GROUP BY member_id) AS b"
	                         " WHERE b.member_id = members.id AND (members.events != b.n OR members.duplicates != 0);"
	                         "DELETE FROM dedup;",
	                         err);
	sqlite3_stmt *s = NULL;
	if (st == LT_OK && sqlite3_prepare_v2(w->db, "UPDATE members SET events = events - ?2, duplicates = ?2 WHERE id = ?1",
	                                      -1, &s, NULL) != SQLITE_OK)
		st = fail(w, err, "prepare dedup update");
	for (size_t i = 0; st == LT_OK && i < dm->cap; i++) {
		if (dm->key[i] == 0)
			continue;
		sqlite3_bind_int64(s, 1, dm->key[i]);
		sqlite3_bind_int64(s, 2, (int64_t)dm->val[i]);
		if (!step_done(s))
			st = fail(w, err, "update member duplicates");
	}
	sqlite3_finalize(s);
	s = NULL;
	if (st == LT_OK && sqlite3_prepare_v2(w->db, "INSERT INTO dedup(source, duplicates, last_block) VALUES(?,?,?)",
	                                      -1, &s, NULL) != SQLITE_OK)
		st = fail(w, err, "prepare dedup insert");
	for (int src = 0; st == LT_OK && src < EV_SRC_COUNT; src++) {
		sqlite3_bind_int(s, 1, src);
		sqlite3_bind_int64(s, 2, (int64_t)dups[src]);
		sqlite3_bind_int64(s, 3, last_block);
		if (!step_done(s))
			st = fail(w, err, "insert dedup");
	}
	sqlite3_finalize(s);
	return st;
}

/* Records one conflicting copy (store/evdup.h). */
static lt_status conflict_store(writer *w, sqlite3_stmt *s, const evmerge_item *it, const evdup_conflict *cf,
                                lt_error *err)
{
	const evblock_row *row = it->row;
	sqlite3_bind_int(s, 1, (int)row->source);
	sqlite3_bind_text(s, 2, row->uid.p ? row->uid.p : "", (int)row->uid.n, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, row->time_us);
	sqlite3_bind_int64(s, 4, it->member_id);
	sqlite3_bind_int64(s, 5, (int64_t)row->line);
	sqlite3_bind_int64(s, 6, (int64_t)row->offset);
	sqlite3_bind_int64(s, 7, cf->first_member_id);
	sqlite3_bind_int64(s, 8, (int64_t)cf->first_line);
	sqlite3_bind_int64(s, 9, (int64_t)cf->first_offset);
	sqlite3_bind_text(s, 10, cf->high ? "high" : "medium", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, cf->fields, -1, SQLITE_TRANSIENT);
	return step_done(s) ? LT_OK : fail(w, err, "insert conflict");
}

/* One pass over the merge: later copies judged by content (store/evdup.h);
 * re-deliveries counted, conflicts recorded. */
static lt_status dedup_judge_all(writer *w, dup_map *dm, uint64_t dups[EV_SRC_COUNT], lt_error *err)
{
	evmerge *m = NULL;
	evdup *d = NULL;
	sqlite3_stmt *ins = NULL;
	lt_status st = case_exec(w->c, "DELETE FROM conflicts", err);
	if (st == LT_OK &&
	    sqlite3_prepare_v2(w->db,
	                       "INSERT INTO conflicts(source, uid, time_us, member_id, line, offset, first_member_id,"
	                       " first_line, first_offset, level, fields) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	                       -1, &ins, NULL) != SQLITE_OK)
		st = fail(w, err, "prepare conflict insert");
	if (st == LT_OK)
		st = evdup_new(w->c, &d, err);
	if (st == LT_OK)
		st = evmerge_new(w->c, INT64_MIN, INT64_MAX, EV_SRC_UNKNOWN, NULL, &m, err);
	const evmerge_item *it = NULL;
	while (st == LT_OK && (st = evmerge_next(m, &it, err)) == LT_OK && it != NULL) {
		evdup_verdict v = EVDUP_FIRST;
		evdup_conflict cf;
		st = evdup_judge(d, it, &v, &cf, err);
		if (st != LT_OK || v == EVDUP_FIRST)
			continue;
		if (v == EVDUP_CONFLICT) {
			st = conflict_store(w, ins, it, &cf, err);
			continue;
		}
		dups[it->row->source % EV_SRC_COUNT]++;
		if (dup_add(dm, it->member_id) != 0)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
	}
	evmerge_free(m);
	evdup_free(d);
	sqlite3_finalize(ins);
	return st;
}

lt_status writer_dedup(writer *w, int *ran, lt_error *err)
{
	*ran = 0;
	int current = 0;
	int64_t last_block = 0;
	lt_status st = begin(w, err);
	if (st == LT_OK)
		st = dedup_is_current(w, &current, &last_block, err);
	if (st != LT_OK || current)
		return st;
	dup_map dm = {NULL, NULL, 0, 0};
	uint64_t dups[EV_SRC_COUNT] = {0};
	st = dedup_judge_all(w, &dm, dups, err);
	if (st == LT_OK)
		st = dedup_store(w, &dm, dups, last_block, err);
	free(dm.key);
	free(dm.val);
	if (st == LT_OK)
		st = writer_commit(w, err);
	*ran = st == LT_OK;
	return st;
}
