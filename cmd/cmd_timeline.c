/*
 * cmd_timeline.c — `llmtrail timeline CASE`: events in time order, one per line.
 *
 * Reads the case through the replay cursor (headers only: no decompression)
 * and writes one line per event with the header fields and provenance
 * (evidence file, member, line). Every cell comes from evidence, so each
 * format escapes for its sink: CSV by the report's timeline.csv writer
 * (reports/csv.h: the same columns, RFC 4180, formula neutralisation;
 * --columns does not apply), JSONL through json_write_string, and the table
 * with control characters shown as \xNN.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "cmd/filteropt.h"
#include "cmd/withcase.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/textesc.h"
#include "common/ltime.h"
#include "ingest/json.h"
#include "store/case.h"
#include "reports/csv.h"
#include "store/replay.h"

static const cli_option options[] = {
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"},
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"},
	{"source", 0, "SOURCE", "only events from SOURCE (cloudtrail|invocation|kb-log)"},
	FILTER_CLI_OPTION_ROWS
	{"format", 'f', "FORMAT", "csv (the report's timeline.csv columns), jsonl or table (default: table)"},
	{"columns", 0, "LIST", "columns to print, comma-separated (time,source,action,principal,source_ip,user_agent,region,model,error_code,uid,file,member,line,credential; default: all, or a compact set on a terminal)"},
	{NULL, 0, NULL, NULL},
};

typedef enum tl_format { TL_TABLE, TL_CSV, TL_JSONL } tl_format;

/* The columns, in output order. */
enum { C_TIME, C_SOURCE, C_ACTION, C_PRINCIPAL, C_SOURCE_IP, C_USER_AGENT, C_REGION, C_MODEL, C_ERROR, C_UID,
       C_FILE, C_MEMBER, C_LINE, C_CREDENTIAL, C_COUNT };
static const char *const col_names[C_COUNT] = {"time",       "source", "action", "principal",  "source_ip",
                                               "user_agent", "region", "model",  "error_code", "uid",
                                               "file",       "member", "line",   "credential"};
/* The aligned table's width of each column (a terminal's), and whether a
 * longer value keeps its end (an ARN's or a path's tail says most). */
static const struct {
	int width;
	bool tail;
} col_shape[C_COUNT] = {{27, false}, {10, false}, {30, false}, {44, true},  {15, false}, {28, false}, {14, false},
                        {40, true},  {22, false}, {36, false}, {36, true},  {36, true},  {6, false},  {15, false}};
/* On a terminal without --columns: what fits beside the time. */
static const int compact_cols[] = {C_TIME, C_SOURCE, C_ACTION, C_PRINCIPAL, C_SOURCE_IP, C_MODEL, C_ERROR};

typedef struct tl_ctx {
	replay_filter f;
	const char *match[VM_NFIELDS]; /* --principal .. --action */
	tl_format format;
	int cols[C_COUNT]; /* printed, in order */
	size_t ncols;      /* 0: not chosen (--columns) */
	bool aligned;      /* table padded and cut to col_shape (stdout is a terminal) */
} tl_ctx;

static int parse_time(const char *opt, const char *value, int64_t *out)
{
	if (ltime_parse(value, strlen(value), out) != LT_OK) {
		fprintf(stderr, "llmtrail timeline: --%s: not an ISO-8601 time: %s\n", opt, value);
		return LT_EXIT_USAGE;
	}
	return 0;
}

/* --columns a,b,c: names of col_names, each at most once. */
static int parse_columns(tl_ctx *c, const char *list)
{
	c->ncols = 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		int found = -1;
		for (int i = 0; i < C_COUNT && found < 0; i++)
			if (strlen(col_names[i]) == n && strncmp(col_names[i], p, n) == 0)
				found = i;
		for (size_t k = 0; k < c->ncols && found >= 0; k++)
			found = c->cols[k] == found ? -2 : found;
		if (found < 0) {
			fprintf(stderr, "llmtrail timeline: --columns: %s column '%.*s' (known: time, source, action, "
			                "principal, source_ip, user_agent, region, model, error_code, uid, file, member, "
			                "line, credential)\n", found == -2 ? "repeated" : "unknown", (int)n, p);
			return LT_EXIT_USAGE;
		}
		c->cols[c->ncols++] = found;
		p += n;
		if (*p == ',')
			p++;
	}
	if (c->ncols == 0) {
		fprintf(stderr, "llmtrail timeline: --columns: no column named\n");
		return LT_EXIT_USAGE;
	}
	return 0;
}

/* Without --columns: every column, or on a terminal's table the compact set. */
static void default_columns(tl_ctx *c)
{
	c->aligned = c->format == TL_TABLE && isatty(STDOUT_FILENO);
	if (c->ncols > 0)
		return;
	if (c->aligned) {
		for (size_t i = 0; i < sizeof compact_cols / sizeof compact_cols[0]; i++)
			c->cols[c->ncols++] = compact_cols[i];
		return;
	}
	for (int i = 0; i < C_COUNT; i++)
		c->cols[c->ncols++] = i;
}

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	tl_ctx *c = vctx;
	if (strcmp(opt->name, "columns") == 0)
		return parse_columns(c, value);
	if (strcmp(opt->name, "since") == 0)
		return parse_time("since", value, &c->f.since_us);
	if (strcmp(opt->name, "until") == 0)
		return parse_time("until", value, &c->f.until_us);
	if (filteropt_take(opt->name, value, c->match))
		return 0;
	if (strcmp(opt->name, "source") == 0) {
		c->f.source = ev_source_from_name(value);
		if (c->f.source == EV_SRC_UNKNOWN) {
			fprintf(stderr, "llmtrail timeline: --source wants cloudtrail, invocation or kb-log\n");
			return LT_EXIT_USAGE;
		}
	} else if (strcmp(opt->name, "format") == 0) {
		if (strcmp(value, "table") == 0)
			c->format = TL_TABLE;
		else if (strcmp(value, "csv") == 0)
			c->format = TL_CSV;
		else if (strcmp(value, "jsonl") == 0)
			c->format = TL_JSONL;
		else {
			fprintf(stderr, "llmtrail timeline: --format wants csv, jsonl or table\n");
			return LT_EXIT_USAGE;
		}
	}
	return 0;
}

static void cells(const event *ev, ev_str out[C_COUNT], char *timebuf, char *linebuf)
{
	size_t tn = ltime_format(ev->time_us, 6, timebuf);
	int ln = snprintf(linebuf, 24, "%llu", (unsigned long long)ev->line);
	const char *src = ev_source_name(ev->source);
	out[C_TIME] = ev_str_from(timebuf, tn);
	out[C_SOURCE] = ev_str_from(src, strlen(src));
	out[C_ACTION] = ev->action;
	out[C_PRINCIPAL] = ev->principal;
	out[C_SOURCE_IP] = ev->source_ip;
	out[C_USER_AGENT] = ev->user_agent;
	out[C_REGION] = ev->region;
	out[C_MODEL] = ev->model;
	out[C_ERROR] = ev->error_code;
	out[C_UID] = ev->uid;
	out[C_FILE] = ev_str_from(ev->prov->evidence, strlen(ev->prov->evidence));
	out[C_MEMBER] = ev_str_from(ev->prov->member, strlen(ev->prov->member));
	out[C_LINE] = ev_str_from(linebuf, ln > 0 ? (size_t)ln : 0);
	/* how the caller authenticated, when it was not SigV4 (the Sigma field "credential") */
	out[C_CREDENTIAL] = (ev->flags & EV_F_BEARER_TOKEN) ? ev_str_from("bedrock-api-key", 15) : EV_STR_NULL;
}

/* Code points in the n bytes at p (escaped text: valid UTF-8). */
static size_t cps(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)p[i] & 0xC0) != 0x80;
	return k;
}

/* Byte offset of code point number k in the n bytes at p. */
static size_t cp_offset(const char *p, size_t n, size_t k)
{
	size_t i = 0;
	for (; i < n && k > 0; k--)
		for (i++; i < n && ((unsigned char)p[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

/* A table cell: escaped; when aligned, cut to the column's width (a '~'
 * where text was left out, at the end it keeps or the start) and padded,
 * unless last on the line. */
static lt_status table_cell(buf *b, ev_str s, int col, bool aligned, bool last, buf *tmp)
{
	buf_reset(tmp);
	lt_status st = s.n ? case_escape_text(tmp, s.p, s.n) : buf_putc(tmp, '-');
	if (st != LT_OK)
		return st;
	const char *p = tmp->data ? tmp->data : "";
	size_t n = tmp->len, w = (size_t)col_shape[col].width, have = cps(p, n);
	if (!aligned)
		return buf_append(b, p, n);
	if (have > w) {
		size_t keep = w - 1;
		if (col_shape[col].tail) {
			size_t from = cp_offset(p, n, have - keep);
			st = buf_putc(b, '~');
			if (st == LT_OK)
				st = buf_append(b, p + from, n - from);
		} else {
			st = buf_append(b, p, cp_offset(p, n, keep));
			if (st == LT_OK)
				st = buf_putc(b, '~');
		}
		have = w;
	} else {
		st = buf_append(b, p, n);
	}
	for (size_t i = have; i < w && st == LT_OK && !last; i++)
		st = buf_putc(b, ' ');
	return st;
}

static lt_status format_line(buf *b, const tl_ctx *ctx, const ev_str c[C_COUNT], buf *tmp)
{
	tl_format fmt = ctx->format;
	lt_status st = LT_OK;
	if (fmt == TL_JSONL)
		st = buf_putc(b, '{');
	for (size_t k = 0; k < ctx->ncols && st == LT_OK; k++) {
		int i = ctx->cols[k];
		if (fmt == TL_JSONL) {
			st = buf_printf(b, "%s\"%s\":", k ? "," : "", col_names[i]);
			if (st == LT_OK && i == C_LINE)
				st = buf_append(b, c[i].p, c[i].n);
			else if (st == LT_OK)
				st = c[i].n ? json_write_string_bytes(b, c[i].p, c[i].n) : buf_puts(b, "null");
		} else {
			st = k ? buf_append(b, "  ", 2) : LT_OK;
			if (st == LT_OK)
				st = table_cell(b, c[i], i, ctx->aligned, k + 1 == ctx->ncols, tmp);
		}
	}
	if (st == LT_OK && fmt == TL_JSONL)
		st = buf_putc(b, '}');
	if (st == LT_OK)
		st = buf_putc(b, '\n');
	return st;
}

static lt_status header_line(buf *b, const tl_ctx *ctx)
{
	tl_format fmt = ctx->format;
	if (fmt == TL_JSONL)
		return LT_OK;
	lt_status st = LT_OK;
	for (size_t k = 0; k < ctx->ncols && st == LT_OK; k++) {
		int i = ctx->cols[k];
		if (k)
			st = buf_append(b, "  ", 2);
		const char *p = col_names[i];
		for (; st == LT_OK && *p; p++)
			st = buf_putc(b, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
		for (size_t w = strlen(col_names[i]); ctx->aligned && k + 1 < ctx->ncols && st == LT_OK &&
		                                      w < (size_t)col_shape[i].width;
		     w++)
			st = buf_putc(b, ' ');
	}
	if (st == LT_OK)
		st = buf_putc(b, '\n');
	return st;
}

/* The CSV is the report's timeline.csv layout, by its writer (reports/csv.h):
 * one layout for both, so a tool reads either. */
static lt_status csv_events(replay *r, uint64_t *shown, lt_error *err)
{
	report_csv *csv = report_csv_begin(stdout, err);
	if (csv == NULL)
		return LT_EFATAL;
	lt_status st = LT_OK;
	const event *ev = NULL;
	while (st == LT_OK && (st = replay_next(r, &ev, err)) != LT_EFATAL && ev != NULL) {
		rpt_event_in rev;
		report_csv_event(ev, &rev);
		(*shown)++;
		st = report_csv_row(csv, &rev, NULL, 0, err);
	}
	if (st != LT_EFATAL && st != LT_EFILE)
		st = LT_OK;
	lt_status es = report_csv_end(csv, err);
	return st == LT_OK ? es : st;
}

static int print_events(case_db *c, void *vctx)
{
	const tl_ctx *ctx = vctx;
	replay *r = NULL;
	lt_error err;
	lt_error_clear(&err);
	replay_filter f = ctx->f;
	f.flags = REPLAY_HEADERS_ONLY;
	if (replay_new(c, &f, &r, &err) != LT_OK) {
		log_lt_error(&err);
		return LT_EXIT_FATAL;
	}
	buf b, tmp;
	buf_init(&b, 0);
	buf_init(&tmp, 0);
	uint64_t shown = 0;
	lt_status st = ctx->format == TL_CSV ? csv_events(r, &shown, &err) : header_line(&b, ctx);
	const event *ev = NULL;
	while (st == LT_OK && ctx->format != TL_CSV) {
		lt_status rs = replay_next(r, &ev, &err);
		if (rs == LT_EFATAL) {
			st = rs;
			break;
		}
		if (ev == NULL)
			break;
		ev_str cl[C_COUNT];
		char tbuf[LTIME_BUFSZ], lbuf[24];
		cells(ev, cl, tbuf, lbuf);
		shown++;
		st = format_line(&b, ctx, cl, &tmp);
		if (st == LT_OK && b.len > 65536) {
			fwrite(b.data, 1, b.len, stdout);
			buf_reset(&b);
		}
	}
	if (b.len)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	buf_free(&tmp);
	replay_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "llmtrail timeline: error writing output\n");
		return LT_EXIT_FATAL;
	}
	if (st != LT_OK) {
		if (err.msg[0])
			log_lt_error(&err);
		else
			fprintf(stderr, "llmtrail timeline: out of memory\n");
		return LT_EXIT_FATAL;
	}
	if (shown == 0 && (filteropt_any(ctx->match) || ctx->f.source != EV_SRC_UNKNOWN ||
	                   ctx->f.since_us != INT64_MIN || ctx->f.until_us != INT64_MAX))
		fprintf(stderr, "llmtrail timeline: no event matches the filters (values match any case, "
		                "as globs, or the part of an ARN after its last '/'; see `llmtrail stats`)\n");
	return LT_EXIT_CLEAN;
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	tl_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	replay_filter_init(&ctx.f);
	ctx.format = TL_TABLE;
	int first = cli_parse(self, argc, argv, on_option, &ctx, &npos, &code);
	if (first < 0)
		return code;
	if (ctx.f.since_us >= ctx.f.until_us) {
		fprintf(stderr, "llmtrail timeline: --since must be before --until\n");
		return LT_EXIT_USAGE;
	}
	if (ctx.format == TL_CSV && ctx.ncols > 0) {
		fprintf(stderr, "llmtrail timeline: --columns applies to the table and jsonl; --format csv writes the "
		                "report's timeline.csv columns (docs/outputs.md)\n");
		return LT_EXIT_USAGE;
	}
	filteropt_to_replay(ctx.match, &ctx.f);
	default_columns(&ctx);
	return with_case(argv[first], print_events, &ctx);
}

const command cmd_timeline = {
	.name = "timeline",
	.args = "CASE",
	.summary = "print events in time order, one per line",
	.options = options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};
