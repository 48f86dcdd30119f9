/*
 * test_bigmember.c — members over indexer_options.big_member_bytes take the
 * bounded-memory path (the writer inflates to a temporary file and stores
 * events in batches, store/indexer.c write_big) and must give the very case
 * the normal path gives: the same `llmtrail timeline --format jsonl`, the
 * same `llmtrail show UID` bytes, the same member rows and problems.
 *
 * Each test builds one evidence folder, indexes it twice (default threshold:
 * normal path; threshold 64 KiB and batches of 300 events: big path) and
 * compares. Records are out of time order and some are repeated, so the
 * big path's batches overlap in time and duplicates straddle batches.
 * Needs $LLMTRAIL (the built binary), set by `make check`.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/buf.h"
#include "ingest/gunzip.h"
#include "ingest/walk.h"
#include "store/indexer.h"

#define SMALL_BIG ((uint64_t)64 << 10)
#define APPEND(b, p, n) assert_int_equal(buf_append((b), (p), (n)), LT_OK)
#define SMALL_BATCH 300u

typedef struct fixture {
	char dir[256];
	char evidence[300];
	char case_normal[300], case_big[300];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/llmtrail-big.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->evidence, sizeof f->evidence, "%s/ev", f->dir);
	snprintf(f->case_normal, sizeof f->case_normal, "%s/normal.case", f->dir);
	snprintf(f->case_big, sizeof f->case_big, "%s/big.case", f->dir);
	mkdir(f->evidence, 0700);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static unsigned char *gzip_bytes(const char *p, size_t n, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)n);
	unsigned char *out = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* Record i's time: scrambled, so any batch spans the whole range. */
static unsigned scrambled(unsigned i, unsigned n)
{
	return (i * 7919u) % n;
}

static void ct_record(buf *b, unsigned id, unsigned n)
{
	unsigned t = scrambled(id, n);
	char rec[700];
	snprintf(rec, sizeof rec,
	         "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
	         "\"arn:aws:sts::111122223333:assumed-role/Analyst/u%u\",\"accountId\":\"111122223333\","
	         "\"accessKeyId\":\"ASIAEXAMPLE%u\"},\"eventTime\":\"2024-05-01T%02u:%02u:%02uZ\","
	         "\"eventSource\":\"bedrock.amazonaws.com\",\"eventName\":\"InvokeModel\",\"awsRegion\":\"us-east-1\","
	         "\"sourceIPAddress\":\"198.51.100.%u\",\"userAgent\":\"aws-cli/2.15.0\",\"requestParameters\":"
	         "{\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\"},\"responseElements\":null,"
	         "\"requestID\":\"req-%06u\",\"eventID\":\"ct-%06u\",\"readOnly\":true,\"eventType\":\"AwsApiCall\"}",
	         id % 7, id % 3, t / 3600 % 24, t / 60 % 60, t % 60, id % 250, id, id);
	assert_int_equal(buf_append(b, rec, strlen(rec)), LT_OK);
}

/* {"Records":[...]} of n records; every 50th repeats an earlier record
 * exactly (a few of those repeat a record that was itself replaced). */
static void cloudtrail_doc(buf *b, unsigned n)
{
	APPEND(b, "{\"Records\":[", 12);
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			APPEND(b, ",\n", 2);
		ct_record(b, i % 50 == 49 ? i / 3 : i, n);
	}
	APPEND(b, "]}\n", 3);
}

static void invocation_lines(buf *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned id = i % 40 == 39 ? i / 2 : i, t = scrambled(id, n);
		char rec[700];
		snprintf(rec, sizeof rec,
		         "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":"
		         "\"2024-05-01T%02u:%02u:%02u.%03uZ\",\"accountId\":\"111122223333\",\"identity\":{\"arn\":"
		         "\"arn:aws:sts::111122223333:assumed-role/Analyst/u%u\"},\"region\":\"us-east-1\",\"requestId\":"
		         "\"inv-%06u\",\"operation\":\"InvokeModel\",\"modelId\":\"amazon.nova-lite-v1:0\",\"input\":"
		         "{\"inputContentType\":\"application/json\",\"inputBodyJson\":{\"messages\":[{\"role\":\"user\","
		         "\"content\":\"question %u\"}]},\"inputTokenCount\":%u},\"output\":{\"outputContentType\":"
		         "\"application/json\",\"outputBodyJson\":{\"text\":\"answer %u\"},\"outputTokenCount\":3}}\n",
		         t / 3600 % 24, t / 60 % 60, t % 60, id % 1000, id % 5, id, id, id % 97, id);
		APPEND(b, rec, strlen(rec));
	}
}

/* Writes evidence member name: the text, gzip'd (keep: how many of the
 * gzip bytes to keep, as a fraction in percent; 0 = plain text). */
static void put_member(const fixture *f, const char *name, const buf *text, unsigned keep_pct)
{
	if (keep_pct == 0) {
		write_file(f->evidence, name, text->data, text->len);
		return;
	}
	size_t gl = 0;
	unsigned char *g = gzip_bytes(text->data, text->len, &gl);
	write_file(f->evidence, name, g, gl * keep_pct / 100);
	free(g);
}

static void index_case(const fixture *f, const char *case_path, uint64_t big, indexer_stats *st)
{
	indexer_options o;
	indexer_options_init(&o);
	o.jobs = 2;
	o.big_member_bytes = big;
	o.big_batch_events = big ? SMALL_BATCH : 0;
	const char *paths[] = {f->evidence};
	lt_error err;
	lt_error_clear(&err);
	lt_status s = indexer_run(case_path, paths, 1, &o, st, &err);
	if (s != LT_OK)
		fail_msg("indexer_run: %s", err.msg);
}

/* stdout of a shell command (malloc'd, NUL-terminated). */
static char *capture(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	buf b;
	buf_init(&b, 0);
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, p)) > 0)
		APPEND(&b, tmp, k);
	assert_int_equal(pclose(p), 0);
	APPEND(&b, "", 1);
	return b.data;
}

/* One query's rows as text, columns separated by '|', rows by '\n'. */
static char *rows(const char *case_path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(case_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	buf b;
	buf_init(&b, 0);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *t = sqlite3_column_text(s, i);
			APPEND(&b, t ? (const char *)t : "NULL", strlen(t ? (const char *)t : "NULL"));
			APPEND(&b, "|", 1);
		}
		APPEND(&b, "\n", 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	APPEND(&b, "", 1);
	return b.data;
}

static void assert_same_rows(const fixture *f, const char *sql)
{
	char *a = rows(f->case_normal, sql), *b = rows(f->case_big, sql);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static const char *llmtrail(void)
{
	const char *p = getenv("LLMTRAIL");
	if (p == NULL || *p == '\0')
		fail_msg("LLMTRAIL is not set");
	return p;
}

static void assert_same_show(const fixture *f, const char *uid)
{
	char *a = capture("'%s' show '%s' '%s'", llmtrail(), f->case_normal, uid);
	char *b = capture("'%s' show '%s' '%s'", llmtrail(), f->case_big, uid);
	assert_true(strlen(a) > 100);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* Both cases from the same evidence; then the comparisons every test makes.
 * gz: the member was gzip (normal path keeps it as one gzip chunk, the big
 * path as zlib slices: proof that it went the big way). */
static void index_and_compare(const fixture *f, int gz, uint64_t min_events)
{
	indexer_stats sn, sb;
	index_case(f, f->case_normal, 0, &sn);
	index_case(f, f->case_big, SMALL_BIG, &sb);
	assert_true(sn.events_new >= min_events);
	assert_int_equal(sn.events_new, sb.events_new);
	assert_int_equal(sn.duplicates, sb.duplicates);
	assert_int_equal(sn.problems, sb.problems);
	assert_int_equal(sn.members_unreadable, sb.members_unreadable);

	char *ta = capture("'%s' timeline '%s' --format jsonl", llmtrail(), f->case_normal);
	char *tb = capture("'%s' timeline '%s' --format jsonl", llmtrail(), f->case_big);
	assert_true(strlen(ta) > 1000);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	assert_same_rows(f, "SELECT m.path, m.size, m.sha256, m.content_size, m.content_sha256, m.format, m.state,"
	                    " m.events, m.duplicates, m.problems FROM members m ORDER BY m.path");
	assert_same_rows(f, "SELECT kind, file, member, line, offset, reason FROM problems"
	                    " ORDER BY kind, file, member, line, offset, reason");
	assert_same_rows(f, "SELECT source, duplicates FROM dedup ORDER BY source");
	char *codec_n = rows(f->case_normal, "SELECT DISTINCT codec FROM chunks");
	char *codec_b = rows(f->case_big, "SELECT DISTINCT codec FROM chunks");
	assert_string_equal(codec_n, gz ? "gzip|\n" : "zlib|\n");
	assert_string_equal(codec_b, "zlib|\n");
	free(codec_n);
	free(codec_b);
	/* more than one batch, so blocks of one member overlap in time */
	char *nb = rows(f->case_big, "SELECT count(*) > 2 FROM blocks");
	assert_string_equal(nb, "1|\n");
	free(nb);

	/* A re-run of the big path adds nothing and changes nothing. */
	indexer_stats again;
	index_case(f, f->case_big, SMALL_BIG, &again);
	assert_int_equal(again.members_new, 0);
	assert_true(again.members_skipped >= 1);
}

static void bigmember__cloudtrail_gzip__same_case_as_normal_path(void **state)
{
	fixture *f = *state;
	buf b;
	buf_init(&b, 0);
	cloudtrail_doc(&b, 3000);
	assert_true(b.len > 4 * SMALL_BIG);
	put_member(f, "ct.json.gz", &b, 100);
	buf_free(&b);
	index_and_compare(f, 1, 2900);
	assert_same_show(f, "ct-000000");
	assert_same_show(f, "ct-001234");
	assert_same_show(f, "ct-002998");
	/* copies found across batches (members rows are equal, checked above) */
	char *dups = rows(f->case_big, "SELECT sum(duplicates) >= 30 FROM members");
	assert_string_equal(dups, "1|\n");
	free(dups);
}

static void bigmember__invocation_jsonl_gzip__same_case_as_normal_path(void **state)
{
	fixture *f = *state;
	buf b;
	buf_init(&b, 0);
	invocation_lines(&b, 3000);
	put_member(f, "inv.json.gz", &b, 100);
	buf_free(&b);
	index_and_compare(f, 1, 2900);
	assert_same_show(f, "inv-000000");
	assert_same_show(f, "inv-002998");
}

static void bigmember__truncated_gzip__same_recovered_events_and_problem(void **state)
{
	fixture *f = *state;
	buf b;
	buf_init(&b, 0);
	invocation_lines(&b, 3000);
	put_member(f, "cut.json.gz", &b, 66);
	buf_free(&b);
	index_and_compare(f, 0, 1000);
	char *p = rows(f->case_big, "SELECT count(*) FROM problems WHERE kind = 'unreadable'"
	                            " AND reason LIKE 'truncated gzip:%'");
	assert_string_equal(p, "1|\n");
	free(p);
	assert_same_show(f, "inv-000001");
}

/* Issue 22 #5: a big member that cannot be spooled to $TMPDIR is recorded
 * unreadable with a message naming the temporary folder and errno; the
 * other members are indexed and the run succeeds. */
static void assert_spool_failure_marks_member(const fixture *f, const char *reason_like)
{
	indexer_stats st;
	memset(&st, 0, sizeof st);
	index_case(f, f->case_big, SMALL_BIG, &st);
	assert_int_equal(st.members_unreadable, 1);
	assert_true(st.unreadable >= 1);
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT m.path, m.state FROM problems p JOIN members m ON m.id = p.member_id"
	         " WHERE p.kind = 'unreadable' AND p.reason LIKE '%s'",
	         reason_like);
	char *p = rows(f->case_big, sql);
	assert_string_equal(p, "big.json.gz|unreadable|\n");
	free(p);
	char *ok = rows(f->case_big, "SELECT state, events FROM members WHERE path = 'small.json'");
	assert_string_equal(ok, "indexed|2|\n");
	free(ok);
}

static void put_big_and_small(const fixture *f)
{
	buf b;
	buf_init(&b, 0);
	invocation_lines(&b, 3000);
	assert_true(b.len > 4 * SMALL_BIG);
	put_member(f, "big.json.gz", &b, 100);
	buf_reset(&b);
	cloudtrail_doc(&b, 2);
	put_member(f, "small.json", &b, 0);
	buf_free(&b);
}

static void bigmember__tmpdir_unwritable__member_unreadable_run_goes_on(void **state)
{
	fixture *f = *state;
	put_big_and_small(f);
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	char nope[320];
	snprintf(nope, sizeof nope, "%s/no-such-folder", f->dir);
	setenv("TMPDIR", nope, 1);
	assert_spool_failure_marks_member(f, "not read: its decompressed content does not fit in the temporary folder"
	                                     " (big member: cannot create a file in %/no-such-folder: No such file%");
	if (old != NULL)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

static void bigmember__tmpdir_full__member_unreadable_run_goes_on(void **state)
{
	fixture *f = *state;
	put_big_and_small(f);
	/* a write past RLIMIT_FSIZE fails with EFBIG when SIGXFSZ is ignored: a full
	 * disk for the spool (the member inflates to ~1.5 MB), not for the small case */
	struct rlimit old;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = {(rlim_t)512 << 10, old.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_spool_failure_marks_member(f, "not read: its decompressed content does not fit in the temporary folder"
	                                     " (big member: cannot write the temporary file: File too large)%");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
}

/* Over the walker's stream threshold (16 MiB): the big path maps the file. */
static void bigmember__plain_jsonl__same_case_as_normal_path(void **state)
{
	fixture *f = *state;
	buf b;
	buf_init(&b, 0);
	invocation_lines(&b, 40000);
	assert_true(b.len > WALK_DEFAULT_STREAM_THRESHOLD);
	put_member(f, "inv.jsonl", &b, 0);
	buf_free(&b);
	index_and_compare(f, 0, 39000);
	assert_same_show(f, "inv-000700");
	assert_same_show(f, "inv-039998");
}

typedef struct seen {
	int n;
	bool mapped;
	char sha[SHA256_HEX_LEN + 1];
	walk_buffer taken;
	buf copy;
} seen;

static lt_status on_leaf(void *ctx, walk_member *m)
{
	seen *s = ctx;
	s->n++;
	s->mapped = m->mapped;
	memcpy(s->sha, m->sha256, sizeof s->sha);
	APPEND(&s->copy, m->data, m->len);
	if (m->mapped)
		assert_null(walk_member_steal(m)); /* a mapping is not free()able */
	assert_true(walk_member_take(m, &s->taken));
	walk_buffer again;
	assert_false(walk_member_take(m, &again));
	return LT_OK;
}

static void walk_one(const char *path, uint64_t map_threshold, seen *s)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->copy, 0);
	walk_options o;
	walk_options_init(&o);
	o.map_threshold = map_threshold;
	walk_callbacks cb = {on_leaf, NULL, NULL, NULL, s};
	assert_int_equal(walk_evidence(path, &o, &cb), LT_OK);
	assert_int_equal(s->n, 1);
}

static void bigmember__walk_map_threshold__maps_plain_leaf_same_bytes(void **state)
{
	fixture *f = *state;
	buf b;
	buf_init(&b, 0);
	invocation_lines(&b, 40000);
	put_member(f, "inv.jsonl", &b, 0);
	char path[512];
	snprintf(path, sizeof path, "%s/inv.jsonl", f->evidence);
	seen read_whole, mapped;
	walk_one(path, 0, &read_whole);
	walk_one(path, SMALL_BIG, &mapped);
	assert_false(read_whole.mapped);
	assert_true(mapped.mapped);
	assert_true(mapped.taken.mapped);
	assert_int_equal(mapped.taken.len, b.len);
	assert_string_equal(read_whole.sha, mapped.sha);
	assert_int_equal(mapped.copy.len, b.len);
	assert_memory_equal(mapped.copy.data, b.data, b.len);
	assert_memory_equal(mapped.taken.p, b.data, b.len);
	walk_buffer_release(&read_whole.taken);
	walk_buffer_release(&mapped.taken);
	assert_null(mapped.taken.p);
	buf_free(&read_whole.copy);
	buf_free(&mapped.copy);
	buf_free(&b);
}

static lt_status to_buf(void *ctx, const unsigned char *p, size_t n, lt_error *err)
{
	(void)err;
	assert_true(n <= GUNZIP_STREAM_PIECE);
	return buf_append(ctx, p, n) == LT_OK ? LT_OK : LT_EFATAL;
}

/* gunzip_stream against gunzip_buffer on the same bytes and options. */
static void assert_stream_like_buffer(const unsigned char *in, size_t n, size_t max_output)
{
	gunzip_options o;
	gunzip_options_init(&o);
	o.want_sha256 = true;
	o.max_output = max_output;
	gunzip_result rb, rs;
	lt_error eb, es;
	lt_error_clear(&eb);
	lt_error_clear(&es);
	buf out;
	buf_init(&out, 0);
	lt_status sb = gunzip_buffer(in, n, &o, &rb, &eb);
	lt_status ss = gunzip_stream(in, n, &o, to_buf, &out, &rs, &es);
	assert_int_equal(sb, ss);
	assert_string_equal(eb.msg, es.msg);
	assert_int_equal(eb.offset, es.offset);
	assert_int_equal(rb.len, rs.len);
	assert_null(rs.data);
	assert_int_equal(rb.over_max_output, rs.over_max_output);
	assert_string_equal(rb.sha256, rs.sha256);
	if (sb == LT_OK || sb == LT_EITEM) {
		assert_int_equal(out.len, rb.len);
		assert_memory_equal(out.data, rb.data, rb.len);
	}
	gunzip_result_free(&rb);
	buf_free(&out);
}

static void bigmember__gunzip_stream__same_as_gunzip_buffer(void **state)
{
	(void)state;
	buf t;
	buf_init(&t, 0);
	invocation_lines(&t, 6000); /* several stream pieces */
	size_t half = t.len / 2, l1 = 0, l2 = 0;
	unsigned char *g1 = gzip_bytes(t.data, half, &l1), *g2 = gzip_bytes(t.data + half, t.len - half, &l2);
	size_t n = l1 + l2;
	unsigned char *two = malloc(n + 16);
	memcpy(two, g1, l1);
	memcpy(two + l1, g2, l2);
	assert_stream_like_buffer(two, n, 0);                 /* two members */
	assert_stream_like_buffer(two, n, t.len);             /* exactly at the limit */
	assert_stream_like_buffer(two, n, t.len - 1);         /* one byte over */
	assert_stream_like_buffer(two, n, (size_t)3 << 20);   /* over in the first member */
	assert_stream_like_buffer(two, l1 + l2 / 2, 0);       /* truncated second member */
	assert_stream_like_buffer(two, l1 / 3, 0);            /* truncated first member */
	memset(two + n, 0, 16);
	assert_stream_like_buffer(two, n + 16, 0);            /* zero padding */
	memcpy(two + n, "garbage!", 8);
	assert_stream_like_buffer(two, n + 8, 0);             /* trailing garbage */
	two[l1 + 8] ^= 0x55;
	assert_stream_like_buffer(two, n, 0);                 /* damaged second member */
	two[l1 + l2 - 6] ^= 0x01;
	assert_stream_like_buffer(two, n, 0);                 /* bad length / CRC */
	assert_stream_like_buffer((const unsigned char *)t.data, 100, 0); /* not gzip */
	free(two);
	free(g1);
	free(g2);
	buf_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bigmember__gunzip_stream__same_as_gunzip_buffer),
		cmocka_unit_test_setup_teardown(bigmember__cloudtrail_gzip__same_case_as_normal_path, setup, teardown),
		cmocka_unit_test_setup_teardown(bigmember__tmpdir_unwritable__member_unreadable_run_goes_on, setup, teardown),
		cmocka_unit_test_setup_teardown(bigmember__tmpdir_full__member_unreadable_run_goes_on, setup, teardown),
		cmocka_unit_test_setup_teardown(bigmember__invocation_jsonl_gzip__same_case_as_normal_path, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(bigmember__truncated_gzip__same_recovered_events_and_problem, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(bigmember__plain_jsonl__same_case_as_normal_path, setup, teardown),
		cmocka_unit_test_setup_teardown(bigmember__walk_map_threshold__maps_plain_leaf_same_bytes, setup,
		                                teardown),
	};
	return cmocka_run_group_tests_name("bigmember", tests, NULL, NULL);
}
