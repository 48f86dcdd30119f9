/*
 * hitlog.c — (event seq, rule) pairs in bounded memory (see hitlog.h).
 *
 * A pair is one 64-bit key, seq << 24 | rule, so sorting keys sorts by event,
 * then rule. Adding: keys go through a direct-mapped filter of recent keys
 * (a repeat of one of them is dropped), then into the buffer; a full buffer
 * is sorted, de-duplicated and appended to the temporary file as a run.
 * Reading: the buffer left at hitlog_rewind is sorted in place and read as
 * the last run; every run on disk is read through a small buffer. The next
 * key of the whole log is the least head among the runs (cached: most rows
 * have no hit, and then a row costs one comparison).
 */
#include "config.h"

#include "model/hitlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/sort.h"
#include "common/tmpfile.h"

#define FILTER_SLOTS ((size_t)1 << 16)
#define READ_PAIRS 4096
#define RULE_BITS 24

typedef struct run {
	uint64_t start, count; /* in pairs, within the file (the memory run: within buf) */
	uint64_t done;         /* pairs consumed */
	uint64_t *rb;          /* read buffer (the memory run: NULL, read from buf) */
	size_t rn, ri;         /* pairs in rb, next one */
} run;

struct hitlog {
	uint64_t *buf;
	size_t n, cap;
	uint64_t *filter; /* key + 1 of a recent pair, 0 = empty */
	int fd;           /* the temporary file, -1 until the first run */
	uint64_t file_pairs;
	run *runs;
	size_t nruns, runs_alloc;
	int reading, failed;
	lt_error err;
	run *mem;         /* the buffer as a run, while reading */
	uint64_t next;    /* least head among the runs; UINT64_MAX: none */
};

hitlog *hitlog_new(size_t run_pairs)
{
	hitlog *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->cap = run_pairs ? run_pairs : HITLOG_RUN_PAIRS;
	h->buf = malloc(h->cap * sizeof *h->buf);
	h->filter = calloc(FILTER_SLOTS, sizeof *h->filter);
	h->fd = -1;
	h->next = UINT64_MAX;
	lt_error_clear(&h->err);
	if (h->buf == NULL || h->filter == NULL) {
		hitlog_free(h);
		return NULL;
	}
	return h;
}

void hitlog_free(hitlog *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nruns; i++)
		free(h->runs[i].rb);
	free(h->runs);
	free(h->buf);
	free(h->filter);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}

size_t hitlog_runs(const hitlog *h)
{
	return h->nruns - (h->mem != NULL);
}

bool hitlog_failed(const hitlog *h, lt_error *err)
{
	if (h->failed && err != NULL)
		*err = h->err;
	return h->failed != 0;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts buf[0..n) and drops repeats; returns the new n. */
static size_t sort_unique(uint64_t *v, size_t n)
{
	lt_sort(v, n, sizeof *v, cmp_key);
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (w == 0 || v[w - 1] != v[i])
			v[w++] = v[i];
	return w;
}

static run *new_run(hitlog *h)
{
	if (h->nruns == h->runs_alloc) {
		size_t na = h->runs_alloc ? h->runs_alloc * 2 : 8;
		run *nr = realloc(h->runs, na * sizeof *nr);
		if (nr == NULL)
			return NULL;
		h->runs = nr;
		h->runs_alloc = na;
	}
	run *r = &h->runs[h->nruns++];
	memset(r, 0, sizeof *r);
	return r;
}

static lt_status open_file(hitlog *h, lt_error *err)
{
	h->fd = lt_tmpfile("hits", "hit log", err);
	return h->fd < 0 ? LT_EFATAL : LT_OK;
}

static lt_status spill(hitlog *h, lt_error *err)
{
	size_t n = sort_unique(h->buf, h->n);
	h->n = 0;
	if (n == 0)
		return LT_OK;
	if (h->fd < 0 && open_file(h, err) != LT_OK)
		return LT_EFATAL;
	run *r = new_run(h);
	if (r == NULL)
		return lt_error_set(err, LT_EFATAL, "hit log: out of memory");
	r->start = h->file_pairs;
	r->count = n;
	h->file_pairs += n;
	return lt_write_at(h->fd, h->buf, n * sizeof *h->buf, r->start * sizeof *h->buf, "hit log", err);
}

lt_status hitlog_add(hitlog *h, uint64_t seq, uint32_t rule, lt_error *err)
{
	if (h->reading)
		return lt_error_set(err, LT_EFATAL, "hit log: add after rewind");
	if (seq > HITLOG_SEQ_MAX || rule > HITLOG_RULE_MAX)
		return lt_error_set(err, LT_EITEM, "hit log: event %llu / rule %u out of range",
		                    (unsigned long long)seq, rule);
	uint64_t key = seq << RULE_BITS | rule;
	uint64_t slot = (key * 0x9E3779B97F4A7C15ull) >> 48; /* FILTER_SLOTS = 2^16 */
	if (h->filter[slot] == key + 1)
		return LT_OK;
	h->filter[slot] = key + 1;
	if (h->n == h->cap && spill(h, err) != LT_OK)
		return LT_EFATAL;
	h->buf[h->n++] = key;
	return LT_OK;
}

/* The head of r, or UINT64_MAX when r is used up; refills r's buffer. */
static uint64_t head(hitlog *h, run *r)
{
	if (r->done >= r->count)
		return UINT64_MAX;
	if (r == h->mem)
		return h->buf[r->done];
	if (r->ri == r->rn) {
		uint64_t left = r->count - r->done;
		size_t want = left < READ_PAIRS ? (size_t)left : READ_PAIRS;
		size_t bytes = want * sizeof *r->rb;
		off_t off = (off_t)((r->start + r->done) * sizeof *r->rb);
		lt_error e;
		if (lt_read_at(h->fd, r->rb, bytes, (uint64_t)off, "hit log", &e) != LT_OK) {
			h->failed = 1;
			h->err = e;
			return UINT64_MAX;
		}
		r->rn = want;
		r->ri = 0;
	}
	return r->rb[r->ri];
}

static void advance(hitlog *h, run *r)
{
	r->done++;
	if (r != h->mem)
		r->ri++;
}

static void find_next(hitlog *h)
{
	h->next = UINT64_MAX;
	for (size_t i = 0; i < h->nruns && !h->failed; i++) {
		uint64_t k = head(h, &h->runs[i]);
		if (k < h->next)
			h->next = k;
	}
	if (h->failed)
		h->next = UINT64_MAX;
}

/* Marks the log failed (every later read gives nothing, hitlog_failed says
 * why) and returns LT_EFATAL with the message in err too (when not NULL). */
static lt_status rewind_failed(hitlog *h, lt_error *err, const char *msg)
{
	if (!h->failed) {
		h->failed = 1;
		lt_error_set(&h->err, LT_EFATAL, "hit log: %s", msg);
	}
	if (err != NULL)
		*err = h->err;
	return LT_EFATAL;
}

lt_status hitlog_rewind(hitlog *h, lt_error *err)
{
	if (h->failed)
		return rewind_failed(h, err, "");
	if (h->reading)
		return LT_OK;
	h->reading = 1;
	for (size_t i = 0; i < h->nruns; i++) {
		h->runs[i].rb = malloc(READ_PAIRS * sizeof *h->runs[i].rb);
		if (h->runs[i].rb == NULL)
			return rewind_failed(h, err, "out of memory");
	}
	h->n = sort_unique(h->buf, h->n);
	if (h->n > 0) {
		run *m = new_run(h);
		if (m == NULL)
			return rewind_failed(h, err, "out of memory");
		m->count = h->n;
		h->mem = m;
	}
	free(h->filter);
	h->filter = NULL;
	find_next(h);
	return h->failed ? rewind_failed(h, err, "") : LT_OK;
}

size_t hitlog_rules(hitlog *h, uint64_t seq, uint32_t *rules, size_t max)
{
	if (!h->reading || h->failed || seq > HITLOG_SEQ_MAX)
		return 0;
	size_t count = 0;
	while (h->next != UINT64_MAX && h->next >> RULE_BITS <= seq) {
		uint64_t k = h->next;
		for (size_t i = 0; i < h->nruns; i++) /* every run holding k moves past it */
			if (head(h, &h->runs[i]) == k)
				advance(h, &h->runs[i]);
		find_next(h);
		if (k >> RULE_BITS < seq)
			continue; /* a row that was not asked for */
		if (count < max) /* keys are distinct and ascending: so are the rules */
			rules[count] = (uint32_t)(k & HITLOG_RULE_MAX);
		count++;
	}
	return h->failed ? 0 : count;
}
