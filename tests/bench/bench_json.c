/*
 * bench_json.c — throughput of json_parse on CloudTrail-like records.
 *
 * Generates, in memory and deterministically, records shaped like CloudTrail
 * (~1.5 KB each: userIdentity.sessionContext, requestParameters, resources[],
 * tlsDetails, some escaped policy documents and non-ASCII text), then parses
 * them as JSON Lines (one document per record, arena reset between records,
 * as the decoders do), as one {"Records":[...]} file, and as that file
 * pretty-printed by json_write (indentation-heavy, as `aws` CLI output is),
 * and as `lookup-events` output (every record an escaped JSON string).
 * Built with -DBENCH_OTHER and linked with bench_json_jansson.c or
 * bench_json_jsonc.c, the same program also times that library on the same
 * lines (jansson and json-c both export json_object_* symbols, and both clash
 * with json.h, so each comparison is its own program and translation unit).
 *
 * usage: bench_json [MB] [rounds]    (defaults: 32 MB, best of 3 rounds)
 * Prints MB/s by wall clock and by process CPU time (steadier on a busy host).
 * Built by `make`, never run by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/json.h"

#include "bench_other.h"

typedef struct corpus {
	buf text;     /* all records, one per line */
	size_t *offs; /* start of each record */
	size_t *lens;
	size_t n;
} corpus;

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const char *pick(const char *const *list, size_t n)
{
	return list[rnd((uint32_t)n)];
}
#define PICK(list) pick(list, sizeof list / sizeof list[0])

static void hexid(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i + 1 < n; i++)
		out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rnd(16)];
	out[n - 1] = '\0';
}

static void fatal_oom(lt_status st)
{
	if (st != LT_OK) {
		fprintf(stderr, "bench_json: out of memory\n");
		exit(1);
	}
}

static void gen_record(buf *b)
{
	static const char *const names[] = {"InvokeModel", "Converse", "InvokeModelWithResponseStream",
	                                    "ConverseStream", "GetObject", "AssumeRole", "ListFoundationModels",
	                                    "PutRolePolicy", "DescribeInstances"};
	static const char *const regions[] = {"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"};
	static const char *const models[] = {"anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.titan-text-express-v1",
	                                     "meta.llama3-70b-instruct-v1:0", "mistral.mistral-large-2402-v1:0"};
	static const char *const agents[] = {
	    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-amd64 exe/x86_64.debian.12 prompt/off command/bedrock-runtime.invoke-model",
	    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
	    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15"};
	char eid[37], rid[37], sid[37];
	hexid(eid, sizeof eid);
	hexid(rid, sizeof rid);
	hexid(sid, sizeof sid);
	unsigned acct = 100000000u + rnd(899999999u);
	const char *name = PICK(names);
	const char *region = PICK(regions);
	lt_status st = buf_printf(
	    b,
	    "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROA%uEXAMPLE:%s\","
	    "\"arn\":\"arn:aws:sts::%u:assumed-role/BedrockInvokeRole-%u/session-%s\",\"accountId\":\"%u\","
	    "\"accessKeyId\":\"ASIA%uEXAMPLEKEY\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
	    "\"principalId\":\"AROA%uEXAMPLE\",\"arn\":\"arn:aws:iam::%u:role/BedrockInvokeRole-%u\",\"accountId\":\"%u\","
	    "\"userName\":\"BedrockInvokeRole-%u\"},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":"
	    "\"2024-05-%02uT%02u:%02u:%02uZ\",\"mfaAuthenticated\":\"%s\"}}},\"eventTime\":\"2024-05-%02uT%02u:%02u:%02uZ\","
	    "\"eventSource\":\"bedrock.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"%s\","
	    "\"sourceIPAddress\":\"%u.%u.%u.%u\",\"userAgent\":\"%s\",",
	    acct, sid, acct, rnd(100), sid, acct, acct, acct, acct, rnd(100), acct, rnd(100), 1 + rnd(28), rnd(24),
	    rnd(60), rnd(60), rnd(2) ? "true" : "false", 1 + rnd(28), rnd(24), rnd(60), rnd(60), name, region,
	    rnd(256), rnd(256), rnd(256), rnd(256), PICK(agents));
	fatal_oom(st);
	switch (rnd(10)) {
	case 0:
		st = buf_printf(b,
		                "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User: arn:aws:sts::%u:assumed-role/x is not "
		                "authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:%s::foundation-model/%s\","
		                "\"requestParameters\":null,",
		                acct, region, PICK(models));
		break;
	case 1:
		st = buf_printf(b,
		                "\"requestParameters\":{\"roleName\":\"BedrockInvokeRole-%u\",\"policyName\":\"inline-%u\","
		                "\"policyDocument\":\"{\\n  \\\"Version\\\": \\\"2012-10-17\\\",\\n  \\\"Statement\\\": "
		                "[{\\\"Effect\\\": \\\"Allow\\\", \\\"Action\\\": \\\"bedrock:*\\\", \\\"Resource\\\": "
		                "\\\"*\\\"}]\\n}\"},",
		                rnd(100), rnd(1000));
		break;
	case 2:
		st = buf_printf(b,
		                "\"requestParameters\":{\"modelId\":\"%s\",\"guardrailIdentifier\":\"gr-%u\","
		                "\"description\":\"Zusammenfassung f\xC3\xBCr Kunden \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC\","
		                "\"tags\":[{\"key\":\"team\",\"value\":\"ml-%u\"},{\"key\":\"cost\",\"value\":%u.%u}]},",
		                PICK(models), rnd(10000), rnd(50), rnd(1000), rnd(100));
		break;
	default:
		st = buf_printf(b,
		                "\"requestParameters\":{\"modelId\":\"%s\",\"accept\":\"application/json\","
		                "\"contentType\":\"application/json\",\"performanceConfigLatency\":\"standard\","
		                "\"inferenceConfig\":{\"maxTokens\":%u,\"temperature\":0.%u,\"topP\":0.9}},",
		                PICK(models), 256 + rnd(4096), rnd(10));
		break;
	}
	fatal_oom(st);
	st = buf_printf(
	    b,
	    "\"responseElements\":null,\"additionalEventData\":{\"inputTokens\":%u,\"outputTokens\":%u},"
	    "\"requestID\":\"%s\",\"eventID\":\"%s\",\"readOnly\":%s,\"resources\":[{\"accountId\":\"%u\","
	    "\"type\":\"AWS::Bedrock::Model\",\"ARN\":\"arn:aws:bedrock:%s::foundation-model/%s\"},{\"accountId\":\"%u\","
	    "\"type\":\"AWS::IAM::Role\",\"ARN\":\"arn:aws:iam::%u:role/BedrockInvokeRole-%u\"}],\"eventType\":\"AwsApiCall\","
	    "\"managementEvent\":true,\"recipientAccountId\":\"%u\",\"eventCategory\":\"Management\","
	    "\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\","
	    "\"clientProvidedHostHeader\":\"bedrock-runtime.%s.amazonaws.com\"}}",
	    rnd(20000), rnd(4000), rid, eid, rnd(2) ? "true" : "false", acct, region, PICK(models), acct, acct,
	    rnd(100), acct, region);
	fatal_oom(st);
}

static void corpus_make(corpus *c, size_t bytes)
{
	buf_init(&c->text, 0);
	size_t cap = bytes / 1000 + 16;
	c->offs = malloc(cap * sizeof *c->offs);
	c->lens = malloc(cap * sizeof *c->lens);
	c->n = 0;
	if (c->offs == NULL || c->lens == NULL)
		fatal_oom(LT_EFATAL);
	while (c->text.len < bytes && c->n < cap) {
		size_t start = c->text.len;
		gen_record(&c->text);
		c->offs[c->n] = start;
		c->lens[c->n] = c->text.len - start;
		c->n++;
		fatal_oom(buf_putc(&c->text, '\n'));
	}
}

static double now(void)
{
	struct timespec ts;
	if (timespec_get(&ts, TIME_UTC) == 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Process CPU seconds: on a shared machine, less disturbed by other load than wall time. */
static double cpu(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

typedef struct best {
	double wall, cpu;
} best;

static void best_update(best *b, double wall, double cpus)
{
	if (b->wall == 0 || wall < b->wall)
		b->wall = wall;
	if (b->cpu == 0 || cpus < b->cpu)
		b->cpu = cpus;
}

static void best_print(const char *label, const best *b, size_t bytes, int rounds)
{
	printf("%-28s %8.1f MB/s wall %8.1f MB/s cpu  (%.1f MB, best of %d)\n", label, (double)bytes / b->wall / 1e6,
	       b->cpu > 0 ? (double)bytes / b->cpu / 1e6 : 0.0, (double)bytes / 1e6, rounds);
}

static size_t sink;

static int run_llmtrail(const corpus *c, arena *a)
{
	for (size_t i = 0; i < c->n; i++) {
		json_value *v;
		lt_error err;
		arena_reset(a);
		if (json_parse(a, c->text.data + c->offs[i], c->lens[i], NULL, &v, NULL, &err) != LT_OK) {
			fprintf(stderr, "bench_json: record %zu: offset %llu: %s\n", i, (unsigned long long)err.offset, err.msg);
			return -1;
		}
		sink += v->len;
	}
	return 0;
}

#ifdef BENCH_OTHER
static int run_other(const corpus *c, arena *a)
{
	(void)a;
	for (size_t i = 0; i < c->n; i++)
		if (bench_other_parse(c->text.data + c->offs[i], c->lens[i], &sink) != 0)
			return -1;
	return 0;
}
#endif

static void bench(const char *label, int (*fn)(const corpus *, arena *), const corpus *c, arena *a, int rounds,
                  size_t bytes)
{
	best b = {0, 0};
	for (int r = 0; r < rounds; r++) {
		double t0 = now(), c0 = cpu();
		if (fn(c, a) != 0) {
			printf("%-28s FAILED\n", label);
			return;
		}
		best_update(&b, now() - t0, cpu() - c0);
	}
	best_print(label, &b, bytes, rounds);
}

static void bench_doc(const char *label, const buf *doc, int rounds)
{
	arena *a = arena_new(doc->len * 3 + (1u << 20), 0); /* one block, reused across rounds */
	best b = {0, 0};
	for (int r = 0; r < rounds && a != NULL; r++) {
		json_value *v;
		lt_error err;
		arena_reset(a);
		double t0 = now(), c0 = cpu();
		if (json_parse(a, doc->data, doc->len, NULL, &v, NULL, &err) != LT_OK) {
			printf("%-28s FAILED: %s\n", label, err.msg);
			arena_free(a);
			return;
		}
		best_update(&b, now() - t0, cpu() - c0);
		sink += v->len;
	}
	if (b.wall > 0)
		best_print(label, &b, doc->len, rounds);
	arena_free(a);
}

/* One {"Records":[...]} document over the whole corpus: a CloudTrail file;
 * then the same pretty-printed. */
static void bench_files(const corpus *c, int rounds)
{
	buf doc;
	buf_init(&doc, 0);
	fatal_oom(buf_puts(&doc, "{\"Records\":["));
	for (size_t i = 0; i < c->n; i++) {
		if (i > 0)
			fatal_oom(buf_putc(&doc, ','));
		fatal_oom(buf_append(&doc, c->text.data + c->offs[i], c->lens[i]));
	}
	fatal_oom(buf_puts(&doc, "]}"));
	bench_doc("llmtrail, one Records doc", &doc, rounds);
	arena *a = arena_new(doc.len * 3, 0);
	json_value *v = NULL;
	lt_error err;
	buf pretty;
	buf_init(&pretty, 0);
	if (a != NULL && json_parse(a, doc.data, doc.len, NULL, &v, NULL, &err) == LT_OK) {
		fatal_oom(json_write(&pretty, v, 2));
		bench_doc("llmtrail, same pretty (2sp)", &pretty, rounds);
	}
	/* `aws cloudtrail lookup-events` shape: each record is an escaped JSON string */
	buf events;
	buf_init(&events, 0);
	fatal_oom(buf_puts(&events, "{\"Events\":["));
	for (size_t i = 0; i < c->n; i++) {
		fatal_oom(buf_puts(&events, i > 0 ? ",{\"CloudTrailEvent\":" : "{\"CloudTrailEvent\":"));
		fatal_oom(json_write_string(&events, c->text.data + c->offs[i], c->lens[i]));
		fatal_oom(buf_putc(&events, '}'));
	}
	fatal_oom(buf_puts(&events, "]}"));
	bench_doc("llmtrail, lookup-events doc", &events, rounds);
	buf_free(&events);
	buf_free(&pretty);
	arena_free(a);
	buf_free(&doc);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 32;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	if (mb == 0 || mb > 4096 || rounds <= 0 || rounds > 100) {
		fprintf(stderr, "usage: bench_json [MB (1-4096)] [rounds (1-100)]\n");
		return 2;
	}
	corpus c;
	corpus_make(&c, mb << 20);
	size_t bytes = c.text.len - c.n; /* without the newlines */
	printf("corpus: %zu CloudTrail-like records, %.1f MB, %.0f bytes/record\n", c.n, (double)bytes / 1e6,
	       (double)bytes / (double)c.n);
	arena *a = arena_new(0, 64u << 20);
	if (a == NULL)
		return 1;
	bench("llmtrail json_parse", run_llmtrail, &c, a, rounds, bytes);
#ifdef BENCH_OTHER
	bench(bench_other_name, run_other, &c, a, rounds, bytes);
#endif
	bench_files(&c, rounds);
	arena_free(a);
	buf_free(&c.text);
	free(c.offs);
	free(c.lens);
	return sink == 0;
}
