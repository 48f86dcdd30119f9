/*
 * test_digestfile.c — CloudTrail digest documents -> struct (digestfile.h):
 * a chained digest, the first digest of a trail (previous* null, no log
 * files), and validation errors that name the field.
 */
#include "tests/unit/decode_fixture.h"

#include "common/arena.h"
#include "ingest/digestfile.h"
#include "ingest/json.h"

static const json_value *parse(arena *a, const char *text, size_t len)
{
	json_value *v = NULL;
	lt_error err;
	if (json_parse(a, text, len, NULL, &v, NULL, &err) != LT_OK)
		fail_msg("does not parse: %s", err.msg);
	return v;
}

static void digestfile__chained_digest__all_fields(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("digest.json", &len);
	arena *a = arena_new(0, 0);
	const json_value *doc = parse(a, text, len);
	assert_true(digestfile_is_digest(doc));
	digestfile d;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(digestfile_parse(doc, a, &d, &err), LT_OK);
	CHECK_STR(d.aws_account_id, "111122223333");
	CHECK_STR(d.start_time, "2024-05-01T12:00:00Z");
	CHECK_STR(d.end_time, "2024-05-01T13:00:00Z");
	assert_int_equal(d.start_us, 1714564800000000LL);
	assert_int_equal(d.end_us, 1714568400000000LL);
	CHECK_STR(d.s3_bucket, "aws-cloudtrail-logs-111122223333-3f8a");
	CHECK_STR(d.s3_object, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/"
			       "111122223333_CloudTrail-Digest_us-east-1_management-trail_us-east-1_20240501T130000Z.json.gz");
	CHECK_STR(d.public_key_fingerprint, "4ff1bd0b8a8e3f2ac8c7d1fb13a1a6f0");
	CHECK_STR(d.signature_algorithm, "SHA256withRSA");
	assert_int_equal(d.oldest_event_us, 1714564801000000LL);
	assert_int_equal(d.newest_event_us, 1714564808000000LL);
	assert_true(d.has_previous);
	CHECK_STR(d.previous_s3_bucket, "aws-cloudtrail-logs-111122223333-3f8a");
	assert_true(d.previous_s3_object.n > 0);
	CHECK_STR(d.previous_hash_value, "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d");
	CHECK_STR(d.previous_hash_algorithm, "SHA-256");
	assert_int_equal(d.previous_hash[0], 0x97);
	assert_int_equal(d.previous_hash[31], 0x2d);
	assert_int_equal(d.previous_sig_len, d.previous_signature.n / 2);
	assert_int_equal(d.previous_sig[0], 0x50);
	assert_int_equal(d.n_log_files, 2);
	const digest_logfile *lf = &d.log_files[1];
	CHECK_STR(lf->s3_bucket, "aws-cloudtrail-logs-111122223333-3f8a");
	CHECK_STR(lf->s3_object, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/"
				 "111122223333_CloudTrail_us-east-1_20240501T1210Z_Qw3rTy5Ui8OpAsDf.json.gz");
	CHECK_STR(lf->hash_value, "0d3e8a3e0b7c5d2f1a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f");
	CHECK_STR(lf->hash_algorithm, "SHA-256");
	assert_int_equal(lf->hash[0], 0x0d);
	assert_int_equal(lf->hash[31], 0x7f);
	assert_int_equal(lf->oldest_event_us, 1714564800000000LL + 5 * 60 * 1000000LL);
	assert_int_equal(lf->newest_event_us, 1714564800000000LL + (9 * 60 + 59) * 1000000LL);
	assert_int_equal(d.log_files[0].hash[0], 0x9b);
	arena_free(a);
	free(text);
}

static void digestfile__first_digest__no_previous_no_files(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("digest_first.json", &len);
	arena *a = arena_new(0, 0);
	digestfile d;
	lt_error err;
	assert_int_equal(digestfile_parse(parse(a, text, len), a, &d, &err), LT_OK);
	assert_false(d.has_previous);
	CHECK_STR(d.previous_signature, NULL);
	assert_null(d.previous_sig);
	assert_int_equal(d.n_log_files, 0);
	assert_int_equal(d.oldest_event_us, -1);
	assert_int_equal(d.newest_event_us, -1);
	arena_free(a);
	free(text);
}

/* The fixture digest with one substring replaced. */
static lt_status parse_edited(const char *from, const char *to, lt_error *err)
{
	size_t len;
	char *text = fixture("digest.json", &len);
	const char *hit = strstr(text, from);
	if (hit == NULL)
		fail_msg("fixture lacks %s", from);
	size_t pre = (size_t)(hit - text), fl = strlen(from), tl = strlen(to);
	char *edited = malloc(len - fl + tl + 1);
	memcpy(edited, text, pre);
	memcpy(edited + pre, to, tl);
	memcpy(edited + pre + tl, hit + fl, len - pre - fl + 1);
	arena *a = arena_new(0, 0);
	digestfile d;
	lt_error_clear(err);
	lt_status st = digestfile_parse(parse(a, edited, len - fl + tl), a, &d, err);
	arena_free(a);
	free(edited);
	free(text);
	return st;
}

static void digestfile__invalid_fields__error_names_field(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{"\"digestEndTime\":\"2024-05-01T13:00:00Z\"", "\"digestEndTime\":\"soon\"", "digestEndTime"},
		{"\"digestEndTime\":\"2024-05-01T13:00:00Z\"", "\"digestEndTime\":\"2024-05-01T11:00:00Z\"", "digestEndTime"},
		{"\"digestS3Bucket\":\"aws-cloudtrail-logs-111122223333-3f8a\"", "\"digestS3Bucket\":null", "digestS3Bucket"},
		{"\"hashValue\":\"0d3e8a3e", "\"hashValue\":\"zz3e8a3e", "logFiles[1].hashValue"},
		{"\"s3Object\":\"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1205Z_9nYN7gp2eWAJHIfT.json.gz\"",
		 "\"s3Object\":17", "logFiles[0].s3Object"},
		{"\"hashAlgorithm\":\"SHA-256\",\"newestEventTime\":\"2024-05-01T12:09:59Z\"",
		 "\"hashAlgorithm\":\"MD5\",\"newestEventTime\":\"2024-05-01T12:09:59Z\"", "logFiles[1].hashAlgorithm"},
		{"\"previousDigestSignature\":\"50887c", "\"previousDigestSignature\":\"5X887c", "previousDigestSignature"},
		{"\"previousDigestHashValue\":\"97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d\"",
		 "\"previousDigestHashValue\":null", "previousDigestHashValue"},
		{"\"logFiles\":[", "\"logFiles\":{\"x\":1},\"old\":[", "logFiles"},
		{"\"digestPublicKeyFingerprint\":\"4ff1", "\"digestPublicKeyFingerprint\":\"gff1", "digestPublicKeyFingerprint"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lt_error err;
		if (parse_edited(cases[i][0], cases[i][1], &err) != LT_EITEM)
			fail_msg("case %zu (%s) was accepted", i, cases[i][2]);
		char want[128];
		snprintf(want, sizeof want, "digest field %s:", cases[i][2]);
		if (strstr(err.msg, want) == NULL)
			fail_msg("case %zu: message \"%s\" does not name %s", i, err.msg, cases[i][2]);
	}
}

static void digestfile__not_an_object__item_error(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	digestfile d;
	lt_error err;
	assert_int_equal(digestfile_parse(parse(a, "[1]", 3), a, &d, &err), LT_EITEM);
	assert_int_equal(digestfile_parse(NULL, a, &d, &err), LT_EITEM);
	assert_false(digestfile_is_digest(parse(a, "{\"digestStartTime\":1}", 21)));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digestfile__chained_digest__all_fields),
		cmocka_unit_test(digestfile__first_digest__no_previous_no_files),
		cmocka_unit_test(digestfile__invalid_fields__error_names_field),
		cmocka_unit_test(digestfile__not_an_object__item_error),
	};
	return cmocka_run_group_tests_name("digestfile", tests, NULL, NULL);
}
