/*
 * digestfile.c — validate a CloudTrail digest document into a struct.
 *
 * In: the parsed digest JSON. Out: typed fields, hex decoded. Each check
 * names the field it rejects (with the logFiles index), so a broken digest
 * in the integrity report says exactly what is wrong. Optional fields may be
 * absent or JSON null; required ones must be the right JSON type. The
 * previousDigest* group is all-or-nothing: a first digest has them all null,
 * every later digest needs object, hash and signature.
 * Format: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
 */
#include "ingest/digestfile.h"

#include <stdio.h>
#include <string.h>

#include "common/ltime.h"

typedef struct ctx {
	arena *a;
	lt_error *err;
	char where[64]; /* "logFiles[3]." prefix while inside an entry */
} ctx;

static lt_status bad(ctx *c, const char *field, const char *what)
{
	return lt_error_set(c->err, LT_EITEM, "digest field %s%s: %s", c->where, field, what);
}

static bool absent(const json_value *v)
{
	return v == NULL || v->type == JSON_NULL;
}

static lt_status req_str(ctx *c, const json_value *o, const char *field, ev_str *out)
{
	const json_value *v = json_get(o, field);
	if (absent(v))
		return bad(c, field, "missing");
	if (v->type != JSON_STRING || v->len == 0)
		return bad(c, field, "expected a non-empty string");
	*out = ev_str_json(v);
	return LT_OK;
}

static lt_status opt_str(ctx *c, const json_value *o, const char *field, ev_str *out)
{
	const json_value *v = json_get(o, field);
	*out = EV_STR_NULL;
	if (absent(v))
		return LT_OK;
	if (v->type != JSON_STRING)
		return bad(c, field, "expected a string");
	*out = ev_str_json(v);
	return LT_OK;
}

static lt_status time_field(ctx *c, const json_value *o, const char *field, bool required,
			    ev_str *text, int64_t *us)
{
	ev_str s;
	*us = -1;
	lt_status st = required ? req_str(c, o, field, &s) : opt_str(c, o, field, &s);
	if (st != LT_OK)
		return st;
	if (text != NULL)
		*text = s;
	if (s.n == 0)
		return LT_OK;
	if (ltime_parse(s.p, s.n, us) != LT_OK)
		return bad(c, field, "not a valid timestamp");
	return LT_OK;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes s (even-length hex) into out[0..s.n/2). */
static bool unhex(ev_str s, uint8_t *out)
{
	if (s.n % 2 != 0)
		return false;
	for (size_t i = 0; i < s.n; i += 2) {
		int hi = hexval(s.p[i]), lo = hexval(s.p[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static lt_status sha256_field(ctx *c, const json_value *o, const char *field, ev_str *text,
			      uint8_t out[DIGEST_SHA256_LEN])
{
	lt_status st = req_str(c, o, field, text);
	if (st != LT_OK)
		return st;
	if (text->n != 2 * DIGEST_SHA256_LEN || !unhex(*text, out))
		return bad(c, field, "expected 64 hex digits");
	return LT_OK;
}

static lt_status algorithm_field(ctx *c, const json_value *o, const char *field, ev_str *out)
{
	lt_status st = opt_str(c, o, field, out);
	if (st == LT_OK && out->n > 0 && !ev_str_eq(*out, "SHA-256"))
		return bad(c, field, "unsupported hash algorithm (expected SHA-256)");
	return st;
}

static lt_status parse_logfile(ctx *c, const json_value *o, digest_logfile *lf)
{
	if (o->type != JSON_OBJECT)
		return bad(c, "", "expected an object");
	lt_status st;
	if ((st = req_str(c, o, "s3Bucket", &lf->s3_bucket)) != LT_OK ||
	    (st = req_str(c, o, "s3Object", &lf->s3_object)) != LT_OK ||
	    (st = sha256_field(c, o, "hashValue", &lf->hash_value, lf->hash)) != LT_OK ||
	    (st = algorithm_field(c, o, "hashAlgorithm", &lf->hash_algorithm)) != LT_OK ||
	    (st = time_field(c, o, "oldestEventTime", false, NULL, &lf->oldest_event_us)) != LT_OK ||
	    (st = time_field(c, o, "newestEventTime", false, NULL, &lf->newest_event_us)) != LT_OK)
		return st;
	return LT_OK;
}

static lt_status parse_logfiles(ctx *c, const json_value *doc, digestfile *out)
{
	const json_value *lfs = json_get(doc, "logFiles");
	if (absent(lfs))
		return bad(c, "logFiles", "missing");
	if (lfs->type != JSON_ARRAY)
		return bad(c, "logFiles", "expected an array");
	if (lfs->len > DIGEST_MAX_LOGFILES)
		return bad(c, "logFiles", "too many entries");
	out->n_log_files = lfs->len;
	if (lfs->len == 0)
		return LT_OK;
	out->log_files = arena_calloc(c->a, lfs->len * sizeof *out->log_files);
	if (out->log_files == NULL)
		return lt_error_set(c->err, LT_EITEM, "digest: out of memory for logFiles");
	for (size_t i = 0; i < lfs->len; i++) {
		snprintf(c->where, sizeof c->where, "logFiles[%zu].", i);
		lt_status st = parse_logfile(c, &lfs->u.items[i], &out->log_files[i]);
		if (st != LT_OK)
			return st;
	}
	c->where[0] = '\0';
	return LT_OK;
}

static lt_status parse_previous(ctx *c, const json_value *doc, digestfile *out)
{
	static const char *const group[] = {"previousDigestS3Bucket", "previousDigestS3Object",
					    "previousDigestHashValue", "previousDigestHashAlgorithm",
					    "previousDigestSignature"};
	out->has_previous = false;
	for (size_t i = 0; i < sizeof group / sizeof group[0]; i++)
		if (!absent(json_get(doc, group[i])))
			out->has_previous = true;
	if (!out->has_previous)
		return LT_OK;
	lt_status st;
	if ((st = opt_str(c, doc, "previousDigestS3Bucket", &out->previous_s3_bucket)) != LT_OK ||
	    (st = req_str(c, doc, "previousDigestS3Object", &out->previous_s3_object)) != LT_OK ||
	    (st = sha256_field(c, doc, "previousDigestHashValue", &out->previous_hash_value,
			       out->previous_hash)) != LT_OK ||
	    (st = algorithm_field(c, doc, "previousDigestHashAlgorithm",
				  &out->previous_hash_algorithm)) != LT_OK ||
	    (st = req_str(c, doc, "previousDigestSignature", &out->previous_signature)) != LT_OK)
		return st;
	ev_str sig = out->previous_signature;
	if (sig.n / 2 > DIGEST_MAX_SIG)
		return bad(c, "previousDigestSignature", "too long");
	out->previous_sig = arena_alloc(c->a, sig.n / 2 + 1);
	if (out->previous_sig == NULL)
		return lt_error_set(c->err, LT_EITEM, "digest: out of memory");
	if (!unhex(sig, out->previous_sig))
		return bad(c, "previousDigestSignature", "expected hex digits");
	out->previous_sig_len = sig.n / 2;
	return LT_OK;
}

bool digestfile_is_digest(const json_value *doc)
{
	return doc != NULL && doc->type == JSON_OBJECT && json_get(doc, "digestStartTime") != NULL &&
	       json_get(doc, "digestEndTime") != NULL && json_get(doc, "logFiles") != NULL;
}

lt_status digestfile_parse(const json_value *doc, arena *a, digestfile *out, lt_error *err)
{
	ctx c = {a, err, ""};
	memset(out, 0, sizeof *out);
	out->start_us = out->end_us = out->oldest_event_us = out->newest_event_us = -1;
	if (doc == NULL || doc->type != JSON_OBJECT)
		return lt_error_set(err, LT_EITEM, "digest is not a JSON object");
	lt_status st;
	if ((st = opt_str(&c, doc, "awsAccountId", &out->aws_account_id)) != LT_OK ||
	    (st = time_field(&c, doc, "digestStartTime", true, &out->start_time, &out->start_us)) != LT_OK ||
	    (st = time_field(&c, doc, "digestEndTime", true, &out->end_time, &out->end_us)) != LT_OK)
		return st;
	if (out->end_us < out->start_us)
		return bad(&c, "digestEndTime", "earlier than digestStartTime");
	if ((st = req_str(&c, doc, "digestS3Bucket", &out->s3_bucket)) != LT_OK ||
	    (st = req_str(&c, doc, "digestS3Object", &out->s3_object)) != LT_OK ||
	    (st = req_str(&c, doc, "digestPublicKeyFingerprint", &out->public_key_fingerprint)) != LT_OK ||
	    (st = req_str(&c, doc, "digestSignatureAlgorithm", &out->signature_algorithm)) != LT_OK ||
	    (st = time_field(&c, doc, "oldestEventTime", false, NULL, &out->oldest_event_us)) != LT_OK ||
	    (st = time_field(&c, doc, "newestEventTime", false, NULL, &out->newest_event_us)) != LT_OK)
		return st;
	uint8_t fp[DIGEST_MAX_SIG];
	if (out->public_key_fingerprint.n > 2 * sizeof fp ||
	    !unhex(out->public_key_fingerprint, fp))
		return bad(&c, "digestPublicKeyFingerprint", "expected hex digits");
	if ((st = parse_previous(&c, doc, out)) != LT_OK)
		return st;
	return parse_logfiles(&c, doc, out);
}
