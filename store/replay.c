/*
 * replay.c — the chronological cursor (see replay.h).
 *
 * Events come from the case's event blocks through store/evmerge.h, which
 * merges them in (time, source, uid) order and flags the later copies of an
 * event, which replay skips unless the conflicts table (store/evdup.h) says
 * the copy has content of its own: then it is kept, with EV_F_CONFLICT. The time range and source narrow the blocks
 * read; principal, action and model are resolved once to string ids and
 * compared per row; uid is compared as text. Header strings come from the
 * string dictionary, which the case_db keeps in memory (case_string). For each event the raw bytes
 * are located as [offset, offset+length) in the member's decompressed text:
 * the chunks covering that span are inflated (blob_unpack) into an LRU cache
 * keyed by (member, chunk), so the many events of one member cost one
 * inflate, and an event inside a cached chunk needs no query at all. An
 * event inside one chunk points straight into the cache; one that straddles
 * chunks is copied into the step arena. A large chunk (a whole gzip member
 * of up to 64 MiB, or a 16 MiB slice) that has to be inflated a second time
 * (members overlapping in time evict each other from the cache) is written
 * once, inflated, to an unlinked scratch file (the spill), and from then on
 * each event reads only its own bytes from there: a member is inflated at
 * most twice per replay however its events interleave with others', and the
 * cost per event is bounded by its record's size, not its member's (issue
 * 22). The spill holds at most REPLAY_SPILL_MAX bytes; past that, or without
 * scratch space, chunks are inflated again (slower, still right).
 * The record is re-parsed in-situ into
 * the step arena; invocation events then get their derived text from
 * bedrock_derive, with external bodies read back from the member that
 * case_resolve_body finds. Provenance is cached by member id.
 */
#include "config.h"

#include "store/replay.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/tmpfile.h"
#include "common/valmatch.h"
#include "ingest/bedrock.h"
#include "ingest/json.h"
#include "store/blob.h"
#include "store/evmerge.h"

#define PROV_SLOTS 4096u

typedef struct cache_entry {
	int64_t member_id;
	int64_t seq;
	uint64_t offset, length;
	char *data;
	uint64_t tick;
} cache_entry;

typedef struct prov_slot {
	int64_t member_id; /* 0 = empty */
	ev_provenance prov; /* strings in replay.prov_mem, never freed before the replay */
} prov_slot;

/* A batch of events produced ahead by the prefetch thread (REPLAY_PREFETCH). */
#define BATCH_EVENTS 256
#define BATCH_ARENA_SOFT ((size_t)32 << 20) /* a batch ends once its arena holds this much */
typedef struct batch {
	arena *a;
	size_t n, next;
	int ready;        /* filled by the producer, not yet given back by the consumer */
	int end;          /* the stream ends after these events */
	lt_status end_st; /* LT_OK (end) or LT_EFATAL */
	lt_error end_err;
	event ev[BATCH_EVENTS];
	ev_provenance prov[BATCH_EVENTS];
	lt_status st[BATCH_EVENTS];
	lt_error err[BATCH_EVENTS];
} batch;
#define NBATCH 3

typedef struct prefetch {
	case_db *own; /* the producer's connection */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	batch *b[NBATCH];
	size_t rd, wr; /* batch the consumer reads / the producer fills */
} prefetch;

/* Large chunks already inflated once: where the spill holds their text. */
typedef struct spill_entry {
	int64_t member_id; /* 0 = empty slot */
	int64_t seq;
	int64_t at; /* offset of the chunk's text in the spill file; -1 = inflated once, not spilled */
} spill_entry;

typedef struct spill {
	int fd; /* -1 until the first chunk is spilled */
	int off; /* 1 after a failure or at the cap: large chunks are inflated again */
	spill_entry *v;
	size_t cap, n;
	uint64_t size; /* bytes written */
} spill;

/* (member id, line) of events whose external body is missing. */
typedef struct missing_set {
	uint64_t *keys;
	size_t cap;
} missing_set;

struct replay {
	case_db *c;
	sqlite3 *db;
	evmerge *m;
	sqlite3_stmt *q_spans; /* chunks covering a span */
	sqlite3_stmt *q_chunk; /* one chunk's bytes */
	sqlite3_stmt *q_prov;  /* member provenance */
	sqlite3_stmt *q_str;   /* a long string left on disk (case_string_read); NULL until needed */
	sqlite3_stmt *q_conflict; /* is a later copy a conflicting one (store/evdup.h)? NULL: none in the case */
	int conflict;          /* the row next_row returned is such a copy */
	replay_filter f;
	uint8_t *want[REPLAY_NMATCH]; /* field filters (match_slots order): bitset over string ids; NULL = any */
	size_t want_n[REPLAY_NMATCH]; /* bits in want[i] */
	int impossible;        /* a filter matches no string the case has */
	size_t uid_n;
	arena *step;     /* where this step allocates: step_own, or a prefetch batch's arena */
	arena *step_own;
	arena *prov_mem; /* provenance strings */
	missing_set missing;
	event ev;
	prov_slot *provs;
	prefetch *pf;    /* REPLAY_PREFETCH: the producer thread and its batches */
	cache_entry cache[REPLAY_CACHE_ENTRIES];
	spill sp;
	size_t cache_bytes;
	uint64_t tick;
	uint64_t produced; /* events produced so far: the next one's seq - 1 */
	int64_t tie_time[EV_SRC_COUNT]; /* per source: the time of the last kept row, and */
	uint32_t tie_next[EV_SRC_COUNT]; /* how many kept rows had that time (the next one's tie) */
	uint32_t tie;        /* the tie of the row next_row returned */
	const detblock_entry *stored; /* its stored detection (replay_filter.detections) */
	uint64_t loads, load_bytes; /* chunks read and inflated (more than the chunks: the cache is too small) */
	uint64_t spill_reads;       /* spans read back from the spill */
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
	return v > 0 && v < EV_SRC_COUNT ? (ev_source)v : EV_SRC_UNKNOWN;
}

static lt_status sql_fail(sqlite3 *db, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index: %s: %s", what, sqlite3_errmsg(db));
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The filter's field values, in the order of want[] and row_wanted's columns. */
static void match_slots(replay_filter *f, const char **slot[REPLAY_NMATCH])
{
	const char **v[REPLAY_NMATCH] = {&f->principal, &f->action,  &f->model, &f->access_key,
	                                 &f->source_ip, &f->account, &f->region};
	memcpy(slot, v, sizeof v);
}

/* r->f holds its own copies of the filter's strings; false out of memory. */
static bool dup_filter_values(replay *r)
{
	const char **slot[REPLAY_NMATCH];
	match_slots(&r->f, slot);
	bool ok = true;
	for (int i = 0; i < REPLAY_NMATCH; i++) {
		const char *given = *slot[i];
		*slot[i] = dup_opt(given);
		ok = ok && (given == NULL || *slot[i] != NULL);
	}
	r->f.uid = dup_opt(r->f.uid);
	return ok;
}

static void free_filter_values(replay *r)
{
	const char **slot[REPLAY_NMATCH];
	match_slots(&r->f, slot);
	for (int i = 0; i < REPLAY_NMATCH; i++)
		free((char *)(uintptr_t)*slot[i]);
	free((char *)(uintptr_t)r->f.uid);
}

/* --- string dictionary and filters ----------------------------------------- */

/* Marks the dictionary strings each filter value matches. */
static lt_status resolve_filter(replay *r, lt_error *err)
{
	const char **slot[REPLAY_NMATCH];
	match_slots(&r->f, slot);
	const char *names[REPLAY_NMATCH];
	for (int i = 0; i < REPLAY_NMATCH; i++)
		names[i] = *slot[i];
	size_t nstr = 0;
	int ok = 1;
	for (int i = 0; i < REPLAY_NMATCH; i++) {
		if (names[i] == NULL)
			continue;
		if (nstr == 0)
			while (case_string(r->c, (uint32_t)(nstr + 1), &ok), ok)
				nstr++;
		r->want_n[i] = nstr + 1;
		r->want[i] = calloc((nstr + 8) / 8 + 1, 1);
		if (r->want[i] == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		bool any = false;
		for (size_t id = 1; id <= nstr; id++) {
			ev_str v = case_string(r->c, (uint32_t)id, &ok);
			if (v.p == NULL && v.n > 0) { /* a long string left on disk */
				arena_reset(r->step);
				lt_status st = case_string_read(&r->q_str, r->c, (uint32_t)id, r->step, &v, err);
				if (st != LT_OK)
					return st;
			}
			if (valmatch_value(names[i], v.p, v.n)) {
				r->want[i][id / 8] |= (uint8_t)(1u << (id % 8));
				any = true;
			}
		}
		if (!any)
			r->impossible = 1;
	}
	r->uid_n = r->f.uid ? strlen(r->f.uid) : 0;
	return LT_OK;
}

static int row_wanted(const replay *r, const evblock_row *row)
{
	static const int col[REPLAY_NMATCH] = {EVB_PRINCIPAL,  EVB_ACTION,  EVB_MODEL, EVB_ACCESS_KEY,
	                                       EVB_SOURCE_IP, EVB_ACCOUNT, EVB_REGION};
	for (int i = 0; i < REPLAY_NMATCH; i++) {
		if (r->want[i] == NULL)
			continue;
		uint64_t id = row->str[col[i]];
		if (id == 0 || id >= r->want_n[i] || !(r->want[i][id / 8] & (1u << (id % 8))))
			return 0;
	}
	if (r->f.uid != NULL && (row->uid.n != r->uid_n || memcmp(row->uid.p, r->f.uid, r->uid_n) != 0))
		return 0;
	return 1;
}

/* --- missing external bodies ------------------------------------------------- */

static uint64_t missing_key(int64_t member_id, uint64_t line)
{
	uint64_t k = ((uint64_t)member_id * 0x9e3779b97f4a7c15ull) ^ (line * 0xc2b2ae3d27d4eb4full);
	return k ? k : 1;
}

static lt_status load_missing(replay *r, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->db, "SELECT count(*) FROM body_refs WHERE missing != 0", -1, &s, NULL) != SQLITE_OK)
		return sql_fail(r->db, err, "prepare body refs");
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (n <= 0)
		return LT_OK;
	size_t cap = 16;
	while (cap < (size_t)n * 2)
		cap *= 2;
	r->missing.keys = calloc(cap, sizeof *r->missing.keys);
	if (r->missing.keys == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	r->missing.cap = cap;
	if (sqlite3_prepare_v2(r->db, "SELECT member_id, line FROM body_refs WHERE missing != 0", -1, &s, NULL) !=
	    SQLITE_OK)
		return sql_fail(r->db, err, "prepare body refs");
	size_t added = 0;
	while (added < cap / 2 && sqlite3_step(s) == SQLITE_ROW) {
		uint64_t k = missing_key(sqlite3_column_int64(s, 0), (uint64_t)sqlite3_column_int64(s, 1));
		size_t j = (size_t)(k & (cap - 1));
		while (r->missing.keys[j] != 0 && r->missing.keys[j] != k)
			j = (j + 1) & (cap - 1);
		added += r->missing.keys[j] == 0;
		r->missing.keys[j] = k;
	}
	sqlite3_finalize(s);
	return LT_OK;
}

static int body_missing(const replay *r, int64_t member_id, uint64_t line)
{
	if (r->missing.cap == 0)
		return 0;
	uint64_t k = missing_key(member_id, line);
	size_t j = (size_t)(k & (r->missing.cap - 1));
	while (r->missing.keys[j] != 0) {
		if (r->missing.keys[j] == k)
			return 1;
		j = (j + 1) & (r->missing.cap - 1);
	}
	return 0;
}

/* --- conflicting copies ------------------------------------------------------ */

/* Later copies are looked up in the conflicts table, only when it has rows. */
static lt_status prepare_conflicts(replay *r, lt_error *err)
{
	int64_t n = 0;
	lt_status st = case_count_conflicts(r->c, &n, err);
	if (st != LT_OK || n == 0)
		return st;
	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM conflicts WHERE member_id = ?1 AND line = ?2 AND offset = ?3", -1,
	                       &r->q_conflict, NULL) != SQLITE_OK)
		return sql_fail(r->db, err, "prepare conflicts");
	return LT_OK;
}

/* A later copy (evmerge's duplicate) with content of its own: kept. */
static int is_conflict(replay *r, const evmerge_item *it)
{
	if (r->q_conflict == NULL)
		return 0;
	sqlite3_stmt *s = r->q_conflict;
	sqlite3_bind_int64(s, 1, it->member_id);
	sqlite3_bind_int64(s, 2, (int64_t)it->row->line);
	sqlite3_bind_int64(s, 3, (int64_t)it->row->offset);
	int yes = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return yes;
}

/* --- open / close ---------------------------------------------------------- */

static void *prefetch_main(void *arg);

/* REPLAY_PREFETCH: the replay reads the case through its own connection (the
 * producer thread uses it while the caller may use c), so *cp becomes it. */
static lt_status prefetch_open(replay *r, case_db *c, case_db **cp, lt_error *err)
{
	prefetch *pf = calloc(1, sizeof *pf);
	if (pf == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	r->pf = pf;
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	for (size_t i = 0; i < NBATCH; i++) {
		pf->b[i] = calloc(1, sizeof *pf->b[i]);
		if (pf->b[i] == NULL || (pf->b[i]->a = arena_new(0, REPLAY_STEP_CAP)) == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	lt_status st = case_open(case_path(c), CASE_READONLY, &pf->own, err);
	if (st != LT_OK)
		return st;
	r->c = *cp = pf->own;
	r->db = case_sqlite(pf->own);
	return LT_OK;
}

static lt_status prefetch_start(replay *r, lt_error *err)
{
	if (pthread_create(&r->pf->thread, NULL, prefetch_main, r) != 0)
		return lt_error_set(err, LT_EFATAL, "cannot start the replay thread");
	r->pf->started = 1;
	return LT_OK;
}

static void prefetch_close(replay *r)
{
	prefetch *pf = r->pf;
	if (pf == NULL)
		return;
	if (pf->started) {
		pthread_mutex_lock(&pf->mu);
		pf->stop = 1;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		pthread_join(pf->thread, NULL);
	}
	for (size_t i = 0; i < NBATCH; i++) {
		if (pf->b[i] != NULL)
			arena_free(pf->b[i]->a);
		free(pf->b[i]);
	}
	pthread_mutex_destroy(&pf->mu);
	pthread_cond_destroy(&pf->cv);
	r->pf = NULL;
	/* the replay's statements belong to pf->own: replay_free finalizes them first */
	case_close(pf->own);
	free(pf);
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
	bool copied = dup_filter_values(r);
	r->step = r->step_own = arena_new(0, REPLAY_STEP_CAP);
	r->prov_mem = arena_new(0, 0);
	r->sp.fd = -1;
	r->provs = calloc(PROV_SLOTS, sizeof *r->provs);
	lt_status st = LT_OK;
	if ((f->flags & REPLAY_PREFETCH) && !(f->flags & REPLAY_HEADERS_ONLY))
		st = prefetch_open(r, c, &c, err);
	if (st == LT_OK && (r->step == NULL || r->prov_mem == NULL || r->provs == NULL || !copied || (f->uid && !r->f.uid)))
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK)
		st = case_strings_refresh(c, err);
	if (st == LT_OK)
		st = load_missing(r, err);
	if (st == LT_OK)
		st = resolve_filter(r, err);
	if (st == LT_OK) {
		st = evmerge_new(c, f->since_us, f->until_us, f->source, f->detections, &r->m, err);
	}
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
	if (st == LT_OK)
		st = prepare_conflicts(r, err);
	if (st == LT_OK && r->pf != NULL)
		st = prefetch_start(r, err);
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
	if (r->pf != NULL && r->pf->started) { /* stop the producer before freeing what it uses */
		pthread_mutex_lock(&r->pf->mu);
		r->pf->stop = 1;
		pthread_cond_broadcast(&r->pf->cv);
		pthread_mutex_unlock(&r->pf->mu);
		pthread_join(r->pf->thread, NULL);
		r->pf->started = 0;
	}
	if (r->loads > 0)
		log_debug("replay: %llu events, %llu chunk loads, %llu MB inflated, %llu MB spilled, %llu spill reads",
		          (unsigned long long)r->produced, (unsigned long long)r->loads,
		          (unsigned long long)(r->load_bytes >> 20), (unsigned long long)(r->sp.size >> 20),
		          (unsigned long long)r->spill_reads);
	evmerge_free(r->m);
	sqlite3_finalize(r->q_spans);
	sqlite3_finalize(r->q_chunk);
	sqlite3_finalize(r->q_prov);
	sqlite3_finalize(r->q_conflict);
	sqlite3_finalize(r->q_str);
	prefetch_close(r);
	for (size_t i = 0; i < REPLAY_CACHE_ENTRIES; i++)
		free(r->cache[i].data);
	if (r->sp.fd >= 0)
		close(r->sp.fd);
	free(r->sp.v);
	free(r->provs);
	arena_free(r->prov_mem);
	free(r->missing.keys);
	for (int i = 0; i < REPLAY_NMATCH; i++)
		free(r->want[i]);
	free_filter_values(r);
	arena_free(r->step_own);
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

/* --- spill: large chunks inflated once more go to a scratch file ------------ */

static size_t spill_hash(int64_t member_id, int64_t seq, size_t cap)
{
	uint64_t k = ((uint64_t)member_id * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)seq * 0xc2b2ae3d27d4eb4full);
	return (size_t)(k >> 17) & (cap - 1);
}

/* The entry of (member, seq), or NULL when that chunk was never inflated. */
static spill_entry *spill_find(const replay *r, int64_t member_id, int64_t seq)
{
	if (r->sp.cap == 0)
		return NULL;
	for (size_t j = spill_hash(member_id, seq, r->sp.cap);; j = (j + 1) & (r->sp.cap - 1)) {
		spill_entry *e = &r->sp.v[j];
		if (e->member_id == 0)
			return NULL;
		if (e->member_id == member_id && e->seq == seq)
			return e;
	}
}

static int spill_grow(spill *sp)
{
	size_t cap = sp->cap ? sp->cap * 2 : 256;
	spill_entry *v = calloc(cap, sizeof *v);
	if (v == NULL)
		return 0;
	for (size_t i = 0; i < sp->cap; i++) {
		const spill_entry *e = &sp->v[i];
		if (e->member_id == 0)
			continue;
		size_t j = spill_hash(e->member_id, e->seq, cap);
		while (v[j].member_id != 0)
			j = (j + 1) & (cap - 1);
		v[j] = *e;
	}
	free(sp->v);
	sp->v = v;
	sp->cap = cap;
	return 1;
}

/* Notes that a large chunk was inflated; returns its entry (NULL: out of memory, not noted). */
static spill_entry *spill_note(replay *r, int64_t member_id, int64_t seq)
{
	spill_entry *e = spill_find(r, member_id, seq);
	if (e != NULL)
		return e;
	if ((r->sp.n + 1) * 2 > r->sp.cap && !spill_grow(&r->sp))
		return NULL;
	size_t j = spill_hash(member_id, seq, r->sp.cap);
	while (r->sp.v[j].member_id != 0)
		j = (j + 1) & (r->sp.cap - 1);
	r->sp.v[j] = (spill_entry){member_id, seq, -1};
	r->sp.n++;
	return &r->sp.v[j];
}

static void spill_disable(replay *r, const char *why)
{
	r->sp.off = 1;
	log_warn("replay: %s; large members are inflated again for each event that needs them (slower)", why);
}

/* Writes the text of a chunk inflated for the second time to the spill. */
static void spill_write(replay *r, spill_entry *se, const cache_entry *ce)
{
	if (r->sp.off)
		return;
	if (r->sp.size + ce->length > REPLAY_SPILL_MAX) {
		spill_disable(r, "the replay's scratch file reached its cap");
		return;
	}
	lt_error e;
	if (r->sp.fd < 0 && (r->sp.fd = lt_tmpfile("replay", "replay scratch", &e)) < 0) {
		spill_disable(r, e.msg);
		return;
	}
	if (lt_write_at(r->sp.fd, ce->data, (size_t)ce->length, r->sp.size, "replay scratch", &e) != LT_OK) {
		spill_disable(r, e.msg);
		return;
	}
	se->at = (int64_t)r->sp.size;
	r->sp.size += ce->length;
}

/* Reads member text [lo, hi) of a spilled chunk starting at chunk_off into dst.
 * 0 when the chunk is not spilled (or the read failed: the caller inflates it). */
static int spill_read(replay *r, int64_t member_id, int64_t seq, uint64_t chunk_off, uint64_t lo, uint64_t hi,
                      char *dst)
{
	const spill_entry *se = spill_find(r, member_id, seq);
	if (se == NULL || se->at < 0 || r->sp.off)
		return 0;
	lt_error e;
	if (lt_read_at(r->sp.fd, dst, (size_t)(hi - lo), (uint64_t)se->at + (lo - chunk_off), "replay scratch", &e) !=
	    LT_OK) {
		spill_disable(r, e.msg);
		return 0;
	}
	r->spill_reads++;
	return 1;
}

static lt_status load_chunk(replay *r, int64_t member_id, int64_t seq, uint64_t offset, uint64_t length,
                            cache_entry **out, lt_error *err)
{
	for (size_t i = 0; i < REPLAY_CACHE_ENTRIES; i++) {
		cache_entry *e = &r->cache[i];
		if (e->data != NULL && e->member_id == member_id && e->seq == seq) {
			/* a forged case may list one chunk number twice with other bounds:
			 * the cached text is not the one asked for (fuzz_case found the
			 * heap overflow this was) */
			if (e->offset != offset || e->length != length)
				return lt_error_set(err, LT_EFILE, "stored chunk %lld of member %lld is listed twice with other bounds",
				                    (long long)seq, (long long)member_id);
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
	r->loads++;
	r->load_bytes += length;
	if (length >= REPLAY_SPILL_MIN) {
		spill_entry *se = spill_find(r, member_id, seq);
		if (se != NULL && se->at < 0)
			spill_write(r, se, e);
		else if (se == NULL)
			spill_note(r, member_id, seq);
	}
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
	for (size_t i = 0; i < REPLAY_CACHE_ENTRIES; i++) {
		cache_entry *e = &r->cache[i];
		if (e->data != NULL && e->member_id == member_id && e->offset <= off && len <= e->length &&
		    off - e->offset <= e->length - len) {
			e->tick = ++r->tick;
			*raw = ev_str_from(e->data + (off - e->offset), (size_t)len);
			return LT_OK;
		}
	}
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
	const spill_entry *se = n == 1 ? spill_find(r, member_id, seqs[0]) : NULL;
	if (n == 1 && (se == NULL || se->at < 0 || r->sp.off)) { /* inside one chunk: point into the cache */
		cache_entry *e = NULL;
		lt_status st = load_chunk(r, member_id, seqs[0], offs[0], lens[0], &e, err);
		if (st == LT_OK && e != NULL && !(e->offset <= off && len <= e->length && off - e->offset <= e->length - len))
			return lt_error_set(err, LT_EFILE, "stored chunk %lld of member %lld does not hold bytes %llu..%llu",
			                    (long long)seqs[0], (long long)member_id, (unsigned long long)off,
			                    (unsigned long long)(off + len));
		if (st == LT_OK && e != NULL)
			*raw = ev_str_from(e->data + (off - e->offset), (size_t)len);
		return st;
	}
	char *copy = arena_alloc(r->step, (size_t)len + 1);
	if (copy == NULL)
		return lt_error_set(err, LT_EITEM, "record too large to replay (%llu bytes)", (unsigned long long)len);
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = off > offs[i] ? off : offs[i];
		uint64_t hi = off + len < offs[i] + lens[i] ? off + len : offs[i] + lens[i];
		if (spill_read(r, member_id, seqs[i], offs[i], lo, hi, copy + (lo - off)))
			continue;
		cache_entry *e = NULL;
		lt_status st = load_chunk(r, member_id, seqs[i], offs[i], lens[i], &e, err);
		if (st != LT_OK)
			return st;
		if (e != NULL)
			copy_overlap(e, off, len, copy);
	}
	copy[len] = '\0';
	*raw = ev_str_from(copy, (size_t)len);
	return LT_OK;
}

lt_status replay_read_span(replay *r, int64_t member_id, uint64_t offset, uint64_t length, ev_str *raw,
                           lt_error *err)
{
	arena_reset(r->step);
	return read_span(r, member_id, offset, length, raw, err);
}

/* --- provenance ------------------------------------------------------------- */

static lt_status load_prov(replay *r, int64_t member_id, const ev_provenance **out, lt_error *err)
{
	prov_slot *slot = &r->provs[(size_t)((uint64_t)member_id * 0x9e3779b97f4a7c15ull >> 52) & (PROV_SLOTS - 1)];
	if (slot->member_id == member_id) {
		*out = &slot->prov;
		return LT_OK;
	}
	sqlite3_stmt *s = r->q_prov;
	sqlite3_bind_int64(s, 1, member_id);
	int rc = sqlite3_step(s);
	memset(slot, 0, sizeof *slot);
	const char *evidence = "", *member = "";
	if (rc == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(s, 0), *m = (const char *)sqlite3_column_text(s, 1);
		evidence = e ? arena_strndup(r->prov_mem, e, strlen(e)) : "";
		member = m ? arena_strndup(r->prov_mem, m, strlen(m)) : "";
		const unsigned char *sha = sqlite3_column_text(s, 2);
		snprintf(slot->prov.sha256, sizeof slot->prov.sha256, "%s", sha ? (const char *)sha : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return sql_fail(r->db, err, "member provenance");
	if (evidence == NULL || member == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	slot->prov.evidence = evidence;
	slot->prov.member = member;
	slot->prov.member_id = member_id;
	slot->member_id = member_id;
	*out = &slot->prov;
	return LT_OK;
}

/* --- one event -------------------------------------------------------------- */

/* String id of the dictionary; a long one left on disk is read into the
 * step's arena (it lives as long as the event). */
static ev_str dict(replay *r, uint32_t id, int *bad)
{
	int ok = 1;
	ev_str v = case_string(r->c, id, &ok);
	if (ok && v.p == NULL && v.n > 0) {
		lt_error e;
		lt_error_clear(&e);
		if (case_string_read(&r->q_str, r->c, id, r->step, &v, &e) != LT_OK)
			ok = 0;
	}
	*bad |= !ok;
	return v;
}

/* Header fields of a row; strings point into the row's block or the dictionary. */
static lt_status fill_header(replay *r, const evmerge_item *it, event *ev, lt_error *err)
{
	ev_str *fields[EVBLOCK_NSTR] = {&ev->action,  &ev->service,    &ev->principal, &ev->access_key,
	                                &ev->account, &ev->region,     &ev->source_ip, &ev->user_agent,
	                                &ev->model,   &ev->error_code, &ev->guardrail_action};
	const evblock_row *row = it->row;
	memset(ev, 0, sizeof *ev);
	int bad = 0;
	ev->source = src_from(row->source);
	ev->uid = row->uid;
	ev->time_us = row->time_us;
	ev->offset = row->offset;
	ev->line = row->line;
	ev->flags = row->flags;
	if ((row->input_body_ref.n > 0 || row->output_body_ref.n > 0) && body_missing(r, it->member_id, row->line))
		ev->flags |= EV_F_BODY_MISSING;
	ev->request_id = row->request_id;
	for (size_t i = 0; i < EVBLOCK_NSTR; i++)
		*fields[i] = dict(r, row->str[i], &bad);
	ev->input_tokens = row->input_tokens;
	ev->output_tokens = row->output_tokens;
	ev->latency_ms = row->latency_ms;
	ev->input_body_ref = row->input_body_ref;
	ev->output_body_ref = row->output_body_ref;
	if (bad)
		return lt_error_set(err, LT_EITEM, "case index: an event refers to a string the index does not have");
	return LT_OK;
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
	if (r->pf != NULL) { /* the chunk cache changes under the consumer: the batch keeps its own copy */
		char *copy = arena_strndup(r->step, ev->raw.p, ev->raw.n);
		if (copy == NULL)
			return lt_error_set(err, LT_EITEM, "record too large to replay (%zu bytes)", ev->raw.n);
		ev->raw.p = copy;
	}
	st = parse_json(r->step, ev->raw.p, ev->raw.n, &ev->doc, err);
	if (st != LT_OK)
		return st == LT_EFATAL ? st : LT_EITEM;
	if (ev->source == EV_SRC_INVOCATION && !(r->f.flags & REPLAY_NO_DERIVE))
		return derive(r, ev, err);
	return LT_OK;
}

/* event.tie of a kept row: counted over every kept row of the merge, before
 * the principal/action/model/uid filter, so it does not depend on that
 * filter, nor on the time range as long as the range starts at or before the
 * row's time (replay_filter.since_us), nor on the source filter (per source). */
static void count_tie(replay *r, const evblock_row *row)
{
	int s = (int)src_from(row->source);
	if (r->tie_next[s] == 0 || r->tie_time[s] != row->time_us) {
		r->tie_time[s] = row->time_us;
		r->tie_next[s] = 0;
	}
	r->tie = r->tie_next[s]++;
}

/* The next merged row that is kept and passes the filter; NULL at the end. */
static lt_status next_row(replay *r, const evmerge_item **out, lt_error *err)
{
	*out = NULL;
	if (r->impossible)
		return LT_OK;
	for (;;) {
		const evmerge_item *it = NULL;
		lt_status st = evmerge_next(r->m, &it, err);
		if (st != LT_OK && st != LT_EFATAL) { /* a stored block that does not decode: the index is damaged */
			char why[LT_ERROR_MSG_MAX];
			memcpy(why, err->msg, sizeof why);
			return lt_error_set(err, LT_EFATAL, "%s (re-index the evidence)", why);
		}
		if (st != LT_OK)
			return st;
		if (it == NULL)
			return st;
		int conflict = it->duplicate && is_conflict(r, it);
		if (it->duplicate && !conflict)
			continue;
		count_tie(r, it->row);
		if (row_wanted(r, it->row)) {
			r->conflict = conflict;
			*out = it;
			return LT_OK;
		}
	}
}

/* One event into ev (allocating from r->step); *got = 0 at the end. */
static lt_status produce(replay *r, event *ev, int *got, lt_error *err)
{
	*got = 0;
	const evmerge_item *it = NULL;
	lt_status st = next_row(r, &it, err);
	if (st != LT_OK || it == NULL)
		return st;
	*got = 1;
	lt_error e2;
	lt_error_clear(&e2);
	lt_status hs = fill_header(r, it, ev, &e2);
	if (r->conflict)
		ev->flags |= EV_F_CONFLICT;
	ev->seq = ++r->produced;
	ev->tie = r->tie;
	static const detblock_entry nothing = {NULL, 0, false};
	r->stored = !it->det_stored ? NULL : it->det != NULL ? it->det : &nothing;
	const ev_provenance *prov = NULL;
	st = load_prov(r, it->member_id, &prov, err);
	if (st != LT_OK)
		return st;
	ev->prov = prov;
	if (r->f.wants_record != NULL && !r->f.wants_record(r->f.prepare_ctx, ev, r->stored, r->step))
		st = LT_OK; /* the header is all the caller needs */
	else
		st = fill_body(r, ev, it->member_id, it->row->length, err);
	if (st == LT_EFATAL)
		return st;
	if (st == LT_OK && hs != LT_OK) {
		*err = e2;
		st = hs;
	}
	if (st != LT_OK)
		lt_error_where(err, prov->evidence, prov->member, ev->line);
	return st;
}

/* The caller's prepare function on a produced event; st is produce's status,
 * the result the event is returned with. */
static lt_status prepare(replay *r, event *ev, lt_status st, lt_error *err)
{
	if (r->f.prepare == NULL)
		return st;
	lt_error e;
	lt_error_clear(&e);
	lt_status ps = r->f.prepare(r->f.prepare_ctx, ev, r->stored, r->step, &e);
	if (ps == LT_OK)
		return st;
	if (ps == LT_EFATAL || st == LT_OK) {
		*err = e;
		return ps;
	}
	return st; /* the replay's own problem with the event comes first */
}

/* --- prefetch: a thread produces batches of events ahead of the consumer --------------- */

static lt_status pin_str(arena *a, ev_str *v)
{
	if (v->p == NULL || v->n == 0)
		return LT_OK;
	char *c = arena_strndup(a, v->p, v->n);
	if (c == NULL)
		return LT_EFATAL;
	v->p = c;
	return LT_OK;
}

/* Copies what ev points to that the producer frees as it goes into a: the
 * uid, request id and body references point into a decoded event block,
 * which is freed once the merge is past it. Header strings from the
 * dictionary live as long as the producer's connection (until replay_free);
 * raw, and so the parsed document and the derived text, are already in the
 * arena (fill_body copies raw before parsing it when prefetching). */
static lt_status pin_event(arena *a, event *ev)
{
	ev_str *v[] = {&ev->uid, &ev->request_id, &ev->input_body_ref, &ev->output_body_ref};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (pin_str(a, v[i]) != LT_OK)
			return LT_EFATAL;
	return LT_OK;
}

/* Fills one batch: events whose pointers stay valid while the consumer holds
 * the batch (raw and the strings of freed blocks copied into its arena). */
static void fill_batch(replay *r, batch *b)
{
	arena_reset(b->a);
	r->step = b->a;
	b->n = b->next = 0;
	while (b->n < BATCH_EVENTS && arena_used(b->a) < BATCH_ARENA_SOFT) {
		event *ev = &b->ev[b->n];
		lt_error *e = &b->err[b->n];
		int got = 0;
		lt_status st = produce(r, ev, &got, e);
		if (st == LT_EFATAL || !got) {
			b->end = 1;
			b->end_st = st;
			if (st == LT_EFATAL)
				b->end_err = *e;
			return;
		}
		if (pin_event(b->a, ev) != LT_OK) {
			b->end = 1;
			b->end_st = lt_error_set(&b->end_err, LT_EFATAL, "out of memory in the replay thread");
			return;
		}
		b->prov[b->n] = *ev->prov;
		ev->prov = &b->prov[b->n];
		st = prepare(r, ev, st, e);
		if (st == LT_EFATAL) {
			b->end = 1;
			b->end_st = st;
			b->end_err = *e;
			return;
		}
		b->st[b->n] = st;
		b->n++;
	}
}

static void *prefetch_main(void *arg)
{
	replay *r = arg;
	prefetch *pf = r->pf;
	for (;;) {
		batch *b = pf->b[pf->wr % NBATCH];
		pthread_mutex_lock(&pf->mu);
		while (b->ready && !pf->stop)
			pthread_cond_wait(&pf->cv, &pf->mu);
		int stop = pf->stop;
		pthread_mutex_unlock(&pf->mu);
		if (stop)
			return NULL;
		fill_batch(r, b);
		pthread_mutex_lock(&pf->mu);
		b->ready = 1;
		pf->wr++;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		if (b->end)
			return NULL;
	}
}

static lt_status next_prefetched(replay *r, const event **out, lt_error *err)
{
	prefetch *pf = r->pf;
	for (;;) {
		batch *b = pf->b[pf->rd % NBATCH];
		pthread_mutex_lock(&pf->mu);
		while (!b->ready)
			pthread_cond_wait(&pf->cv, &pf->mu);
		pthread_mutex_unlock(&pf->mu);
		if (b->next < b->n) {
			size_t i = b->next++;
			*out = &b->ev[i];
			if (b->st[i] != LT_OK)
				*err = b->err[i];
			return b->st[i];
		}
		if (b->end) {
			r->done = 1;
			if (b->end_st == LT_EFATAL)
				*err = b->end_err;
			return b->end_st;
		}
		pthread_mutex_lock(&pf->mu); /* used up: give it back */
		b->ready = 0;
		pf->rd++;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
	}
}

lt_status replay_next(replay *r, const event **out, lt_error *err)
{
	*out = NULL;
	if (r->done)
		return LT_OK;
	if (r->pf != NULL)
		return next_prefetched(r, out, err);
	arena_reset(r->step);
	int got = 0;
	lt_status st = produce(r, &r->ev, &got, err);
	if (st == LT_EFATAL)
		return st;
	if (!got) {
		r->done = 1;
		return st;
	}
	st = prepare(r, &r->ev, st, err);
	if (st == LT_EFATAL)
		return st;
	*out = &r->ev;
	return st;
}

uint64_t replay_detections_damaged(const replay *r, const char **first)
{
	if (first != NULL)
		*first = "";
	return r->m != NULL ? evmerge_det_damaged(r->m, first) : 0;
}

lt_status replay_count(case_db *c, const replay_filter *f, int64_t *n, lt_error *err)
{
	replay_filter h = *f;
	h.flags = REPLAY_HEADERS_ONLY;
	replay *r = NULL;
	*n = 0;
	lt_status st = replay_new(c, &h, &r, err);
	const evmerge_item *it = NULL;
	while (st == LT_OK && (st = next_row(r, &it, err)) != LT_EFATAL && it != NULL)
		(*n)++;
	replay_free(r);
	return st == LT_EFATAL ? st : LT_OK;
}
