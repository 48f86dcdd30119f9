/*
 * cmd_timeline.c — `llmtrail timeline CASE`: events in time order, one per line.
 *
 * Reads the case through the replay cursor (headers only: no decompression)
 * and writes one line per event with the header fields and provenance
 * (evidence file, member, line). Every cell comes from evidence, so each
 * format escapes for its sink: CSV per RFC 4180 with formula-injection
 * neutralisation (a cell starting with = + - @ TAB or CR gets a leading
 * apostrophe), JSONL through json_write_string, and the table with control
 * characters shown as \xNN.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/exitcode.h"
#include "cmd/filteropt.h"
#include "cmd/withcase.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/ltime.h"
#include "ingest/json.h"
#include "store/case.h"
#include "store/replay.h"

static const cli_option options[] = {
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"},
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"},
	{"source", 0, "SOURCE", "only events from SOURCE (cloudtrail|invocation|kb-log)"},
	FILTER_CLI_OPTION_ROWS
	{"format", 'f', "FORMAT", "csv, jsonl or table (default: table)"},
	{NULL, 0, NULL, NULL},
};

typedef enum tl_format { TL_TABLE, TL_CSV, TL_JSONL } tl_format;

typedef struct tl_ctx {
	replay_filter f;
	const char *match[VM_NFIELDS]; /* --principal .. --action */
	tl_format format;
} tl_ctx;

static int parse_time(const char *opt, const char *value, int64_t *out)
{
	if (ltime_parse(value, strlen(value), out) != LT_OK) {
		fprintf(stderr, "llmtrail timeline: --%s: not an ISO-8601 time: %s\n", opt, value);
		return LT_EXIT_USAGE;
	}
	return 0;
}

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	tl_ctx *c = vctx;
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

/* The columns, in output order. */
enum { C_TIME, C_SOURCE, C_ACTION, C_PRINCIPAL, C_SOURCE_IP, C_USER_AGENT, C_REGION, C_MODEL, C_ERROR, C_UID,
       C_FILE, C_MEMBER, C_LINE, C_CREDENTIAL, C_COUNT };
static const char *const col_names[C_COUNT] = {"time",       "source", "action", "principal",  "source_ip",
                                               "user_agent", "region", "model",  "error_code", "uid",
                                               "file",       "member", "line",   "credential"};

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

/* RFC 4180 cell. Its text is first escaped as for the terminal (textesc.h:
 * controls, bidi and invalid bytes as visible escapes, since a CSV is read in
 * terminals and line tools too), and a cell a spreadsheet would take for a
 * formula gets a leading apostrophe. */
static lt_status csv_cell(buf *b, ev_str s, buf *tmp)
{
	buf_reset(tmp);
	if (case_escape_text(tmp, s.p ? s.p : "", s.n) != LT_OK)
		return LT_EFATAL;
	const char *p = tmp->data ? tmp->data : "";
	size_t n = tmp->len;
	int formula = n > 0 && strchr("=+-@", p[0]) != NULL;
	int quote = formula;
	for (size_t i = 0; i < n && !quote; i++)
		quote = p[i] == ',' || p[i] == '"' || p[i] == ' ';
	lt_status st = quote ? buf_putc(b, '"') : LT_OK;
	if (st == LT_OK && formula)
		st = buf_putc(b, '\'');
	for (size_t i = 0; i < n && st == LT_OK; i++)
		st = p[i] == '"' ? buf_append(b, "\"\"", 2) : buf_putc(b, p[i]);
	if (st == LT_OK && quote)
		st = buf_putc(b, '"');
	return st;
}

static lt_status format_line(buf *b, tl_format fmt, const ev_str c[C_COUNT], buf *tmp)
{
	lt_status st = LT_OK;
	if (fmt == TL_JSONL)
		st = buf_putc(b, '{');
	for (int i = 0; i < C_COUNT && st == LT_OK; i++) {
		if (fmt == TL_CSV) {
			st = i ? buf_putc(b, ',') : LT_OK;
			if (st == LT_OK)
				st = csv_cell(b, c[i], tmp);
		} else if (fmt == TL_JSONL) {
			st = buf_printf(b, "%s\"%s\":", i ? "," : "", col_names[i]);
			if (st == LT_OK && i == C_LINE)
				st = buf_append(b, c[i].p, c[i].n);
			else if (st == LT_OK)
				st = c[i].n ? json_write_string_bytes(b, c[i].p, c[i].n) : buf_puts(b, "null");
		} else {
			st = i ? buf_append(b, "  ", 2) : LT_OK;
			if (st == LT_OK)
				st = c[i].n ? case_escape_text(b, c[i].p, c[i].n) : buf_putc(b, '-');
		}
	}
	if (st == LT_OK && fmt == TL_JSONL)
		st = buf_putc(b, '}');
	if (st == LT_OK)
		st = fmt == TL_CSV ? buf_append(b, "\r\n", 2) : buf_putc(b, '\n');
	return st;
}

static lt_status header_line(buf *b, tl_format fmt)
{
	if (fmt == TL_JSONL)
		return LT_OK;
	lt_status st = LT_OK;
	for (int i = 0; i < C_COUNT && st == LT_OK; i++) {
		if (i)
			st = fmt == TL_CSV ? buf_putc(b, ',') : buf_append(b, "  ", 2);
		for (const char *p = col_names[i]; st == LT_OK && *p; p++)
			st = buf_putc(b, fmt == TL_CSV ? *p : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
	}
	if (st == LT_OK)
		st = fmt == TL_CSV ? buf_append(b, "\r\n", 2) : buf_putc(b, '\n');
	return st;
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
	lt_status st = header_line(&b, ctx->format);
	const event *ev = NULL;
	uint64_t shown = 0;
	while (st == LT_OK) {
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
		st = format_line(&b, ctx->format, cl, &tmp);
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
	filteropt_to_replay(ctx.match, &ctx.f);
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
