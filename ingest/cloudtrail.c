/*
 * cloudtrail.c — one CloudTrail record to event header fields.
 *
 * In: a parsed record (any key order; the last duplicate key wins, as
 * json_get resolves). Out: slices into that record. The only checks are the
 * ones the rest of the pipeline relies on: a timestamp that parses (replay is
 * in time order) and a non-empty eventID (events are de-duplicated by
 * (source, uid)). Everything else is optional and absent when missing or not
 * a string, because real records omit fields freely (AWSService callers have
 * no arn, console sign-ins no requestID, errors no responseElements).
 * Field list: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */
#include "ingest/cloudtrail.h"

#include <stddef.h>

#include "common/ltime.h"
#include "ingest/bedrock.h"

bool cloudtrail_is_record(const json_value *rec)
{
	if (rec == NULL || rec->type != JSON_OBJECT)
		return false;
	if (json_get(rec, "schemaType") != NULL)
		return false;
	return json_get(rec, "eventVersion") != NULL || json_get(rec, "eventSource") != NULL ||
	       json_get(rec, "eventID") != NULL;
}

static ev_str str_at(const json_value *v, const char *path)
{
	if (v == NULL)
		return EV_STR_NULL;
	ev_str s = ev_str_json(json_get_path(v, path));
	return s.n > 0 ? s : EV_STR_NULL;
}

static ev_str principal_of(const json_value *rec)
{
	const json_value *uid = json_get(rec, "userIdentity");
	ev_str s = str_at(uid, "arn");
	if (s.n == 0)
		s = str_at(uid, "sessionContext.sessionIssuer.arn");
	if (s.n == 0 && json_str_eq(json_get(uid, "type"), "AWSService"))
		s = str_at(uid, "invokedBy");
	return s;
}

static ev_str model_of(const json_value *rec)
{
	static const char *const keys[] = {"modelId", "modelIdentifier", "modelArn",
					   "baseModelIdentifier"};
	const json_value *rp = json_get(rec, "requestParameters");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		ev_str s = str_at(rp, keys[i]);
		if (s.n > 0)
			return s;
	}
	return EV_STR_NULL;
}

/* A Bedrock API key call: additionalEventData.callWithBearerToken true (or "true"). */
static bool bearer_token(const json_value *aed)
{
	const json_value *v = aed != NULL && aed->type == JSON_OBJECT ? json_get(aed, "callWithBearerToken") : NULL;
	return v != NULL && (v->type == JSON_TRUE || json_str_eq(v, "true"));
}

lt_status cloudtrail_fill(event *ev, const json_value *rec, lt_error *err)
{
	if (rec == NULL || rec->type != JSON_OBJECT)
		return lt_error_set(err, LT_EITEM, "CloudTrail record is not a JSON object");
	ev->source = EV_SRC_CLOUDTRAIL;

	ev_str t = str_at(rec, "eventTime");
	const json_value *tv = json_get(rec, "eventTime");
	if (tv != NULL && tv->type != JSON_STRING)
		return lt_error_set(err, LT_EITEM, "CloudTrail record: eventTime is not a string (JSON %s)",
		                    json_type_name(tv->type));
	if (t.n == 0)
		return lt_error_set(err, LT_EITEM, "CloudTrail record has no eventTime");
	if (ltime_parse(t.p, t.n, &ev->time_us) != LT_OK)
		return lt_error_set(err, LT_EITEM, "CloudTrail record: eventTime is not a valid timestamp");
	ev->uid = str_at(rec, "eventID");
	if (ev->uid.n == 0)
		return lt_error_set(err, LT_EITEM, "CloudTrail record has no eventID");

	ev->request_id = str_at(rec, "requestID");
	ev->action = str_at(rec, "eventName");
	ev->service = str_at(rec, "eventSource");
	ev->principal = principal_of(rec);
	ev->access_key = str_at(rec, "userIdentity.accessKeyId");
	ev->account = str_at(rec, "recipientAccountId");
	if (ev->account.n == 0)
		ev->account = str_at(rec, "userIdentity.accountId");
	ev->region = str_at(rec, "awsRegion");
	ev->source_ip = str_at(rec, "sourceIPAddress");
	ev->user_agent = str_at(rec, "userAgent");
	ev->model = bedrock_model_key(model_of(rec));
	ev->error_code = str_at(rec, "errorCode");
	if (bearer_token(json_get(rec, "additionalEventData")))
		ev->flags |= EV_F_BEARER_TOKEN;
	const json_value *res = json_get(rec, "resources");
	if (res == NULL || res->type == JSON_NULL || (res->type == JSON_ARRAY && res->len == 0))
		ev->flags |= EV_F_NO_RESOURCES;
	return LT_OK;
}
