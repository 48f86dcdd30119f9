/*
 * cwlogs.c — CloudWatch Logs JSON as the CLI prints it and as subscriptions
 * deliver it through Firehose (see cwlogs.h for the shapes).
 *
 * Both shapes wrap log events whose "message" is the record itself, so both
 * end in one function (log_event) that hands the message to the shared
 * classifier with the event's timestamp as the fallback time.
 *
 * Memory: a filter-log-events page can be hundreds of MB, so its "events"
 * array is read element by element (each at most max_record bytes) and the
 * arena is flushed between elements; the members after the array
 * (nextToken, searchedLogStreams) are stepped over value by value. A page
 * whose first key is not "events" (re-sorted by a tool) is parsed whole,
 * within the arena's cap. A subscription object is at most max_record bytes
 * (CloudWatch sends about 1 MB); a damaged one is reported and reading
 * resumes at the next "messageType" object.
 * Shapes: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
 */
#include "config.h"

#include "ingest/cwlogs.h"

#include <stdio.h>
#include <string.h>

#define PEEK_HINTS ((size_t)64 << 10)
#define NAME_SHOWN 80
#define FAIL SIZE_MAX

typedef struct walker {
	dctx *c;
	const char *t;
	size_t n;
	uint64_t base;
	uint64_t ordinal; /* log events seen in the member */
} walker;

static walker walker_of(dctx *c)
{
	walker w = {c, NULL, 0, 0, 0};
	w.t = decode_impl_text(c, &w.n, &w.base);
	return w;
}

static size_t skip_ws(const walker *w, size_t i)
{
	while (i < w->n && (w->t[i] == ' ' || w->t[i] == '\t' || w->t[i] == '\n' || w->t[i] == '\r'))
		i++;
	return i;
}

/* One JSON value at pos (trailing data allowed), at most max_record bytes. */
static bool parse_at(walker *w, size_t pos, json_value **v, size_t *used, lt_error *e)
{
	size_t cap = decode_impl_max_record(w->c);
	size_t region = w->n - pos < cap ? w->n - pos : cap;
	json_options o = decode_impl_json_options(w->c, JSON_ALLOW_TRAILING);
	return json_parse(decode_impl_arena(w->c), w->t + pos, region, &o, v, used, e) == LT_OK;
}

/* A log stream name or event id fit for a message: printable ASCII, cut short. */
static void shown(const json_value *v, char *out, size_t cap)
{
	size_t k = 0;
	if (v == NULL || v->type != JSON_STRING) {
		snprintf(out, cap, "-");
		return;
	}
	for (size_t i = 0; i < v->len && k + 4 < cap && i < NAME_SHOWN; i++) {
		unsigned char ch = (unsigned char)v->u.s[i];
		out[k++] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? (char)ch : '?';
	}
	if (v->len > NAME_SHOWN && k + 4 < cap) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

static int64_t fallback_time(const json_value *e)
{
	int64_t ms;
	const json_value *ts = json_get(e, "timestamp");
	if (ts == NULL || ts->type != JSON_NUMBER || json_to_int64(ts, &ms) != LT_OK || ms < 0 ||
	    ms > 253402300799999LL)
		return -1;
	return ms * 1000;
}

/* One log event e, parsed at text position rel; stream: the default log stream. */
static void log_event(walker *w, const json_value *e, size_t rel, const json_value *stream)
{
	uint64_t line = ++w->ordinal;
	if (e->type != JSON_OBJECT) {
		decode_impl_bad_record(w->c, line, w->base + rel + e->start, "log event %llu is a JSON %s, not an object",
				       (unsigned long long)line, json_type_name(e->type));
		return;
	}
	const json_value *s = json_get(e, "logStreamName");
	const json_value *id = json_get(e, "eventId");
	char sname[NAME_SHOWN + 8], iname[NAME_SHOWN + 8], what[2 * NAME_SHOWN + 80];
	shown(s != NULL ? s : stream, sname, sizeof sname);
	shown(id != NULL ? id : json_get(e, "id"), iname, sizeof iname);
	snprintf(what, sizeof what, "log event %llu (stream %s, id %s) message", (unsigned long long)line, sname,
		 iname);
	const json_value *msg = json_get(e, "message");
	if (msg == NULL || msg->type != JSON_STRING) {
		decode_impl_bad_record(w->c, line, w->base + rel + e->start, "%s is missing or not a string", what);
		return;
	}
	decode_impl_embedded(w->c, msg, line, w->base + rel + msg->start, fallback_time(e), what);
}

/* ---- filter-log-events / get-log-events --------------------------------- */

static bool has(const char *t, size_t n, const char *needle)
{
	return memmem(t, n, needle, strlen(needle)) != NULL;
}

int cwlogs_bid_events(const decode_peek *pk)
{
	if (pk->in_array || (strcmp(pk->first_key, "events") != 0 && pk->first == NULL))
		return 0;
	size_t n = pk->len - pk->start < PEEK_HINTS ? pk->len - pk->start : PEEK_HINTS;
	const char *t = pk->text + pk->start;
	if (pk->first != NULL && pk->first->type == JSON_OBJECT) {
		const json_value *ev = json_get(pk->first, "events");
		if (ev == NULL || ev->type != JSON_ARRAY)
			return 0;
		if (ev->len == 0)
			return json_get(pk->first, "nextForwardToken") != NULL ||
					       json_get(pk->first, "searchedLogStreams") != NULL
				       ? 95
				       : 0;
		const json_value *e0 = &ev->u.items[0];
		return e0->type == JSON_OBJECT && json_get(e0, "message") != NULL &&
				       json_get(e0, "timestamp") != NULL
			       ? 95
			       : 0;
	}
	if (has(t, n, "\"message\"") && has(t, n, "\"timestamp\"") &&
	    (has(t, n, "\"ingestionTime\"") || has(t, n, "\"logStreamName\"")))
		return 95;
	/* an empty page: only the paging tokens say what it is */
	return has(t, n, "\"nextForwardToken\"") || has(t, n, "\"searchedLogStreams\"") ? 95 : 0;
}

/* The '[' of the "events" array when the object at pos starts with that key, else FAIL. */
static size_t events_array_at(const walker *w, size_t pos)
{
	static const char key[] = "\"events\"";
	size_t i = skip_ws(w, pos + 1);
	if (w->n - i < sizeof key - 1 || memcmp(w->t + i, key, sizeof key - 1) != 0)
		return FAIL;
	i = skip_ws(w, i + sizeof key - 1);
	if (i >= w->n || w->t[i] != ':')
		return FAIL;
	i = skip_ws(w, i + 1);
	return i < w->n && w->t[i] == '[' ? i : FAIL;
}

/* Elements of the array whose '[' is at pos; returns the position after ']', or FAIL. */
static size_t stream_events(walker *w, size_t pos)
{
	pos = skip_ws(w, pos + 1);
	if (pos < w->n && w->t[pos] == ']')
		return pos + 1;
	while (!decode_impl_stopped(w->c)) {
		json_value *v = NULL;
		size_t used = 0;
		lt_error e;
		if (!parse_at(w, pos, &v, &used, &e)) {
			decode_impl_problem(w->c, LT_EFILE, w->ordinal + 1, w->base + pos + e.offset,
					    "log event %llu: invalid JSON, the rest of the page is lost: %s",
					    (unsigned long long)w->ordinal + 1, e.msg);
			return FAIL;
		}
		log_event(w, v, pos, NULL);
		decode_impl_maybe_flush(w->c);
		pos = skip_ws(w, pos + used);
		if (pos < w->n && w->t[pos] == ']')
			return pos + 1;
		if (pos >= w->n || w->t[pos] != ',') {
			decode_impl_problem(w->c, LT_EFILE, w->ordinal, w->base + pos,
					    "\"events\" array is cut short or damaged after log event %llu",
					    (unsigned long long)w->ordinal);
			return FAIL;
		}
		pos = skip_ws(w, pos + 1);
	}
	return FAIL;
}

/* After the "events" array: steps over `, "key": value` pairs to the closing '}'. */
static size_t finish_page(walker *w, size_t pos)
{
	for (;;) {
		pos = skip_ws(w, pos);
		if (pos < w->n && w->t[pos] == '}')
			return pos + 1;
		json_value *v = NULL;
		size_t used = 0;
		lt_error e;
		bool ok = pos < w->n && w->t[pos] == ',';
		if (ok) {
			pos = skip_ws(w, pos + 1);
			ok = parse_at(w, pos, &v, &used, &e) && v->type == JSON_STRING;
		}
		if (ok) {
			pos = skip_ws(w, pos + used);
			ok = pos < w->n && w->t[pos] == ':';
		}
		if (ok)
			ok = parse_at(w, skip_ws(w, pos + 1), &v, &used, &e);
		if (!ok) {
			decode_impl_problem(w->c, LT_EFILE, 0, w->base + pos,
					    "damaged JSON after the \"events\" array (its log events were read)");
			return FAIL;
		}
		pos = skip_ws(w, pos + 1) + used;
	}
}

static size_t whole_page(walker *w, size_t pos)
{
	json_value *doc = NULL;
	size_t used = 0;
	lt_error e;
	json_options o = decode_impl_json_options(w->c, JSON_ALLOW_TRAILING);
	if (json_parse(decode_impl_arena(w->c), w->t + pos, w->n - pos, &o, &doc, &used, &e) != LT_OK) {
		decode_impl_problem(w->c, LT_EFILE, 0, w->base + pos + e.offset, "invalid JSON: %s", e.msg);
		return FAIL;
	}
	const json_value *ev = json_get(doc, "events");
	if (ev == NULL || ev->type != JSON_ARRAY) {
		decode_impl_problem(w->c, LT_EFILE, 0, w->base + pos, "document has no \"events\" array");
		return FAIL;
	}
	for (size_t i = 0; i < ev->len && !decode_impl_stopped(w->c); i++)
		log_event(w, &ev->u.items[i], pos, NULL);
	return pos + used;
}

/* Moves *pos to the next value; false at the end of the text or when told to stop. */
static bool next_value(const walker *w, size_t *pos)
{
	*pos = skip_ws(w, *pos);
	return *pos < w->n && !decode_impl_stopped(w->c);
}

void cwlogs_decode_events(dctx *c, const decode_peek *pk)
{
	walker w = walker_of(c);
	size_t pos = pk->start;
	while (next_value(&w, &pos)) {
		if (w.t[pos] != '{') {
			decode_impl_problem(c, LT_EFILE, 0, w.base + pos, "unexpected data after the JSON document");
			break;
		}
		size_t arr = events_array_at(&w, pos);
		if (arr != FAIL) {
			pos = stream_events(&w, arr);
			if (pos != FAIL)
				pos = finish_page(&w, pos);
		} else {
			pos = whole_page(&w, pos);
		}
		if (pos == FAIL)
			break;
	}
}

/* ---- subscription deliveries (Firehose to S3) ----------------------------- */

static bool subscription_message(const json_value *v)
{
	const json_value *mt = v != NULL && v->type == JSON_OBJECT ? json_get(v, "messageType") : NULL;
	return mt != NULL && mt->type == JSON_STRING &&
	       (json_str_eq(mt, "DATA_MESSAGE") || json_str_eq(mt, "CONTROL_MESSAGE"));
}

int cwlogs_bid_subscription(const decode_peek *pk)
{
	if (pk->in_array)
		return 0;
	if (pk->first != NULL)
		return subscription_message(pk->first) ? 100 : 0;
	size_t n = pk->len - pk->start < PEEK_HINTS ? pk->len - pk->start : PEEK_HINTS;
	return strcmp(pk->first_key, "messageType") == 0 && has(pk->text + pk->start, n, "\"logEvents\"") ? 90 : 0;
}

/* Where the next subscription object starts after a damaged one, or FAIL. */
static size_t resync(const walker *w, size_t from)
{
	static const char key[] = "\"messageType\"";
	while (from < w->n) {
		const char *k = memmem(w->t + from, w->n - from, key, sizeof key - 1);
		if (k == NULL)
			return FAIL;
		size_t i = (size_t)(k - w->t);
		while (i > from && (w->t[i - 1] == ' ' || w->t[i - 1] == '\n' || w->t[i - 1] == '\r' ||
				    w->t[i - 1] == '\t'))
			i--;
		if (i > from && w->t[i - 1] == '{')
			return i - 1;
		from = (size_t)(k - w->t) + sizeof key - 1;
	}
	return FAIL;
}

static void subscription_object(walker *w, const json_value *v, size_t pos)
{
	if (json_str_eq(json_get(v, "messageType"), "CONTROL_MESSAGE")) {
		decode_impl_problem(w->c, LT_OK, w->ordinal, w->base + pos,
				    "CloudWatch Logs CONTROL_MESSAGE (a subscription check, no log events) skipped");
		return;
	}
	const json_value *evs = json_get(v, "logEvents");
	if (!subscription_message(v) || evs == NULL || evs->type != JSON_ARRAY) {
		decode_impl_bad_record(w->c, w->ordinal + 1, w->base + pos,
				       "object is not a CloudWatch Logs subscription DATA_MESSAGE with logEvents");
		return;
	}
	const json_value *stream = json_get(v, "logStream");
	for (size_t i = 0; i < evs->len && !decode_impl_stopped(w->c); i++)
		log_event(w, &evs->u.items[i], pos, stream);
}

void cwlogs_decode_subscription(dctx *c, const decode_peek *pk)
{
	walker w = walker_of(c);
	size_t pos = pk->start;
	while (next_value(&w, &pos)) {
		json_value *v = NULL;
		size_t used = 0;
		lt_error e;
		if (w.t[pos] != '{' || !parse_at(&w, pos, &v, &used, &e)) {
			uint64_t at = w.t[pos] != '{' ? pos : pos + e.offset;
			size_t next = resync(&w, pos + 1);
			decode_impl_bad_record(c, w.ordinal + 1, w.base + at,
					       "damaged subscription message (%s): its log events are lost%s",
					       w.t[pos] != '{' ? "not a JSON object" : e.msg,
					       next != FAIL ? ", reading resumes at the next one" : "");
			if (next == FAIL)
				break;
			pos = next;
			continue;
		}
		subscription_object(&w, v, pos);
		decode_impl_maybe_flush(c);
		pos += used;
	}
}
