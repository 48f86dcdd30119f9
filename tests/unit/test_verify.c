/*
 * test_verify.c — CloudTrail digest verification (analyzers/audit/verify.c).
 *
 * Each test builds a small export in the real formats in a temp dir: four
 * gzip'd CloudTrail log files over three hours and three hourly digests,
 * signed with an RSA key generated here, chained as CloudTrail chains them
 * (previousDigestHashValue over the decompressed previous digest,
 * previousDigestSignature = its signature). A tampering is applied while
 * writing the files, the export is indexed into a case, and verify_case must
 * report exactly that tampering; the untouched export must verify.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "analyzers/audit/verify.h"
#include "common/buf.h"
#include "ingest/sha256.h"
#include "model/report.h"
#include "store/case.h"
#include "store/indexer.h"

#define ACCT "111122223333"
#define BUCKET "audit-bucket"
#define FP "00112233445566778899aabbccddeeff"

enum {
	T_NONE = 0,
	T_ALTER_LOG = 1,
	T_DELETE_LOG = 2,
	T_DELETE_DIGEST = 4,
	T_SWAP_SIG = 8,
	T_UNLISTED = 16,
	T_MOVED = 32,
	T_WRONG_KEY = 64,
	T_ALTER_DIGEST = 128,
	T_GARBLED_DIGEST = 256
};

typedef struct fixture {
	EVP_PKEY *key, *other;
	char dir[256];
} fixture;

static fixture fx;

static char *b64_der(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int n = i2d_PublicKey(k, &der);
	assert_true(n > 0);
	char *out = malloc((size_t)n * 2 + 8);
	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	return out;
}

static void sign_hex(EVP_PKEY *k, const char *msg, char *hex, size_t hexn)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t sl = sizeof sig;
	assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(c, sig, &sl, (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(c);
	assert_true(sl * 2 < hexn);
	for (size_t i = 0; i < sl; i++)
		snprintf(hex + 2 * i, 3, "%02x", sig[i]);
}

static void mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	}
}

static void write_gz(const char *root, const char *key, const char *text)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", root, key);
	mkdirs(path);
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(g), Z_OK);
}

static void hex_sha(const char *text, char out[65])
{
	assert_int_equal(sha256_hex(text, strlen(text), out), LT_OK);
}

typedef struct logfile {
	char key[256];
	char text[512];
} logfile;

static void make_log(logfile *l, int hour, int minute, const char *id)
{
	snprintf(l->key, sizeof l->key,
	         "AWSLogs/" ACCT "/CloudTrail/us-east-1/2026/01/01/" ACCT "_CloudTrail_us-east-1_20260101T%02d%02dZ_%s.json.gz",
	         hour, minute, id);
	snprintf(l->text, sizeof l->text,
	         "{\"Records\":[{\"eventVersion\":\"1.09\",\"eventTime\":\"2026-01-01T%02d:%02d:00Z\","
	         "\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"GetCallerIdentity\",\"awsRegion\":\"us-east-1\","
	         "\"eventID\":\"ev-%s\",\"requestID\":\"rq-%s\",\"recipientAccountId\":\"" ACCT "\","
	         "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::" ACCT ":user/u\"}}]}",
	         hour, minute, id, id);
}

static void digest_key(char *out, size_t n, int hour)
{
	snprintf(out, n,
	         "AWSLogs/" ACCT "/CloudTrail-Digest/us-east-1/2026/01/01/" ACCT
	         "_CloudTrail-Digest_us-east-1_trail_us-east-1_20260101T%02d0005Z.json.gz",
	         hour + 1);
}

typedef struct digest {
	char key[256];
	char text[4096];
	char sig[1100];
} digest;

/* Digest for [hour, hour+1) listing logs[0..n); prev NULL for the first. */
static void make_digest(digest *d, int hour, const logfile *logs, size_t n, const digest *prev,
                        const char *prev_sig_override)
{
	digest_key(d->key, sizeof d->key, hour);
	char files[2048] = "";
	for (size_t i = 0; i < n; i++) {
		char h[65];
		hex_sha(logs[i].text, h);
		size_t l = strlen(files);
		snprintf(files + l, sizeof files - l,
		         "%s{\"s3Bucket\":\"" BUCKET "\",\"s3Object\":\"%s\",\"hashValue\":\"%s\",\"hashAlgorithm\":\"SHA-256\","
		         "\"oldestEventTime\":\"2026-01-01T%02d:00:00Z\",\"newestEventTime\":\"2026-01-01T%02d:59:00Z\"}",
		         i ? "," : "", logs[i].key, h, hour, hour);
	}
	char prevpart[1600];
	const char *psig = prev ? (prev_sig_override ? prev_sig_override : prev->sig) : NULL;
	if (prev) {
		char ph[65];
		hex_sha(prev->text, ph);
		snprintf(prevpart, sizeof prevpart,
		         "\"previousDigestS3Bucket\":\"" BUCKET "\",\"previousDigestS3Object\":\"%s\","
		         "\"previousDigestHashValue\":\"%s\",\"previousDigestHashAlgorithm\":\"SHA-256\","
		         "\"previousDigestSignature\":\"%s\"",
		         prev->key, ph, psig);
	} else
		snprintf(prevpart, sizeof prevpart,
		         "\"previousDigestS3Bucket\":null,\"previousDigestS3Object\":null,\"previousDigestHashValue\":null,"
		         "\"previousDigestHashAlgorithm\":null,\"previousDigestSignature\":null");
	char end[32];
	snprintf(end, sizeof end, "2026-01-01T%02d:00:05Z", hour + 1);
	snprintf(d->text, sizeof d->text,
	         "{\"awsAccountId\":\"" ACCT "\",\"digestStartTime\":\"2026-01-01T%02d:00:05Z\",\"digestEndTime\":\"%s\","
	         "\"digestS3Bucket\":\"" BUCKET "\",\"digestS3Object\":\"%s\",\"digestPublicKeyFingerprint\":\"" FP "\","
	         "\"digestSignatureAlgorithm\":\"SHA256withRSA\",%s,\"logFiles\":[%s]}",
	         hour, end, d->key, prevpart, files);
	char self[65];
	hex_sha(d->text, self);
	char msg[4096];
	snprintf(msg, sizeof msg, "%s\n" BUCKET "/%s\n%s\n%s", end, d->key, self, psig ? psig : "null");
	sign_hex(fx.key, msg, d->sig, sizeof d->sig);
}

typedef struct built {
	case_db *c;
	verify_keys *keys;
	verify_result *v;
	char casepath[300];
} built;

static void build(built *b, unsigned t)
{
	memset(b, 0, sizeof b[0]);
	char root[512];
	snprintf(root, sizeof root, "%s/ev%u", fx.dir, t);
	logfile logs[5];
	make_log(&logs[0], 0, 5, "a");
	make_log(&logs[1], 0, 35, "b");
	make_log(&logs[2], 1, 5, "c");
	make_log(&logs[3], 2, 5, "d");
	make_log(&logs[4], 0, 45, "x");
	digest d[3];
	make_digest(&d[0], 0, logs, 2, NULL, NULL);
	make_digest(&d[1], 1, logs + 2, 1, &d[0], NULL);
	make_digest(&d[2], 2, logs + 3, 1, &d[1], (t & T_SWAP_SIG) ? d[0].sig : NULL);
	for (int i = 0; i < 4; i++) {
		if (i == 1 && (t & T_DELETE_LOG))
			continue;
		if (i == 2 && (t & T_ALTER_LOG)) {
			char altered[512];
			snprintf(altered, sizeof altered, "%s", logs[2].text);
			altered[strlen(altered) - 20] = 'X';
			write_gz(root, logs[2].key, altered);
			continue;
		}
		write_gz(root, logs[i].key, logs[i].text);
	}
	if (t & T_UNLISTED)
		write_gz(root, logs[4].key, logs[4].text);
	for (int i = 0; i < 3; i++) {
		if (i == 1 && (t & T_DELETE_DIGEST))
			continue;
		if (i == 1 && (t & T_MOVED)) {
			char moved[300];
			snprintf(moved, sizeof moved, "elsewhere/%s", strrchr(d[1].key, '/') + 1);
			write_gz(root, moved, d[1].text);
			continue;
		}
		if (i == 1 && (t & T_GARBLED_DIGEST)) {
			write_gz(root, d[1].key, "{\"digestStartTime\": trunc");
			continue;
		}
		if (i == 0 && (t & T_ALTER_DIGEST)) {
			char *p = strstr(d[0].text, "\"awsAccountId\":\"" ACCT);
			assert_non_null(p);
			p[17] = '9'; /* the account id changes; the JSON stays valid */
		}
		write_gz(root, d[i].key, d[i].text);
	}
	snprintf(b->casepath, sizeof b->casepath, "%s/case%u.db", fx.dir, t);
	const char *paths[1] = {root};
	indexer_options o;
	indexer_options_init(&o);
	o.jobs = 1;
	indexer_stats st;
	lt_error err;
	assert_int_equal(indexer_run(b->casepath, paths, 1, &o, &st, &err), LT_OK);
	assert_int_equal(case_open(b->casepath, CASE_READONLY, &b->c, &err), LT_OK);

	b->keys = verify_keys_new();
	assert_non_null(b->keys);
	char *pub = b64_der((t & T_WRONG_KEY) ? fx.other : fx.key);
	char json[4096];
	snprintf(json, sizeof json,
	         "{\"PublicKeyList\":[{\"Value\":\"%s\",\"ValidityStartTime\":\"2025-01-01T00:00:00Z\","
	         "\"ValidityEndTime\":\"2027-01-01T00:00:00Z\",\"Fingerprint\":\"" FP "\"}]}",
	         pub);
	free(pub);
	assert_int_equal(verify_keys_load_text(b->keys, json, strlen(json), "keys.json", &err), LT_OK);
	char sigs[1400];
	snprintf(sigs, sizeof sigs, "{\"digestS3Object\":\"%s\",\"signature\":\"%s\"}\n", d[2].key, d[2].sig);
	assert_int_equal(verify_keys_load_text(b->keys, sigs, strlen(sigs), "sigs.jsonl", &err), LT_OK);
	assert_int_equal(verify_keys_count(b->keys), 1);
	assert_int_equal(verify_keys_signatures(b->keys), 1);
	assert_int_equal(verify_case(b->c, b->keys, &b->v, &err), LT_OK);
}

static void unbuild(built *b)
{
	verify_result_free(b->v);
	verify_keys_free(b->keys);
	case_close(b->c);
}

static size_t count(const verify_result *v, verify_problem p, rpt_check status, const char *check)
{
	size_t n = 0;
	for (size_t i = 0; i < verify_nrows(v); i++) {
		const verify_row *r = verify_row_at(v, i);
		if ((p == VERIFY_P_COUNT || r->problem == p) && r->status == status &&
		    (check == NULL || strcmp(r->check, check) == 0))
			n++;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	fx.key = EVP_RSA_gen(2048);
	fx.other = EVP_RSA_gen(2048);
	snprintf(fx.dir, sizeof fx.dir, "/tmp/test_verify.XXXXXX");
	if (fx.key == NULL || fx.other == NULL || mkdtemp(fx.dir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(fx.key);
	EVP_PKEY_free(fx.other);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void verify__clean_chain__all_valid(void **state)
{
	(void)state;
	built b;
	build(&b, T_NONE);
	const verify_summary *s = verify_get_summary(b.v);
	assert_int_equal(s->chains, 1);
	assert_int_equal(s->digests, 3);
	assert_int_equal(s->digests_valid, 3);
	assert_int_equal(s->logfiles_listed, 4);
	assert_int_equal(s->logfiles_valid, 4);
	assert_int_equal(count(b.v, VERIFY_P_COUNT, RPT_CHECK_VALID, "signature"), 3);
	assert_int_equal(verify_overall(b.v), RPT_CHECK_VALID);
	/* into a report: integrity rows, rules passed, no finding */
	report *r = report_new(NULL);
	lt_error err;
	assert_int_equal(verify_add_to_report(b.v, r, &err), LT_OK);
	assert_int_equal(report_nintegrity(r), verify_nrows(b.v));
	assert_int_equal(report_nfindings(r), 0);
	assert_true(report_nrules(r) >= 8);
	buf out;
	buf_init(&out, 0);
	assert_int_equal(verify_write(b.v, "json", &out), LT_OK);
	assert_non_null(strstr(buf_cstr(&out), "\"overall\":\"valid\""));
	buf_free(&out);
	report_free(r);
	unbuild(&b);
}

static void verify__altered_log__hash_invalid(void **state)
{
	(void)state;
	built b;
	build(&b, T_ALTER_LOG);
	assert_int_equal(verify_get_summary(b.v)->logfiles_altered, 1);
	assert_int_equal(count(b.v, VERIFY_P_LOGFILE_ALTERED, RPT_CHECK_INVALID, "log file hash"), 1);
	assert_int_equal(count(b.v, VERIFY_P_COUNT, RPT_CHECK_VALID, "signature"), 3);
	report *r = report_new(NULL);
	lt_error err;
	assert_int_equal(verify_add_to_report(b.v, r, &err), LT_OK);
	assert_int_equal(report_nfindings(r), 1);
	assert_int_equal(report_worst_level(r), RPT_LEVEL_CRITICAL);
	report_free(r);
	unbuild(&b);
}

static void verify__deleted_log__missing(void **state)
{
	(void)state;
	built b;
	build(&b, T_DELETE_LOG);
	assert_int_equal(verify_get_summary(b.v)->logfiles_missing, 1);
	assert_int_equal(count(b.v, VERIFY_P_LOGFILE_MISSING, RPT_CHECK_INVALID, NULL), 1);
	assert_int_equal(verify_overall(b.v), RPT_CHECK_INVALID);
	unbuild(&b);
}

static void verify__deleted_digest__chain_gap(void **state)
{
	(void)state;
	built b;
	build(&b, T_DELETE_DIGEST);
	assert_int_equal(count(b.v, VERIFY_P_CHAIN_GAP, RPT_CHECK_INVALID, "previous digest"), 1);
	/* the log file only the deleted digest listed is no longer covered */
	assert_int_equal(verify_get_summary(b.v)->logfiles_uncovered, 1);
	unbuild(&b);
}

static void verify__swapped_signature__signature_invalid(void **state)
{
	(void)state;
	built b;
	build(&b, T_SWAP_SIG);
	/* digest 1's signature (carried by digest 2) is digest 0's: invalid */
	assert_true(count(b.v, VERIFY_P_DIGEST_SIGNATURE, RPT_CHECK_INVALID, "signature") >= 1);
	assert_int_equal(verify_overall(b.v), RPT_CHECK_INVALID);
	unbuild(&b);
}

static void verify__altered_digest__hash_and_signature_invalid(void **state)
{
	(void)state;
	built b;
	build(&b, T_ALTER_DIGEST);
	assert_int_equal(count(b.v, VERIFY_P_DIGEST_ALTERED, RPT_CHECK_INVALID, "previous digest"), 1);
	assert_int_equal(count(b.v, VERIFY_P_DIGEST_SIGNATURE, RPT_CHECK_INVALID, "signature"), 1);
	unbuild(&b);
}

static void verify__garbled_digest__unreadable_and_gap(void **state)
{
	(void)state;
	built b;
	build(&b, T_GARBLED_DIGEST);
	assert_int_equal(count(b.v, VERIFY_P_DIGEST_UNREADABLE, RPT_CHECK_INVALID, "digest readable"), 1);
	assert_int_equal(count(b.v, VERIFY_P_CHAIN_GAP, RPT_CHECK_INVALID, "previous digest"), 1);
	assert_int_equal(verify_get_summary(b.v)->digests_invalid, 2);
	unbuild(&b);
}

static void verify__unlisted_log__invalid(void **state)
{
	(void)state;
	built b;
	build(&b, T_UNLISTED);
	assert_int_equal(verify_get_summary(b.v)->logfiles_unlisted, 1);
	assert_int_equal(count(b.v, VERIFY_P_LOGFILE_UNLISTED, RPT_CHECK_INVALID, "listed in a digest"), 1);
	unbuild(&b);
}

static void verify__moved_digest__location_invalid(void **state)
{
	(void)state;
	built b;
	build(&b, T_MOVED);
	assert_int_equal(count(b.v, VERIFY_P_DIGEST_MOVED, RPT_CHECK_INVALID, "location"), 1);
	/* content intact: the chain and signatures still verify */
	assert_int_equal(count(b.v, VERIFY_P_COUNT, RPT_CHECK_VALID, "signature"), 3);
	unbuild(&b);
}

static void verify__wrong_key__signatures_invalid(void **state)
{
	(void)state;
	built b;
	build(&b, T_WRONG_KEY);
	assert_int_equal(count(b.v, VERIFY_P_DIGEST_SIGNATURE, RPT_CHECK_INVALID, "signature"), 3);
	unbuild(&b);
}

static void verify__no_keys__unverifiable(void **state)
{
	(void)state;
	built b;
	build(&b, T_NONE);
	verify_result *v = NULL;
	lt_error err;
	assert_int_equal(verify_case(b.c, NULL, &v, &err), LT_OK);
	assert_int_equal(count(v, VERIFY_P_COUNT, RPT_CHECK_UNVERIFIABLE, "signature"), 3);
	assert_int_equal(verify_overall(v), RPT_CHECK_UNVERIFIABLE);
	verify_result_free(v);
	unbuild(&b);
}

static void verify__bad_key_file__refused(void **state)
{
	(void)state;
	verify_keys *k = verify_keys_new();
	lt_error err;
	const char *bad = "{\"PublicKeyList\":[{\"Value\":\"bm90IGEga2V5\",\"Fingerprint\":\"ab\"}]}";
	assert_int_equal(verify_keys_load_text(k, bad, strlen(bad), "k.json", &err), LT_EFILE);
	const char *junk = "hello";
	assert_int_equal(verify_keys_load_text(k, junk, strlen(junk), "k.json", &err), LT_EFILE);
	assert_int_equal(verify_keys_count(k), 0);
	verify_keys_free(k);
	verify_keys_free(NULL);
	verify_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify__clean_chain__all_valid),
		cmocka_unit_test(verify__altered_log__hash_invalid),
		cmocka_unit_test(verify__deleted_log__missing),
		cmocka_unit_test(verify__deleted_digest__chain_gap),
		cmocka_unit_test(verify__swapped_signature__signature_invalid),
		cmocka_unit_test(verify__altered_digest__hash_and_signature_invalid),
		cmocka_unit_test(verify__garbled_digest__unreadable_and_gap),
		cmocka_unit_test(verify__unlisted_log__invalid),
		cmocka_unit_test(verify__moved_digest__location_invalid),
		cmocka_unit_test(verify__wrong_key__signatures_invalid),
		cmocka_unit_test(verify__no_keys__unverifiable),
		cmocka_unit_test(verify__bad_key_file__refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
