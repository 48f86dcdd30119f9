/*
 * decode.c — sniff a member's format, then turn its records into events.
 *
 * Sniffing peeks, cheaply: the first significant byte, the first key of a
 * top-level object (a CloudTrail file is one line of many MB, so
 * {"Records" is recognised without parsing it), and the first record (the
 * first line, the first array element, or the first value of a
 * pretty-printed file). Every format in the table bids on that peek; the
 * highest bid wins; ties go to the earlier entry.
 *
 * Decoding never holds more than it must. Arrays of records ({"Records":[..]},
 * {"Events":[..]}, bare arrays) are parsed element by element with
 * JSON_ALLOW_TRAILING, so a batch of events can be flushed and the arena reset
 * mid-file, and a truncated file still yields every record before the damage;
 * a damaged element whose end can be found lexically (element_end) costs that
 * record only, with a problem naming its index, and decoding resumes at the next.
 * Line formats parse one value at a time (JSON Lines, concatenated or
 * pretty-printed values) and resynchronise at the next line after a bad one;
 * the same code decodes a huge member in chunks (decode_chunk). Caps: a
 * record or line longer than max_record is a problem, JSON depth is bounded,
 * and single documents are bounded by the arena's cap.
 */
#include "config.h"

#include "ingest/decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/ltime.h"
#include "ingest/bedrock.h"
#include "ingest/cloudtrail.h"
#include "ingest/cwlogs.h"
#include "ingest/decode_impl.h"
#include "ingest/digestfile.h"
#include "ingest/kblog.h"
#include "ingest/lookalike.h"

#define PEEK_LINES 8
#define PEEK_SCAN ((size_t)64 << 10)

struct dctx {
	const char *text;  /* what is being decoded: the member or a chunk of it */
	size_t len;
	uint64_t base;     /* member offset of text[0] */
	const ev_provenance *prov;
	arena *a;
	const decode_sink *sink;
	decode_options o;
	decode_result *res;
	lt_error *err;
	ev_source deflt;   /* kind of a record that classifies as neither */
	bool no_reset;     /* a document in the arena is still in use */
	lt_status status;  /* worst status of this call */
	lt_status stop;    /* >= LT_EFILE once the sink asked to stop */
	uint64_t told;     /* member offset from which on_progress is called next */
};

struct decode_format {
	const char *name;
	int (*bid)(const decode_peek *pk);
	void (*decode)(dctx *c, const decode_peek *pk);
	bool chunkable;
	ev_source deflt;
};

/* ---- problems and delivery ---------------------------------------------- */

static void problem(dctx *c, lt_status st, uint64_t line, uint64_t off, const char *fmt, ...)
	LT_PRINTF(5, 6);

static void problem(dctx *c, lt_status st, uint64_t line, uint64_t off, const char *fmt, ...)
{
	lt_error e;
	lt_error_clear(&e);
	if (c->prov != NULL)
		lt_error_where(&e, c->prov->evidence, c->prov->member, line);
	else
		e.line = line;
	e.offset = off;
	e.status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	c->res->problems++;
	if (c->err != NULL && st > c->err->status)
		*c->err = e;
	c->status = lt_status_worst(c->status, st);
	c->res->status = lt_status_worst(c->res->status, st);
	if (c->sink->on_problem != NULL)
		c->sink->on_problem(c->sink->ctx, &e);
}

static void sink_status(dctx *c, lt_status st)
{
	if (st >= LT_EFILE) {
		c->stop = st;
	} else {
		c->status = lt_status_worst(c->status, st);
		c->res->status = lt_status_worst(c->res->status, st);
	}
}

static void maybe_flush(dctx *c)
{
	if (c->no_reset || c->stop != LT_OK || arena_used(c->a) < c->o.batch_bytes)
		return;
	if (c->sink->on_flush != NULL) {
		lt_status st = c->sink->on_flush(c->sink->ctx);
		if (st >= LT_EFILE) {
			c->stop = st;
			return;
		}
	}
	arena_reset(c->a);
}

/* ---- what the decoders in their own files use (decode_impl.h) ------------ */

const char *decode_impl_text(const dctx *c, size_t *len, uint64_t *base)
{
	*len = c->len;
	*base = c->base;
	return c->text;
}

arena *decode_impl_arena(const dctx *c)
{
	return c->a;
}

json_options decode_impl_json_options(const dctx *c, unsigned flags)
{
	json_options o = {flags, c->o.max_depth};
	return o;
}

size_t decode_impl_max_record(const dctx *c)
{
	return c->o.max_record;
}

bool decode_impl_stopped(const dctx *c)
{
	return c->stop != LT_OK;
}

void decode_impl_problem(dctx *c, lt_status st, uint64_t line, uint64_t off, const char *fmt, ...)
{
	char msg[sizeof ((lt_error *)0)->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	problem(c, st, line, off, "%s", msg);
}

void decode_impl_bad_record(dctx *c, uint64_t line, uint64_t off, const char *fmt, ...)
{
	char msg[sizeof ((lt_error *)0)->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->res->records++;
	problem(c, LT_EITEM, line, off, "%s", msg);
}

/* Tells the sink the text before pos is read (on_progress), once per
 * DECODE_PROGRESS_STEP bytes. */
static void progress(dctx *c, size_t pos)
{
	uint64_t at = c->base + pos;
	if (c->sink->on_progress == NULL || at < c->told)
		return;
	c->told = at + DECODE_PROGRESS_STEP;
	c->sink->on_progress(c->sink->ctx, at);
}

void decode_impl_maybe_flush(dctx *c)
{
	maybe_flush(c);
}

static bool has_replaced(const json_value *v, unsigned depth)
{
	if ((v->flags & JSON_F_REPLACED) != 0)
		return true;
	if (depth > JSON_DEFAULT_MAX_DEPTH)
		return false;
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->len; i++)
			if (has_replaced(&v->u.items[i], depth + 1))
				return true;
	} else if (v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->len; i++)
			if (has_replaced(&v->u.members[i].value, depth + 1))
				return true;
	}
	return false;
}

/* One record: classify, fill the header, deliver. replaced: the record holds repaired UTF-8. */
static void emit_record(dctx *c, const json_value *rec, ev_str raw, uint64_t line, uint64_t off,
			int64_t fallback_time, bool replaced)
{
	c->res->records++;
	if (rec->type != JSON_OBJECT) {
		problem(c, LT_EITEM, line, off, "record is a JSON %s, not an object",
			json_type_name(rec->type));
		return;
	}
	ev_source kind = bedrock_is_record(rec)	   ? EV_SRC_INVOCATION
			 : cloudtrail_is_record(rec) ? EV_SRC_CLOUDTRAIL
			 : kblog_is_record(rec)	   ? EV_SRC_KBLOG
						   : c->deflt;
	event ev;
	event_init(&ev);
	lt_error e;
	lt_error_clear(&e);
	if (kind == EV_SRC_CLOUDTRAIL) {
		if (cloudtrail_fill(&ev, rec, &e) != LT_OK) {
			problem(c, LT_EITEM, line, off, "%s", e.msg);
			return;
		}
	} else if (kind == EV_SRC_KBLOG) {
		if (kblog_fill(&ev, rec, &e) != LT_OK) {
			problem(c, LT_EITEM, line, off, "%s", e.msg);
			return;
		}
	} else if (kind == EV_SRC_INVOCATION) {
		bool usable = false;
		lt_status st = bedrock_fill(&ev, rec, fallback_time, c->a, &usable, &e);
		if (!usable) {
			problem(c, LT_EITEM, line, off, "%s", e.msg);
			return;
		}
		if (st != LT_OK)
			problem(c, LT_EITEM, line, off, "%s", e.msg);
	} else {
		problem(c, LT_EITEM, line, off,
			"record is neither a CloudTrail event, a model invocation log nor a knowledge base log");
		return;
	}
	ev.raw = raw;
	ev.doc = rec;
	ev.prov = c->prov;
	ev.line = line;
	ev.offset = off;
	if (replaced) {
		ev.flags |= EV_F_UTF8_REPLACED;
		problem(c, LT_EITEM, line, off, "invalid UTF-8 in the record was replaced by U+FFFD");
	}
	c->res->events++;
	sink_status(c, c->sink->on_event(c->sink->ctx, &ev));
}

static json_options parse_opts(const dctx *c, unsigned flags)
{
	json_options o = {flags, c->o.max_depth};
	return o;
}

/* A record held as JSON text in the string s (lookup events, CloudWatch Logs messages). */
void decode_impl_embedded(dctx *c, const json_value *s, uint64_t line, uint64_t off, int64_t fallback_us,
                          const char *what)
{
	json_value *rec = NULL;
	lt_error e;
	json_options o = parse_opts(c, 0);
	if (json_parse(c->a, s->u.s, s->len, &o, &rec, NULL, &e) != LT_OK) {
		c->res->records++;
		problem(c, LT_EITEM, line, off, "%s is not valid JSON: %s", what, e.msg);
		return;
	}
	bool replaced = (s->flags & JSON_F_REPLACED) != 0 || (rec->flags & JSON_F_REPLACED) != 0;
	emit_record(c, rec, ev_str_from(s->u.s, s->len), line, off, fallback_us, replaced);
}

/* v was parsed from c->text at rel (its spans are relative to rel). */
static void emit_value(dctx *c, const json_value *v, size_t rel, uint64_t line, int64_t fallback,
		       bool replaced)
{
	const json_value *s = v->type == JSON_OBJECT ? json_get(v, "CloudTrailEvent") : NULL;
	if (s != NULL && s->type == JSON_STRING && !cloudtrail_is_record(v)) {
		decode_impl_embedded(c, s, line, c->base + rel + s->start, -1, "CloudTrailEvent string");
		return;
	}
	ev_str raw = ev_str_from(c->text + rel + v->start, v->end - v->start);
	emit_record(c, v, raw, line, c->base + rel + v->start, fallback, replaced);
}

/* ---- text helpers ------------------------------------------------------- */

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void count_lines(const char *t, size_t *from, size_t to, uint64_t *line);

static size_t skip_ws(const char *t, size_t i, size_t n)
{
	while (i < n && is_ws(t[i]))
		i++;
	return i;
}

/* skip_ws over a run of blanks of any length, telling the sink how far it
 * got every DECODE_PROGRESS_STEP bytes; *counted and *line (when line is not
 * NULL) follow it, so no blank is read twice. */
static size_t skip_blanks(dctx *c, size_t i, size_t n, size_t *counted, uint64_t *line)
{
	for (;;) {
		size_t lim = n - i > DECODE_PROGRESS_STEP ? i + DECODE_PROGRESS_STEP : n;
		i = skip_ws(c->text, i, lim);
		if (i < lim || lim == n)
			return i;
		if (line != NULL)
			count_lines(c->text, counted, i, line);
		progress(c, i);
	}
}

static size_t bom_len(const char *t, size_t n)
{
	return n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Adds the newlines in t[*from..to) to *line and moves *from to to. */
static void count_lines(const char *t, size_t *from, size_t to, uint64_t *line)
{
	const char *p = t + *from, *end = t + to;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		(*line)++;
		p++;
	}
	*from = to;
}

static size_t line_end(const char *t, size_t pos, size_t n)
{
	const char *nl = memchr(t + pos, '\n', n - pos);
	return nl != NULL ? (size_t)(nl - t) : n;
}

static bool contains(const char *t, size_t n, const char *needle)
{
	return memmem(t, n, needle, strlen(needle)) != NULL;
}

/* "<ISO-8601> " at t[pos..end): the time and where the rest starts. */
static bool cloudwatch_prefix(const char *t, size_t pos, size_t end, int64_t *us, size_t *rest)
{
	size_t sp = pos;
	while (sp < end && t[sp] != ' ' && t[sp] != '\t')
		sp++;
	if (sp == end || sp - pos < 10 || ltime_parse(t + pos, sp - pos, us) != LT_OK)
		return false;
	*rest = skip_ws(t, sp, end);
	return true;
}

static size_t rtrim(const char *t, size_t pos, size_t end)
{
	while (end > pos && is_ws(t[end - 1]))
		end--;
	return end;
}

/* ---- line formats (chunkable) ------------------------------------------- */

static size_t last_newline(const char *t, size_t from, size_t n)
{
	for (size_t i = n; i > from; i--)
		if (t[i - 1] == '\n')
			return i - 1;
	return SIZE_MAX;
}

/* In skipping mode: drops bytes up to and including the next newline. */
static size_t resume_skip(dctx *c, decode_cursor *cur, size_t pos, uint64_t *line)
{
	if (!cur->skipping)
		return pos;
	size_t end = line_end(c->text, pos, c->len);
	if (end == c->len)
		return c->len;
	cur->skipping = false;
	(*line)++;
	return end + 1;
}

/* A record longer than max_record at pos: reports it; returns where to go on. */
static size_t too_long(dctx *c, decode_cursor *cur, size_t pos, uint64_t line, size_t end)
{
	c->res->records++;
	problem(c, LT_EITEM, line, c->base + pos, "record longer than %zu bytes: skipped",
		c->o.max_record);
	if (end == c->len) {
		cur->skipping = true;
		return c->len;
	}
	return end; /* the newline itself is counted by the caller */
}

typedef enum parsed { PARSED, PARSE_BAD, PARSE_LATER } parsed;

/*
 * One value at pos, whose line ends at end. The line alone is tried first
 * (JSON Lines: the common case, and a bad line never reads past its end).
 * Only a value still open at the end of its line is parsed across lines
 * (pretty-printed records), and only from past the point where the last such
 * attempt failed (cur->frontier): garbage of unclosed brackets then costs
 * linear time instead of one parse to the end of the member per line.
 */
static parsed parse_value(dctx *c, size_t pos, size_t end, bool final, decode_cursor *cur,
			  size_t last_nl, uint64_t line, json_value **v, size_t *used)
{
	const char *t = c->text;
	size_t n = c->len;
	json_options o = parse_opts(c, JSON_ALLOW_TRAILING);
	lt_error e;
	if (json_parse(c->a, t + pos, end - pos, &o, v, used, &e) == LT_OK)
		return PARSED;
	size_t at = pos + (e.offset < end - pos ? e.offset : end - pos);
	if (at < end || end == n || c->base + pos < cur->frontier) {
		c->res->records++;
		problem(c, LT_EITEM, line, c->base + at, "invalid JSON: %s", e.msg);
		return PARSE_BAD;
	}
	size_t region = n - pos < c->o.max_record ? n - pos : c->o.max_record;
	if (json_parse(c->a, t + pos, region, &o, v, used, &e) == LT_OK)
		return PARSED;
	at = pos + (e.offset < region ? e.offset : region);
	if (!final && (last_nl == SIZE_MAX || at >= last_nl))
		return PARSE_LATER; /* the record goes on in the next chunk */
	cur->frontier = c->base + at;
	c->res->records++;
	problem(c, LT_EITEM, line, c->base + at, "invalid JSON: %s%s", e.msg,
		region < n - pos && e.offset + 1 >= region ? " (or record too long)" : "");
	return PARSE_BAD;
}

/* JSON Lines and concatenated (pretty-printed) values. */
static void run_values(dctx *c, bool final, decode_cursor *cur, size_t *consumed)
{
	const char *t = c->text;
	size_t n = c->len, pos = cur->offset == 0 ? bom_len(t, n) : 0, counted = 0;
	uint64_t line = cur->line;
	size_t last_nl = final ? SIZE_MAX : last_newline(t, 0, n);
	pos = resume_skip(c, cur, pos, &line);
	counted = pos;
	while (c->stop == LT_OK) {
		pos = skip_blanks(c, pos, n, &counted, &line);
		if (pos >= n)
			break;
		count_lines(t, &counted, pos, &line);
		size_t end = line_end(t, pos, n);
		if (!final && end == n && n - pos <= c->o.max_record)
			break; /* the line goes on in the next chunk: its length is unknown */
		if (end - pos > c->o.max_record) {
			pos = too_long(c, cur, pos, line, end);
			continue;
		}
		json_value *v = NULL;
		size_t used = 0;
		parsed r = parse_value(c, pos, end, final, cur, last_nl, line, &v, &used);
		if (r == PARSE_LATER)
			break;
		if (r == PARSE_BAD) {
			pos = end; /* resynchronise on the next line */
			continue;
		}
		emit_value(c, v, pos, line, -1, (v->flags & JSON_F_REPLACED) != 0);
		pos += used;
		progress(c, pos);
		maybe_flush(c);
	}
	if (pos > n)
		pos = n;
	count_lines(t, &counted, pos, &line);
	*consumed = pos;
	cur->line = line;
	cur->offset += pos;
}

static void cloudwatch_line(dctx *c, size_t pos, size_t end, uint64_t line)
{
	const char *t = c->text;
	int64_t us = -1;
	size_t js = pos;
	if (!cloudwatch_prefix(t, pos, end, &us, &js) && t[pos] != '{') {
		c->res->records++;
		problem(c, LT_EITEM, line, c->base + pos,
			"line is not \"<timestamp> <JSON record>\" (CloudWatch Logs export)");
		return;
	}
	json_options o = parse_opts(c, 0);
	json_value *v = NULL;
	lt_error e;
	if (json_parse(c->a, t + js, end - js, &o, &v, NULL, &e) != LT_OK) {
		c->res->records++;
		problem(c, LT_EITEM, line, c->base + js + e.offset, "invalid JSON: %s", e.msg);
		return;
	}
	emit_value(c, v, js, line, us, (v->flags & JSON_F_REPLACED) != 0);
}

static void run_lines(dctx *c, bool final, decode_cursor *cur, size_t *consumed)
{
	const char *t = c->text;
	size_t n = c->len, pos = cur->offset == 0 ? bom_len(t, n) : 0;
	uint64_t line = cur->line;
	pos = resume_skip(c, cur, pos, &line);
	while (pos < n && c->stop == LT_OK) {
		size_t end = line_end(t, pos, n);
		if (end == n && !final && n - pos <= c->o.max_record)
			break;
		if (end - pos > c->o.max_record) {
			pos = too_long(c, cur, pos, line, end);
			if (pos < n) {
				pos++;
				line++;
			}
			continue;
		}
		size_t a = skip_ws(t, pos, end), b = rtrim(t, pos, end);
		if (a < b)
			cloudwatch_line(c, a, b, line);
		pos = end < n ? end + 1 : n;
		if (end < n)
			line++;
		progress(c, pos);
		maybe_flush(c);
	}
	*consumed = pos;
	cur->line = line;
	cur->offset += pos;
}

/* ---- array formats ------------------------------------------------------- */

#define FAIL SIZE_MAX

/* The end of the array element at pos, found lexically (strings, escapes and
 * bracket depth; nothing else checked), when it ends with ',' or ']' within
 * limit bytes: the position of that ',' or ']'. FAIL when it does not (the
 * text is cut short, or the brackets never close): no resynchronising then. */
static size_t element_end(const char *t, size_t pos, size_t limit)
{
	size_t depth = 0;
	bool in_str = false;
	for (size_t i = pos; i < limit; i++) {
		char ch = t[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return ch == ']' ? i : FAIL;
			depth--;
		} else if (ch == ',' && depth == 0) {
			return i;
		}
	}
	return FAIL;
}

/* Elements of an array whose '[' is just before pos; returns the position after ']'.
 * A damaged element (invalid JSON, too deep, a raw NUL) is a problem for that
 * record only when its end can be found (element_end); decoding goes on at the
 * next element. Otherwise the rest of the member is unreadable. */
static size_t stream_elements(dctx *c, size_t pos, uint64_t *ordinal)
{
	const char *t = c->text;
	size_t n = c->len;
	pos = skip_blanks(c, pos, n, NULL, NULL);
	if (pos < n && t[pos] == ']')
		return pos + 1;
	while (c->stop == LT_OK) {
		++*ordinal;
		size_t region = n - pos < c->o.max_record ? n - pos : c->o.max_record;
		json_options o = parse_opts(c, JSON_ALLOW_TRAILING);
		json_value *v = NULL;
		size_t used = 0;
		lt_error e;
		if (json_parse(c->a, t + pos, region, &o, &v, &used, &e) != LT_OK) {
			c->res->records++;
			size_t end = element_end(t, pos, pos + region);
			if (end != FAIL) {
				problem(c, LT_EITEM, *ordinal, c->base + pos + e.offset,
					"record %llu: invalid JSON: %s; skipped, the next records are decoded",
					(unsigned long long)*ordinal, e.msg);
				pos = end;
				if (t[pos] == ']')
					return pos + 1;
				pos = skip_blanks(c, pos + 1, n, NULL, NULL);
				continue;
			}
			problem(c, LT_EFILE, *ordinal, c->base + pos + e.offset,
				"record %llu: invalid JSON%s: %s; the rest of the member is unreadable",
				(unsigned long long)*ordinal,
				region < n - pos && e.offset + 1 >= region ? " (or record too long)" : "",
				e.msg);
			return FAIL;
		}
		emit_value(c, v, pos, *ordinal, -1, (v->flags & JSON_F_REPLACED) != 0);
		pos += used;
		progress(c, pos);
		maybe_flush(c);
		if (pos < n && t[pos] == ',') {
			pos = skip_blanks(c, pos + 1, n, NULL, NULL);
			continue;
		}
		if (pos < n && t[pos] == ']')
			return pos + 1;
		problem(c, LT_EFILE, *ordinal, c->base + pos, "%s after record %llu",
			pos < n ? "expected ',' or ']'" : "truncated: the array never ends",
			(unsigned long long)*ordinal);
		return FAIL;
	}
	return FAIL;
}

/* At pos, '{' ws "key" ws ':' ws '[': returns the position after '[', or FAIL. */
static size_t key_array_at(const char *t, size_t n, size_t pos, const char *key)
{
	size_t k = strlen(key);
	size_t i = skip_ws(t, pos + 1, n);
	if (i + k + 2 > n || t[i] != '"' || memcmp(t + i + 1, key, k) != 0 || t[i + 1 + k] != '"')
		return FAIL;
	i = skip_ws(t, i + k + 2, n);
	if (i >= n || t[i] != ':')
		return FAIL;
	i = skip_ws(t, i + 1, n);
	if (i >= n || t[i] != '[')
		return FAIL;
	return i + 1;
}

/* After the records array: the remaining members of the object and its '}'.
 * A second member with the same key is decoded too (json_get would see only
 * the last one, a log reader the first: evidence hidden either way). */
static size_t finish_object(dctx *c, size_t pos, const char *key, uint64_t *ordinal)
{
	const char *t = c->text;
	size_t n = c->len;
	json_options o = parse_opts(c, JSON_ALLOW_TRAILING);
	while (c->stop == LT_OK) {
		pos = skip_ws(t, pos, n);
		if (pos < n && t[pos] == '}')
			return pos + 1;
		if (pos >= n || t[pos] != ',')
			break;
		pos = skip_ws(t, pos + 1, n);
		json_value *v = NULL;
		size_t used = 0;
		lt_error e;
		if (json_parse(c->a, t + pos, n - pos, &o, &v, &used, &e) != LT_OK ||
		    v->type != JSON_STRING)
			break;
		bool again = v->len == strlen(key) && memcmp(v->u.s, key, v->len) == 0;
		size_t key_at = pos;
		pos += used;
		if (pos >= n || t[pos] != ':')
			break;
		pos = skip_ws(t, pos + 1, n);
		if (again && pos < n && t[pos] == '[') {
			problem(c, LT_EITEM, 0, c->base + key_at, "duplicate \"%s\" member: decoded too", key);
			pos = stream_elements(c, pos + 1, ordinal);
			if (pos == FAIL)
				return FAIL;
			continue;
		}
		if (json_parse(c->a, t + pos, n - pos, &o, &v, &used, &e) != LT_OK)
			break;
		pos += used;
	}
	if (c->stop != LT_OK)
		return FAIL;
	problem(c, LT_EFILE, 0, c->base + pos, "malformed JSON after the records array");
	return FAIL;
}

/* A document whose records array is not its first member: parse it whole. */
static size_t whole_document(dctx *c, size_t pos, const char *key, uint64_t *ordinal)
{
	json_options o = parse_opts(c, JSON_ALLOW_TRAILING);
	json_value *doc = NULL;
	size_t used = 0;
	lt_error e;
	if (json_parse(c->a, c->text + pos, c->len - pos, &o, &doc, &used, &e) != LT_OK) {
		problem(c, LT_EFILE, 0, c->base + pos + e.offset, "invalid JSON: %s", e.msg);
		return FAIL;
	}
	const json_value *arr = json_get(doc, key);
	if (arr == NULL || arr->type != JSON_ARRAY) {
		problem(c, LT_EFILE, 0, c->base + pos, "document has no \"%s\" array", key);
		return FAIL;
	}
	c->no_reset = true;
	bool replaced = (doc->flags & JSON_F_REPLACED) != 0;
	for (size_t i = 0; i < arr->len && c->stop == LT_OK; i++) {
		const json_value *v = &arr->u.items[i];
		emit_value(c, v, pos, ++*ordinal, -1, replaced && has_replaced(v, 0));
	}
	c->no_reset = false;
	return pos + used;
}

/* One or more {"<key>":[...]} documents, concatenated. */
static void decode_keyed(dctx *c, const decode_peek *pk, const char *key)
{
	const char *t = c->text;
	size_t n = c->len, pos = pk->start;
	uint64_t ordinal = 0;
	while (c->stop == LT_OK) {
		pos = skip_blanks(c, pos, n, NULL, NULL);
		if (pos >= n)
			break;
		if (t[pos] != '{') {
			problem(c, LT_EFILE, 0, c->base + pos, "unexpected data after the JSON document");
			break;
		}
		size_t arr = key_array_at(t, n, pos, key);
		if (arr != FAIL) {
			pos = stream_elements(c, arr, &ordinal);
			if (pos != FAIL)
				pos = finish_object(c, pos, key, &ordinal);
		} else {
			pos = whole_document(c, pos, key, &ordinal);
		}
		if (pos == FAIL)
			break;
	}
}

static void decode_records(dctx *c, const decode_peek *pk)
{
	decode_keyed(c, pk, "Records");
}

static void decode_lookup(dctx *c, const decode_peek *pk)
{
	decode_keyed(c, pk, "Events");
}

static void decode_array(dctx *c, const decode_peek *pk)
{
	const char *t = c->text;
	size_t n = c->len, pos = pk->start;
	uint64_t ordinal = 0;
	while (c->stop == LT_OK) {
		pos = skip_blanks(c, pos, n, NULL, NULL);
		if (pos >= n)
			break;
		if (t[pos] != '[') {
			problem(c, LT_EFILE, 0, c->base + pos, "unexpected data after the JSON array");
			break;
		}
		pos = stream_elements(c, pos + 1, &ordinal);
		if (pos == FAIL)
			break;
	}
}

static void decode_lines_member(dctx *c, const decode_peek *pk, bool cloudwatch)
{
	decode_cursor cur = {.line = 1};
	size_t used = 0;
	(void)pk;
	if (cloudwatch)
		run_lines(c, true, &cur, &used);
	else
		run_values(c, true, &cur, &used);
}

static void decode_jsonl(dctx *c, const decode_peek *pk)
{
	decode_lines_member(c, pk, false);
}

static void decode_cloudwatch(dctx *c, const decode_peek *pk)
{
	decode_lines_member(c, pk, true);
}

/* ---- single documents ---------------------------------------------------- */

static const json_value *whole_doc(dctx *c, const decode_peek *pk)
{
	if (pk->first != NULL && pk->whole)
		return pk->first;
	json_options o = parse_opts(c, 0);
	json_value *doc = NULL;
	lt_error e;
	if (json_parse(c->a, c->text + pk->start, c->len - pk->start, &o, &doc, NULL, &e) != LT_OK) {
		problem(c, LT_EFILE, 0, c->base + pk->start + e.offset, "not valid JSON: %s", e.msg);
		return NULL;
	}
	return doc;
}

static void decode_digest(dctx *c, const decode_peek *pk)
{
	const json_value *doc = whole_doc(c, pk);
	if (doc == NULL)
		return;
	c->res->records++;
	digestfile df;
	lt_error e;
	lt_error_clear(&e);
	if (digestfile_parse(doc, c->a, &df, &e) != LT_OK)
		problem(c, LT_EITEM, 0, c->base + pk->start, "%s", e.msg);
	if (c->sink->on_digest != NULL)
		sink_status(c, c->sink->on_digest(c->sink->ctx, doc));
}

/* A document no format took, that holds what looks like records: said, not silent. */
static void report_lookalike(dctx *c, const json_value *doc, uint64_t off)
{
	char where[256];
	const char *kind = lookalike_find(doc, where, sizeof where);
	if (kind != NULL)
		problem(c, LT_EFILE, 0, off,
			"JSON in a shape llmtrail does not know holds what look like %s (first at %s): "
			"not decoded; see docs/formats.md for the accepted shapes",
			kind, where);
}

static void decode_object(dctx *c, const decode_peek *pk)
{
	const json_value *doc = whole_doc(c, pk);
	if (doc != NULL)
		report_lookalike(c, doc, c->base + pk->start);
	if (doc != NULL && c->sink->on_object != NULL)
		sink_status(c, c->sink->on_object(c->sink->ctx, doc));
}

static void decode_nothing(dctx *c, const decode_peek *pk)
{
	if (pk->utf16 && json_looks_utf16(pk->text, pk->len))
		problem(c, LT_EFILE, 0, 0,
			"UTF-16 text is not supported: convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)");
	else if (pk->utf16)
		problem(c, LT_EFILE, 0, 0, "NUL byte at offset %zu: not UTF-8 JSON text", strnlen(pk->text, pk->len));
	else if (pk->first != NULL)
		report_lookalike(c, pk->first, c->base + pk->start);
}

/* ---- sniffing ------------------------------------------------------------ */

static bool key_is(const decode_peek *pk, const char *k)
{
	return strcmp(pk->first_key, k) == 0;
}

static bool object_with_array(const json_value *v, const char *key)
{
	const json_value *a = v != NULL && v->type == JSON_OBJECT ? json_get(v, key) : NULL;
	return a != NULL && a->type == JSON_ARRAY;
}

static bool is_lookup_event(const json_value *v)
{
	const json_value *s = v != NULL && v->type == JSON_OBJECT ? json_get(v, "CloudTrailEvent") : NULL;
	return s != NULL && s->type == JSON_STRING;
}

static const json_value *single(const decode_peek *pk)
{
	return pk->in_array || pk->cloudwatch ? NULL : pk->first;
}

static int bid_records(const decode_peek *pk)
{
	if (key_is(pk, "Records"))
		return 100;
	return object_with_array(single(pk), "Records") ? 90 : 0;
}

static int bid_lookup(const decode_peek *pk)
{
	if (key_is(pk, "Events"))
		return 100;
	const json_value *v = single(pk);
	if (!object_with_array(v, "Events"))
		return 0;
	const json_value *ev = json_get(v, "Events");
	return ev->len == 0 || is_lookup_event(&ev->u.items[0]) ? 90 : 0;
}

static int bid_digest(const decode_peek *pk)
{
	return digestfile_is_digest(single(pk)) ? 100 : 0;
}

static int bid_array(const decode_peek *pk)
{
	if (pk->empty_array)
		return 50;
	if (!pk->in_array || pk->first == NULL)
		return 0;
	return cloudtrail_is_record(pk->first) || bedrock_is_record(pk->first) ||
			       kblog_is_record(pk->first) || is_lookup_event(pk->first)
		       ? 90
		       : 0;
}

static bool looks_like(const decode_peek *pk, const char *const *needles, size_t k)
{
	size_t n = pk->len - pk->start < PEEK_SCAN ? pk->len - pk->start : PEEK_SCAN;
	for (size_t i = 0; i < k; i++)
		if (contains(pk->text + pk->start, n, needles[i]))
			return true;
	return false;
}

/* A line format: its record on the first line (or value), else, when no
 * value parsed, both hints in the first bytes (a file with a bad first line). */
static int bid_lines_of(const decode_peek *pk, bool (*is_record)(const json_value *), const char *hint1,
			const char *hint2)
{
	const char *const hints[] = {hint1, hint2};
	const json_value *v = single(pk);
	if (v != NULL)
		return is_record(v) ? 80 : 0;
	return pk->first_char == '{' && pk->first == NULL && looks_like(pk, hints, 2) ? 20 : 0;
}

static bool ct_or_lookup(const json_value *v)
{
	return cloudtrail_is_record(v) || is_lookup_event(v);
}

static int bid_ct_lines(const decode_peek *pk)
{
	return bid_lines_of(pk, ct_or_lookup, "\"eventVersion\"", "\"eventSource\"");
}

static int bid_inv_lines(const decode_peek *pk)
{
	return bid_lines_of(pk, bedrock_is_record, "\"schemaType\"", "\"ModelInvocationLog\"");
}

static int bid_kb_lines(const decode_peek *pk)
{
	return bid_lines_of(pk, kblog_is_record, "\"event_timestamp\"", "\"knowledge_base_arn\"");
}

static int bid_cloudwatch(const decode_peek *pk)
{
	return pk->cloudwatch ? 100 : 0;
}

static int bid_object(const decode_peek *pk)
{
	/* A first value followed by more (JSON Lines of records we do not know,
	 * e.g. a tool's own output beside the export) is not a body object. */
	if (pk->first != NULL && !pk->whole && !pk->in_array)
		return 0;
	return pk->first_char == '{' || pk->first_char == '[' ? 10 : 0;
}

static int bid_nothing(const decode_peek *pk)
{
	(void)pk;
	return 1;
}

static const decode_format fmt_records = {"cloudtrail", bid_records, decode_records, false,
					  EV_SRC_CLOUDTRAIL};
static const decode_format fmt_ct_lines = {"cloudtrail-jsonl", bid_ct_lines, decode_jsonl, true,
					   EV_SRC_CLOUDTRAIL};
static const decode_format fmt_array = {"cloudtrail-array", bid_array, decode_array, false,
					EV_SRC_CLOUDTRAIL};
static const decode_format fmt_lookup = {"cloudtrail-lookup", bid_lookup, decode_lookup, false,
					 EV_SRC_CLOUDTRAIL};
static const decode_format fmt_digest = {"cloudtrail-digest", bid_digest, decode_digest, false,
					 EV_SRC_UNKNOWN};
static const decode_format fmt_inv_lines = {"invocation-jsonl", bid_inv_lines, decode_jsonl, true,
					    EV_SRC_INVOCATION};
static const decode_format fmt_cloudwatch = {"invocation-cloudwatch", bid_cloudwatch,
					     decode_cloudwatch, true, EV_SRC_INVOCATION};
static const decode_format fmt_kb_lines = {"kb-log-jsonl", bid_kb_lines, decode_jsonl, true,
					   EV_SRC_KBLOG};
static const decode_format fmt_cw_events = {"cloudwatch-events", cwlogs_bid_events, cwlogs_decode_events,
					    false, EV_SRC_UNKNOWN};
static const decode_format fmt_cw_subscription = {"cloudwatch-subscription", cwlogs_bid_subscription,
						  cwlogs_decode_subscription, false, EV_SRC_UNKNOWN};
static const decode_format fmt_object = {"json-object", bid_object, decode_object, false,
					 EV_SRC_UNKNOWN};
static const decode_format fmt_nothing = {"not-evidence", bid_nothing, decode_nothing, false,
					  EV_SRC_UNKNOWN};

static const decode_format *const formats[] = {
	&fmt_records, &fmt_ct_lines, &fmt_array, &fmt_lookup, &fmt_digest,
	&fmt_inv_lines, &fmt_cloudwatch, &fmt_kb_lines, &fmt_cw_events, &fmt_cw_subscription,
	&fmt_object, &fmt_nothing,
};

const decode_format *const *decode_formats(size_t *n)
{
	if (n != NULL)
		*n = sizeof formats / sizeof formats[0];
	return formats;
}

const char *decode_format_name(const decode_format *f)
{
	return f != NULL ? f->name : NULL;
}

const decode_format *decode_format_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

bool decode_format_chunkable(const decode_format *f)
{
	return f != NULL && f->chunkable;
}

static void peek_first_key(decode_peek *pk)
{
	const char *t = pk->text;
	size_t i = skip_ws(t, pk->start + 1, pk->len), k = 0;
	if (i >= pk->len || t[i] != '"')
		return;
	for (i++; i < pk->len && t[i] != '"' && t[i] != '\\'; i++) {
		if (k + 1 >= sizeof pk->first_key) {
			k = 0;
			break;
		}
		pk->first_key[k++] = t[i];
	}
	if (i >= pk->len || t[i] != '"')
		k = 0;
	pk->first_key[k] = '\0';
}

static bool try_parse(const decode_peek *pk, arena *a, unsigned depth, size_t from, size_t to,
		      unsigned flags, json_value **v, size_t *used)
{
	json_options o = {flags, depth};
	lt_error e;
	return json_parse(a, pk->text + from, to - from, &o, v, used, &e) == LT_OK;
}

static void peek_object(decode_peek *pk, arena *a, unsigned depth)
{
	peek_first_key(pk);
	if (key_is(pk, "Records") || key_is(pk, "Events") || key_is(pk, "events"))
		return; /* a whole log file or CloudWatch page: do not parse it twice */
	const char *t = pk->text;
	size_t n = pk->len, end = line_end(t, pk->start, n), used = 0;
	json_value *v = NULL;
	if (try_parse(pk, a, depth, pk->start, end, 0, &v, NULL)) {
		pk->first = v;
		pk->whole = skip_ws(t, end, n) >= n;
		return;
	}
	if (try_parse(pk, a, depth, pk->start, n, JSON_ALLOW_TRAILING, &v, &used)) {
		pk->first = v;
		pk->whole = pk->start + used >= n;
		return;
	}
	size_t pos = end;
	for (int i = 0; i < PEEK_LINES && pos < n; i++) {
		size_t from = skip_ws(t, pos, n);
		end = line_end(t, from, n);
		if (from < end && try_parse(pk, a, depth, from, rtrim(t, from, end), 0, &v, NULL)) {
			pk->first = v;
			return;
		}
		pos = end;
	}
}

static void peek_array(decode_peek *pk, arena *a, unsigned depth)
{
	size_t i = skip_ws(pk->text, pk->start + 1, pk->len), used = 0;
	json_value *v = NULL;
	pk->in_array = true;
	if (i < pk->len && pk->text[i] == ']') {
		pk->empty_array = true;
		return;
	}
	if (try_parse(pk, a, depth, i, pk->len, JSON_ALLOW_TRAILING, &v, &used))
		pk->first = v;
}

static void peek_cloudwatch(decode_peek *pk, arena *a, unsigned depth)
{
	size_t end = line_end(pk->text, pk->start, pk->len), js = 0;
	int64_t us;
	json_value *v = NULL;
	if (!cloudwatch_prefix(pk->text, pk->start, end, &us, &js) || js >= end || pk->text[js] != '{')
		return;
	pk->cloudwatch = true;
	if (try_parse(pk, a, depth, js, rtrim(pk->text, js, end), 0, &v, NULL))
		pk->first = v;
}

static bool utf16_text(const char *t, size_t n)
{
	if (n < 2)
		return false;
	unsigned char b0 = (unsigned char)t[0], b1 = (unsigned char)t[1];
	return (b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF) ||
	       ((b0 == '{' || b0 == '[') && b1 == 0) || (b0 == 0 && (b1 == '{' || b1 == '['));
}

/* start: the first byte after the BOM and blanks (skip_ws or skip_blanks). */
static void peek(decode_peek *pk, const char *text, size_t len, size_t start, arena *a, unsigned depth)
{
	memset(pk, 0, sizeof *pk);
	pk->text = text;
	pk->len = len;
	pk->utf16 = utf16_text(text, len);
	pk->start = start;
	if (pk->utf16 || pk->start >= len)
		return;
	pk->first_char = text[pk->start];
	if (pk->first_char == '{')
		peek_object(pk, a, depth);
	else if (pk->first_char == '[')
		peek_array(pk, a, depth);
	else if (pk->first_char >= '0' && pk->first_char <= '9')
		peek_cloudwatch(pk, a, depth);
}

static const decode_format *best(const decode_peek *pk)
{
	const decode_format *win = &fmt_nothing;
	int top = 0;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		int b = formats[i]->bid(pk);
		if (b > top) {
			top = b;
			win = formats[i];
		}
	}
	return win;
}

const decode_format *decode_sniff(const char *text, size_t len, arena *a)
{
	decode_peek pk;
	peek(&pk, text, len, skip_ws(text, bom_len(text, len), len), a, 0);
	return best(&pk);
}

/* ---- entry points --------------------------------------------------------- */

static void ctx_init(dctx *c, const char *text, size_t len, const ev_provenance *prov, arena *a,
		     const decode_sink *sink, const decode_options *opts, decode_result *res,
		     lt_error *err)
{
	memset(c, 0, sizeof *c);
	c->text = text;
	c->len = len;
	c->prov = prov;
	c->a = a;
	c->sink = sink;
	if (opts != NULL)
		c->o = *opts;
	if (c->o.max_record == 0)
		c->o.max_record = DECODE_MAX_RECORD;
	if (c->o.batch_bytes == 0)
		c->o.batch_bytes = DECODE_BATCH_BYTES;
	c->res = res;
	c->err = err;
}

static lt_status ctx_finish(dctx *c, uint64_t line)
{
	if (c->stop != LT_OK) {
		if (c->err != NULL && c->prov != NULL)
			lt_error_where(c->err, c->prov->evidence, c->prov->member, line);
		return lt_error_set(c->err, c->stop, "decoding stopped by the event consumer");
	}
	return c->status;
}

lt_status decode_member_ex(const char *text, size_t len, const ev_provenance *prov, arena *a,
                           const decode_sink *sink, const decode_options *opts,
                           decode_result *res, lt_error *err)
{
	memset(res, 0, sizeof *res);
	lt_error_clear(err);
	if (sink == NULL || sink->on_event == NULL || a == NULL || (text == NULL && len > 0))
		return lt_error_set(err, LT_EFATAL, "decode_member: no sink, arena or text");
	dctx c;
	ctx_init(&c, text, len, prov, a, sink, opts, res, err);
	decode_peek pk;
	peek(&pk, text, len, skip_blanks(&c, bom_len(text, len), len, NULL, NULL), a, c.o.max_depth);
	const decode_format *f = best(&pk);
	res->format = f->name;
	c.deflt = f->deflt;
	f->decode(&c, &pk);
	return ctx_finish(&c, res->records);
}

lt_status decode_member(const char *text, size_t len, const ev_provenance *prov, arena *a,
                        const decode_sink *sink, decode_result *res, lt_error *err)
{
	return decode_member_ex(text, len, prov, a, sink, NULL, res, err);
}

lt_status decode_chunk(const decode_format *fmt, const char *text, size_t len, bool final,
                       decode_cursor *cur, size_t *consumed, const ev_provenance *prov, arena *a,
                       const decode_sink *sink, const decode_options *opts, decode_result *res,
                       lt_error *err)
{
	*consumed = 0;
	lt_error_clear(err);
	if (sink == NULL || sink->on_event == NULL || a == NULL || (text == NULL && len > 0))
		return lt_error_set(err, LT_EFATAL, "decode_chunk: no sink, arena or text");
	if (!decode_format_chunkable(fmt))
		return lt_error_set(err, LT_EFILE, "format %s cannot be decoded in chunks",
				    fmt != NULL ? fmt->name : "(none)");
	if (res->format == NULL)
		res->format = fmt->name;
	dctx c;
	ctx_init(&c, text, len, prov, a, sink, opts, res, err);
	c.base = cur->offset;
	c.deflt = fmt->deflt;
	if (fmt->decode == decode_cloudwatch)
		run_lines(&c, final, cur, consumed);
	else
		run_values(&c, final, cur, consumed);
	return ctx_finish(&c, cur->line);
}
