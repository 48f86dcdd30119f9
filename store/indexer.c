/*
 * indexer.c — the indexing pipeline (see indexer.h).
 *
 *   walker (calling thread) --work queue--> workers (N) --reorder ring--> writer thread
 *
 * The walker gives every item (member, nested container, evidence file,
 * problem) a sequence number in walk order. Members go through the workers
 * (gunzip, decode, pack); the other items go straight to the ring. The writer
 * consumes the ring strictly in sequence order, so the case is the same
 * whatever the thread timing: the same members win de-duplication, a run
 * killed at any point has committed a prefix of the walk, and a re-run
 * (which skips that prefix) ends in the same index as an uninterrupted run.
 * Admission is bounded by MAX_INFLIGHT items and INFLIGHT_BYTES of member
 * bytes between the walker and the writer; each worker additionally holds
 * one decompressed member. The writer commits every COMMIT_EVENTS events,
 * COMMIT_MEMBERS members or COMMIT_SECONDS, whichever comes first: a member
 * is always entirely inside one transaction.
 *
 * Big members (over indexer_options.big_member_bytes decompressed, or as
 * found when uncompressed, or mapped by the walker: an archive entry over
 * WALK_SPILL_BYTES): a worker's inflate stops at that size and the
 * job goes to the ring undecoded. The writer, in its turn, streams the
 * inflate into an unlinked temporary file (gunzip_stream: same output, caps
 * and damage messages as the buffer path), maps it, decodes it with a sink
 * that stores every BIG_BATCH_EVENTS events as blocks (writer_member_events)
 * and then stores the text in BLOB_CHUNK zlib slices, dropping mapped pages
 * behind it. Memory is a batch of events plus one slice, not the member:
 * the decoder tells how far it has read (decode_sink.on_progress) and the
 * mapped pages more than DROP_BEHIND behind it are let go, whether or not
 * records were found there (a mapped member's RSS is a window, issue 22).
 * The job's compressed bytes stay charged to INFLIGHT_BYTES meanwhile, and
 * workers keep decoding the members behind it up to the ring's size.
 */
#include "config.h"

#include "store/indexer.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/tmpfile.h"
#include "ingest/decode.h"
#include "common/budget.h"
#include "ingest/gunzip.h"
#include "ingest/sha256.h"
#include "ingest/walk.h"
#include "store/blob.h"
#include "store/evblock.h"
#include "store/evdup.h"
#include "store/writer.h"

#define MAX_INFLIGHT_CAP 64
#define INFLIGHT_BYTES ((size_t)256 << 20)
#define COMMIT_EVENTS 20000u
#define COMMIT_MEMBERS 1000u
#define COMMIT_SECONDS 0.5
#define RESULT_ARENA_CAP ((size_t)2 << 30)
#define DECODE_ARENA_CAP ((size_t)1 << 30)
#define ZLIB_LEVEL 6
#define BIG_MEMBER_DEFAULT ((uint64_t)256 << 20)
#define BIG_BATCH_EVENTS 65536u
#define DROP_BEHIND ((size_t)8 << 20) /* mapped bytes kept behind the decoder */
#define DROP_STEP ((size_t)8 << 20)   /* mapped bytes let go at a time */

typedef enum job_kind { JOB_MEMBER, JOB_CONTAINER, JOB_EVIDENCE, JOB_PROBLEM } job_kind;

typedef struct job {
	job_kind kind;
	uint64_t seq;
	struct job *next;
	char *evidence, *member;
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
	unsigned char *data; /* member bytes as found (malloc'd, or mapped: see release_data) */
	size_t len;
	int mapped; /* data is the walker's read-only file mapping */
	size_t charge;
	int partial;
	const char *ev_kind; /* JOB_EVIDENCE */
	const char *pkind;   /* JOB_PROBLEM */
	uint64_t line, offset;
	char *reason;
	int big; /* decoded and stored by the writer (write_big) */
	/* worker results */
	arena *a;  /* problems (and events unless big) */
	arena *ea; /* event strings: a, or a batch arena when big */
	uint64_t nflushed; /* events already handed to the writer (big) */
	event *events;
	size_t nevents, cap_events;
	writer_problem *problems;
	size_t nproblems, cap_problems;
	buf side; /* record bytes that are not in the member text (decoded lookup events) */
	size_t text_len;
	blob_chunks chunks;
	int has_content;
	uint64_t content_size;
	char content_sha256[SHA256_HEX_LEN + 1];
	const char *format, *state;
	int fatal;
	lt_error err;
} job;

typedef struct ix {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, ring_cv, space_cv;
	job *work_head, *work_tail;
	job *ring[MAX_INFLIGHT_CAP];
	size_t max_inflight;
	uint64_t next_seq, write_seq;
	size_t inflight, inflight_bytes;
	int walk_done, stop, fatal;
	lt_budget budget; /* the run's decompressed bytes */
	lt_error fatal_err;
	uint64_t max_member;
	uint64_t big_member; /* < max_member, else no member is big */
	const indexer_options *o;
	case_db *ro;          /* the walker's read-only handle (skip checks) */
	sqlite3_stmt *q_seen; /* member recorded under this name? */
	case_db *rw;          /* the writer thread's handle */
	int64_t run_id;
	indexer_stats st;     /* writer-owned; the walker counts in walk_* */
	uint64_t walk_skipped, walk_unreadable; /* walker-owned (under mu) */
	uint64_t walk_files, walk_members, walk_bytes; /* walker-owned (under mu) */
	struct timespec t0;
} ix;

static unsigned worker_count(const indexer_options *o);

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void indexer_options_init(indexer_options *o)
{
	memset(o, 0, sizeof *o);
}

/* Lets the as-found bytes go (walk_member_take handed them over). */
static void release_data(job *j)
{
	walk_buffer b = {j->data, j->len, j->mapped != 0};
	walk_buffer_release(&b);
	j->data = NULL;
}

static void job_free(job *j)
{
	if (j == NULL)
		return;
	free(j->evidence);
	free(j->member);
	release_data(j);
	free(j->reason);
	if (j->ea != j->a)
		arena_free(j->ea);
	arena_free(j->a);
	free(j->events);
	free(j->problems);
	buf_free(&j->side);
	blob_chunks_free(&j->chunks);
	free(j);
}

static job *job_new(job_kind kind, const char *evidence, const char *member)
{
	job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->kind = kind;
	j->evidence = strdup(evidence ? evidence : "");
	j->member = strdup(member ? member : "");
	buf_init(&j->side, 0);
	if (j->evidence == NULL || j->member == NULL) {
		job_free(j);
		return NULL;
	}
	return j;
}

static void set_fatal(ix *x, const lt_error *e)
{
	pthread_mutex_lock(&x->mu);
	if (!x->fatal) {
		x->fatal = 1;
		x->fatal_err = *e;
	}
	x->stop = 1;
	pthread_cond_broadcast(&x->space_cv);
	pthread_cond_broadcast(&x->work_cv);
	pthread_cond_broadcast(&x->ring_cv);
	pthread_mutex_unlock(&x->mu);
}

/* --- admission (walker thread) ------------------------------------------- */

/* Waits for room, then gives j its sequence number and queues it. */
static lt_status submit(ix *x, job *j, int to_workers)
{
	pthread_mutex_lock(&x->mu);
	while (!x->stop && (x->inflight >= x->max_inflight ||
	                    (x->inflight > 0 && x->inflight_bytes + j->charge > INFLIGHT_BYTES)))
		pthread_cond_wait(&x->space_cv, &x->mu);
	if (x->stop) {
		pthread_mutex_unlock(&x->mu);
		job_free(j);
		return LT_EFATAL;
	}
	j->seq = x->next_seq++;
	x->inflight++;
	x->inflight_bytes += j->charge;
	if (to_workers) {
		if (x->work_tail)
			x->work_tail->next = j;
		else
			x->work_head = j;
		x->work_tail = j;
		pthread_cond_signal(&x->work_cv);
	} else {
		x->ring[j->seq % x->max_inflight] = j;
		pthread_cond_broadcast(&x->ring_cv);
	}
	pthread_mutex_unlock(&x->mu);
	return LT_OK;
}

/* 1 if this member is recorded already with the same bytes; *unreadable says
 * whether it was unreadable or had problems then (they count for the exit code). */
static int already_indexed(ix *x, const walk_member *m, int *unreadable)
{
	sqlite3_stmt *s = x->q_seen;
	*unreadable = 0;
	if (s == NULL)
		return 0;
	sqlite3_bind_text(s, 1, m->evidence, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->member, -1, SQLITE_STATIC);
	int seen = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *sha = sqlite3_column_text(s, 0);
		const unsigned char *state = sqlite3_column_text(s, 1);
		seen = sha != NULL && strcmp((const char *)sha, m->sha256) == 0;
		*unreadable = (state != NULL && strcmp((const char *)state, MEMBER_UNREADABLE) == 0) ||
		              sqlite3_column_int64(s, 2) > 0;
	}
	sqlite3_reset(s);
	return seen;
}

static lt_status on_member(void *ctx, walk_member *m)
{
	ix *x = ctx;
	int unreadable = 0;
	pthread_mutex_lock(&x->mu);
	x->walk_members++;
	x->walk_bytes += m->len;
	pthread_mutex_unlock(&x->mu);
	if (!m->partial && already_indexed(x, m, &unreadable)) {
		pthread_mutex_lock(&x->mu);
		x->walk_skipped++;
		x->walk_unreadable += (uint64_t)unreadable;
		pthread_mutex_unlock(&x->mu);
		return LT_OK;
	}
	job *j = job_new(JOB_MEMBER, m->evidence, m->member);
	if (j == NULL)
		return LT_EFATAL;
	memcpy(j->sha256, m->sha256, sizeof j->sha256);
	j->size = m->len;
	j->len = m->len;
	j->partial = m->partial;
	walk_buffer b;
	if (walk_member_take(m, &b)) {
		j->data = b.p;
		j->mapped = b.mapped;
	} else {
		j->data = malloc(m->len ? m->len : 1);
		if (j->data == NULL) {
			job_free(j);
			return LT_EFATAL;
		}
		memcpy(j->data, m->data, m->len);
	}
	j->charge = m->len;
	return submit(x, j, 1);
}

static lt_status on_container(void *ctx, const walk_member *m)
{
	ix *x = ctx;
	job *j = job_new(JOB_CONTAINER, m->evidence, m->member);
	if (j == NULL)
		return LT_EFATAL;
	memcpy(j->sha256, m->sha256, sizeof j->sha256);
	j->size = m->len;
	return submit(x, j, 0);
}

static lt_status on_evidence(void *ctx, const walk_file *f)
{
	ix *x = ctx;
	pthread_mutex_lock(&x->mu);
	x->walk_files++;
	pthread_mutex_unlock(&x->mu);
	int in_dir = f->member != NULL && f->member[0] != '\0';
	job *j = job_new(in_dir && f->is_archive ? JOB_CONTAINER : JOB_EVIDENCE, f->evidence, f->member);
	if (j == NULL)
		return LT_EFATAL;
	if (in_dir && !f->is_archive) {
		job_free(j); /* a plain file in a folder: its member row has size and hash */
		return LT_OK;
	}
	memcpy(j->sha256, f->sha256, sizeof j->sha256);
	j->size = f->size;
	j->ev_kind = f->is_archive ? "archive" : "file";
	return submit(x, j, 0);
}

static lt_status on_walk_problem(void *ctx, const lt_error *e)
{
	ix *x = ctx;
	if (e->status == LT_EFATAL) { /* the run stops: this is the message it ends with */
		set_fatal(x, e);
		return LT_EFATAL;
	}
	job *j = job_new(JOB_PROBLEM, e->file, e->member);
	if (j == NULL || (j->reason = strdup(e->msg)) == NULL) {
		job_free(j);
		return LT_EFATAL;
	}
	if (e->status == LT_EITEM)
		j->pkind = PROBLEM_SKIPPED;
	else
		j->pkind = e->member[0] ? PROBLEM_UNREADABLE : PROBLEM_EVIDENCE;
	j->line = e->line;
	j->offset = e->offset;
	return submit(x, j, 0) == LT_EFATAL ? LT_EFATAL : LT_OK;
}

/* --- workers --------------------------------------------------------------- */

static lt_status add_problem(job *j, const char *kind, uint64_t line, uint64_t offset, const char *msg)
{
	if (j->nproblems == j->cap_problems) {
		size_t ncap = j->cap_problems ? j->cap_problems * 2 : 8;
		writer_problem *n = realloc(j->problems, ncap * sizeof *n);
		if (n == NULL)
			return LT_EFATAL;
		j->problems = n;
		j->cap_problems = ncap;
	}
	char *reason = arena_strndup(j->a, msg, strlen(msg));
	if (reason == NULL)
		return LT_EFATAL;
	j->problems[j->nproblems++] = (writer_problem){kind, line, offset, reason};
	return LT_OK;
}

static int copy_str(arena *a, ev_str *s)
{
	if (s->p == NULL || s->n == 0) {
		*s = EV_STR_NULL;
		return 1;
	}
	char *c = arena_strndup(a, s->p, s->n);
	if (c == NULL)
		return 0;
	s->p = c;
	return 1;
}

/* w, res, err: set when the job is big, the writer's to take batches. */
typedef struct sink_ctx {
	const indexer_options *o;
	unsigned thread; /* o->detect's thread number */
	job *j;
	const char *text;
	size_t len;
	writer *w;
	writer_result *res;
	lt_error *err;
	int mapped; /* text is a read-only file mapping (pages may be dropped) */
	size_t batch; /* events per writer_member_events call */
	size_t dropped; /* text[0..dropped) was let go (sink_progress) */
} sink_ctx;

/* Big member: stores the events collected so far and lets their mapped
 * text go (pages are read again from the file if the decoder looks back). */
static lt_status flush_batch(sink_ctx *sc)
{
	job *j = sc->j;
	lt_status st = writer_member_events(sc->w, j->events, j->nevents, sc->res, sc->err);
	if (st != LT_OK)
		return LT_EFATAL;
	if (sc->mapped && j->nevents > 0) {
		uint64_t at = j->events[j->nevents - 1].offset;
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		if (at < sc->len && at > DROP_BEHIND) {
			size_t upto = (size_t)(at - DROP_BEHIND) / page * page;
			(void)madvise((void *)(uintptr_t)sc->text, upto, MADV_DONTNEED);
		}
	}
	j->nflushed += j->nevents;
	j->nevents = 0;
	arena_reset(j->ea);
	return LT_OK;
}

/* The decoder has read the mapped text up to offset: lets its pages go but
 * the last DROP_BEHIND bytes, so a mapped member is resident a window at a
 * time, not whole (issue 22: a 1 GiB leaf of a nested archive held 1 GiB of
 * RSS). Pages read again (a batch's events, looked back at) fault in again
 * from the file: the bytes are the same. */
static void sink_progress(void *ctx, uint64_t offset)
{
	sink_ctx *sc = ctx;
	if (!sc->mapped || offset > sc->len || offset < (uint64_t)sc->dropped + DROP_BEHIND + DROP_STEP)
		return;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t upto = (size_t)(offset - DROP_BEHIND) / page * page;
	(void)madvise((void *)(uintptr_t)(sc->text + sc->dropped), upto - sc->dropped, MADV_DONTNEED);
	sc->dropped = upto;
}

static lt_status locate_raw(sink_ctx *sc, event *e)
{
	job *j = sc->j;
	const char *p = e->raw.p;
	if (p != NULL && p >= sc->text && e->raw.n <= sc->len && (size_t)(p - sc->text) <= sc->len - e->raw.n) {
		e->offset = (uint64_t)(p - sc->text);
		return LT_OK;
	}
	e->offset = sc->len + j->side.len;
	return buf_append(&j->side, p ? p : "", e->raw.n) == LT_OK ? LT_OK : LT_EFATAL;
}

/* Header strings longer than an event block holds (EVBLOCK_STR_MAX) come only
 * from hostile or broken evidence: such a uid is replaced by the record's
 * sha256: uid, and a request id or body reference is dropped; each is a
 * bad-record problem, and the record itself is kept. */
static lt_status drop_oversized(sink_ctx *sc, event *e)
{
	struct {
		ev_str *f;
		const char *name;
	} fields[] = {{&e->uid, "uid"}, {&e->request_id, "request id"}, {&e->input_body_ref, "inputBodyS3Path"},
	              {&e->output_body_ref, "outputBodyS3Path"}};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (fields[i].f->n <= EVBLOCK_STR_MAX)
			continue;
		char msg[160];
		snprintf(msg, sizeof msg, "%s of %zu bytes is longer than %u: %s", fields[i].name, fields[i].f->n,
		         (unsigned)EVBLOCK_STR_MAX, i == 0 ? "replaced by the record's sha256" : "dropped");
		*fields[i].f = EV_STR_NULL;
		if (add_problem(sc->j, PROBLEM_BAD_RECORD, e->line, 0, msg) != LT_OK)
			return LT_EFATAL;
	}
	return LT_OK;
}

/* ev's detection (o->detect), copied into the job's event arena; NULL when
 * nothing matched. */
static lt_status detect_event(sink_ctx *sc, const event *ev, const detblock_entry **out)
{
	detblock_entry d = {NULL, 0, false};
	lt_error err;
	lt_error_clear(&err);
	*out = NULL;
	if (sc->o->detect(sc->o->detect_ctx, sc->thread, ev, &d, &err) != LT_OK)
		return LT_EFATAL;
	if (d.n == 0 && !d.deferred)
		return LT_OK;
	detblock_entry *e = arena_alloc(sc->j->ea, sizeof *e);
	void *bytes = d.n > 0 ? arena_alloc(sc->j->ea, d.n) : NULL;
	if (e == NULL || (d.n > 0 && bytes == NULL))
		return LT_EFATAL;
	if (d.n > 0)
		memcpy(bytes, d.bytes, d.n);
	*e = (detblock_entry){bytes, d.n, d.deferred};
	*out = e;
	return LT_OK;
}

static lt_status sink_event(void *ctx, const event *ev)
{
	sink_ctx *sc = ctx;
	job *j = sc->j;
	if (j->nevents == j->cap_events) {
		size_t ncap = j->cap_events ? j->cap_events * 2 : 256;
		event *n = realloc(j->events, ncap * sizeof *n);
		if (n == NULL)
			return LT_EFATAL;
		j->events = n;
		j->cap_events = ncap;
	}
	event e = *ev;
	char hex[SHA256_HEX_LEN + 1];
	char uid[8 + SHA256_HEX_LEN]; /* e.uid may point here until copy_str below: same scope */
	if (drop_oversized(sc, &e) != LT_OK)
		return LT_EFATAL;
	if ((e.uid.p == NULL || e.uid.n == 0) && sha256_hex(e.raw.p ? e.raw.p : "", e.raw.n, hex) == LT_OK) {
		snprintf(uid, sizeof uid, "sha256:%s", hex);
		e.uid = ev_str_from(uid, strlen(uid));
	}
	ev_str *f[] = {&e.uid,        &e.request_id, &e.action,     &e.service,          &e.principal,
	               &e.access_key, &e.account,    &e.region,     &e.source_ip,        &e.user_agent,
	               &e.model,      &e.error_code, &e.guardrail_action, &e.input_body_ref, &e.output_body_ref};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!copy_str(j->ea, f[i]))
			return LT_EFATAL;
	if (locate_raw(sc, &e) != LT_OK)
		return LT_EFATAL;
	const detblock_entry *det = NULL;
	if (sc->o->detect != NULL && detect_event(sc, ev, &det) != LT_OK)
		return LT_EFATAL;
	e.user = (void *)(uintptr_t)det; /* the writer stores it (writer_set_detections) */
	e.raw.p = NULL; /* the writer needs only the length */
	e.doc = NULL;
	e.prov = NULL;
	e.prompt = e.system = e.response = e.tool_calls = EV_STR_NULL;
	j->events[j->nevents++] = e;
	if (sc->w != NULL && j->nevents >= sc->batch)
		return flush_batch(sc);
	return LT_OK;
}

static void sink_problem(void *ctx, const lt_error *p)
{
	sink_ctx *sc = ctx;
	const char *kind = p->status >= LT_EFILE ? PROBLEM_UNREADABLE
	                   : p->status == LT_OK  ? PROBLEM_NOTE
	                                         : PROBLEM_BAD_RECORD;
	if (add_problem(sc->j, kind, p->line, p->offset, p->msg) != LT_OK)
		sc->j->fatal = 1;
}

static int keeps_content(const char *format)
{
	return strcmp(format, "json-object") == 0 || strcmp(format, "cloudtrail-digest") == 0;
}

/* Packs the member text (+ side bytes) for storage. */
static lt_status pack(job *j, const char *text, size_t len, int gz_ok)
{
	lt_error e;
	lt_status st = blob_pack(text, len, gz_ok ? j->data : NULL, j->len, ZLIB_LEVEL, &j->chunks, &e);
	if (st != LT_OK || j->side.len == 0)
		return st;
	blob_chunks side;
	st = blob_pack(j->side.data, j->side.len, NULL, 0, ZLIB_LEVEL, &side, &e);
	if (st != LT_OK)
		return st;
	blob_chunk *n = realloc(j->chunks.v, (j->chunks.n + side.n) * sizeof *n);
	if (n == NULL) {
		blob_chunks_free(&side);
		return LT_EFATAL;
	}
	j->chunks.v = n;
	for (size_t i = 0; i < side.n; i++) {
		side.v[i].offset += len;
		j->chunks.v[j->chunks.n++] = side.v[i];
	}
	free(side.v);
	return LT_OK;
}

/* w, res, werr: NULL in a worker; the writer's for a big member (events go
 * to it in batches). */
static lt_status decode_text(const ix *x, unsigned thread, job *j, arena *da, const char *text, size_t len,
                             writer *w, writer_result *res_w, lt_error *werr, int mapped, size_t batch)
{
	ev_provenance prov;
	memset(&prov, 0, sizeof prov);
	prov.evidence = j->evidence;
	prov.member = j->member;
	memcpy(prov.sha256, j->sha256, sizeof prov.sha256);
	sink_ctx sc = {x->o, thread, j, text, len, w, res_w, werr, mapped, batch, 0};
	decode_sink sink = {&sc, sink_event, sink_problem, NULL, NULL, NULL, sink_progress};
	decode_result res;
	lt_error e;
	lt_error_clear(&e);
	arena_reset(da);
	lt_status st = decode_member(text, len, &prov, da, &sink, &res, &e);
	arena_reset(da);
	if (st != LT_EFATAL && !j->fatal && w != NULL)
		st = flush_batch(&sc);
	if (st == LT_EFATAL || j->fatal)
		return LT_EFATAL;
	j->format = res.format ? res.format : "unknown";
	if (strcmp(j->format, "not-evidence") == 0)
		j->state = MEMBER_IGNORED;
	else if (res.status >= LT_EFILE && j->nflushed + j->nevents == 0)
		j->state = MEMBER_UNREADABLE;
	else
		j->state = MEMBER_INDEXED;
	if (res.status >= LT_EFILE && res.problems == 0 && e.msg[0])
		return add_problem(j, PROBLEM_UNREADABLE, e.line, e.offset, e.msg);
	return LT_OK;
}

/* Lowers go->max_output to what is left of the run's budget; 1 when the
 * budget, not the member cap, is then the limit. */
static int budget_limits(ix *x, gunzip_options *go)
{
	uint64_t left = lt_budget_left(&x->budget);
	if (left >= (uint64_t)go->max_output)
		return 0;
	go->max_output = left > 0 ? (size_t)left : 1;
	return 1;
}

/* The message of a member refused because the run's budget is spent. */
static void budget_spent(ix *x, lt_error *e)
{
	lt_error_set(e, LT_EFILE, "not inflated: the run's decompressed-bytes budget of %llu bytes is spent"
	             " (--max-total-bytes)", (unsigned long long)lt_budget_max(&x->budget));
}

/* gr: the worker's inflate buffer, reused from member to member (nothing
 * keeps pointers into it once the member is packed). */
static lt_status work_member(ix *x, unsigned thread, job *j, arena *da, gunzip_result *gr)
{
	j->a = arena_new(0, RESULT_ARENA_CAP);
	if (j->a == NULL)
		return LT_EFATAL;
	j->ea = j->a;
	if (j->partial && add_problem(j, PROBLEM_UNREADABLE, 0, 0, "member could not be read to its end") != LT_OK)
		return LT_EFATAL;
	const char *text = (const char *)j->data;
	size_t len = j->len;
	int gz = gunzip_is_gzip(j->data, j->len), gz_ok = 0;
	if (!gz && (j->len > x->big_member || j->mapped)) { /* mapped: read a window at a time */
		j->big = 1;
		return LT_OK;
	}
	if (gz) {
		gunzip_options go;
		gunzip_options_init(&go);
		go.want_sha256 = true;
		go.max_output = (size_t)(x->big_member < x->max_member ? x->big_member : x->max_member);
		int by_budget = budget_limits(x, &go);
		lt_error e;
		lt_error_clear(&e);
		lt_status st = gunzip_buffer_reuse(j->data, j->len, &go, gr, &e);
		if (st == LT_EFATAL)
			return st;
		if (st == LT_EFILE && gr->over_max_output && by_budget)
			budget_spent(x, &e);
		else if (st == LT_EFILE && gr->over_max_output && x->big_member < x->max_member) {
			j->big = 1; /* the writer takes it (write_big) */
			gunzip_result_free(gr); /* big_member bytes that no next member may need */
			return LT_OK;
		}
		if (st != LT_OK && add_problem(j, PROBLEM_UNREADABLE, 0, e.offset, e.msg) != LT_OK)
			return LT_EFATAL;
		if (st == LT_EFILE) {
			j->format = "gzip";
			j->state = MEMBER_UNREADABLE;
			return LT_OK;
		}
		gz_ok = st == LT_OK && !j->partial;
		(void)lt_budget_charge(&x->budget, gr->len);
		text = (const char *)gr->data;
		len = gr->len;
		j->has_content = 1;
		j->content_size = gr->len;
		memcpy(j->content_sha256, gr->sha256, sizeof j->content_sha256);
	}
	lt_status st = decode_text(x, thread, j, da, text, len, NULL, NULL, NULL, 0, 0);
	if (st == LT_OK && (j->nevents > 0 || keeps_content(j->format)))
		st = pack(j, text, len, gz_ok);
	if (j->chunks.n == 0 || j->chunks.v[0].codec != BLOB_GZIP) {
		release_data(j); /* not borrowed by a chunk: release early */
	}
	return st;
}

typedef struct worker_arg {
	ix *x;
	unsigned thread;
} worker_arg;

static void *worker_main(void *arg)
{
	ix *x = ((worker_arg *)arg)->x;
	unsigned thread = ((worker_arg *)arg)->thread;
	arena *da = arena_new(0, DECODE_ARENA_CAP);
	gunzip_result gr;
	memset(&gr, 0, sizeof gr);
	for (;;) {
		pthread_mutex_lock(&x->mu);
		while (x->work_head == NULL && !x->walk_done && !x->stop)
			pthread_cond_wait(&x->work_cv, &x->mu);
		job *j = x->work_head;
		if (j == NULL || x->stop) {
			pthread_mutex_unlock(&x->mu);
			break;
		}
		x->work_head = j->next;
		if (x->work_head == NULL)
			x->work_tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&x->mu);
		if (da == NULL || work_member(x, thread, j, da, &gr) == LT_EFATAL) {
			lt_error e;
			lt_error_clear(&e);
			lt_error_set(&e, LT_EFATAL, "out of memory while decoding");
			lt_error_where(&e, j->evidence, j->member, 0);
			job_free(j);
			set_fatal(x, &e);
			break;
		}
		pthread_mutex_lock(&x->mu);
		x->ring[j->seq % x->max_inflight] = j;
		pthread_cond_broadcast(&x->ring_cv);
		pthread_mutex_unlock(&x->mu);
	}
	arena_free(da);
	gunzip_result_free(&gr);
	return NULL;
}

/* --- writer ------------------------------------------------------------------ */

/* Every kind but missing-body (counted by writer_resolve_bodies) means evidence
 * that was not read as it is now: it counts towards exit 3, as in scan. */
static void report(ix *x, const char *kind, const char *file, const char *member, uint64_t line, const char *reason)
{
	x->st.problems++;
	if (strcmp(kind, PROBLEM_EVIDENCE) == 0 || strcmp(kind, PROBLEM_UNREADABLE) == 0 ||
	    strcmp(kind, PROBLEM_BAD_RECORD) == 0 || strcmp(kind, PROBLEM_SKIPPED) == 0 ||
	    strcmp(kind, PROBLEM_CHANGED) == 0)
		x->st.unreadable++;
	if (x->o->on_problem)
		x->o->on_problem(x->o->ctx, kind, file, member, line, reason);
}

static void member_of(const job *j, writer_member *m)
{
	memset(m, 0, sizeof *m);
	m->evidence = j->evidence;
	m->path = j->member;
	m->size = j->size;
	memcpy(m->sha256, j->sha256, sizeof m->sha256);
	m->has_content = j->has_content;
	m->content_size = j->content_size;
	memcpy(m->content_sha256, j->content_sha256, sizeof m->content_sha256);
	m->format = j->kind == JOB_CONTAINER ? "archive" : j->format;
	m->state = j->kind == JOB_CONTAINER ? MEMBER_CONTAINER : j->state;
	m->events = j->events;
	m->nevents = j->nevents;
	m->problems = j->problems;
	m->nproblems = j->nproblems;
	m->chunks = j->chunks.n ? &j->chunks : NULL;
}

/* Counts what writer_add_member (or its parts) did with a member. */
static void count_member(ix *x, const job *j, const writer_result *r, uint64_t *nev)
{
	if (j->kind == JOB_CONTAINER)
		return;
	if (strcmp(r->state, "skipped") == 0 || strcmp(r->state, "changed") == 0) {
		x->st.members_skipped++;
		if (strcmp(r->state, "changed") == 0)
			report(x, PROBLEM_CHANGED, j->evidence, j->member, 0, "member changed since it was indexed");
		return;
	}
	x->st.members_new++;
	x->st.members_duplicate += strcmp(r->state, MEMBER_DUPLICATE) == 0;
	x->st.members_unreadable += strcmp(r->state, MEMBER_UNREADABLE) == 0;
	x->st.events_new += r->events_new;
	x->st.events_cloudtrail += r->events_new_by_source[EV_SRC_CLOUDTRAIL];
	x->st.events_invocation += r->events_new_by_source[EV_SRC_INVOCATION];
	x->st.events_kblog += r->events_new_by_source[EV_SRC_KBLOG];
	if (strcmp(r->state, MEMBER_DUPLICATE) != 0)
		for (size_t i = 0; i < j->nproblems; i++)
			report(x, j->problems[i].kind, j->evidence, j->member, j->problems[i].line, j->problems[i].reason);
	*nev += r->events_new;
}

static lt_status write_member(ix *x, writer *w, job *j, uint64_t *nev, lt_error *err)
{
	writer_member m;
	member_of(j, &m);
	writer_result r;
	lt_status st = writer_add_member(w, &m, &r, err);
	if (st == LT_OK)
		count_member(x, j, &r, nev);
	return st;
}

/* --- big members (writer thread) ---------------------------------------------- */

/* gunzip_stream's writer: appends to the temporary file; a failed write
 * (a full $TMPDIR) is remembered, so that it marks the member, not the run. */
typedef struct spool_out {
	int fd;
	uint64_t off;
	int text;    /* 1: the output starts like evidence text */
	int refused; /* 1: it does not; inflating stopped */
	int failed;  /* 1: a write to the spool failed (why says how) */
	char why[LT_ERROR_MSG_MAX];
} spool_out;

#define LEADING_BLANKS_MAX ((uint64_t)1 << 20)

/* Does the output start like text a decoder could bid on ('{', '[', or the
 * timestamp of a CloudWatch export line, after a BOM and blanks)? Checked on
 * the first pieces, so that a big member of other bytes (a gzip bomb of
 * zeros) costs one piece, not its whole size in $TMPDIR. */
static int sniff_text(spool_out *o, const unsigned char *p, size_t n)
{
	size_t i = 0;
	if (o->off == 0 && n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i == n)
		return o->off + n <= LEADING_BLANKS_MAX;
	o->text = p[i] == '{' || p[i] == '[' || (p[i] >= '0' && p[i] <= '9');
	return o->text;
}

static lt_status to_file(void *ctx, const unsigned char *p, size_t n, lt_error *err)
{
	spool_out *o = ctx;
	if (!o->text && !sniff_text(o, p, n)) {
		o->refused = 1;
		return lt_error_set(err, LT_EFILE, "not evidence text: not inflated past %llu bytes",
		                    (unsigned long long)(o->off + n));
	}
	lt_status st = lt_write_at(o->fd, p, n, o->off, "big member", err);
	if (st != LT_OK && !o->failed) {
		o->failed = 1;
		snprintf(o->why, sizeof o->why, "%s", err->msg);
	}
	o->off += n;
	return st;
}

/* The member cannot be spooled ($TMPDIR unwritable or full): recorded
 * unreadable with why, and the run goes on. */
static lt_status spool_failed(job *j, const char *why, lt_error *err)
{
	char msg[LT_ERROR_MSG_MAX];
	snprintf(msg, sizeof msg, "not read: its decompressed content does not fit in the temporary folder (%.300s);"
	         " free space there or set TMPDIR, then index it into a new case", why);
	if (add_problem(j, PROBLEM_UNREADABLE, 0, 0, msg) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	j->format = "gzip";
	j->state = MEMBER_UNREADABLE;
	return LT_OK;
}

/* Inflates the job's gzip bytes into fd, as work_member would into memory:
 * the same content size and hash, the same unreadable problem on damage.
 * *done: nothing to decode (the member is unreadable). */
static lt_status inflate_big(ix *x, job *j, int fd, size_t *len, int *done, lt_error *err)
{
	gunzip_options go;
	gunzip_options_init(&go);
	go.want_sha256 = true;
	go.max_output = (size_t)x->max_member;
	int by_budget = budget_limits(x, &go);
	gunzip_result gr;
	lt_error e;
	lt_error_clear(&e);
	spool_out out = {fd, 0, 0, 0, 0, ""};
	lt_status st = gunzip_stream(j->data, j->len, &go, to_file, &out, &gr, &e);
	if (out.failed) {
		*done = 1;
		return spool_failed(j, out.why, err);
	}
	if (st == LT_EFATAL) {
		*err = e;
		return st;
	}
	(void)lt_budget_charge(&x->budget, out.off);
	if (out.refused) { /* as decode_text would say of those bytes: not evidence */
		j->format = "not-evidence";
		j->state = MEMBER_IGNORED;
		*done = 1;
		return LT_OK;
	}
	if (st == LT_EFILE && gr.over_max_output && by_budget)
		budget_spent(x, &e);
	if (st != LT_OK && add_problem(j, PROBLEM_UNREADABLE, 0, e.offset, e.msg) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	*done = st == LT_EFILE;
	if (*done) {
		j->format = "gzip";
		j->state = MEMBER_UNREADABLE;
		return LT_OK;
	}
	*len = gr.len;
	j->has_content = 1;
	j->content_size = gr.len;
	memcpy(j->content_sha256, gr.sha256, sizeof j->content_sha256);
	return LT_OK;
}

/* p[0..n) as zlib chunks of BLOB_CHUNK bytes at base, as blob_pack cuts them
 * (an empty text is one empty chunk); each slice's pages are dropped once stored. */
static lt_status store_slices(writer *w, const char *p, size_t n, uint64_t base, int mapped, lt_error *err)
{
	size_t off = 0;
	do {
		size_t k = n - off < BLOB_CHUNK ? n - off : BLOB_CHUNK;
		blob_chunks c;
		lt_status st = blob_pack(p + off, k, NULL, 0, ZLIB_LEVEL, &c, err);
		if (st != LT_OK)
			return st;
		for (size_t i = 0; i < c.n; i++)
			c.v[i].offset += base + off;
		st = writer_member_chunks(w, &c, err);
		blob_chunks_free(&c);
		if (st != LT_OK)
			return st;
		if (mapped && k > 0)
			(void)madvise((void *)(uintptr_t)(p + off), k, MADV_DONTNEED);
		off += k;
	} while (off < n);
	return LT_OK;
}

/* Decodes text[0..len) in batches into the open member and stores its content. */
static lt_status big_contents(const ix *x, job *j, writer *w, writer_result *r, const char *text, size_t len, int mapped,
                              size_t batch, lt_error *err)
{
	arena *da = arena_new(0, DECODE_ARENA_CAP);
	j->ea = arena_new(0, RESULT_ARENA_CAP);
	if (da == NULL || j->ea == NULL) {
		arena_free(da);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	lt_error_clear(err);
	lt_status st = decode_text(x, worker_count(x->o), j, da, text, len, w, r, err, mapped, batch);
	arena_free(da);
	if (st != LT_OK)
		return err->msg[0] ? st : lt_error_set(err, LT_EFATAL, "out of memory while decoding");
	if (j->nflushed == 0 && !keeps_content(j->format))
		return LT_OK;
	st = store_slices(w, text, len, 0, mapped, err);
	if (st == LT_OK && j->side.len > 0)
		st = store_slices(w, j->side.data, j->side.len, len, 0, err);
	return st;
}

/* A big member, in the writer's open transaction: begin, batches of events,
 * content slices, end. */
static lt_status write_big(ix *x, writer *w, job *j, uint64_t *nev, lt_error *err)
{
	writer_member m;
	j->format = "unknown";
	j->state = MEMBER_INDEXED;
	member_of(j, &m);
	writer_result r;
	int wanted = 0;
	lt_status st = writer_member_begin(w, &m, &r, &wanted, err);
	if (st != LT_OK || !wanted) {
		if (st == LT_OK)
			count_member(x, j, &r, nev);
		return st;
	}
	const char *text = (const char *)j->data;
	size_t len = j->len;
	int fd = -1, done = 0;
	void *map = NULL;
	if (gunzip_is_gzip(j->data, j->len)) {
		lt_error te;
		lt_error_clear(&te);
		fd = lt_tmpfile("member", "big member", &te);
		if (fd < 0) {
			done = 1;
			st = spool_failed(j, te.msg, err);
		} else {
			st = inflate_big(x, j, fd, &len, &done, err);
		}
		release_data(j); /* as found: no longer needed */
		text = "";
		if (st == LT_OK && !done && len > 0) {
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map == MAP_FAILED) {
				char why[128];
				snprintf(why, sizeof why, "cannot map the temporary file: %s", strerror(errno));
				map = NULL;
				done = 1;
				st = spool_failed(j, why, err);
			} else {
				(void)madvise(map, len, MADV_SEQUENTIAL);
				text = map;
			}
		}
	}
	if (st == LT_OK && !done)
		st = big_contents(x, j, w, &r, text, len, map != NULL || j->mapped,
		                  x->o->big_batch_events ? x->o->big_batch_events : BIG_BATCH_EVENTS, err);
	if (map != NULL)
		munmap(map, len);
	if (fd >= 0)
		close(fd);
	if (st != LT_OK)
		return st;
	j->nevents = 0; /* all stored in batches */
	member_of(j, &m);
	st = writer_member_end(w, &m, &r, err);
	if (st == LT_OK)
		count_member(x, j, &r, nev);
	return st;
}

static lt_status write_job(ix *x, writer *w, job *j, uint64_t *nev, lt_error *err)
{
	int added = 0;
	lt_status st = LT_OK;
	switch (j->kind) {
	case JOB_MEMBER:
		if (j->big)
			return write_big(x, w, j, nev, err);
		return write_member(x, w, j, nev, err);
	case JOB_CONTAINER:
		return write_member(x, w, j, nev, err);
	case JOB_EVIDENCE:
		return writer_evidence(w, j->evidence, j->ev_kind, j->ev_kind[0] == 'd' ? -1 : (int64_t)j->size,
		                       j->sha256[0] ? j->sha256 : NULL, err);
	case JOB_PROBLEM:
		st = writer_problem_add(w, j->pkind, j->evidence, j->member, j->line, j->offset, j->reason, &added, err);
		if (st == LT_OK)
			report(x, j->pkind, j->evidence, j->member, j->line, j->reason);
		return st;
	}
	return st;
}

static void progress(ix *x, double *last)
{
	double t = now_s();
	if (x->o->on_progress == NULL || t - *last < 0.25)
		return;
	*last = t;
	indexer_stats s = x->st;
	pthread_mutex_lock(&x->mu);
	s.members = x->walk_members;
	s.bytes = x->walk_bytes;
	s.files = x->walk_files;
	s.members_skipped += x->walk_skipped;
	pthread_mutex_unlock(&x->mu);
	s.seconds = t - ((double)x->t0.tv_sec + (double)x->t0.tv_nsec / 1e9);
	x->o->on_progress(x->o->ctx, &s);
}

/* Missing-body problems first recorded by this run go to on_problem too. */
static lt_status report_missing(ix *x, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(x->rw),
	                       "SELECT file, member, line, reason FROM problems WHERE kind = 'missing-body' AND run_id = ?"
	                       " ORDER BY id",
	                       -1, &s, NULL) != SQLITE_OK)
		return lt_error_set(err, LT_EFATAL, "case index: %s", sqlite3_errmsg(case_sqlite(x->rw)));
	sqlite3_bind_int64(s, 1, x->run_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		x->st.problems++;
		if (x->o->on_problem)
			x->o->on_problem(x->o->ctx, PROBLEM_MISSING_BODY, (const char *)sqlite3_column_text(s, 0),
			                 (const char *)sqlite3_column_text(s, 1), (uint64_t)sqlite3_column_int64(s, 2),
			                 (const char *)sqlite3_column_text(s, 3));
	}
	sqlite3_finalize(s);
	return LT_OK;
}

/* A conflicting copy goes to on_problem (kind "conflict"), located at the copy. */
static lt_status say_conflict(void *ctx, const evdup_conflict_row *row, lt_error *err)
{
	ix *x = ctx;
	x->st.conflicts++;
	if (x->o->on_problem == NULL)
		return LT_OK;
	buf b;
	buf_init(&b, 0);
	if (evdup_describe(row, 0, &b) != LT_OK) {
		buf_free(&b);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	x->o->on_problem(x->o->ctx, PROBLEM_CONFLICT, row->evidence, row->member, row->line, buf_cstr(&b));
	buf_free(&b);
	return LT_OK;
}

/* After the last member: de-duplicate, then the events this run added are
 * the growth of the case's unique events (duplicates are never the first
 * copy, so earlier members keep their events). */
static lt_status count_unique(ix *x, writer *w, const case_totals *before, lt_error *err)
{
	int ran = 0;
	case_totals after;
	lt_status st = writer_dedup(w, &ran, err);
	if (st == LT_OK && ran) /* conflicts are judged again whenever blocks were added */
		st = evdup_each_conflict(x->rw, say_conflict, x, err);
	if (st == LT_OK)
		st = case_get_totals(x->rw, &after, err);
	if (st != LT_OK)
		return st;
	x->st.events_cloudtrail = (uint64_t)(after.events_cloudtrail - before->events_cloudtrail);
	x->st.events_invocation = (uint64_t)(after.events_invocation - before->events_invocation);
	x->st.events_kblog = (uint64_t)(after.events_kblog - before->events_kblog);
	x->st.events_new = x->st.events_cloudtrail + x->st.events_invocation + x->st.events_kblog;
	x->st.duplicates = (uint64_t)(after.duplicates - before->duplicates);
	return LT_OK;
}

static void *writer_main(void *arg)
{
	ix *x = arg;
	writer *w = NULL;
	lt_error err;
	lt_error_clear(&err);
	case_totals before;
	lt_status st = case_get_totals(x->rw, &before, &err);
	if (st == LT_OK)
		st = writer_new(x->rw, x->run_id, &w, &err);
	if (st == LT_OK && x->o->detect != NULL)
		writer_set_detections(w, x->o->detect_digest);
	double last_commit = now_s(), last_progress = 0;
	uint64_t ev_since = 0, mem_since = 0;
	while (st == LT_OK) {
		pthread_mutex_lock(&x->mu);
		job *j;
		while ((j = x->ring[x->write_seq % x->max_inflight]) == NULL &&
		       !(x->walk_done && x->write_seq == x->next_seq) && !x->stop)
			pthread_cond_wait(&x->ring_cv, &x->mu);
		if (j == NULL || x->stop) {
			pthread_mutex_unlock(&x->mu);
			break;
		}
		x->ring[x->write_seq % x->max_inflight] = NULL;
		x->write_seq++;
		pthread_mutex_unlock(&x->mu);
		st = write_job(x, w, j, &ev_since, &err);
		mem_since++;
		pthread_mutex_lock(&x->mu);
		x->inflight--;
		x->inflight_bytes -= j->charge;
		pthread_cond_broadcast(&x->space_cv);
		pthread_mutex_unlock(&x->mu);
		job_free(j);
		double t = now_s();
		if (st == LT_OK && (ev_since >= COMMIT_EVENTS || mem_since >= COMMIT_MEMBERS || t - last_commit >= COMMIT_SECONDS)) {
			st = writer_commit(w, &err);
			ev_since = mem_since = 0;
			last_commit = t;
		}
		progress(x, &last_progress);
	}
	if (st == LT_OK && !x->stop)
		st = writer_commit(w, &err);
	if (st == LT_OK && !x->stop)
		st = count_unique(x, w, &before, &err);
	if (st == LT_OK && !x->stop)
		st = writer_resolve_bodies(w, &x->st.missing_bodies, &err);
	if (st == LT_OK && !x->stop)
		st = report_missing(x, &err);
	writer_free(w);
	if (st != LT_OK)
		set_fatal(x, &err);
	return NULL;
}

/* --- setup --------------------------------------------------------------------- */

static uint64_t total_bytes;
static int add_size(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)p;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(sb->st_mode))
		total_bytes += (uint64_t)sb->st_size;
	return 0;
}

static uint64_t estimate_bytes(const char *const *paths, size_t n)
{
	total_bytes = 0;
	for (size_t i = 0; i < n; i++)
		(void)nftw(paths[i], add_size, 16, FTW_PHYS);
	return total_bytes;
}

static lt_status walk_all(ix *x, const char *const *paths, size_t npaths, uint64_t max_member)
{
	walk_options wo;
	walk_options_init(&wo);
	wo.max_member_bytes = max_member;
	wo.budget = &x->budget;
	if (x->big_member < max_member)
		wo.map_threshold = x->big_member; /* plain leaves that the writer takes whole */
	walk_callbacks cb = {on_member, on_container, on_evidence, on_walk_problem, x};
	for (size_t i = 0; i < npaths; i++) {
		struct stat sb;
		if (stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			job *j = job_new(JOB_EVIDENCE, paths[i], "");
			if (j == NULL)
				return LT_EFATAL;
			j->ev_kind = "dir";
			if (submit(x, j, 0) != LT_OK)
				return LT_EFATAL;
		}
		lt_status st = walk_evidence(paths[i], &wo, &cb);
		if (st == LT_EFATAL)
			return st;
	}
	return LT_OK;
}

static lt_status open_handles(ix *x, const char *case_path, lt_error *err)
{
	lt_status st = case_open(case_path, CASE_CREATE, &x->rw, err);
	if (st == LT_OK)
		st = case_run_begin(x->rw, "index", x->o->argc, x->o->argv, &x->run_id, err);
	if (st == LT_OK)
		st = case_open(case_path, CASE_READONLY, &x->ro, err);
	if (st == LT_OK &&
	    sqlite3_prepare_v2(case_sqlite(x->ro),
	                       "SELECT m.sha256, m.state, m.problems FROM members m JOIN evidence e ON e.id = m.evidence_id"
	                       " WHERE e.path = ?1 AND m.path = ?2",
	                       -1, &x->q_seen, NULL) != SQLITE_OK)
		st = lt_error_set(err, LT_EFATAL, "case index: %s", sqlite3_errmsg(case_sqlite(x->ro)));
	return st;
}

static unsigned worker_count(const indexer_options *o)
{
	long n = o->jobs ? (long)o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1u : n > 16 ? 16u : (unsigned)n;
}

unsigned indexer_threads(const indexer_options *o)
{
	return worker_count(o) + 1;
}

static void close_handles(ix *x)
{
	sqlite3_finalize(x->q_seen);
	case_close(x->ro);
	case_close(x->rw);
}

lt_status indexer_run(const char *case_path, const char *const *paths, size_t npaths, const indexer_options *o,
                      indexer_stats *stats, lt_error *err)
{
	ix x;
	memset(&x, 0, sizeof x);
	memset(stats, 0, sizeof *stats);
	x.o = o;
	x.max_member = o->max_member_bytes ? o->max_member_bytes : (uint64_t)4 << 30;
	x.big_member = o->big_member_bytes ? o->big_member_bytes : BIG_MEMBER_DEFAULT;
	lt_budget_init(&x.budget, o->max_total_bytes == 0 ? LT_BUDGET_DEFAULT
	                          : o->max_total_bytes == UINT64_MAX ? 0 : o->max_total_bytes);
	unsigned nworkers = worker_count(o);
	x.max_inflight = 2 * (size_t)nworkers + 4;
	if (x.max_inflight > MAX_INFLIGHT_CAP)
		x.max_inflight = MAX_INFLIGHT_CAP;
	clock_gettime(CLOCK_MONOTONIC, &x.t0);
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.work_cv, NULL);
	pthread_cond_init(&x.ring_cv, NULL);
	pthread_cond_init(&x.space_cv, NULL);
	lt_status st = open_handles(&x, case_path, err);
	if (st != LT_OK) {
		close_handles(&x);
		return st;
	}
	x.st.bytes_total = estimate_bytes(paths, npaths);
	pthread_t workers[16], wt;
	worker_arg wargs[16];
	unsigned started = 0;
	int writer_started = pthread_create(&wt, NULL, writer_main, &x) == 0;
	for (unsigned i = 0; writer_started && i < nworkers; i++) {
		wargs[i] = (worker_arg){&x, i};
		if (pthread_create(&workers[i], NULL, worker_main, &wargs[i]) == 0)
			started++;
	}
	if (!writer_started || started == 0)
		st = lt_error_set(err, LT_EFATAL, "cannot start threads");
	else
		st = walk_all(&x, paths, npaths, x.max_member);
	pthread_mutex_lock(&x.mu);
	x.walk_done = 1;
	if (st != LT_OK)
		x.stop = 1;
	pthread_cond_broadcast(&x.work_cv);
	pthread_cond_broadcast(&x.ring_cv);
	pthread_mutex_unlock(&x.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (writer_started)
		pthread_join(wt, NULL);
	for (size_t i = 0; i < MAX_INFLIGHT_CAP; i++)
		job_free(x.ring[i]);
	for (job *j = x.work_head, *n; j != NULL; j = n) {
		n = j->next;
		job_free(j);
	}
	if (x.fatal) {
		*err = x.fatal_err;
		st = LT_EFATAL;
	} else if (st == LT_EFATAL && err->msg[0] == '\0') { /* a callback could not allocate */
		lt_error_set(err, LT_EFATAL, "indexing stopped: out of memory while reading the evidence");
	}
	lt_error e2;
	if (case_run_end(x.rw, x.run_id, st == LT_OK ? "done" : "failed", st == LT_OK ? err : &e2) != LT_OK && st == LT_OK)
		st = LT_EFATAL;
	*stats = x.st;
	stats->members_skipped += x.walk_skipped;
	stats->members = x.walk_members;
	stats->bytes = x.walk_bytes;
	stats->files = x.walk_files;
	stats->earlier_problems = x.walk_unreadable;
	stats->seconds = now_s() - ((double)x.t0.tv_sec + (double)x.t0.tv_nsec / 1e9);
	close_handles(&x);
	pthread_mutex_destroy(&x.mu);
	pthread_cond_destroy(&x.work_cv);
	pthread_cond_destroy(&x.ring_cv);
	pthread_cond_destroy(&x.space_cv);
	return st;
}
