/*
 * recjoin.c — the streaming CloudTrail <-> invocation-log join (see
 * recjoin.h).
 *
 * Held items live in a pool of slots (stable indices, free list). Three
 * structures point into it:
 *   - keys: an open-addressing table (linear probing, deletion by backward
 *     shift) of request-id states, each with the list of its held items and
 *     which sides it has seen; a state goes when its last item is emitted;
 *   - two FIFO rings of slots, calls and records, in arrival (time) order:
 *     the expiry queues;
 *   - per principal, a ring of its held records in time order (a record
 *     leaves its principal's ring when it leaves the records' ring, and both
 *     are in the same order, so it is always the front): the weak match
 *     looks up [t - weak, t + weak] there by binary search.
 * Strong matching is done as items arrive; everything else when an item
 * leaves. The order of judging (calls of one time sorted by member id and
 * offset, calls before the records they could take) is what makes the result
 * the same as the whole-case join this replaced (store/recq.c's TEMP tables,
 * before wave 2 session 4) as long as every counterpart is within the
 * horizon.
 */
#include "config.h"

#include "analyzers/audit/recjoin.h"

#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "common/hash.h"
#include "common/sort.h"
#include "model/strmap.h"

#define KEY_INLINE 24
#define GONE_SLOTS 65536 /* hashes of keys let go with one side only */

typedef struct slot {
	recjoin_item it;
	int32_t key;  /* key state, -1 none */
	int32_t next; /* next item of the same key; next free slot */
	int m;        /* RECJOIN_* */
} slot;

typedef struct kst {
	uint64_t h;
	size_t n;
	unsigned char inl[KEY_INLINE];
	unsigned char *heap; /* bytes when n > KEY_INLINE */
	int32_t head;        /* held items; next free state */
	uint32_t held;
	bool has_call, has_rec;
	int64_t last_call_us, last_rec_us;
	size_t gone_calls, gone_recs; /* emitted unmatched */
} kst;

typedef struct ring {
	int32_t *v;
	size_t head, n, cap; /* cap a power of two */
} ring;

typedef struct runent {
	int64_t member_id, offset;
	int32_t x;
} runent;

typedef struct gone {
	uint64_t h;
	int side; /* 1 calls left unmatched, 2 records */
} gone;

struct recjoin {
	int64_t horizon_us, weak_us;
	size_t max_pending;
	recjoin_emit_fn emit;
	void *ctx;
	recjoin_stats stats;
	slot *s;
	size_t ns, as;
	int32_t free_slot;
	size_t held;
	kst *k;
	size_t nk, ak;
	int32_t free_key;
	int32_t *tab; /* key states by hash, -1 empty */
	size_t tcap, tcount;
	ring calls, recs;
	strmap *pmap; /* principal pointer -> index + 1 in prin */
	ring *prin;
	size_t nprin, aprin;
	gone *gone;
	struct runent *run; /* calls of one time, being judged */
	size_t arun;
	lt_status failed;
};

int recjoin_models_compatible(const char *a, const char *b)
{
	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return 1;
	if (strcmp(a, b) == 0)
		return 1;
	size_t la = strlen(a), lb = strlen(b);
	if (la > lb && a[la - lb - 1] == '/' && strcmp(a + la - lb, b) == 0)
		return 1;
	if (lb > la && b[lb - la - 1] == '/' && strcmp(b + lb - la, a) == 0)
		return 1;
	return 0;
}

/* ---- rings ---------------------------------------------------------------- */

static int32_t ring_at(const ring *r, size_t i)
{
	return r->v[(r->head + i) & (r->cap - 1)];
}

static int ring_push(ring *r, int32_t x)
{
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 64;
		int32_t *nv = malloc(nc * sizeof *nv);
		if (nv == NULL)
			return -1;
		for (size_t i = 0; i < r->n; i++)
			nv[i] = ring_at(r, i);
		free(r->v);
		r->v = nv;
		r->cap = nc;
		r->head = 0;
	}
	r->v[(r->head + r->n++) & (r->cap - 1)] = x;
	return 0;
}

static void ring_pop(ring *r)
{
	r->head = (r->head + 1) & (r->cap - 1);
	if (--r->n == 0 && r->cap > 64) { /* an empty ring gives its memory back */
		free(r->v);
		r->v = NULL;
		r->cap = 0;
		r->head = 0;
	}
}

/* ---- key states ------------------------------------------------------------- */

static const unsigned char *key_bytes(const kst *k)
{
	return k->n > KEY_INLINE ? k->heap : k->inl;
}

static int grow_table(recjoin *j)
{
	size_t nc = j->tcap ? j->tcap * 2 : 1024;
	int32_t *nt = malloc(nc * sizeof *nt);
	if (nt == NULL)
		return -1;
	for (size_t i = 0; i < nc; i++)
		nt[i] = -1;
	for (size_t i = 0; i < j->tcap; i++) {
		int32_t x = j->tab[i];
		if (x < 0)
			continue;
		size_t p = j->k[x].h & (nc - 1);
		while (nt[p] >= 0)
			p = (p + 1) & (nc - 1);
		nt[p] = x;
	}
	free(j->tab);
	j->tab = nt;
	j->tcap = nc;
	return 0;
}

/* The table position of the key, or of the empty slot where it would go. */
static size_t key_pos(const recjoin *j, uint64_t h, const void *p, size_t n)
{
	size_t i = h & (j->tcap - 1);
	for (;;) {
		int32_t x = j->tab[i];
		if (x < 0)
			return i;
		const kst *k = &j->k[x];
		if (k->h == h && k->n == n && memcmp(key_bytes(k), p, n) == 0)
			return i;
		i = (i + 1) & (j->tcap - 1);
	}
}

/* The state of key p[0..n) (a new one when absent, *fresh set); -1 out of memory. */
static int32_t key_state(recjoin *j, const void *p, size_t n, bool *fresh)
{
	*fresh = false;
	if ((j->tcount + 1) * 2 > j->tcap && grow_table(j) < 0)
		return -1;
	uint64_t h = lt_fnv64(p, n);
	size_t pos = key_pos(j, h, p, n);
	if (j->tab[pos] >= 0)
		return j->tab[pos];
	int32_t x = j->free_key;
	if (x >= 0) {
		j->free_key = j->k[x].head;
	} else {
		kst *nv = lt_grow(j->k, &j->ak, j->nk, sizeof *nv, 256);
		if (nv == NULL)
			return -1;
		j->k = nv;
		x = (int32_t)j->nk++;
	}
	kst *k = &j->k[x];
	memset(k, 0, sizeof *k);
	k->h = h;
	k->n = n;
	k->head = -1;
	if (n > KEY_INLINE) {
		if ((k->heap = malloc(n)) == NULL) {
			k->head = j->free_key;
			j->free_key = x;
			return -1;
		}
		memcpy(k->heap, p, n);
	} else {
		memcpy(k->inl, p, n);
	}
	j->tab[pos] = x;
	j->tcount++;
	*fresh = true;
	return x;
}

/* Removes key state x from the table (backward shift) and frees it. */
static void key_drop(recjoin *j, int32_t x)
{
	kst *k = &j->k[x];
	size_t mask = j->tcap - 1, i = key_pos(j, k->h, key_bytes(k), k->n);
	for (size_t nx = (i + 1) & mask; j->tab[nx] >= 0; nx = (nx + 1) & mask) {
		size_t home = j->k[j->tab[nx]].h & mask;
		/* the entry at nx may move into the hole at i when its home is not in (i, nx] */
		if ((nx > i && (home <= i || home > nx)) || (nx < i && home <= i && home > nx)) {
			j->tab[i] = j->tab[nx];
			i = nx;
		}
	}
	j->tab[i] = -1;
	j->tcount--;
	free(k->heap);
	k->heap = NULL;
	k->head = j->free_key;
	j->free_key = x;
}

/* ---- slots ------------------------------------------------------------------- */

static int32_t new_slot(recjoin *j)
{
	int32_t x = j->free_slot;
	if (x >= 0) {
		j->free_slot = j->s[x].next;
		return x;
	}
	if (j->ns >= INT32_MAX)
		return -1;
	slot *nv = lt_grow(j->s, &j->as, j->ns, sizeof *nv, 1024);
	if (nv == NULL)
		return -1;
	j->s = nv;
	return (int32_t)j->ns++;
}

static ring *prin_ring(recjoin *j, const char *principal, bool create)
{
	uint64_t *v = strmap_slot(j->pmap, &principal, sizeof principal, create, NULL);
	if (v == NULL)
		return NULL;
	if (*v == 0) {
		ring *nv = lt_grow(j->prin, &j->aprin, j->nprin, sizeof *nv, 64);
		if (nv == NULL)
			return NULL;
		j->prin = nv;
		memset(&j->prin[j->nprin], 0, sizeof j->prin[j->nprin]);
		*v = ++j->nprin;
	}
	return &j->prin[*v - 1];
}

/* Hands slot x to emit and frees it (it has left its queues already). */
static lt_status release(recjoin *j, int32_t x, lt_error *err)
{
	slot *e = &j->s[x];
	int32_t kx = e->key;
	if (kx >= 0) {
		kst *k = &j->k[kx];
		int32_t *pp = &k->head;
		while (*pp != x)
			pp = &j->s[*pp].next;
		*pp = e->next;
		if (e->m == RECJOIN_UNMATCHED) {
			if (e->it.is_call)
				k->gone_calls++;
			else
				k->gone_recs++;
		}
		if (--k->held == 0) {
			if (k->has_call != k->has_rec && (k->gone_calls || k->gone_recs))
				j->gone[k->h & (GONE_SLOTS - 1)] = (gone){k->h, k->has_call ? 1 : 2};
			key_drop(j, kx);
		}
	}
	lt_status st = j->emit(j->ctx, &e->it, e->m, err);
	e = &j->s[x];
	e->next = j->free_slot;
	j->free_slot = x;
	j->held--;
	return st;
}

/* ---- weak matches ------------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int64_t dist(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

/* Whether record y is nearer call time t than record b (by distance, member id, offset). */
static bool nearer(const recjoin_item *y, const recjoin_item *b, int64_t t)
{
	int c = cmp_i64(dist(y->time_us, t), dist(b->time_us, t));
	if (c == 0)
		c = cmp_i64(y->member_id, b->member_id);
	if (c == 0)
		c = cmp_i64(y->offset, b->offset);
	return c < 0;
}

static void weak_match(recjoin *j, slot *c)
{
	ring *r = prin_ring(j, c->it.principal, false);
	if (r == NULL || r->n == 0)
		return;
	int64_t t = c->it.time_us, lo = t - j->weak_us, hi = t + j->weak_us;
	size_t a = 0, b = r->n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (j->s[ring_at(r, mid)].it.time_us < lo)
			a = mid + 1;
		else
			b = mid;
	}
	slot *best = NULL;
	for (size_t i = a; i < r->n; i++) {
		slot *y = &j->s[ring_at(r, i)];
		if (y->it.time_us > hi)
			break;
		if (y->m != RECJOIN_UNMATCHED || !recjoin_models_compatible(c->it.model, y->it.model))
			continue;
		if (best == NULL || nearer(&y->it, &best->it, t))
			best = y;
	}
	if (best != NULL) {
		best->m = RECJOIN_WEAK;
		c->m = RECJOIN_WEAK;
	}
}

static int cmp_run(const void *a, const void *b)
{
	const runent *x = a, *y = b;
	int c = cmp_i64(x->member_id, y->member_id);
	return c ? c : cmp_i64(x->offset, y->offset);
}

/* Judges and emits the calls at the front of the queue that share its time. */
static lt_status judge_calls(recjoin *j, lt_error *err)
{
	int64_t t = j->s[ring_at(&j->calls, 0)].it.time_us;
	size_t n = 0;
	while (n < j->calls.n && j->s[ring_at(&j->calls, n)].it.time_us == t)
		n++;
	if (n > j->arun) {
		runent *nv = realloc(j->run, n * sizeof *nv);
		if (nv == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		j->run = nv;
		j->arun = n;
	}
	for (size_t i = 0; i < n; i++) {
		int32_t x = ring_at(&j->calls, 0);
		j->run[i] = (runent){j->s[x].it.member_id, j->s[x].it.offset, x};
		ring_pop(&j->calls);
	}
	lt_sort(j->run, n, sizeof *j->run, cmp_run);
	lt_status st = LT_OK;
	for (size_t i = 0; i < n; i++) {
		slot *c = &j->s[j->run[i].x];
		if (c->m == RECJOIN_UNMATCHED)
			weak_match(j, c);
		lt_status s2 = release(j, j->run[i].x, err);
		if (st == LT_OK)
			st = s2;
	}
	return st;
}

static lt_status emit_record(recjoin *j, lt_error *err)
{
	int32_t x = ring_at(&j->recs, 0);
	ring_pop(&j->recs);
	ring *r = prin_ring(j, j->s[x].it.principal, false);
	if (r != NULL && r->n > 0 && ring_at(r, 0) == x)
		ring_pop(r);
	return release(j, x, err);
}

/* Judges what an item at time now lets go (INT64_MAX: everything). */
static lt_status advance(recjoin *j, int64_t now, lt_error *err)
{
	lt_status st = LT_OK;
	int64_t call_edge = now == INT64_MAX ? INT64_MAX : now - j->horizon_us - j->weak_us;
	int64_t rec_edge = now == INT64_MAX ? INT64_MAX : call_edge - j->weak_us;
	while (st == LT_OK && j->calls.n > 0 &&
	       (now == INT64_MAX || j->s[ring_at(&j->calls, 0)].it.time_us < call_edge))
		st = judge_calls(j, err);
	while (st == LT_OK && j->recs.n > 0 && (now == INT64_MAX || j->s[ring_at(&j->recs, 0)].it.time_us < rec_edge))
		st = emit_record(j, err);
	return st;
}

/* Over max_pending: the oldest held item goes first (a call before a record of its time). */
static lt_status force_one(recjoin *j, lt_error *err)
{
	j->stats.forced++;
	if (j->calls.n > 0 && (j->recs.n == 0 || j->s[ring_at(&j->calls, 0)].it.time_us <=
	                                             j->s[ring_at(&j->recs, 0)].it.time_us)) {
		int32_t x = ring_at(&j->calls, 0);
		ring_pop(&j->calls);
		if (j->s[x].m == RECJOIN_UNMATCHED)
			weak_match(j, &j->s[x]);
		return release(j, x, err);
	}
	return emit_record(j, err);
}

/* ---- strong matches ---------------------------------------------------------------- */

static void note_gap(recjoin *j, int64_t now, int64_t then)
{
	if (now - then > j->stats.max_request_gap_us)
		j->stats.max_request_gap_us = now - then;
}

/* Marks x and the held items of its key as matched when both sides are there. */
static void strong(recjoin *j, int32_t x, int32_t kx, bool fresh)
{
	slot *e = &j->s[x];
	kst *k = &j->k[kx];
	bool call = e->it.is_call;
	if (fresh) {
		gone *g = &j->gone[k->h & (GONE_SLOTS - 1)];
		if (g->h == k->h && g->side == (call ? 2 : 1)) {
			j->stats.late++;
			g->side = 0;
		}
	}
	if (call ? k->gone_recs : k->gone_calls) {
		j->stats.late += call ? k->gone_recs : k->gone_calls;
		if (call)
			k->gone_recs = 0;
		else
			k->gone_calls = 0;
	}
	bool other = call ? k->has_rec : k->has_call;
	if (other) {
		note_gap(j, e->it.time_us, call ? k->last_rec_us : k->last_call_us);
		e->m = RECJOIN_BY_REQUEST;
	}
	bool first_of_side = call ? !k->has_call : !k->has_rec;
	if (call) {
		k->has_call = true;
		k->last_call_us = e->it.time_us;
	} else {
		k->has_rec = true;
		k->last_rec_us = e->it.time_us;
	}
	if (other && first_of_side)
		for (int32_t y = k->head; y >= 0; y = j->s[y].next)
			if (j->s[y].it.is_call != call && j->s[y].m == RECJOIN_UNMATCHED)
				j->s[y].m = RECJOIN_BY_REQUEST;
	e->next = k->head;
	k->head = x;
	k->held++;
}

/* ---- the join -------------------------------------------------------------------- */

recjoin *recjoin_new(int64_t horizon_us, int64_t weak_us, size_t max_pending, recjoin_emit_fn emit, void *ctx)
{
	recjoin *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->horizon_us = horizon_us;
	j->weak_us = weak_us;
	j->max_pending = max_pending ? max_pending : 1;
	j->emit = emit;
	j->ctx = ctx;
	j->free_slot = -1;
	j->free_key = -1;
	j->pmap = strmap_new(0);
	j->gone = calloc(GONE_SLOTS, sizeof *j->gone);
	if (j->pmap == NULL || j->gone == NULL || grow_table(j) < 0) {
		recjoin_free(j);
		return NULL;
	}
	return j;
}

void recjoin_free(recjoin *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->nk; i++)
		if (j->k[i].n > KEY_INLINE)
			free(j->k[i].heap);
	for (size_t i = 0; i < j->nprin; i++)
		free(j->prin[i].v);
	free(j->prin);
	strmap_free(j->pmap);
	free(j->k);
	free(j->tab);
	free(j->s);
	free(j->calls.v);
	free(j->recs.v);
	free(j->gone);
	free(j->run);
	free(j);
}

const recjoin_stats *recjoin_get_stats(const recjoin *j)
{
	return &j->stats;
}

lt_status recjoin_add(recjoin *j, const recjoin_item *it, lt_error *err)
{
	if (j->failed != LT_OK)
		return lt_error_set(err, j->failed, "reconcile: the join stopped after an error");
	lt_status st = advance(j, it->time_us, err);
	int32_t x = -1;
	if (st == LT_OK && (x = new_slot(j)) < 0)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st != LT_OK) {
		j->failed = st;
		return st;
	}
	slot *e = &j->s[x];
	e->it = *it;
	e->it.key = NULL;
	e->it.key_len = 0;
	e->m = RECJOIN_UNMATCHED;
	e->key = -1;
	e->next = -1;
	j->held++;
	if (it->key != NULL && it->key_len > 0) {
		bool fresh = false;
		int32_t kx = key_state(j, it->key, it->key_len, &fresh);
		if (kx < 0) {
			e->next = j->free_slot;
			j->free_slot = x;
			j->held--;
			j->failed = LT_EFATAL;
			return lt_error_set(err, LT_EFATAL, "out of memory");
		}
		e->key = kx;
		strong(j, x, kx, fresh);
	}
	int bad = ring_push(it->is_call ? &j->calls : &j->recs, x);
	if (!bad && !it->is_call) {
		ring *r = prin_ring(j, it->principal, true);
		bad = r == NULL || ring_push(r, x) < 0;
	}
	if (bad) {
		j->failed = LT_EFATAL;
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	if (j->held > j->stats.peak_pending)
		j->stats.peak_pending = j->held;
	while (st == LT_OK && j->held > j->max_pending)
		st = force_one(j, err);
	if (st != LT_OK)
		j->failed = st;
	return st;
}

lt_status recjoin_finish(recjoin *j, lt_error *err)
{
	if (j->failed != LT_OK)
		return lt_error_set(err, j->failed, "reconcile: the join stopped after an error");
	lt_status st = advance(j, INT64_MAX, err);
	if (st != LT_OK)
		j->failed = st;
	return st;
}
