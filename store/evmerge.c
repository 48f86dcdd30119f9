/*
 * evmerge.c — k-way merge of event blocks (see evmerge.h).
 *
 * The block query returns (id, member_id, t_min, data) of the blocks that
 * overlap the range, ordered by (t_min, id). A binary min-heap holds one
 * cursor per open block, keyed by its current row. Before an item is taken
 * from the heap, every block whose t_min is not after the heap's smallest
 * time is opened (decoded and pushed), so no row of an unopened block can
 * sort before the item returned.
 */
#include "config.h"

#include "store/evmerge.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
	evblock *b;
	detblock *d; /* its stored detections (evmerge_new's digest), NULL if none */
	int64_t block_id, member_id;
	size_t i, n;
} cursor;

struct evmerge {
	case_db *c;
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t since_us, until_us;
	int q_done;
	int det; /* blocks come with their stored detections */
	uint64_t det_damaged; /* blocks whose stored detections did not decode */
	char det_why[LT_ERROR_MSG_MAX]; /* the first of them: which block, which member, why */
	/* the next block from q, read but not opened yet */
	int have_next;
	int64_t next_id, next_member, next_tmin;
	cursor **heap;
	size_t nheap, capheap;
	cursor *last; /* cursor of the item returned last; advanced by the next call */
	evmerge_item item;
	const evblock_row *prev;
	evblock *prev_hold; /* block of prev when its cursor was exhausted */
	size_t mem, peak;
};

static lt_status sql_fail(evmerge *m, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index %s: %s: %s", case_path(m->c), what, sqlite3_errmsg(m->db));
}

static const evblock_row *cur_row(const cursor *c)
{
	return evblock_row_at(c->b, c->i);
}

static int cursor_less(const cursor *a, const cursor *b)
{
	int d = evblock_row_cmp(cur_row(a), cur_row(b));
	if (d != 0)
		return d < 0;
	if (a->block_id != b->block_id)
		return a->block_id < b->block_id;
	return a->i < b->i;
}

static void heap_up(evmerge *m, size_t k)
{
	while (k > 0) {
		size_t p = (k - 1) / 2;
		if (!cursor_less(m->heap[k], m->heap[p]))
			break;
		cursor *t = m->heap[k];
		m->heap[k] = m->heap[p];
		m->heap[p] = t;
		k = p;
	}
}

static void heap_down(evmerge *m, size_t k)
{
	for (;;) {
		size_t l = 2 * k + 1, r = l + 1, s = k;
		if (l < m->nheap && cursor_less(m->heap[l], m->heap[s]))
			s = l;
		if (r < m->nheap && cursor_less(m->heap[r], m->heap[s]))
			s = r;
		if (s == k)
			return;
		cursor *t = m->heap[k];
		m->heap[k] = m->heap[s];
		m->heap[s] = t;
		k = s;
	}
}

/* Skips rows before since_us; 0 if the cursor has no row in range left. */
static int cursor_settle(evmerge *m, cursor *c)
{
	while (c->i < c->n && cur_row(c)->time_us < m->since_us)
		c->i++;
	return c->i < c->n && cur_row(c)->time_us < m->until_us;
}

static void cursor_free(evmerge *m, cursor *c)
{
	if (c == NULL)
		return;
	m->mem -= evblock_mem(c->b);
	evblock_free(c->b);
	if (c->d != NULL) {
		m->mem -= detblock_mem(c->d);
		detblock_free(c->d);
	}
	free(c);
}

/* Reads the next block row of the query into next_*. */
static lt_status fetch_next(evmerge *m, lt_error *err)
{
	m->have_next = 0;
	if (m->q_done)
		return LT_OK;
	int rc = sqlite3_step(m->q);
	if (rc == SQLITE_DONE) {
		m->q_done = 1;
		return LT_OK;
	}
	if (rc != SQLITE_ROW)
		return sql_fail(m, err, "read blocks");
	m->have_next = 1;
	m->next_id = sqlite3_column_int64(m->q, 0);
	m->next_member = sqlite3_column_int64(m->q, 1);
	m->next_tmin = sqlite3_column_int64(m->q, 2);
	return LT_OK;
}

/* Decodes the block the query stands on and pushes its cursor. */
static lt_status open_next(evmerge *m, lt_error *err)
{
	const void *data = sqlite3_column_blob(m->q, 3);
	size_t n = (size_t)sqlite3_column_bytes(m->q, 3);
	evblock *b = NULL;
	lt_status st = evblock_decode(data, n, &b, err);
	if (st != LT_OK) {
		char why[LT_ERROR_MSG_MAX];
		memcpy(why, err->msg, sizeof why);
		if (st != LT_EFATAL)
			lt_error_set(err, st, "case index %s: event block %lld of member %lld: %s", case_path(m->c),
			             (long long)m->next_id, (long long)m->next_member, why);
		return st;
	}
	detblock *d = NULL;
	if (m->det && sqlite3_column_type(m->q, 4) == SQLITE_BLOB) {
		lt_error de;
		lt_error_clear(&de);
		lt_status ds = detblock_decode(sqlite3_column_blob(m->q, 4), (size_t)sqlite3_column_bytes(m->q, 4),
		                               evblock_count(b), &d, &de);
		if (ds == LT_EFATAL) {
			evblock_free(b);
			*err = de;
			return ds;
		}
		if (ds != LT_OK && m->det_damaged++ == 0) /* its events are matched from their records */
			snprintf(m->det_why, sizeof m->det_why, "event block %lld of member %lld: %.400s",
			         (long long)m->next_id, (long long)m->next_member, de.msg);
	}
	cursor *c = calloc(1, sizeof *c);
	if (c == NULL || (m->nheap == m->capheap && m->capheap > SIZE_MAX / 2 / sizeof *m->heap)) {
		free(c);
		evblock_free(b);
		detblock_free(d);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	if (m->nheap == m->capheap) {
		size_t ncap = m->capheap ? m->capheap * 2 : 64;
		cursor **nh = realloc(m->heap, ncap * sizeof *nh);
		if (nh == NULL) {
			free(c);
			evblock_free(b);
			detblock_free(d);
			return lt_error_set(err, LT_EFATAL, "out of memory");
		}
		m->heap = nh;
		m->capheap = ncap;
	}
	c->b = b;
	c->d = d;
	c->block_id = m->next_id;
	c->member_id = m->next_member;
	c->n = evblock_count(b);
	m->mem += evblock_mem(b) + (d != NULL ? detblock_mem(d) : 0);
	if (m->mem > m->peak)
		m->peak = m->mem;
	if (!cursor_settle(m, c)) {
		cursor_free(m, c);
		return LT_OK;
	}
	m->heap[m->nheap++] = c;
	heap_up(m, m->nheap - 1);
	return LT_OK;
}

/* The block query; with stored detections (det) each block comes with its
 * detections row under digest ?5, if it has one. */
static const char *block_query(ev_source source, int det)
{
	static const char *const q[2][2] = {
		{"SELECT id, member_id, t_min, data FROM blocks WHERE t_min >= ?3 AND t_min < ?2"
		 " AND t_max >= ?1 ORDER BY t_min, t_max, source, member_id, id",
		 "SELECT id, member_id, t_min, data FROM blocks WHERE t_min >= ?3 AND t_min < ?2"
		 " AND t_max >= ?1 AND source = ?4 ORDER BY t_min, t_max, source, member_id, id"},
		{"SELECT b.id, b.member_id, b.t_min, b.data, d.data FROM blocks b"
		 " LEFT JOIN detections d ON d.block_id = b.id AND d.digest = ?5 WHERE b.t_min >= ?3 AND b.t_min < ?2"
		 " AND b.t_max >= ?1 ORDER BY b.t_min, b.t_max, b.source, b.member_id, b.id",
		 "SELECT b.id, b.member_id, b.t_min, b.data, d.data FROM blocks b"
		 " LEFT JOIN detections d ON d.block_id = b.id AND d.digest = ?5 WHERE b.t_min >= ?3 AND b.t_min < ?2"
		 " AND b.t_max >= ?1 AND b.source = ?4 ORDER BY b.t_min, b.t_max, b.source, b.member_id, b.id"}};
	return q[det != 0][source != EV_SRC_UNKNOWN];
}

lt_status evmerge_new(case_db *c, int64_t since_us, int64_t until_us, ev_source source, const char *det_digest,
                      evmerge **out, lt_error *err)
{
	*out = NULL;
	evmerge *m = calloc(1, sizeof *m);
	if (m == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	m->c = c;
	m->db = case_sqlite(c);
	m->since_us = since_us;
	m->until_us = until_us;
	m->det = det_digest != NULL && det_digest[0] != '\0';
	/* Blocks are opened in t_min order; the rest of the ORDER BY follows the
	 * blocks_time index, so no sort step (which would carry the data) is needed. */
	const char *sql = block_query(source, m->det);
	int64_t span = 0;
	lt_status sst = case_block_span(c, &span, err);
	if (sst != LT_OK) {
		evmerge_free(m);
		return sst;
	}
	if (sqlite3_prepare_v2(m->db, sql, -1, &m->q, NULL) != SQLITE_OK) {
		lt_status st = sql_fail(m, err, "prepare blocks");
		evmerge_free(m);
		return st;
	}
	sqlite3_bind_int64(m->q, 1, since_us);
	sqlite3_bind_int64(m->q, 2, until_us);
	sqlite3_bind_int64(m->q, 3, since_us < INT64_MIN + span ? INT64_MIN : since_us - span);
	if (source != EV_SRC_UNKNOWN)
		sqlite3_bind_int(m->q, 4, (int)source);
	if (m->det)
		sqlite3_bind_text(m->q, 5, det_digest, -1, SQLITE_TRANSIENT);
	lt_status st = fetch_next(m, err);
	if (st != LT_OK) {
		evmerge_free(m);
		return st;
	}
	*out = m;
	return LT_OK;
}

/* Advances the cursor of the last item; frees it when exhausted (keeping its
 * block alive while prev points into it). */
static void advance_last(evmerge *m)
{
	cursor *c = m->last;
	m->last = NULL;
	if (c == NULL)
		return;
	c->i++;
	if (c->i < c->n && cur_row(c)->time_us < m->until_us) {
		heap_down(m, 0);
		return;
	}
	m->heap[0] = m->heap[--m->nheap];
	if (m->nheap > 0)
		heap_down(m, 0);
	if (m->prev_hold != NULL) {
		m->mem -= evblock_mem(m->prev_hold);
		evblock_free(m->prev_hold);
	}
	m->prev_hold = c->b; /* prev (its last row) lives in this block */
	if (c->d != NULL) { /* the detections of its rows are no longer needed */
		m->mem -= detblock_mem(c->d);
		detblock_free(c->d);
	}
	free(c);
}

lt_status evmerge_next(evmerge *m, const evmerge_item **item, lt_error *err)
{
	*item = NULL;
	if (m->last != NULL)
		m->prev = m->item.row;
	advance_last(m);
	/* Open every block that could hold a row sorting before the heap top. */
	while (m->have_next && (m->nheap == 0 || m->next_tmin <= cur_row(m->heap[0])->time_us)) {
		lt_error e2;
		lt_error_clear(&e2);
		lt_status st = open_next(m, err);
		lt_status st2 = fetch_next(m, st == LT_OK ? err : &e2);
		if (st2 == LT_EFATAL && st != LT_OK && st != LT_EFATAL)
			*err = e2;
		if (st != LT_OK || st2 != LT_OK)
			return st2 == LT_EFATAL ? st2 : st;
	}
	if (m->nheap == 0)
		return LT_OK;
	cursor *c = m->heap[0];
	const evblock_row *row = cur_row(c);
	m->item.row = row;
	m->item.block_id = c->block_id;
	m->item.member_id = c->member_id;
	m->item.index = c->i;
	m->item.det_stored = c->d != NULL;
	m->item.det = c->d != NULL ? detblock_row(c->d, c->i) : NULL;
	m->item.duplicate = m->prev != NULL && evblock_row_cmp(m->prev, row) == 0;
	m->last = c;
	*item = &m->item;
	return LT_OK;
}

uint64_t evmerge_det_damaged(const evmerge *m, const char **first)
{
	if (first != NULL)
		*first = m->det_why;
	return m->det_damaged;
}

size_t evmerge_mem(const evmerge *m, size_t *peak)
{
	if (peak != NULL)
		*peak = m->peak;
	return m->mem;
}

void evmerge_free(evmerge *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nheap; i++)
		cursor_free(m, m->heap[i]);
	free(m->heap);
	evblock_free(m->prev_hold);
	sqlite3_finalize(m->q);
	free(m);
}
