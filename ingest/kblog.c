/*
 * kblog.c — one Knowledge Base application log record to event header fields.
 *
 * In: a parsed record (see kblog.h for the shape). Out: slices into it. The
 * record names neither a caller nor an id, so the event is keyed by time, the
 * knowledge base (kept in the model slot, where the timeline and the metrics
 * show "what was used") and the ingestion job (request_id). Everything the
 * rules need beyond that (document URI, status, reasons, chunk statistics)
 * stays in the document and is read by path, as Sigma fields.
 * The timestamp must be an integer of milliseconds between 1970 and 9999: a
 * string such as "2024-06-18T02:22:22Z" is accepted too (ltime_parse), as
 * some re-exports rewrite it.
 */
#include "ingest/kblog.h"

#include <string.h>

#include "common/ltime.h"

#define MAX_EPOCH_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static const json_value *obj_get(const json_value *o, const char *key)
{
	return o != NULL && o->type == JSON_OBJECT ? json_get(o, key) : NULL;
}

bool kblog_is_record(const json_value *rec)
{
	const json_value *ev = obj_get(rec, "event");
	if (ev == NULL || ev->type != JSON_OBJECT || obj_get(rec, "event_timestamp") == NULL)
		return false;
	return obj_get(rec, "event_type") != NULL || obj_get(rec, "event_version") != NULL;
}

static ev_str str_of(const json_value *v)
{
	ev_str s = ev_str_json(v);
	return s.n > 0 ? s : EV_STR_NULL;
}

static bool digits_only(const char *p, size_t n)
{
	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static int64_t digits_value(const char *p, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

static bool time_of(const json_value *v, int64_t *us)
{
	int64_t ms;
	if (v->type == JSON_NUMBER) {
		if (json_to_int64(v, &ms) != LT_OK)
			return false;
	} else if (v->type == JSON_STRING && digits_only(v->u.s, v->len)) {
		ms = digits_value(v->u.s, v->len);
	} else if (v->type == JSON_STRING) {
		return ltime_parse(v->u.s, v->len, us) == LT_OK;
	} else {
		return false;
	}
	if (ms < 0 || ms > MAX_EPOCH_MS)
		return false;
	*us = ms * 1000;
	return true;
}

/* Field k (0-based, ':'-separated) of an ARN. */
static ev_str arn_field(ev_str arn, int k)
{
	size_t i = 0;
	for (int f = 0; f < k; f++) {
		const char *c = arn.n > i ? memchr(arn.p + i, ':', arn.n - i) : NULL;
		if (c == NULL)
			return EV_STR_NULL;
		i = (size_t)(c - arn.p) + 1;
	}
	const char *end = arn.n > i ? memchr(arn.p + i, ':', arn.n - i) : NULL;
	size_t n = end != NULL ? (size_t)(end - arn.p) - i : 0;
	return n > 0 ? ev_str_from(arn.p + i, n) : EV_STR_NULL;
}

static bool ends_with(ev_str s, const char *suffix)
{
	size_t n = strlen(suffix);
	return s.n >= n && memcmp(s.p + s.n - n, suffix, n) == 0;
}

static ev_str failure_of(const json_value *rec, const json_value *e)
{
	ev_str st = str_of(obj_get(e, "status"));
	if (ends_with(st, "FAILED"))
		return st;
	ev_str job = str_of(obj_get(e, "ingestion_job_status"));
	if (ends_with(job, "FAILED"))
		return job;
	if (json_str_eq(obj_get(rec, "level"), "ERROR"))
		return ev_str_from("ERROR", 5);
	return EV_STR_NULL;
}

lt_status kblog_fill(event *ev, const json_value *rec, lt_error *err)
{
	if (rec == NULL || rec->type != JSON_OBJECT)
		return lt_error_set(err, LT_EITEM, "knowledge base log record is not a JSON object");
	ev->source = EV_SRC_KBLOG;
	const json_value *t = obj_get(rec, "event_timestamp");
	if (t == NULL)
		return lt_error_set(err, LT_EITEM, "knowledge base log record has no event_timestamp");
	if (!time_of(t, &ev->time_us))
		return lt_error_set(err, LT_EITEM,
				    "knowledge base log record: event_timestamp is not epoch milliseconds");
	const json_value *e = obj_get(rec, "event");
	ev->action = str_of(obj_get(rec, "event_type"));
	ev->service = ev_str_from("bedrock-kb", 10);
	ev->model = str_of(obj_get(e, "knowledge_base_arn"));
	ev->region = arn_field(ev->model, 3);
	ev->account = arn_field(ev->model, 4);
	ev->request_id = str_of(obj_get(e, "ingestion_job_id"));
	ev->error_code = failure_of(rec, e);
	return LT_OK;
}
