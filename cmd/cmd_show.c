/*
 * cmd_show.c — `llmtrail show CASE UID`: the exact original record of an
 * event and its provenance.
 *
 * Looks the id up in every source (an eventID and a requestId may collide)
 * through the replay cursor, any case; an id that is neither is looked for as
 * a CloudTrail requestID (every CloudTrail record read: slower), and for each event found prints its provenance
 * as "# key: value" lines (evidence file and its SHA-256, member chain, the
 * member's size and SHA-256 as found and of its decompressed content, line,
 * byte offset and length) followed by the record: its exact bytes and a
 * newline, or with --pretty the parsed record re-serialised with indentation.
 * No record line starts with "# " (JSON text cannot), so `sed '/^# /d'`
 * recovers the exact bytes. Provenance text is escaped; on a terminal the
 * record is too (put_record); piped, it is exact. When the file on
 * disk that holds the record is gone or no longer matches its recorded size
 * or SHA-256, a "# on-disk" line says so (the stored copy is still printed)
 * and the exit status is 3.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "cmd/withcase.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/ltime.h"
#include "common/textesc.h"
#include "ingest/json.h"
#include "store/case.h"
#include "store/caseq.h"
#include "store/custody.h"
#include "store/replay.h"

static void put_file(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)ctx);
}

/* The exact bytes when stdout is a pipe or file; on a terminal, each line
 * escaped by the rules of textesc.h (a raw U+202E or invalid byte in a
 * record must not reorder or corrupt the screen), tabs and newlines kept. */
static void put_record(const char *p, size_t n)
{
	if (!isatty(STDOUT_FILENO)) {
		fwrite(p, 1, n, stdout);
		return;
	}
	lt_escape(p, n, LT_ESC_KEEP_TAB | LT_ESC_KEEP_NL, put_file, stdout);
}

static const cli_option options[] = {
	{"pretty", 'p', NULL, "pretty-print the record"},
	{NULL, 0, NULL, NULL},
};

typedef struct show_ctx {
	int pretty;
	const char *uid;
} show_ctx;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	show_ctx *c = vctx;
	(void)value;
	if (strcmp(opt->name, "pretty") == 0)
		c->pretty = 1;
	return 0;
}

static lt_status field(buf *b, const char *key, const char *v, size_t n)
{
	lt_status st = buf_printf(b, "# %-16s ", key);
	if (st == LT_OK)
		st = case_escape_text(b, v ? v : "", v ? n : 0);
	if (st == LT_OK)
		st = buf_putc(b, '\n');
	return st;
}

static lt_status sfield(buf *b, const char *key, const char *v)
{
	return field(b, key, v, v ? strlen(v) : 0);
}

static lt_status custody_fields(void *ctx, const caseq_member *m, lt_error *err)
{
	(void)err;
	buf *b = ctx;
	lt_status st = LT_OK;
	if (m->evidence_sha256 != NULL)
		st = sfield(b, "evidence-sha256", m->evidence_sha256);
	if (st == LT_OK)
		st = sfield(b, "member", m->path);
	if (st == LT_OK)
		st = sfield(b, "member-sha256", m->sha256);
	if (st == LT_OK)
		st = buf_printf(b, "# %-16s %lld\n", "member-size", (long long)m->size);
	if (st == LT_OK && m->has_content) {
		st = buf_printf(b, "# %-16s %lld\n", "content-size", (long long)m->content_size);
		if (st == LT_OK)
			st = sfield(b, "content-sha256", m->content_sha256);
	}
	if (st == LT_OK)
		st = sfield(b, "format", m->format);
	return st;
}

/* Custody details of the member beyond what the event carries. */
static lt_status custody(case_db *c, int64_t member_id, buf *b)
{
	lt_error err;
	return caseq_member_custody(c, member_id, custody_fields, b, &err);
}

/* Custody is live: the file on disk that holds the record (hashed up to
 * 1 GiB) against what was recorded; a difference is labelled, the stored
 * copy still shown. *changed = 1 then. */
static lt_status on_disk(case_db *c, const event *ev, buf *b, int *changed)
{
	char why[512] = "";
	const char *kind = "";
	int issue = 0;
	lt_error err;
	lt_error_clear(&err);
	if (custody_check_member(c, ev->prov->member_id, (uint64_t)1 << 30, &issue, &kind, why, sizeof why, &err) !=
	    LT_OK)
		return LT_EFATAL;
	if (!issue)
		return LT_OK;
	*changed = 1;
	char line[700];
	snprintf(line, sizeof line, "%s: %s; the record below is the copy stored when it was indexed", kind, why);
	return sfield(b, "on-disk", line);
}

static lt_status provenance(case_db *c, const event *ev, buf *b)
{
	char t[LTIME_BUFSZ];
	size_t tn = ltime_format(ev->time_us, 6, t);
	const char *src = ev_source_name(ev->source);
	lt_status st = sfield(b, "source", src);
	if (st == LT_OK)
		st = field(b, "uid", ev->uid.p, ev->uid.n);
	if (st == LT_OK)
		st = field(b, "time", t, tn);
	if (st == LT_OK && (ev->flags & EV_F_CONFLICT))
		st = sfield(b, "conflict", "same id and time as the record above, other content: both kept (a planted or"
		                           " altered record; docs/integrity.md)");
	if (st == LT_OK)
		st = sfield(b, "evidence", ev->prov->evidence);
	if (st == LT_OK)
		st = custody(c, ev->prov->member_id, b);
	if (st == LT_OK)
		st = buf_printf(b, "# %-16s %llu\n# %-16s %llu\n# %-16s %zu\n", "line", (unsigned long long)ev->line,
		                "offset", (unsigned long long)ev->offset, "length", ev->raw.n);
	if (st == LT_OK && (ev->flags & EV_F_BEARER_TOKEN))
		st = sfield(b, "credential", "bedrock-api-key (additionalEventData.callWithBearerToken)");
	return st;
}

static lt_status record(const show_ctx *ctx, const event *ev, buf *b)
{
	if (ctx->pretty && ev->doc != NULL) {
		lt_status st = json_write(b, ev->doc, 2);
		return st == LT_OK ? buf_putc(b, '\n') : st;
	}
	lt_status st = buf_append(b, ev->raw.p ? ev->raw.p : "", ev->raw.n);
	if (st == LT_OK)
		st = buf_putc(b, '\n');
	return st;
}

/* Prints every event the replay f gives that want() accepts (NULL: all);
 * returns the exit code and counts them in *found. */
static int show_events(case_db *c, const show_ctx *ctx, const replay_filter *f,
                       bool (*want)(const event *ev, const char *id), size_t *found)
{
	replay *r = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (replay_new(c, f, &r, &err) != LT_OK) {
		log_lt_error(&err);
		return LT_EXIT_FATAL;
	}
	int rc = LT_EXIT_CLEAN;
	buf b;
	buf_init(&b, 0);
	for (;;) {
		const event *ev = NULL;
		lt_status st = replay_next(r, &ev, &err);
		if (st == LT_EFATAL || ev == NULL) {
			if (st == LT_EFATAL) {
				log_lt_error(&err);
				rc = LT_EXIT_FATAL;
			}
			break;
		}
		if (want != NULL && !want(ev, ctx->uid))
			continue;
		if (st != LT_OK) {
			log_lt_error(&err);
			rc = LT_EXIT_UNREADABLE;
		}
		buf_reset(&b);
		int changed = 0;
		lt_status ps = (*found ? buf_putc(&b, '\n') : LT_OK) == LT_OK ? provenance(c, ev, &b) : LT_EFATAL;
		if (ps == LT_OK)
			ps = on_disk(c, ev, &b, &changed);
		if (changed && rc == LT_EXIT_CLEAN)
			rc = LT_EXIT_UNREADABLE;
		if (ps == LT_OK)
			ps = record(ctx, ev, &b);
		if (ps != LT_OK) {
			fprintf(stderr, "llmtrail show: out of memory\n");
			rc = LT_EXIT_FATAL;
			break;
		}
		put_record(b.data, b.len);
		(*found)++;
	}
	buf_free(&b);
	replay_free(r);
	return rc;
}

/* A CloudTrail record whose requestID is id (any case): CloudTrail's
 * eventID is the uid the index keys on, its requestID only in the record. */
static bool request_id_is(const event *ev, const char *id)
{
	size_t n = strlen(id);
	return ev->source == EV_SRC_CLOUDTRAIL && ev->request_id.n == n && strncasecmp(ev->request_id.p, id, n) == 0;
}

/* Ids are matched without regard to case: eventIDs and requestIds are
 * UUIDs, stored in lower case. */
static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int show(case_db *c, void *vctx)
{
	const show_ctx *ctx = vctx;
	char uid[256];
	snprintf(uid, sizeof uid, "%s", ctx->uid);
	size_t found = 0;
	replay_filter f;
	replay_filter_init(&f);
	f.flags = REPLAY_NO_DERIVE;
	f.uid = ctx->uid;
	int rc = show_events(c, ctx, &f, NULL, &found);
	if (found == 0 && rc == LT_EXIT_CLEAN && strlen(ctx->uid) < sizeof uid) {
		lower_ascii(uid);
		f.uid = uid;
		if (strcmp(uid, ctx->uid) != 0)
			rc = show_events(c, ctx, &f, NULL, &found);
	}
	if (found == 0 && rc == LT_EXIT_CLEAN) {
		/* not an eventID nor a requestId: a CloudTrail requestID, found by
		 * reading every CloudTrail record (slower: the index has no key on it) */
		replay_filter_init(&f);
		f.flags = REPLAY_NO_DERIVE;
		f.source = EV_SRC_CLOUDTRAIL;
		rc = show_events(c, ctx, &f, request_id_is, &found);
	}
	if (found == 0 && rc == LT_EXIT_CLEAN) {
		buf e;
		buf_init(&e, 4096);
		if (case_escape_text(&e, ctx->uid, strlen(ctx->uid)) == LT_OK)
			fprintf(stderr, "llmtrail show: no event with eventID, requestID or requestId %s in %s\n",
			        buf_cstr(&e), case_path(c));
		buf_free(&e);
		rc = LT_EXIT_USAGE;
	}
	if (fflush(stdout) != 0)
		rc = LT_EXIT_FATAL;
	return rc;
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	show_ctx ctx = {0, NULL};
	int first = cli_parse(self, argc, argv, on_option, &ctx, &npos, &code);
	if (first < 0)
		return code;
	ctx.uid = argv[first + 1];
	return with_case(argv[first], show, &ctx);
}

const command cmd_show = {
	.name = "show",
	.args = "CASE UID",
	.summary = "print the exact original record of an event and its provenance",
	.options = options,
	.min_args = 2,
	.max_args = 2,
	.main = run,
};
