/*
 * gen_ct.c — the fictional company (accounts, principals) and CloudTrail records.
 *
 * Design note: a world is drawn once from the seed: per account a fixed cast
 * (CI user, SSO admins and developers, application roles, AWS services, root),
 * each with stable IPs and a user agent, so that analyzers have "usual"
 * behaviour to compare the injected incidents against. Records follow the
 * CloudTrail record contents reference (eventVersion 1.09; userIdentity with
 * sessionContext for assumed roles; tlsDetails for calls over TLS; errorCode
 * and errorMessage on failures). Everyday events come from a weighted table
 * of {service, action, who does it, parameter builder} rather than an if
 * chain, so adding an action is one row. IPs come from RFC 5737 / RFC 2544
 * test ranges or AWS-owned ranges so no real third party is implicated.
 * Field shapes: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */
#include "config.h"

#include "testdata/gen/gen_ct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const all_regions[] = {"us-east-1", "us-west-2", "eu-central-1", "eu-west-1",
					  "ap-northeast-1", "ap-southeast-2", "eu-west-3", "ca-central-1"};

static const char *const aliases[] = {"acme-prod-genai", "acme-shared-services", "acme-data-analytics",
				      "acme-staging", "acme-sandbox"};

static const char *const people[] = {"alice.ng", "marco.rossi", "priya.shah", "li.wei", "tomasz.kowal",
				     "fatima.okafor", "jorge.ruiz", "emma.berg", "kenji.tanaka", "sara.malik",
				     "noah.fischer", "amara.diallo"};

static const char *const key_alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static const char *const ua_cli[] = {
	"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/",
	"aws-cli/2.17.4 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off command/",
	"aws-cli/2.13.25 Python/3.11.5 Windows/10 exe/AMD64 prompt/off command/",
	"aws-cli/2.22.1 Python/3.12.6 Darwin/24.1.0 exe/arm64 prompt/off command/"};
static const char *const ua_sdk[] = {
	"Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84",
	"aws-sdk-java/2.25.40 Linux/5.10.216-204.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
	"aws-sdk-js/3.577.0 ua/2.0 os/linux#5.10.217-205.860.amzn2.x86_64 lang/js md/nodejs#20.13.1 api/bedrock-runtime#3.577.0",
	"aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/bedrockruntime#1.8.1",
	"Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1.90 md/arch#aarch64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard Botocore/1.35.10"};
static const char *const ua_console = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
static const char *const ua_console_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
static const char *const ua_tf = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.46.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64";

/* ------------------------------------------------------------ the world */

static void office_ip(gen_rng *r, char out[48])
{
	/* 198.18.0.0/15: benchmark range, stands in for office NAT addresses. */
	snprintf(out, 48, "198.%d.%d.%d", 18 + (int)gen_rng_below(r, 2), (int)gen_rng_below(r, 256),
		 1 + (int)gen_rng_below(r, 254));
}

static void aws_ip(gen_rng *r, char out[48])
{
	static const int first[] = {3, 18, 34, 44, 52, 54};
	snprintf(out, 48, "%d.%d.%d.%d", first[gen_rng_below(r, 6)], (int)gen_rng_below(r, 256),
		 (int)gen_rng_below(r, 256), 1 + (int)gen_rng_below(r, 254));
}

static void set_ips(gen_rng *r, gen_principal *p, int office)
{
	p->nips = 1 + (int)gen_rng_below(r, GEN_MAX_IPS - 1);
	for (int i = 0; i < p->nips; i++) {
		if (office)
			office_ip(r, p->ips[i]);
		else
			aws_ip(r, p->ips[i]);
	}
}

static gen_principal *add_principal(gen_account *a, gen_ptype type, unsigned prof, const char *name)
{
	if (a->np >= GEN_MAX_PRINCIPALS)
		gen_die("too many principals");
	gen_principal *p = &a->p[a->np];
	memset(p, 0, sizeof *p);
	p->type = type;
	p->prof = prof;
	p->idx = (int)a->np;
	snprintf(p->name, sizeof p->name, "%s", name);
	a->np++;
	return p;
}

static void make_user(gen_rng *r, gen_account *a, const char *name, unsigned prof, const char *ua,
		      int office, double weight)
{
	gen_principal *p = add_principal(a, GEN_IAMUSER, prof, name);
	char id[18];
	gen_chars(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", id, 17);
	snprintf(p->unique_id, sizeof p->unique_id, "AIDA%s", id);
	snprintf(p->principal_id, sizeof p->principal_id, "%s", p->unique_id);
	char key[17];
	gen_chars(r, key_alpha, key, 16);
	snprintf(p->access_key, sizeof p->access_key, "AKIA%s", key);
	snprintf(p->arn, sizeof p->arn, "arn:aws:iam::%s:user/%s", a->id, name);
	snprintf(p->ua, sizeof p->ua, "%s", ua);
	set_ips(r, p, office);
	p->weight = weight;
}

static gen_principal *make_role(gen_rng *r, gen_account *a, const char *role, const char *session,
				unsigned prof, const char *ua, int office, double weight)
{
	gen_principal *p = add_principal(a, GEN_ROLE, prof, role);
	char id[18];
	gen_chars(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", id, 17);
	snprintf(p->unique_id, sizeof p->unique_id, "AROA%s", id);
	snprintf(p->session, sizeof p->session, "%s", session);
	snprintf(p->principal_id, sizeof p->principal_id, "%s:%.40s", p->unique_id, session);
	const char *path = strncmp(role, "AWSReservedSSO_", 15) == 0 ? "aws-reserved/sso.amazonaws.com/" : "";
	snprintf(p->role_arn, sizeof p->role_arn, "arn:aws:iam::%s:role/%s%s", a->id, path, role);
	snprintf(p->arn, sizeof p->arn, "arn:aws:sts::%s:assumed-role/%s/%.60s", a->id, role, session);
	snprintf(p->ua, sizeof p->ua, "%s", ua);
	set_ips(r, p, office);
	p->weight = weight;
	return p;
}

static void make_service(gen_account *a, const char *host, double weight)
{
	gen_principal *p = add_principal(a, GEN_SERVICE, GEN_PROF_SERVICE, host);
	snprintf(p->ua, sizeof p->ua, "%s", host);
	snprintf(p->ips[0], sizeof p->ips[0], "%s", host);
	p->nips = 1;
	p->weight = weight;
}

static void make_root(gen_rng *r, gen_account *a)
{
	gen_principal *p = add_principal(a, GEN_ROOT, GEN_PROF_ROOT, "root");
	snprintf(p->principal_id, sizeof p->principal_id, "%s", a->id);
	snprintf(p->arn, sizeof p->arn, "arn:aws:iam::%s:root", a->id);
	snprintf(p->ua, sizeof p->ua, "%s", ua_console);
	set_ips(r, p, 1);
	p->nips = 1;
	p->console = 1;
	p->mfa = 1;
	p->weight = 0.002;
}

static void sso_session(const char *person, char *out, size_t cap)
{
	snprintf(out, cap, "%s@acme-corp.example", person);
}

static void build_people(gen_rng *r, gen_account *a)
{
	char sess[96], role[96];
	char suffix[17];
	gen_hex(r, suffix, 16);
	snprintf(role, sizeof role, "AWSReservedSSO_AdministratorAccess_%s", suffix);
	for (int i = 0; i < 2; i++) {
		sso_session(people[(a->idx * 2 + i) % 12], sess, sizeof sess);
		gen_principal *p = make_role(r, a, role, sess, GEN_PROF_ADMIN,
					     i ? ua_console_mac : GEN_PICK(r, ua_cli), 1, 0.05);
		p->console = i;
		p->mfa = 1;
		p->app = GEN_APP_PLAYGROUND;
		p->invoke_share = 0.05;
	}
	gen_hex(r, suffix, 16);
	snprintf(role, sizeof role, "AWSReservedSSO_PowerUserAccess_%s", suffix);
	for (int i = 0; i < 5; i++) {
		sso_session(people[(a->idx * 3 + i + 2) % 12], sess, sizeof sess);
		int console = i % 2;
		gen_principal *p = make_role(r, a, role, sess, GEN_PROF_DEV,
					     console ? ua_console : GEN_PICK(r, ua_cli), 1, 0.06);
		p->console = console;
		p->mfa = 1;
		p->app = GEN_APP_PLAYGROUND;
		p->invoke_share = 0.15;
	}
}

static void build_apps(gen_rng *r, gen_account *a, double bedrock)
{
	char sess[96];
	gen_hex(r, sess, 32);
	gen_principal *p = make_role(r, a, "support-chatbot-task-role", sess, GEN_PROF_APP, ua_sdk[2], 0, 0.30 * bedrock);
	p->app = GEN_APP_CHATBOT;
	p->invoke_share = 0.85;
	p = make_role(r, a, "doc-summarizer-lambda-role", "doc-summarizer", GEN_PROF_APP, ua_sdk[0], 0, 0.18 * bedrock);
	p->app = GEN_APP_SUMMARIZER;
	p->invoke_share = 0.8;
	p = make_role(r, a, "dev-assistant-role", "dev-assistant-api", GEN_PROF_APP, ua_sdk[1], 0, 0.14 * bedrock);
	p->app = GEN_APP_DEVASSIST;
	p->invoke_share = 0.8;
	make_user(r, a, "svc-bi-reports", GEN_PROF_REPORT, ua_sdk[4], 0, 0.08 * bedrock);
	a->p[a->np - 1].app = GEN_APP_REPORTING;
	a->p[a->np - 1].invoke_share = 0.75;
}

static void build_account(gen_world *w, gen_account *a, size_t idx)
{
	gen_rng r;
	gen_rng_seed(&r, w->seed, 1000 + idx);
	a->idx = (int)idx;
	char digits[13];
	gen_chars(&r, "0123456789", digits, 12);
	digits[0] = (char)('1' + (int)gen_rng_below(&r, 9));
	snprintf(a->id, sizeof a->id, "%s", digits);
	if (idx < sizeof aliases / sizeof aliases[0])
		snprintf(a->alias, sizeof a->alias, "%s", aliases[idx]);
	else
		snprintf(a->alias, sizeof a->alias, "acme-team-%zu", idx);
	gen_chars(&r, "abcdefghijklmnopqrstuvwxyz0123456789", a->guardrail_id, 12);
	gen_uuid(&r, a->kms_key);
	a->np = 0;

	make_user(&r, a, "svc-ci-deploy", GEN_PROF_CI, ua_cli[0], 0, 0.10);
	make_user(&r, a, "terraform-runner", GEN_PROF_CI, ua_tf, 0, 0.05);
	build_people(&r, a);
	double bedrock = idx == 0 ? 1.0 : (idx % 3 == 2 ? 0.5 : 0.25);
	build_apps(&r, a, bedrock);
	make_service(a, "lambda.amazonaws.com", 0.05);
	make_service(a, "ecs-tasks.amazonaws.com", 0.04);
	make_service(a, "cloudtrail.amazonaws.com", 0.03);
	make_service(a, "config.amazonaws.com", 0.04);
	make_root(&r, a);
	for (size_t i = 0; i < a->np; i++)
		a->weights[i] = a->p[i].weight;
}

void gen_world_build(gen_world *w, uint64_t seed, size_t naccounts, size_t nregions)
{
	memset(w, 0, sizeof *w);
	w->seed = seed;
	snprintf(w->bucket, sizeof w->bucket, "acme-central-audit-logs");
	snprintf(w->trail, sizeof w->trail, "org-audit-trail");
	snprintf(w->home_region, sizeof w->home_region, "us-east-1");
	size_t maxr = sizeof all_regions / sizeof all_regions[0];
	w->nregions = nregions < 1 ? 1 : (nregions > maxr ? maxr : nregions);
	w->regions = gen_xmalloc(w->nregions * sizeof *w->regions);
	for (size_t i = 0; i < w->nregions; i++)
		w->regions[i] = all_regions[i];
	w->naccounts = naccounts < 1 ? 1 : naccounts;
	w->accounts = gen_xmalloc(w->naccounts * sizeof *w->accounts);
	for (size_t i = 0; i < w->naccounts; i++)
		build_account(w, &w->accounts[i], i);
}

void gen_world_free(gen_world *w)
{
	free(w->accounts);
	free(w->regions);
	w->accounts = NULL;
	w->regions = NULL;
}

int gen_world_find(const gen_account *a, const char *name)
{
	for (size_t i = 0; i < a->np; i++)
		if (strcmp(a->p[i].name, name) == 0 || strstr(a->p[i].session, name) == a->p[i].session)
			return (int)i;
	return -1;
}

const gen_principal *gen_world_pick(gen_rng *r, const gen_account *a)
{
	return &a->p[gen_rng_weighted(r, a->weights, a->np)];
}

void gen_ct_session_key(const gen_account *a, const gen_principal *p, int64_t t, char out[24])
{
	gen_rng r;
	gen_rng_seed(&r, (uint64_t)(t / 3600), (uint64_t)(a->idx * 100 + p->idx) + 77);
	char key[17];
	gen_chars(&r, key_alpha, key, 16);
	snprintf(out, 24, "ASIA%s", key);
}

/* -------------------------------------------------------------- records */

void gen_ct_init(gen_ct_event *e, gen_rng *r, const gen_account *a, const gen_principal *p,
		 const char *region, int64_t t)
{
	memset(e, 0, sizeof *e);
	e->t = t;
	e->acct = a;
	e->p = p;
	e->region = region;
	gen_uuid(r, e->request_id);
	gen_uuid(r, e->event_id);
	e->ip = p->ips[gen_rng_below(r, (uint32_t)(p->nips > 0 ? p->nips : 1))];
}

static void put_kv(gen_sb *o, const char *k, const char *v)
{
	gen_sb_key(o, k);
	gen_sb_jstr(o, v);
}

static void put_raw(gen_sb *o, const char *k, const char *json)
{
	gen_sb_key(o, k);
	gen_sb_put(o, json ? json : "null");
}

static void write_identity(gen_sb *o, gen_rng *r, const gen_ct_event *e)
{
	const gen_principal *p = e->p;
	const char *acct = e->acct->id;
	char key[24];
	gen_sb_put(o, "\"userIdentity\":{");
	switch (p->type) {
	case GEN_SERVICE:
		put_kv(o, "type", "AWSService");
		gen_sb_putc(o, ',');
		put_kv(o, "invokedBy", p->name);
		gen_sb_putc(o, '}');
		return;
	case GEN_IAMUSER:
		put_kv(o, "type", "IAMUser");
		break;
	case GEN_ROOT:
		put_kv(o, "type", "Root");
		break;
	case GEN_ROLE:
		put_kv(o, "type", "AssumedRole");
		break;
	}
	gen_sb_putc(o, ',');
	put_kv(o, "principalId", p->principal_id);
	gen_sb_putc(o, ',');
	put_kv(o, "arn", p->arn);
	gen_sb_putc(o, ',');
	put_kv(o, "accountId", acct);
	gen_sb_putc(o, ',');
	if (p->type == GEN_IAMUSER && !p->console) {
		put_kv(o, "accessKeyId", p->access_key);
	} else {
		gen_ct_session_key(e->acct, p, e->t, key);
		put_kv(o, "accessKeyId", key);
	}
	if (p->type == GEN_IAMUSER) {
		gen_sb_putc(o, ',');
		put_kv(o, "userName", p->name);
	}
	if (p->type == GEN_ROLE || p->console) {
		char created[32];
		gen_time_iso(e->t - e->t % 3600 - 60 - (p->idx * 37) % 600, created);
		gen_sb_put(o, ",\"sessionContext\":{");
		if (p->type == GEN_ROLE) {
			gen_sb_put(o, "\"sessionIssuer\":{\"type\":\"Role\",");
			put_kv(o, "principalId", p->unique_id);
			gen_sb_putc(o, ',');
			put_kv(o, "arn", p->role_arn);
			gen_sb_putc(o, ',');
			put_kv(o, "accountId", acct);
			gen_sb_putc(o, ',');
			put_kv(o, "userName", p->name);
			gen_sb_put(o, "},\"webIdFederationData\":{},");
		}
		gen_sb_put(o, "\"attributes\":{");
		put_kv(o, "creationDate", created);
		gen_sb_putc(o, ',');
		put_kv(o, "mfaAuthenticated", p->mfa ? "true" : "false");
		gen_sb_put(o, "}}");
	}
	(void)r;
	gen_sb_putc(o, '}');
}

static void derive_host(const gen_ct_event *e, char *out, size_t cap)
{
	const char *src = e->source;
	size_t n = strcspn(src, ".");
	if (strncmp(src, "iam.", 4) == 0 || strncmp(src, "signin.", 7) == 0)
		snprintf(out, cap, "%.*s.amazonaws.com", (int)n, src);
	else if (strcmp(src, "bedrock.amazonaws.com") == 0 && e->name[0] != 'L' && e->name[0] != 'G' &&
		 (strstr(e->name, "Invoke") || strstr(e->name, "Converse")))
		snprintf(out, cap, "bedrock-runtime.%s.amazonaws.com", e->region);
	else if (strncmp(src, "monitoring.", 11) == 0)
		snprintf(out, cap, "monitoring.%s.amazonaws.com", e->region);
	else
		snprintf(out, cap, "%.*s.%s.amazonaws.com", (int)n, src, e->region);
}

void gen_ct_write(gen_sb *o, gen_rng *r, const gen_ct_event *e)
{
	char ts[32];
	gen_time_iso(e->t, ts);
	const gen_principal *p = e->p;
	gen_sb_reserve(o, 2048);
	gen_sb_put(o, "{\"eventVersion\":\"1.09\",");
	write_identity(o, r, e);
	gen_sb_putc(o, ',');
	put_kv(o, "eventTime", ts);
	gen_sb_putc(o, ',');
	put_kv(o, "eventSource", e->source);
	gen_sb_putc(o, ',');
	put_kv(o, "eventName", e->name);
	gen_sb_putc(o, ',');
	put_kv(o, "awsRegion", e->region);
	gen_sb_putc(o, ',');
	put_kv(o, "sourceIPAddress", e->ip ? e->ip : p->ips[0]);
	gen_sb_putc(o, ',');
	put_kv(o, "userAgent", e->ua ? e->ua : p->ua);
	if (e->err_code) {
		gen_sb_putc(o, ',');
		put_kv(o, "errorCode", e->err_code);
		if (e->err_msg) {
			gen_sb_putc(o, ',');
			put_kv(o, "errorMessage", e->err_msg);
		}
	}
	gen_sb_putc(o, ',');
	put_raw(o, "requestParameters", e->req);
	gen_sb_putc(o, ',');
	put_raw(o, "responseElements", e->resp);
	if (e->addl) {
		gen_sb_putc(o, ',');
		put_raw(o, "additionalEventData", e->addl);
	}
	gen_sb_putc(o, ',');
	put_kv(o, "requestID", e->request_id);
	gen_sb_putc(o, ',');
	put_kv(o, "eventID", e->event_id);
	gen_sb_putc(o, ',');
	gen_sb_put(o, e->read_only ? "\"readOnly\":true" : "\"readOnly\":false");
	if (e->resources) {
		gen_sb_putc(o, ',');
		put_raw(o, "resources", e->resources);
	}
	gen_sb_putc(o, ',');
	put_kv(o, "eventType", e->event_type ? e->event_type : "AwsApiCall");
	gen_sb_put(o, e->data_event ? ",\"managementEvent\":false," : ",\"managementEvent\":true,");
	put_kv(o, "recipientAccountId", e->acct->id);
	gen_sb_put(o, e->data_event ? ",\"eventCategory\":\"Data\"" : ",\"eventCategory\":\"Management\"");
	if (p->type != GEN_SERVICE && !(e->event_type && strcmp(e->event_type, "AwsConsoleSignIn") == 0)) {
		char host[128];
		if (e->host)
			snprintf(host, sizeof host, "%s", e->host);
		else
			derive_host(e, host, sizeof host);
		gen_sb_put(o, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",");
		put_kv(o, "clientProvidedHostHeader", host);
		gen_sb_putc(o, '}');
	}
	if (p->console && p->type != GEN_SERVICE)
		gen_sb_put(o, ",\"sessionCredentialFromConsole\":\"true\"");
	gen_sb_putc(o, '}');
}

/* ------------------------------------------------------ everyday events */

typedef struct ct_ctx {
	gen_rng *r;
	const gen_world *w;
	const gen_account *a;
	const gen_principal *p;
	const char *region;
	int64_t t;
	gen_ct_event *e;
	gen_sb *req, *resp, *addl, *res;
} ct_ctx;

typedef void (*ct_fill_fn)(ct_ctx *c);

typedef struct ct_kind {
	const char *source;
	const char *name;
	int read_only;
	unsigned who;
	double weight;
	int global; /* only recorded in us-east-1 */
	ct_fill_fn fill;
} ct_kind;

static const char *const buckets[] = {"acme-app-assets", "acme-data-lake-raw", "acme-data-lake-curated",
				      "acme-build-artifacts", "acme-support-attachments", "acme-terraform-state",
				      "acme-ml-datasets"};
static const char *const functions[] = {"doc-summarizer", "ticket-router", "invoice-ocr-postprocess",
					"nightly-report", "slack-notifier", "s3-thumbnailer"};
static const char *const roles_list[] = {"support-chatbot-task-role", "doc-summarizer-lambda-role",
					 "dev-assistant-role", "data-pipeline-role", "github-actions-deploy"};
static const char *const models[] = {"anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-haiku-20240307-v1:0",
				     "amazon.titan-text-premier-v1:0", "meta.llama3-1-70b-instruct-v1:0",
				     "mistral.mistral-large-2402-v1:0", "cohere.command-r-plus-v1:0",
				     "ai21.jamba-1-5-large-v1:0"};

static void fill_none(ct_ctx *c)
{
	(void)c;
}

static void fill_bucket(ct_ctx *c)
{
	const char *b = GEN_PICK(c->r, buckets);
	gen_sb_printf(c->req, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.%s.amazonaws.com\",\"%s\":\"\"}", b, b,
		      c->region, strcmp(c->e->name, "GetBucketLocation") == 0 ? "location" : (strcmp(c->e->name, "GetBucketAcl") == 0 ? "acl" : "policy"));
	char x[61];
	gen_chars(c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", x, 60);
	gen_sb_printf(c->addl, "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"%s=\",\"bytesTransferredOut\":%d}",
		      x, gen_rng_range(c->r, 120, 2400));
	gen_sb_printf(c->res, "[{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::%s\"}]", c->a->id, b);
	gen_chars(c->r, "0123456789ABCDEF", c->e->request_id, 16);
	c->e->host = NULL;
}

static void fill_list_buckets(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"Host\":\"s3.%s.amazonaws.com\"}", c->region);
	gen_sb_put(c->addl, "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"bytesTransferredOut\":2210}");
	gen_chars(c->r, "0123456789ABCDEF", c->e->request_id, 16);
}

static void fill_describe_instances(ct_ctx *c)
{
	if (gen_rng_chance(c->r, 0.5)) {
		char id[18];
		gen_hex(c->r, id, 17);
		gen_sb_printf(c->req, "{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-%s\"}]},\"filterSet\":{}}", id);
	} else {
		gen_sb_put(c->req, "{\"instancesSet\":{},\"filterSet\":{\"items\":[{\"name\":\"tag:team\",\"valueSet\":{\"items\":[{\"value\":\"platform\"}]}}]}}");
	}
}

static void fill_describe_generic(ct_ctx *c)
{
	gen_sb_put(c->req, "{\"maxResults\":1000,\"filterSet\":{}}");
}

static void fill_run_instances(ct_ctx *c)
{
	char ami[18], id[18], sg[18], subnet[18];
	gen_hex(c->r, ami, 17);
	gen_hex(c->r, id, 17);
	gen_hex(c->r, sg, 17);
	gen_hex(c->r, subnet, 17);
	gen_sb_printf(c->req, "{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-%s\",\"minCount\":1,\"maxCount\":1}]},\"instanceType\":\"t3.medium\",\"blockDeviceMapping\":{},\"monitoring\":{\"enabled\":false},\"disableApiTermination\":false,\"subnetId\":\"subnet-%s\",\"groupSet\":{\"items\":[{\"groupId\":\"sg-%s\"}]}}",
		      ami, subnet, sg);
	char rid[18];
	gen_hex(c->r, rid, 17);
	gen_sb_printf(c->resp, "{\"requestId\":\"%s\",\"reservationId\":\"r-%s\",\"ownerId\":\"%s\",\"groupSet\":{},\"instancesSet\":{\"items\":[{\"instanceId\":\"i-%s\",\"imageId\":\"ami-%s\",\"instanceState\":{\"code\":0,\"name\":\"pending\"},\"instanceType\":\"t3.medium\",\"launchTime\":%lld000}]}}",
		      c->e->request_id, rid, c->a->id, id, ami, (long long)c->t);
}

static void fill_role(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"roleName\":\"%s\"}", GEN_PICK(c->r, roles_list));
}

static void fill_list_iam(ct_ctx *c)
{
	gen_sb_put(c->req, "{\"maxItems\":100}");
}

static void fill_assume_role(ct_ctx *c)
{
	const char *role = GEN_PICK(c->r, roles_list);
	char sess[33], key[17], tok[97], rid[18];
	gen_hex(c->r, sess, 32);
	gen_chars(c->r, key_alpha, key, 16);
	gen_chars(c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", tok, 96);
	gen_chars(c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", rid, 17);
	gen_sb_printf(c->req, "{\"roleArn\":\"arn:aws:iam::%s:role/%s\",\"roleSessionName\":\"%s\",\"durationSeconds\":3600}",
		      c->a->id, role, sess);
	char exp[32];
	gen_time_iso(c->t + 3600, exp);
	gen_sb_printf(c->resp, "{\"credentials\":{\"accessKeyId\":\"ASIA%s\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE%s\",\"expiration\":\"%s\"},\"assumedRoleUser\":{\"assumedRoleId\":\"AROA%s:%s\",\"arn\":\"arn:aws:sts::%s:assumed-role/%s/%s\"}}",
		      key, tok, exp, rid, sess, c->a->id, role, sess);
	gen_sb_printf(c->res, "[{\"accountId\":\"%s\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"arn:aws:iam::%s:role/%s\"}]",
		      c->a->id, c->a->id, role);
	if (c->p->type == GEN_SERVICE)
		c->e->ip = c->p->name;
}

static void fill_kms(ct_ctx *c)
{
	if (strcmp(c->e->name, "Decrypt") == 0)
		gen_sb_printf(c->req, "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"encryptionContext\":{\"aws:s3:arn\":\"arn:aws:s3:::%s\"}}", GEN_PICK(c->r, buckets));
	else
		gen_sb_printf(c->req, "{\"keyId\":\"arn:aws:kms:%s:%s:key/%s\",\"keySpec\":\"AES_256\"}", c->region, c->a->id, c->a->kms_key);
	gen_sb_printf(c->res, "[{\"accountId\":\"%s\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"arn:aws:kms:%s:%s:key/%s\"}]",
		      c->a->id, c->region, c->a->id, c->a->kms_key);
	if (c->p->type == GEN_SERVICE)
		c->e->ip = c->p->name;
}

static void fill_function(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"functionName\":\"%s\"}", GEN_PICK(c->r, functions));
}

static void fill_update_function(ct_ctx *c)
{
	const char *fn = GEN_PICK(c->r, functions);
	char sha[45];
	gen_chars(c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", sha, 43);
	gen_sb_printf(c->req, "{\"functionName\":\"%s\",\"publish\":false,\"dryRun\":false,\"s3Bucket\":\"acme-build-artifacts\",\"s3Key\":\"lambda/%s.zip\"}", fn, fn);
	gen_sb_printf(c->resp, "{\"functionName\":\"%s\",\"functionArn\":\"arn:aws:lambda:%s:%s:function:%s\",\"runtime\":\"python3.12\",\"handler\":\"app.handler\",\"codeSize\":%d,\"timeout\":60,\"memorySize\":512,\"codeSha256\":\"%s=\",\"version\":\"$LATEST\",\"state\":\"Active\"}",
		      fn, c->region, c->a->id, fn, gen_rng_range(c->r, 20000, 900000), sha);
}

static void fill_log_stream(ct_ctx *c)
{
	char ymd[16], id[33];
	gen_time_fmt(c->t, "%Y/%m/%d", ymd, sizeof ymd);
	gen_hex(c->r, id, 32);
	gen_sb_printf(c->req, "{\"logGroupName\":\"/aws/lambda/%s\",\"logStreamName\":\"%s/[$LATEST]%s\"}",
		      GEN_PICK(c->r, functions), ymd, id);
	if (c->p->type == GEN_SERVICE)
		c->e->ip = c->p->name;
}

static void fill_trail(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"name\":\"arn:aws:cloudtrail:%s:%s:trail/%s\"}", c->w->home_region, c->a->id, c->w->trail);
}

static void fill_secret(ct_ctx *c)
{
	static const char *const s[] = {"prod/chatbot/zendesk-api", "prod/reports/warehouse-readonly",
					"prod/dev-assistant/github-app", "shared/slack-webhook"};
	gen_sb_printf(c->req, "{\"secretId\":\"%s\"}", GEN_PICK(c->r, s));
}

static void fill_parameter(ct_ctx *c)
{
	static const char *const s[] = {"/app/chatbot/model-id", "/app/chatbot/guardrail-id",
					"/app/summarizer/max-tokens", "/platform/vpc-id"};
	gen_sb_printf(c->req, "{\"name\":\"%s\",\"withDecryption\":false}", GEN_PICK(c->r, s));
}

static void fill_metric(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"metricDataQueries\":[{\"id\":\"m1\",\"metricStat\":{\"metric\":{\"namespace\":\"AWS/Bedrock\",\"metricName\":\"%s\",\"dimensions\":[{\"name\":\"ModelId\",\"value\":\"%s\"}]},\"period\":300,\"stat\":\"Sum\"}}],\"startTime\":\"%lld\",\"endTime\":\"%lld\"}",
		      gen_rng_chance(c->r, 0.5) ? "Invocations" : "InputTokenCount", GEN_PICK(c->r, models),
		      (long long)(c->t - 10800), (long long)c->t);
}

static void fill_model(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"modelIdentifier\":\"%s\"}", GEN_PICK(c->r, models));
}

static void fill_list_models(ct_ctx *c)
{
	if (gen_rng_chance(c->r, 0.4))
		gen_sb_put(c->req, "{\"byOutputModality\":\"TEXT\"}");
}

static void fill_guardrail(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"guardrailIdentifier\":\"%s\",\"guardrailVersion\":\"DRAFT\"}", c->a->guardrail_id);
}

static void fill_console_login(ct_ctx *c)
{
	gen_sb_put(c->resp, "{\"ConsoleLogin\":\"Success\"}");
	gen_sb_printf(c->addl, "{\"LoginTo\":\"https://console.aws.amazon.com/console/home?state=hashArgs%%23&isauthcode=true\",\"MobileVersion\":\"No\",\"MFAIdentifier\":\"arn:aws:iam::%s:mfa/root-account-mfa-device\",\"MFAUsed\":\"Yes\"}",
		      c->a->id);
	c->e->event_type = "AwsConsoleSignIn";
	c->e->region = "us-east-1";
}

static void fill_ecr_token(ct_ctx *c)
{
	gen_sb_printf(c->req, "{\"registryIds\":[\"%s\"]}", c->a->id);
}

#define W_ALL_PEOPLE (GEN_PROF_ADMIN | GEN_PROF_DEV)
#define W_TOOLS (GEN_PROF_CI | GEN_PROF_ADMIN | GEN_PROF_DEV)

static const ct_kind kinds[] = {
	{"sts.amazonaws.com", "GetCallerIdentity", 1, W_TOOLS | GEN_PROF_REPORT, 3.0, 0, fill_none},
	{"sts.amazonaws.com", "AssumeRole", 0, GEN_PROF_SERVICE | GEN_PROF_CI, 6.0, 0, fill_assume_role},
	{"s3.amazonaws.com", "ListBuckets", 1, W_TOOLS, 1.5, 0, fill_list_buckets},
	{"s3.amazonaws.com", "GetBucketLocation", 1, W_TOOLS | GEN_PROF_APP, 2.0, 0, fill_bucket},
	{"s3.amazonaws.com", "GetBucketAcl", 1, GEN_PROF_SERVICE | GEN_PROF_ADMIN, 2.0, 0, fill_bucket},
	{"s3.amazonaws.com", "GetBucketPolicy", 1, W_TOOLS, 1.0, 0, fill_bucket},
	{"ec2.amazonaws.com", "DescribeInstances", 1, W_TOOLS | GEN_PROF_SERVICE, 4.0, 0, fill_describe_instances},
	{"ec2.amazonaws.com", "DescribeSecurityGroups", 1, W_TOOLS, 2.0, 0, fill_describe_generic},
	{"ec2.amazonaws.com", "DescribeVpcs", 1, W_TOOLS, 1.0, 0, fill_describe_generic},
	{"ec2.amazonaws.com", "DescribeSubnets", 1, W_TOOLS, 1.0, 0, fill_describe_generic},
	{"ec2.amazonaws.com", "RunInstances", 0, GEN_PROF_DEV | GEN_PROF_CI, 0.15, 0, fill_run_instances},
	{"iam.amazonaws.com", "GetRole", 1, W_TOOLS | GEN_PROF_SERVICE, 2.0, 1, fill_role},
	{"iam.amazonaws.com", "ListRoles", 1, W_TOOLS, 1.0, 1, fill_list_iam},
	{"iam.amazonaws.com", "ListUsers", 1, GEN_PROF_ADMIN, 0.5, 1, fill_list_iam},
	{"iam.amazonaws.com", "ListAttachedRolePolicies", 1, W_TOOLS, 1.0, 1, fill_role},
	{"kms.amazonaws.com", "Decrypt", 1, GEN_PROF_SERVICE | GEN_PROF_APP, 5.0, 0, fill_kms},
	{"kms.amazonaws.com", "GenerateDataKey", 1, GEN_PROF_SERVICE | GEN_PROF_APP, 3.0, 0, fill_kms},
	{"lambda.amazonaws.com", "ListFunctions20150331", 1, W_TOOLS, 1.0, 0, fill_none},
	{"lambda.amazonaws.com", "GetFunction20150331v2", 1, W_TOOLS, 1.5, 0, fill_function},
	{"lambda.amazonaws.com", "UpdateFunctionCode20150331v2", 0, GEN_PROF_CI, 0.6, 0, fill_update_function},
	{"logs.amazonaws.com", "CreateLogStream", 0, GEN_PROF_SERVICE | GEN_PROF_APP, 2.0, 0, fill_log_stream},
	{"logs.amazonaws.com", "DescribeLogGroups", 1, W_ALL_PEOPLE, 1.0, 0, fill_none},
	{"cloudtrail.amazonaws.com", "DescribeTrails", 1, GEN_PROF_ADMIN | GEN_PROF_SERVICE, 0.5, 0, fill_none},
	{"cloudtrail.amazonaws.com", "GetTrailStatus", 1, GEN_PROF_ADMIN | GEN_PROF_SERVICE, 0.5, 0, fill_trail},
	{"secretsmanager.amazonaws.com", "GetSecretValue", 1, GEN_PROF_APP | GEN_PROF_REPORT, 2.0, 0, fill_secret},
	{"ssm.amazonaws.com", "GetParameter", 1, GEN_PROF_APP | GEN_PROF_CI, 2.0, 0, fill_parameter},
	{"monitoring.amazonaws.com", "GetMetricData", 1, W_ALL_PEOPLE | GEN_PROF_SERVICE, 1.0, 0, fill_metric},
	{"ecr.amazonaws.com", "GetAuthorizationToken", 1, GEN_PROF_CI | GEN_PROF_SERVICE, 1.5, 0, fill_ecr_token},
	{"bedrock.amazonaws.com", "ListFoundationModels", 1, W_ALL_PEOPLE | GEN_PROF_APP, 0.8, 0, fill_list_models},
	{"bedrock.amazonaws.com", "GetFoundationModel", 1, W_ALL_PEOPLE, 0.5, 0, fill_model},
	{"bedrock.amazonaws.com", "ListGuardrails", 1, W_ALL_PEOPLE, 0.3, 0, fill_none},
	{"bedrock.amazonaws.com", "GetGuardrail", 1, W_ALL_PEOPLE | GEN_PROF_APP, 0.4, 0, fill_guardrail},
	{"bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", 1, GEN_PROF_ADMIN, 0.2, 0, fill_none},
	{"bedrock.amazonaws.com", "ListInferenceProfiles", 1, W_ALL_PEOPLE, 0.3, 0, fill_none},
	{"signin.amazonaws.com", "ConsoleLogin", 0, GEN_PROF_ROOT, 1.0, 1, fill_console_login},
	{"iam.amazonaws.com", "GetAccountSummary", 1, GEN_PROF_ROOT, 1.0, 1, fill_none},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static const char *deny_message(const ct_ctx *c, char *buf, size_t cap)
{
	const char *svc = c->e->source;
	size_t n = strcspn(svc, ".");
	snprintf(buf, cap, "User: %s is not authorized to perform: %.*s:%s because no identity-based policy allows the %.*s:%s action",
		 c->p->arn, (int)n, svc, c->e->name, (int)n, svc, c->e->name);
	return buf;
}

void gen_ct_benign(gen_sb *out, gen_sb scratch[4], gen_rng *r, const gen_world *w, const gen_account *a,
		   const gen_principal *p, const char *region, int64_t t)
{
	double weights[NKINDS];
	int home = strcmp(region, "us-east-1") == 0;
	double total = 0;
	for (size_t i = 0; i < NKINDS; i++) {
		int ok = (kinds[i].who & p->prof) && (!kinds[i].global || home);
		weights[i] = ok ? kinds[i].weight : 0.0;
		total += weights[i];
	}
	size_t k = 0; /* GetCallerIdentity when the principal has nothing else to do */
	if (total > 0)
		k = gen_rng_weighted(r, weights, NKINDS);
	const ct_kind *kind = &kinds[k];

	gen_sb *req = &scratch[0], *resp = &scratch[1], *addl = &scratch[2], *res = &scratch[3];
	for (int i = 0; i < 4; i++)
		gen_sb_reset(&scratch[i]);
	gen_ct_event e;
	gen_ct_init(&e, r, a, p, region, t);
	e.source = kind->source;
	e.name = kind->name;
	e.read_only = kind->read_only;
	ct_ctx c = {r, w, a, p, region, t, &e, req, resp, addl, res};
	kind->fill(&c);
	char msg[512];
	double u = gen_rng_unit(r);
	if (p->type != GEN_SERVICE && p->type != GEN_ROOT && u < 0.012) {
		e.err_code = "AccessDenied";
		e.err_msg = deny_message(&c, msg, sizeof msg);
		gen_sb_reset(resp);
	} else if (kind->read_only && u < 0.016) {
		e.err_code = "ThrottlingException";
		e.err_msg = "Rate exceeded";
		gen_sb_reset(resp);
	}
	e.req = req->len ? gen_sb_cstr(req) : NULL;
	e.resp = resp->len ? gen_sb_cstr(resp) : NULL;
	e.addl = addl->len ? gen_sb_cstr(addl) : NULL;
	e.resources = res->len ? gen_sb_cstr(res) : NULL;
	gen_ct_write(out, r, &e);
}
