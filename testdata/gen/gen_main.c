/*
 * gen_main.c — llmtrail-gen: writes a synthetic, realistic AWS log export.
 *
 * Design note: the export is simulated as independent streams, one per
 * (account, region). A stream walks time in 5-minute slots; in each slot it
 * draws benign activity (diurnal and weekly rhythm), merges the injected
 * incident records due in that slot, and delivers one CloudTrail file and one
 * invocation-log file, then an hourly signed digest. The number of events per
 * slot is steered by a feedback loop on the compressed bytes written so far,
 * so --size is met without knowing the compression ratio in advance. Each
 * stream has its own PRNG seeded from (--seed, stream), so streams can run on
 * two threads in any order and the output stays byte-identical. The incidents
 * are rendered up front (own PRNG, fixed times relative to the attack day) and
 * described in ground-truth.jsonl.
 * --profile varied layers, on the same world, what the default traffic lacks
 * and real accounts are full of (the benign-FP measurement, docs/rules.md):
 * SDK start-ups (GetCallerIdentity, ListFoundationModels, then invocations)
 * at every process start, CI and batch IAM-user keys on a new cloud runner IP
 * per job, application-role sessions that rotate hourly over a fleet, SDK
 * upgrades (new user agents), root reading configuration, a regional
 * failover, night batch jobs and bursty chatbots.
 * --profile wild adds, on top of varied, habits of real accounts the other
 * profiles lack (a second benign corpus, docs/rules.md): a third-party
 * posture scanner, AWS Config and Security Hub reading everything hourly in
 * every region; dev accounts torn down every evening and applied every
 * morning by Terraform through a cross-account deploy role (logging
 * configuration and guardrail deleted and put back, invocation logging off
 * overnight); agents, knowledge-base retrieval, ApplyGuardrail, batch
 * inference, evaluation jobs and provisioned throughput; throttling and
 * AccessDenied bursts of a bad deploy; developers trying models in other
 * regions; a monthly access-key rotation per IAM user.
 * Output: OUT/<bucket>/AWSLogs/... (the bucket as exported), OUT/public-keys.json,
 * OUT/ground-truth.jsonl, OUT/digest-signatures.jsonl, OUT/signing-key.pem
 * (only when the key was generated here).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testdata/gen/gen_ct.h"
#include "testdata/gen/gen_digest.h"
#include "testdata/gen/gen_extra.h"
#include "testdata/gen/gen_inv.h"
#include "testdata/gen/gen_text.h"
#include "testdata/gen/gen_util.h"

#define SLOT 300
#define MAX_THREADS 8

typedef struct options {
	const char *out;
	const char *key;
	uint64_t size;
	uint64_t seed;
	size_t accounts, regions;
	int days;
	int attacks;
	int extras;
	int demo;
	int varied; /* --profile varied (or wild) */
	int wild;   /* --profile wild: varied plus what gen_wild_slot adds */
	int threads;
	int level;
	int64_t start;
} options;

/* Fixed times of the incident story, relative to the attack day. */
typedef struct plan_times {
	int64_t day;          /* 00:00 of the attack day */
	int64_t leak;         /* first call with the leaked key */
	int64_t log_delete;   /* DeleteModelInvocationLoggingConfiguration */
	int64_t trail_stop;   /* StopLogging */
	int64_t trail_start;  /* StartLogging */
	int64_t log_put;      /* PutModelInvocationLoggingConfiguration */
	int64_t guard_delete; /* DeleteGuardrail */
} plan_times;

typedef struct rec {
	int64_t t;
	size_t seq;
	size_t off, len;
} rec;

typedef struct rec_list {
	rec *v;
	size_t n, cap;
	gen_sb text;
} rec_list;

typedef struct stream {
	const options *opt;
	const gen_world *w;
	const gen_account *a;
	const gen_signer *signer;
	const plan_times *plan;
	const char *region;
	size_t ai, ri;
	int attack_stream;
	gen_rng rng;
	uint64_t target, bytes, events;
	uint64_t extra; /* --profile varied: events added on top of the size-steered traffic */
	char root[1024];
	gen_gz *gz;
	gen_chain *chain;
	rec_list ct, inv;           /* records of the current slot */
	rec_list att_ct, att_inv;   /* incident records, whole run */
	size_t att_ct_next, att_inv_next;
	gen_sb out, gzbuf, path, sigs, truth;
	gen_sb scratch[4];
	gen_convo convo;
	uint64_t n_ct, n_inv, n_files;
	int burst;
} stream;

/* ------------------------------------------------------------ records */

static void rl_init(rec_list *l)
{
	memset(l, 0, sizeof *l);
	gen_sb_init(&l->text);
}

static void rl_free(rec_list *l)
{
	free(l->v);
	gen_sb_free(&l->text);
}

static void rl_reset(rec_list *l)
{
	l->n = 0;
	gen_sb_reset(&l->text);
}

/* Call before writing a record into l->text; rl_end closes it. */
static size_t rl_begin(rec_list *l)
{
	return l->text.len;
}

static void rl_end(rec_list *l, size_t start, int64_t t)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = gen_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].t = t;
	l->v[l->n].seq = l->n;
	l->v[l->n].off = start;
	l->v[l->n].len = l->text.len - start;
	l->n++;
}

static void rl_copy(rec_list *dst, const rec_list *src, size_t i)
{
	size_t s = rl_begin(dst);
	gen_sb_putn(&dst->text, src->text.data + src->v[i].off, src->v[i].len);
	rl_end(dst, s, src->v[i].t);
}

static int rec_cmp(const void *x, const void *y)
{
	const rec *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* ------------------------------------------------------------- policy */

static int trail_stopped(const stream *st, int64_t t)
{
	return st->opt->attacks && st->ai == 0 && t > st->plan->trail_stop && t < st->plan->trail_start;
}

static int invlog_off(const stream *st, int64_t t)
{
	return st->opt->attacks && st->attack_stream && t > st->plan->log_delete && t < st->plan->log_put;
}

static int guardrail_gone(const stream *st, int64_t t)
{
	return st->opt->attacks && st->attack_stream && t > st->plan->guard_delete;
}

static int wild_dev_off(const stream *st, int64_t t);

/* ----------------------------------------------------- invocation pair */

typedef struct call {
	int64_t t;
	const gen_principal *p;
	const char *ip, *ua;
	gen_inv inv;
	const char *ct_err, *ct_errmsg;
	int ct_on, inv_on;
	char event_id[40];
} call;

static void write_s3_body(stream *st, gen_inv *e, int input)
{
	char dir[64], key[480];
	gen_time_fmt(e->t, "%Y/%m/%d/%H", dir, sizeof dir);
	snprintf(key, sizeof key, "AWSLogs/%s/BedrockModelInvocationLogs/%s/%s/data/%s_%s.json.gz", st->a->id,
		 st->region, dir, e->request_id, input ? "input" : "output");
	gen_sb body;
	gen_sb_init(&body);
	if (input)
		gen_inv_input_body(&body, e);
	else
		gen_inv_output_body(&body, &st->rng, e);
	gen_gz_compress(st->gz, body.data, body.len, &st->gzbuf);
	gen_sb_reset(&st->path);
	gen_sb_printf(&st->path, "%s/%s", st->root, key);
	gen_write_file(st->path.data, st->gzbuf.data, st->gzbuf.len);
	st->bytes += st->gzbuf.len;
	st->n_files++;
	snprintf(input ? e->input_s3 : e->output_s3, sizeof e->input_s3, "s3://%s/%s", st->w->bucket, key);
	gen_sb_free(&body);
}

/* Renders the CloudTrail record and the invocation-log record of one call. */
static void emit_call(stream *st, gen_rng *r, call *c, rec_list *ct, rec_list *inv)
{
	gen_inv *e = &c->inv;
	if (c->ct_on) {
		gen_ct_event ce;
		gen_ct_init(&ce, r, st->a, c->p, st->region, c->t);
		memcpy(ce.request_id, e->request_id, sizeof ce.request_id);
		if (c->ip)
			ce.ip = c->ip;
		ce.ua = c->ua;
		ce.source = "bedrock.amazonaws.com";
		ce.name = e->operation;
		ce.read_only = 1;
		ce.err_code = c->ct_err ? c->ct_err : e->err_code;
		ce.err_msg = c->ct_errmsg;
		char req[320];
		snprintf(req, sizeof req, "{\"modelId\":\"%s\"}", e->model_id);
		ce.req = req;
		size_t s = rl_begin(ct);
		gen_ct_write(&ct->text, r, &ce);
		rl_end(ct, s, c->t);
		memcpy(c->event_id, ce.event_id, sizeof c->event_id);
	}
	if (c->inv_on && !(c->ct_err && !e->err_code)) {
		if (e->c->user.len + e->c->tool_result.len > 100 * 1024 && !e->input_s3[0])
			write_s3_body(st, e, 1);
		if (e->c->answer.len > 100 * 1024 && !e->output_s3[0] && !e->err_code)
			write_s3_body(st, e, 0);
		size_t s = rl_begin(inv);
		gen_inv_write(&inv->text, r, e);
		rl_end(inv, s, c->t);
	}
}

static void call_init(call *c, gen_rng *r, stream *st, const gen_principal *p, int64_t t, const gen_convo *cv)
{
	memset(c, 0, sizeof *c);
	c->t = t;
	c->p = p;
	c->inv.t = t;
	c->inv.acct = st->a;
	c->inv.region = st->region;
	c->inv.identity_arn = p->arn;
	c->inv.c = cv;
	c->inv.key_order = (int)gen_rng_below(r, 3);
	gen_uuid(r, c->inv.request_id);
	c->ct_on = !trail_stopped(st, t);
	c->inv_on = !invlog_off(st, t) && !wild_dev_off(st, t);
}

static void benign_call(stream *st, const gen_principal *p, int64_t t)
{
	gen_rng *r = &st->rng;
	call c;
	int large = p->app == GEN_APP_SUMMARIZER && gen_rng_chance(r, 0.0015);
	if (large)
		gen_text_large_doc(r, &st->convo, 100 * 1024 + gen_rng_below(r, 60 * 1024));
	else
		gen_text_benign(r, p->app, &st->convo);
	call_init(&c, r, st, p, t, &st->convo);
	gen_inv_choose(r, p->app, st->a, st->region, &c.inv);
	if (large && strncmp(c.inv.operation, "Converse", 8) == 0) {
		c.inv.operation = "InvokeModel";
		c.inv.fam = GEN_FAM_ANTHROPIC;
	}
	if (p->app == GEN_APP_CHATBOT && !guardrail_gone(st, t))
		c.inv.guard = st->convo.near_miss && gen_rng_chance(r, 0.3) ? GEN_GUARD_OUTPUT : GEN_GUARD_PASS;
	double u = gen_rng_unit(r);
	if (u < 0.004)
		c.inv.err_code = "ThrottlingException";
	else if (u < 0.007)
		c.inv.err_code = "ValidationException";
	else if (u < 0.009) {
		c.ct_err = "AccessDenied";
		c.ct_errmsg = "You don't have access to the model with the specified model ID.";
	}
	if (c.inv.err_code && strcmp(c.inv.err_code, "ThrottlingException") == 0)
		c.ct_errmsg = "Too many requests, please wait before trying again.";
	else if (c.inv.err_code)
		c.ct_errmsg = "Malformed input request, please reformat your input and try again.";
	gen_inv_measure(r, &c.inv);
	emit_call(st, r, &c, &st->ct, &st->inv);
}

/* ------------------------------------------------------------ incidents */

static void truth_ids(gen_sb *o, const char *key, char ids[][40], size_t n)
{
	gen_sb_printf(o, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			gen_sb_putc(o, ',');
		gen_sb_jstr(o, ids[i]);
	}
	gen_sb_putc(o, ']');
}

static void truth_line(stream *st, const char *incident, const char *summary, int64_t t0, int64_t t1,
		       const char *principal, char ev[][40], size_t nev, char rq[][40], size_t nrq, const char *extra)
{
	char a[32], b[32];
	gen_time_iso(t0, a);
	gen_time_iso(t1, b);
	gen_sb *o = &st->truth;
	gen_sb_put(o, "{\"incident\":");
	gen_sb_jstr(o, incident);
	gen_sb_printf(o, ",\"account\":\"%s\",\"region\":\"%s\",\"start\":\"%s\",\"end\":\"%s\",\"principal\":", st->a->id,
		      st->region, a, b);
	gen_sb_jstr(o, principal);
	gen_sb_put(o, ",\"summary\":");
	gen_sb_jstr(o, summary);
	truth_ids(o, "event_ids", ev, nev);
	truth_ids(o, "request_ids", rq, nrq);
	if (extra)
		gen_sb_put(o, extra);
	gen_sb_put(o, "}\n");
}

typedef struct ct_step {
	int64_t t;
	const gen_principal *p;
	const char *ip, *ua;
	const char *source, *name;
	const char *req, *resp;
	const char *err, *errmsg;
	int read_only;
} ct_step;

/* Renders one incident CloudTrail record; returns its eventID in id. */
static void att_ct(stream *st, gen_rng *r, const ct_step *s, char id[40])
{
	gen_ct_event e;
	gen_ct_init(&e, r, st->a, s->p, st->region, s->t);
	if (s->ip)
		e.ip = s->ip;
	e.ua = s->ua;
	e.source = s->source;
	e.name = s->name;
	e.req = s->req;
	e.resp = s->resp;
	e.err_code = s->err;
	e.err_msg = s->errmsg;
	e.read_only = s->read_only;
	size_t b = rl_begin(&st->att_ct);
	gen_ct_write(&st->att_ct.text, r, &e);
	rl_end(&st->att_ct, b, s->t);
	memcpy(id, e.event_id, 40);
}

static const char *const attacker_ip = "203.0.113.47";
static const char *const attacker_ip2 = "198.51.100.23";
static const char *const attacker_ua =
	"Boto3/1.26.0 md/Botocore#1.29.0 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.10.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.29.0";
static const char *const attacker_ua2 = "python-httpx/0.27.0";

typedef struct idset {
	char ev[2600][40];
	size_t nev;
	char rq[2600][40];
	size_t nrq;
} idset;

static void llmjacking_recon(stream *st, gen_rng *r, const gen_principal *leaked, idset *ids)
{
	const int64_t t = st->plan->leak;
	static const char *const probe_models[] = {"anthropic.claude-3-opus-20240229-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0",
						   "meta.llama3-1-405b-instruct-v1:0", "mistral.mistral-large-2407-v1:0"};
	ct_step s = {t, leaked, attacker_ip, attacker_ua, "sts.amazonaws.com", "GetCallerIdentity", NULL, NULL, NULL, NULL, 1};
	att_ct(st, r, &s, ids->ev[ids->nev++]);
	s.t = t + 40;
	s.source = "bedrock.amazonaws.com";
	s.name = "ListFoundationModels";
	att_ct(st, r, &s, ids->ev[ids->nev++]);
	char req[4][200];
	for (int i = 0; i < 4; i++) {
		snprintf(req[i], sizeof req[i], "{\"modelId\":\"%s\"}", probe_models[i]);
		s.t = t + 70 + 20 * i;
		s.name = "GetFoundationModelAvailability";
		s.req = req[i];
		att_ct(st, r, &s, ids->ev[ids->nev++]);
	}
	s.t = t + 185;
	s.name = "GetModelInvocationLoggingConfiguration";
	s.req = NULL;
	att_ct(st, r, &s, ids->ev[ids->nev++]);
	s.t = t + 240;
	s.name = "PutUseCaseForModelAccess";
	s.read_only = 0;
	s.req = "{\"formData\":\"eyJjb21wYW55TmFtZSI6Ik15IENvbXBhbnkiLCJjb21wYW55V2Vic2l0ZSI6Imh0dHBzOi8vZXhhbXBsZS5jb20iLCJpbnRlbmRlZFVzZXJzIjoiMCIsImluZHVzdHJ5T3B0aW9uIjoiT3RoZXIiLCJ1c2VDYXNlcyI6ImNoYXQifQ==\"}";
	att_ct(st, r, &s, ids->ev[ids->nev++]);
	s.t = t + 270;
	s.name = "CreateFoundationModelAgreement";
	s.req = "{\"offerToken\":\"AQAAAFtoken-redacted-by-generator\",\"modelId\":\"anthropic.claude-3-opus-20240229-v1:0\"}";
	s.resp = "{\"modelId\":\"anthropic.claude-3-opus-20240229-v1:0\"}";
	att_ct(st, r, &s, ids->ev[ids->nev++]);
}

static void llmjacking_probes(stream *st, gen_rng *r, const gen_principal *leaked, idset *ids)
{
	static const char *const models[] = {"anthropic.claude-3-opus-20240229-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0",
					     "mistral.mistral-large-2407-v1:0"};
	for (int i = 0; i < 3; i++) {
		call c;
		gen_text_roleplay(r, &st->convo);
		call_init(&c, r, st, leaked, st->plan->leak + 300 + 25 * i, &st->convo);
		c.ip = attacker_ip;
		c.ua = attacker_ua;
		c.inv.operation = i == 2 ? "Converse" : "InvokeModel";
		c.inv.fam = GEN_FAM_ANTHROPIC;
		c.inv.model_id = models[i];
		if (i == 1) {
			c.inv.err_code = "ValidationException";
			c.ct_errmsg = "Malformed input request: #: extraneous key [max_tokens_to_sample] is not permitted, please reformat your input and try again.";
		} else {
			c.ct_err = "AccessDenied";
			c.ct_errmsg = "You don't have access to the model with the specified model ID.";
		}
		gen_inv_measure(r, &c.inv);
		emit_call(st, r, &c, &st->att_ct, &st->att_inv);
		memcpy(ids->rq[ids->nrq++], c.inv.request_id, 40);
		memcpy(ids->ev[ids->nev++], c.event_id, 40);
	}
}

/* The resale traffic: many role-play completions from two new IPs. */
static void llmjacking_burst(stream *st, gen_rng *r, const gen_principal *leaked, idset *ids, idset *unlogged)
{
	int n = st->burst;
	int64_t t0 = st->plan->leak + 480, span = 75 * 60;
	for (int i = 0; i < n; i++) {
		call c;
		int64_t t = t0 + (span * i) / n + (int64_t)gen_rng_below(r, 20);
		gen_text_roleplay(r, &st->convo);
		call_init(&c, r, st, leaked, t, &st->convo);
		int second = i % 3 == 2;
		c.ip = second ? attacker_ip2 : attacker_ip;
		c.ua = second ? attacker_ua2 : attacker_ua;
		c.inv.operation = gen_rng_chance(r, 0.5) ? "InvokeModelWithResponseStream" : "InvokeModel";
		c.inv.fam = GEN_FAM_ANTHROPIC;
		c.inv.model_id = gen_rng_chance(r, 0.7) ? "anthropic.claude-3-5-sonnet-20240620-v1:0" : "anthropic.claude-3-haiku-20240307-v1:0";
		gen_inv_measure(r, &c.inv);
		emit_call(st, r, &c, &st->att_ct, &st->att_inv);
		if (ids->nrq < sizeof ids->rq / sizeof ids->rq[0])
			memcpy(ids->rq[ids->nrq++], c.inv.request_id, 40);
		if (c.ct_on && ids->nev < sizeof ids->ev / sizeof ids->ev[0])
			memcpy(ids->ev[ids->nev++], c.event_id, 40);
		if (!c.inv_on && unlogged->nrq < sizeof unlogged->rq / sizeof unlogged->rq[0])
			memcpy(unlogged->rq[unlogged->nrq++], c.inv.request_id, 40);
	}
}

static const gen_principal *by_name(const stream *st, const char *name)
{
	int i = gen_world_find(st->a, name);
	if (i < 0)
		gen_die("internal: principal %s missing", name);
	return &st->a->p[i];
}

static const gen_principal *admin(const stream *st)
{
	for (size_t i = 0; i < st->a->np; i++)
		if (st->a->p[i].prof & GEN_PROF_ADMIN)
			return &st->a->p[i];
	return &st->a->p[0];
}

static const gen_principal *developer(const stream *st)
{
	for (size_t i = 0; i < st->a->np; i++)
		if ((st->a->p[i].prof & GEN_PROF_DEV) && st->a->p[i].console)
			return &st->a->p[i];
	return &st->a->p[0];
}

static void incident_llmjacking(stream *st, gen_rng *r)
{
	const gen_principal *leaked = by_name(st, "svc-ci-deploy");
	const gen_principal *adm = admin(st);
	idset *ids = gen_xmalloc(sizeof *ids), *unlogged = gen_xmalloc(sizeof *unlogged), *logs = gen_xmalloc(sizeof *logs);
	ids->nev = ids->nrq = unlogged->nev = unlogged->nrq = logs->nev = logs->nrq = 0;
	llmjacking_recon(st, r, leaked, ids);
	llmjacking_probes(st, r, leaked, ids);

	char trail_arn[200];
	snprintf(trail_arn, sizeof trail_arn, "{\"name\":\"arn:aws:cloudtrail:%s:%s:trail/%s\"}", st->w->home_region, st->a->id, st->w->trail);
	ct_step s = {st->plan->log_delete, leaked, attacker_ip, attacker_ua, "bedrock.amazonaws.com",
		     "DeleteModelInvocationLoggingConfiguration", NULL, NULL, NULL, NULL, 0};
	att_ct(st, r, &s, logs->ev[logs->nev++]);
	llmjacking_burst(st, r, leaked, ids, unlogged);

	ct_step stop = {st->plan->trail_stop, leaked, attacker_ip, attacker_ua, "cloudtrail.amazonaws.com", "StopLogging",
			trail_arn, NULL, NULL, NULL, 0};
	char stop_ids[2][40];
	att_ct(st, r, &stop, stop_ids[0]);
	ct_step start = {st->plan->trail_start, adm, NULL, NULL, "cloudtrail.amazonaws.com", "StartLogging", trail_arn,
			 NULL, NULL, NULL, 0};
	att_ct(st, r, &start, stop_ids[1]);

	char put_req[400];
	snprintf(put_req, sizeof put_req,
		 "{\"loggingConfig\":{\"s3Config\":{\"bucketName\":\"%s\",\"keyPrefix\":\"\"},\"textDataDeliveryEnabled\":true,\"imageDataDeliveryEnabled\":true,\"embeddingDataDeliveryEnabled\":true}}",
		 st->w->bucket);
	ct_step put = {st->plan->log_put, adm, NULL, NULL, "bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration",
		       put_req, NULL, NULL, NULL, 0};
	att_ct(st, r, &put, logs->ev[logs->nev++]);
	char key_req[200];
	snprintf(key_req, sizeof key_req, "{\"userName\":\"svc-ci-deploy\",\"accessKeyId\":\"%s\",\"status\":\"Inactive\"}", leaked->access_key);
	ct_step deact = {st->plan->log_put + 360, adm, NULL, NULL, "iam.amazonaws.com", "UpdateAccessKey", key_req, NULL,
			 NULL, NULL, 0};
	att_ct(st, r, &deact, ids->ev[ids->nev++]);

	char extra[512];
	snprintf(extra, sizeof extra, ",\"access_key_id\":\"%s\",\"source_ips\":[\"%s\",\"%s\"],\"user_agents\":[\"%s\",\"%s\"]",
		 leaked->access_key, attacker_ip, attacker_ip2, attacker_ua, attacker_ua2);
	truth_line(st, "llmjacking",
		   "Leaked IAM user access key used from a new IP and user agent: GetCallerIdentity, model enumeration, model-access requests, failing InvokeModel probes, then a burst of role-play invocations; key deactivated by an administrator the next morning",
		   st->plan->leak, st->plan->log_put + 360, leaked->arn, ids->ev, ids->nev, ids->rq, ids->nrq, extra);
	truth_line(st, "invocation_logging_disabled",
		   "Model invocation logging deleted with the leaked key; CloudTrail keeps recording InvokeModel calls that have no invocation-log record until an administrator restores logging (request_ids: attacker calls with no invocation-log record)",
		   st->plan->log_delete, st->plan->log_put, leaked->arn, logs->ev, logs->nev, unlogged->rq, unlogged->nrq, NULL);
	truth_line(st, "cloudtrail_stopped",
		   "CloudTrail StopLogging with the leaked key: no CloudTrail records for the account in any region until StartLogging by an administrator",
		   st->plan->trail_stop, st->plan->trail_start, leaked->arn, stop_ids, 2, NULL, 0, NULL);
	free(ids);
	free(unlogged);
	free(logs);
}

static void incident_injection(stream *st, gen_rng *r)
{
	const gen_principal *bot = by_name(st, "support-chatbot-task-role");
	const gen_principal *dev = developer(st);
	static const struct {
		int variant;
		gen_guard guard;
		int minute;
	} tries[] = {{GEN_INJ_IGNORE, GEN_GUARD_INPUT, 0}, {GEN_INJ_DISCOUNT, GEN_GUARD_INPUT, 3},
		     {GEN_INJ_DAN, GEN_GUARD_INPUT, 6}, {GEN_INJ_SYSPROMPT_LEAK, GEN_GUARD_PASS, 9},
		     {GEN_INJ_INDIRECT, GEN_GUARD_PASS, 14}, {GEN_INJ_IGNORE, GEN_GUARD_NONE, 130}};
	char rq[6][40], evs[6][40];
	int64_t t0 = st->plan->day + 14 * 3600 + 20 * 60;
	for (size_t i = 0; i < 6; i++) {
		call c;
		gen_text_injection(r, tries[i].variant, &st->convo);
		int64_t t = i == 5 ? st->plan->guard_delete + 28 * 60 : t0 + tries[i].minute * 60 + 17;
		call_init(&c, r, st, bot, t, &st->convo);
		c.inv.operation = "Converse";
		c.inv.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
		c.inv.guard = tries[i].guard;
		gen_inv_measure(r, &c.inv);
		emit_call(st, r, &c, &st->att_ct, &st->att_inv);
		memcpy(rq[i], c.inv.request_id, 40);
		memcpy(evs[i], c.event_id, 40);
	}
	truth_line(st, "prompt_injection",
		   "Prompt-injection and jailbreak attempts against the support chatbot: three blocked by the guardrail (PROMPT_ATTACK), a system-prompt leak and an indirect injection via a tool result that got through, and a last attempt that succeeded after the guardrail was deleted",
		   t0, st->plan->guard_delete + 28 * 60, bot->arn, evs, 6, rq, 6, NULL);

	char req[160], ev[1][40];
	snprintf(req, sizeof req, "{\"guardrailIdentifier\":\"%s\"}", st->a->guardrail_id);
	ct_step s = {st->plan->guard_delete, dev, NULL, NULL, "bedrock.amazonaws.com", "DeleteGuardrail", req, NULL, NULL, NULL, 0};
	att_ct(st, r, &s, ev[0]);
	char extra[80];
	snprintf(extra, sizeof extra, ",\"guardrail_id\":\"%s\"", st->a->guardrail_id);
	truth_line(st, "guardrail_deleted",
		   "The guardrail protecting the support chatbot was deleted from the console; the chatbot runs unguarded afterwards",
		   st->plan->guard_delete, st->plan->guard_delete, dev->arn, ev, 1, NULL, 0, extra);
}

static void incident_secrets(stream *st, gen_rng *r)
{
	const gen_principal *p = by_name(st, "dev-assistant-role");
	static const char *const kinds[] = {"aws_access_key", "github_token", "pem_private_key", "card_number"};
	char rq[GEN_LEAK_COUNT][40], evs[GEN_LEAK_COUNT][40];
	gen_sb extra;
	gen_sb_init(&extra);
	gen_sb_put(&extra, ",\"secrets\":[");
	int64_t t0 = st->plan->day + 17 * 3600 + 45 * 60;
	for (int i = 0; i < GEN_LEAK_COUNT; i++) {
		call c;
		char secret[128];
		gen_text_secret_leak(r, i, &st->convo, secret, sizeof secret);
		call_init(&c, r, st, p, t0 + i * 330 + 41, &st->convo);
		c.inv.operation = "Converse";
		c.inv.model_id = "anthropic.claude-3-5-sonnet-20240620-v1:0";
		gen_inv_measure(r, &c.inv);
		emit_call(st, r, &c, &st->att_ct, &st->att_inv);
		memcpy(rq[i], c.inv.request_id, 40);
		memcpy(evs[i], c.event_id, 40);
		if (i)
			gen_sb_putc(&extra, ',');
		gen_sb_printf(&extra, "{\"kind\":\"%s\",\"request_id\":\"%s\",\"value\":", kinds[i], c.inv.request_id);
		gen_sb_jstr(&extra, secret);
		gen_sb_putc(&extra, '}');
	}
	gen_sb_putc(&extra, ']');
	truth_line(st, "secret_leak",
		   "Secrets in model responses of the internal developer assistant: an AWS access key pair, a GitHub token, a PEM private key and a Luhn-valid card number (all fake)",
		   t0, t0 + 3 * 330 + 41, p->arn, evs, GEN_LEAK_COUNT, rq, GEN_LEAK_COUNT, extra.data);
	gen_sb_free(&extra);
}

/* A guaranteed large request whose body is delivered through S3. */
static void large_body_call(stream *st, gen_rng *r)
{
	const gen_principal *p = by_name(st, "doc-summarizer-lambda-role");
	call c;
	gen_text_large_doc(r, &st->convo, 120 * 1024);
	call_init(&c, r, st, p, st->opt->start + 10 * 3600 + 1234, &st->convo);
	c.inv.operation = "InvokeModel";
	c.inv.fam = GEN_FAM_ANTHROPIC;
	c.inv.model_id = "anthropic.claude-3-5-sonnet-20240620-v1:0";
	gen_inv_measure(r, &c.inv);
	emit_call(st, r, &c, &st->att_ct, &st->att_inv);

	/* ...and one whose answer is too large to be inline. */
	gen_text_large_doc(r, &st->convo, 110 * 1024);
	gen_sb_reset(&st->convo.answer);
	gen_sb_put(&st->convo.answer, "# Weekly reports, cleaned up\n\n");
	gen_sb_putn(&st->convo.answer, st->convo.user.data, st->convo.user.len);
	gen_sb_reset(&st->convo.user);
	gen_sb_put(&st->convo.user, "Clean up the formatting of the weekly status archive stored in s3://acme-data-lake-raw/status/archive.txt and return the full text.");
	call_init(&c, r, st, p, st->opt->start + 10 * 3600 + 2345, &st->convo);
	c.inv.operation = "InvokeModel";
	c.inv.fam = GEN_FAM_ANTHROPIC;
	c.inv.model_id = "anthropic.claude-3-5-sonnet-20240620-v1:0";
	gen_inv_measure(r, &c.inv);
	emit_call(st, r, &c, &st->att_ct, &st->att_inv);
}

static void prepare_incidents(stream *st)
{
	gen_rng r;
	gen_rng_seed(&r, st->opt->seed, 424242);
	large_body_call(st, &r);
	if (st->opt->attacks) {
		incident_llmjacking(st, &r);
		incident_injection(st, &r);
		incident_secrets(st, &r);
	}
	qsort(st->att_ct.v, st->att_ct.n, sizeof(rec), rec_cmp);
	qsort(st->att_inv.v, st->att_inv.n, sizeof(rec), rec_cmp);
}

/* --------------------------------------------------------------- slots */

static double diurnal(const char *region, int64_t t)
{
	int peak = strncmp(region, "eu", 2) == 0 ? 12 : (strncmp(region, "ap", 2) == 0 ? 4 : 18);
	int h = gen_time_hour(t);
	int d = h - peak;
	if (d < -12)
		d += 24;
	if (d > 12)
		d -= 24;
	double x = 1.0 - (double)(d * d) / 40.0;
	double w = 0.08 + (x > 0 ? x : 0.0);
	if (gen_time_weekday(t) >= 5)
		w *= 0.3;
	return w;
}

static void write_gz_file(stream *st, const char *key, const gen_sb *data)
{
	gen_gz_compress(st->gz, data->data, data->len, &st->gzbuf);
	gen_sb_reset(&st->path);
	gen_sb_printf(&st->path, "%s/%s", st->root, key);
	gen_write_file(st->path.data, st->gzbuf.data, st->gzbuf.len);
	st->bytes += st->gzbuf.len;
	st->n_files++;
}

static void deliver_ct(stream *st, int64_t slot_end)
{
	rec_list *l = &st->ct;
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(rec), rec_cmp);
	gen_sb_reset(&st->out);
	gen_sb_put(&st->out, "{\"Records\":[");
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			gen_sb_putc(&st->out, ',');
		gen_sb_putn(&st->out, l->text.data + l->v[i].off, l->v[i].len);
	}
	gen_sb_put(&st->out, "]}");
	char ymd[16], stamp[24], rnd[17], key[400], hash[65];
	gen_time_fmt(slot_end, "%Y/%m/%d", ymd, sizeof ymd);
	gen_time_fmt(slot_end, "%Y%m%dT%H%MZ", stamp, sizeof stamp);
	gen_chars(&st->rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", rnd, 16);
	snprintf(key, sizeof key, "AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", st->a->id, st->region, ymd,
		 st->a->id, st->region, stamp, rnd);
	write_gz_file(st, key, &st->out);
	gen_sha256_hex(st->out.data, st->out.len, hash);
	gen_chain_add_log(st->chain, key, hash, l->v[0].t, l->v[l->n - 1].t);
	st->n_ct += l->n;
}

static void deliver_inv(stream *st)
{
	rec_list *l = &st->inv;
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(rec), rec_cmp);
	gen_sb_reset(&st->out);
	for (size_t i = 0; i < l->n; i++) {
		gen_sb_putn(&st->out, l->text.data + l->v[i].off, l->v[i].len);
		gen_sb_putc(&st->out, '\n');
	}
	int64_t last = l->v[l->n - 1].t;
	char dir[24], stamp[24], rnd[17], key[400];
	gen_time_fmt(last, "%Y/%m/%d/%H", dir, sizeof dir);
	gen_time_fmt(last, "%Y%m%dT%H%M%S", stamp, sizeof stamp);
	gen_hex(&st->rng, rnd, 16);
	snprintf(key, sizeof key, "AWSLogs/%s/BedrockModelInvocationLogs/%s/%s/%s%03uZ_%s.json.gz", st->a->id, st->region,
		 dir, stamp, gen_rng_below(&st->rng, 1000), rnd);
	write_gz_file(st, key, &st->out);
	st->n_inv += l->n;
}

static void merge_incidents(stream *st, int64_t t0, int64_t t1)
{
	while (st->att_ct_next < st->att_ct.n && st->att_ct.v[st->att_ct_next].t < t1) {
		if (st->att_ct.v[st->att_ct_next].t >= t0)
			rl_copy(&st->ct, &st->att_ct, st->att_ct_next);
		st->att_ct_next++;
	}
	while (st->att_inv_next < st->att_inv.n && st->att_inv.v[st->att_inv_next].t < t1) {
		if (st->att_inv.v[st->att_inv_next].t >= t0)
			rl_copy(&st->inv, &st->att_inv, st->att_inv_next);
		st->att_inv_next++;
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* ------------------------------------------------- --profile varied */

static void wild_key(const stream *st, const gen_principal *p, int64_t t, gen_principal *tmp);

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* p as it looks at time t in the varied profile (a copy in *tmp): CI and
 * reporting IAM-user keys run on a fresh cloud runner per 10-minute job;
 * application roles run as hourly-rotating sessions of an 8-instance fleet;
 * non-console clients upgrade their SDK every 10 days (staggered). */
static const gen_principal *varied_principal(const stream *st, const gen_principal *p, int64_t t, gen_principal *tmp)
{
	*tmp = *p;
	uint64_t who = (uint64_t)st->ai * 64 + (uint64_t)p->idx;
	if (p->type == GEN_IAMUSER && (p->prof & (GEN_PROF_CI | GEN_PROF_REPORT))) {
		uint64_t h = mix64(st->opt->seed ^ who << 40 ^ (uint64_t)(t / 600));
		static const int first[] = {3, 18, 34, 35, 44, 52, 54, 100};
		snprintf(tmp->ips[0], sizeof tmp->ips[0], "%d.%d.%d.%d", first[h % 8], (int)(h >> 8 & 255),
			 (int)(h >> 16 & 255), 1 + (int)((h >> 24) % 254));
		tmp->nips = 1;
	}
	if (p->type == GEN_ROLE && (p->prof & GEN_PROF_APP)) {
		uint64_t h = mix64(who << 32 ^ (uint64_t)(t / 3600) << 3 ^ (uint64_t)(t % 8));
		snprintf(tmp->session, sizeof tmp->session, "i-%012llx", (unsigned long long)(h & 0xffffffffffffull));
		snprintf(tmp->principal_id, sizeof tmp->principal_id, "%.23s:%.40s", p->unique_id, tmp->session);
		snprintf(tmp->arn, sizeof tmp->arn, "arn:aws:sts::%.15s:assumed-role/%.60s/%.40s", st->a->id, p->name, tmp->session);
		tmp->idx = p->idx + 1000 * (1 + (int)(t % 8)); /* each instance its own session key */
		if (p->nips > 1) { /* an instance calls from its own address */
			memcpy(tmp->ips[0], p->ips[(h >> 48) % (uint64_t)p->nips], sizeof tmp->ips[0]);
			tmp->nips = 1;
		}
	}
	if (!p->console && p->type != GEN_SERVICE) {
		long version = (long)((t - st->opt->start) / 86400 + p->idx * 3) / 10;
		snprintf(tmp->ua, sizeof tmp->ua, "%.200s md/build#%ld", p->ua, version);
	}
	wild_key(st, p, t, tmp);
	return tmp;
}

static void varied_ct(stream *st, const gen_principal *p, int64_t t, const char *source, const char *name)
{
	gen_ct_event e;
	gen_ct_init(&e, &st->rng, st->a, p, st->region, t);
	e.source = source;
	e.name = name;
	e.read_only = 1;
	size_t s = rl_begin(&st->ct);
	gen_ct_write(&st->ct.text, &st->rng, &e);
	rl_end(&st->ct, s, t);
	st->events++;
	st->extra++;
}

/* A process start: identity check, model listing, then 1-3 invocations. */
static void sdk_startup(stream *st, const gen_principal *p, int64_t t, int64_t slot_end)
{
	if (!trail_stopped(st, t)) {
		varied_ct(st, p, t, "sts.amazonaws.com", "GetCallerIdentity");
		varied_ct(st, p, t + 1 < slot_end ? t + 1 : t, "bedrock.amazonaws.com", "ListFoundationModels");
	}
	int k = 1 + (int)gen_rng_below(&st->rng, 3);
	for (int i = 0; i < k; i++) {
		int64_t ti = t + 2 + i * 3;
		benign_call(st, p, ti < slot_end ? ti : t);
	}
	st->events += (uint64_t)k;
	st->extra += (uint64_t)k;
}

static const gen_principal *find_kind(const stream *st, gen_ptype type, unsigned prof, int app)
{
	for (size_t i = 0; i < st->a->np; i++) {
		const gen_principal *p = &st->a->p[i];
		if (p->type == type && (prof == 0 || (p->prof & prof)) && (app < 0 || (int)p->app == app))
			return p;
	}
	return NULL;
}

/* Root signs in now and then and reads configuration (logging, trails,
 * buckets, models, guardrails): GuardDuty rates such use Low. */
static void root_reads(stream *st, int64_t t0)
{
	static const char *const reads[][2] = {
	    {"bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration"},
	    {"bedrock.amazonaws.com", "ListFoundationModels"},
	    {"bedrock.amazonaws.com", "GetGuardrail"},
	    {"cloudtrail.amazonaws.com", "DescribeTrails"},
	    {"cloudtrail.amazonaws.com", "GetTrailStatus"},
	    {"s3.amazonaws.com", "GetBucketPolicy"},
	    {"iam.amazonaws.com", "GetAccountSummary"},
	    {"iam.amazonaws.com", "ListUsers"},
	};
	const gen_principal *root = find_kind(st, GEN_ROOT, 0, -1);
	if (root == NULL || trail_stopped(st, t0))
		return;
	int k = 2 + (int)gen_rng_below(&st->rng, 5);
	for (int i = 0; i < k; i++) {
		size_t j = gen_rng_below(&st->rng, sizeof reads / sizeof reads[0]);
		varied_ct(st, root, t0 + 10 + i * 20, reads[j][0], reads[j][1]);
	}
}

/* Per-slot extras of the varied profile: night batch jobs, chatbot bursts,
 * root reads, and a two-hour failover into the second region each week. */
static void varied_slot(stream *st, int64_t t0)
{
	gen_rng *r = &st->rng;
	int hour = (int)(t0 % 86400 / 3600);
	gen_principal tmp;
	if (gen_rng_chance(r, 0.003))
		root_reads(st, t0);
	const gen_principal *batch = find_kind(st, GEN_IAMUSER, GEN_PROF_REPORT, -1);
	if (batch && hour < 5 && gen_rng_chance(r, 0.03)) {
		int n = 40 + (int)gen_rng_below(r, 160);
		for (int i = 0; i < n; i++)
			benign_call(st, varied_principal(st, batch, t0 + i * SLOT / n, &tmp), t0 + i * SLOT / n);
		st->events += (uint64_t)n;
		st->extra += (uint64_t)n;
	}
	const gen_principal *bot = find_kind(st, GEN_ROLE, GEN_PROF_APP, GEN_APP_CHATBOT);
	if (bot && gen_rng_chance(r, 0.02)) {
		int n = 30 + (int)gen_rng_below(r, 90);
		for (int i = 0; i < n; i++)
			benign_call(st, varied_principal(st, bot, t0 + i * SLOT / n, &tmp), t0 + i * SLOT / n);
		st->events += (uint64_t)n;
		st->extra += (uint64_t)n;
	}
}

/* --------------------------------------------------- --profile wild */

/* A principal of the wild profile, made from a role template: name, session,
 * user agent and address(es) given; the unique id follows from the name. */
static void wild_role(const stream *st, gen_principal *p, const char *acct_id, const char *role, const char *session,
		      const char *ua, const char *ip)
{
	memset(p, 0, sizeof *p);
	p->type = GEN_ROLE;
	p->prof = GEN_PROF_SERVICE;
	uint64_t h = mix64(st->opt->seed ^ (uint64_t)strlen(role) << 50 ^ (uint64_t)(unsigned char)role[0] << 40 ^
			   (uint64_t)(unsigned char)role[strlen(role) - 1] << 32);
	snprintf(p->name, sizeof p->name, "%.63s", role);
	snprintf(p->unique_id, sizeof p->unique_id, "AROA%016llX", (unsigned long long)(h & 0xffffffffffffffull));
	snprintf(p->session, sizeof p->session, "%.95s", session);
	snprintf(p->principal_id, sizeof p->principal_id, "%.23s:%.50s", p->unique_id, session);
	const char *path = strncmp(role, "AWSReservedSSO_", 15) == 0 ? "aws-reserved/sso.amazonaws.com/" : "";
	snprintf(p->role_arn, sizeof p->role_arn, "arn:aws:iam::%.15s:role/%s%.80s", acct_id, path, role);
	snprintf(p->arn, sizeof p->arn, "arn:aws:sts::%.15s:assumed-role/%.80s/%.60s", acct_id, role, session);
	snprintf(p->ua, sizeof p->ua, "%.250s", ua);
	snprintf(p->ips[0], sizeof p->ips[0], "%.47s", ip);
	p->nips = 1;
	p->idx = 40 + (int)(h % 20);
}

/* One CloudTrail record of the wild profile; err may be NULL. */
static void wild_ct(stream *st, const gen_principal *p, int64_t t, const char *source, const char *name, int read_only,
		    const char *err, const char *msg, const char *req)
{
	if (trail_stopped(st, t))
		return;
	gen_ct_event e;
	gen_ct_init(&e, &st->rng, st->a, p, st->region, t);
	e.source = source;
	e.name = name;
	e.read_only = read_only;
	e.err_code = err;
	e.err_msg = msg;
	e.req = req;
	size_t s = rl_begin(&st->ct);
	gen_ct_write(&st->ct.text, &st->rng, &e);
	rl_end(&st->ct, s, t);
	st->events++;
	st->extra++;
}

/* A third-party posture scanner (CSPM) role assumed from the vendor's
 * account, AWS Config and Security Hub: every hour, in every region, they
 * list and read everything, Bedrock's logging configuration included. */
static void wild_scanners(stream *st, int64_t t0)
{
	static const char *const reads[][2] = {
	    {"bedrock.amazonaws.com", "ListFoundationModels"},
	    {"bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration"},
	    {"bedrock.amazonaws.com", "ListGuardrails"},
	    {"bedrock.amazonaws.com", "ListCustomModels"},
	    {"bedrock.amazonaws.com", "ListProvisionedModelThroughputs"},
	    {"bedrock.amazonaws.com", "ListModelInvocationJobs"},
	    {"bedrock.amazonaws.com", "ListEvaluationJobs"},
	    {"bedrock-agent.amazonaws.com", "ListAgents"},
	    {"bedrock-agent.amazonaws.com", "ListKnowledgeBases"},
	    {"iam.amazonaws.com", "ListUsers"},
	    {"iam.amazonaws.com", "ListRoles"},
	    {"iam.amazonaws.com", "ListAccessKeys"},
	    {"iam.amazonaws.com", "GetAccountAuthorizationDetails"},
	    {"cloudtrail.amazonaws.com", "DescribeTrails"},
	    {"cloudtrail.amazonaws.com", "GetTrailStatus"},
	    {"cloudtrail.amazonaws.com", "GetEventSelectors"},
	    {"s3.amazonaws.com", "ListBuckets"},
	    {"s3.amazonaws.com", "GetBucketPolicy"},
	    {"kms.amazonaws.com", "ListKeys"},
	    {"securityhub.amazonaws.com", "GetFindings"},
	    {"config.amazonaws.com", "DescribeConfigRules"},
	    {"organizations.amazonaws.com", "DescribeOrganization"},
	};
	int minute = (int)(t0 % 3600 / 60);
	if (minute != (int)(mix64(st->opt->seed + st->ai) % 12) * 5)
		return;
	char sess[64], ip[48];
	uint64_t h = mix64(st->opt->seed ^ (uint64_t)(t0 / 3600));
	snprintf(sess, sizeof sess, "cspm-scan-%llu", (unsigned long long)(t0 / 3600));
	snprintf(ip, sizeof ip, "35.171.%d.%d", 40 + (int)(h % 4), 10 + (int)(h >> 8) % 40);
	gen_principal cspm, cfg;
	wild_role(st, &cspm, st->a->id, "ThirdPartyCSPMReadOnly", sess,
		  "aws-sdk-go/1.51.21 (go1.22.2; linux; amd64) exec-env/AWS_ECS_FARGATE", ip);
	wild_role(st, &cfg, st->a->id, "AWSServiceRoleForConfig", "AWSConfig-Describe", "config.amazonaws.com",
		  "config.amazonaws.com");
	size_t n = sizeof reads / sizeof reads[0];
	for (size_t i = 0; i < n; i++) {
		if (strcmp(reads[i][0], "iam.amazonaws.com") == 0 && st->ri != 0)
			continue; /* global services answer in us-east-1 */
		wild_ct(st, &cspm, t0 + 5 + (int64_t)i * 3, reads[i][0], reads[i][1], 1, NULL, NULL, NULL);
		if (i % 3 == 0)
			wild_ct(st, &cfg, t0 + 100 + (int64_t)i * 5, reads[i][0], reads[i][1], 1, NULL, NULL, NULL);
	}
}

/* Dev accounts (odd index) are torn down by Terraform every evening and
 * applied again every morning, through a deploy role assumed from the CI
 * account: logging configuration deleted and put back, guardrail updated. */
static int wild_dev_off(const stream *st, int64_t t)
{
	int hour = (int)(t % 86400 / 3600);
	return st->opt->wild && st->ai % 2 == 1 && st->ri == 0 && (hour >= 19 || hour < 7);
}

static void wild_iac(stream *st, int64_t t0)
{
	if (st->ai % 2 == 0 || st->ri != 0)
		return;
	int hour = (int)(t0 % 86400 / 3600), minute = (int)(t0 % 3600 / 60);
	if (minute != 0 || (hour != 7 && hour != 19))
		return;
	char sess[64], req[512];
	snprintf(sess, sizeof sess, "terraform-%lld", (long long)(t0 / 86400));
	const gen_principal *runner = NULL;
	for (size_t i = 0; i < st->w->accounts[0].np; i++)
		if (strcmp(st->w->accounts[0].p[i].name, "terraform-runner") == 0)
			runner = &st->w->accounts[0].p[i];
	if (runner == NULL)
		return;
	gen_principal deploy;
	wild_role(st, &deploy, st->a->id, "OrganizationDeployRole", sess, runner->ua, runner->ips[0]);
	/* the runner in the CI account assumes the deploy role of this account */
	snprintf(req, sizeof req, "{\"roleArn\":\"%s\",\"roleSessionName\":\"%s\"}", deploy.role_arn, sess);
	wild_ct(st, runner, t0 + 2, "sts.amazonaws.com", "AssumeRole", 0, NULL, NULL, req);
	wild_ct(st, &deploy, t0 + 4, "sts.amazonaws.com", "GetCallerIdentity", 1, NULL, NULL, NULL);
	wild_ct(st, &deploy, t0 + 6, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", 1, NULL, NULL, NULL);
	wild_ct(st, &deploy, t0 + 8, "bedrock.amazonaws.com", "GetGuardrail", 1, NULL, NULL, NULL);
	wild_ct(st, &deploy, t0 + 9, "iam.amazonaws.com", "GetRole", 1, NULL, NULL, NULL);
	if (hour == 19) {
		wild_ct(st, &deploy, t0 + 20, "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", 0, NULL,
			NULL, NULL);
		wild_ct(st, &deploy, t0 + 24, "bedrock.amazonaws.com", "DeleteGuardrail", 0, NULL, NULL, NULL);
	} else {
		snprintf(req, sizeof req,
			 "{\"loggingConfig\":{\"s3Config\":{\"bucketName\":\"dev-bedrock-logs-%s\"},\"textDataDeliveryEnabled\":true}}",
			 st->a->id);
		wild_ct(st, &deploy, t0 + 20, "bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration", 0, NULL, NULL,
			req);
		wild_ct(st, &deploy, t0 + 24, "bedrock.amazonaws.com", "CreateGuardrail", 0, NULL, NULL, NULL);
		wild_ct(st, &deploy, t0 + 26, "bedrock.amazonaws.com", "CreateGuardrailVersion", 0, NULL, NULL, NULL);
		wild_ct(st, &deploy, t0 + 30, "iam.amazonaws.com", "PutRolePolicy", 0, NULL, NULL, NULL);
	}
}

/* The app roles' newer Bedrock features: agents, knowledge bases,
 * standalone guardrail checks, batch inference and evaluation jobs,
 * provisioned throughput; throttling and AccessDenied bursts of a
 * misconfigured deployment; a developer trying a new model in a region. */
static void wild_bedrock(stream *st, int64_t t0)
{
	gen_rng *r = &st->rng;
	const gen_principal *bot = find_kind(st, GEN_ROLE, GEN_PROF_APP, GEN_APP_CHATBOT);
	const gen_principal *dev = find_kind(st, GEN_ROLE, GEN_PROF_DEV, -1);
	const gen_principal *batch = find_kind(st, GEN_IAMUSER, GEN_PROF_REPORT, -1);
	gen_principal tmp;
	if (bot && gen_rng_chance(r, 0.3)) {
		const gen_principal *p = varied_principal(st, bot, t0, &tmp);
		static const char *const rt[][2] = {{"bedrock-agent-runtime.amazonaws.com", "InvokeAgent"},
						     {"bedrock-agent-runtime.amazonaws.com", "Retrieve"},
						     {"bedrock-agent-runtime.amazonaws.com", "RetrieveAndGenerate"},
						     {"bedrock.amazonaws.com", "ApplyGuardrail"}};
		int k = 1 + (int)gen_rng_below(r, 6);
		for (int i = 0; i < k; i++) {
			size_t j = gen_rng_below(r, 4);
			wild_ct(st, p, t0 + 10 + i * 40, rt[j][0], rt[j][1], 1, NULL, NULL, NULL);
		}
	}
	if (batch && st->ri == 0 && t0 % 86400 == 2 * 3600) {
		const gen_principal *p = varied_principal(st, batch, t0, &tmp);
		wild_ct(st, p, t0 + 30, "bedrock.amazonaws.com", "CreateModelInvocationJob", 0, NULL, NULL, NULL);
		for (int i = 1; i <= 6; i++)
			wild_ct(st, p, t0 + 30 + i * 40, "bedrock.amazonaws.com", "GetModelInvocationJob", 1, NULL, NULL, NULL);
	}
	/* per account, about a weekly evaluation job and a monthly provisioned-throughput purchase */
	if (dev && st->ri == 0 && gen_rng_chance(r, 1.0 / (7 * 288) + 1.0 / (30 * 288))) {
		const gen_principal *p = varied_principal(st, dev, t0, &tmp);
		if (gen_rng_chance(r, 30.0 / 37)) {
			wild_ct(st, p, t0 + 20, "bedrock.amazonaws.com", "CreateEvaluationJob", 0, NULL, NULL, NULL);
			wild_ct(st, p, t0 + 80, "bedrock.amazonaws.com", "GetEvaluationJob", 1, NULL, NULL, NULL);
		} else {
			wild_ct(st, p, t0 + 20, "bedrock.amazonaws.com", "CreateProvisionedModelThroughput", 0, NULL, NULL, NULL);
			wild_ct(st, p, t0 + 80, "bedrock.amazonaws.com", "GetProvisionedModelThroughput", 1, NULL, NULL, NULL);
		}
	}
	if (dev && gen_rng_chance(r, 0.003)) { /* a developer tries a model in some region */
		const gen_principal *p = varied_principal(st, dev, t0, &tmp);
		wild_ct(st, p, t0 + 5, "bedrock.amazonaws.com", "ListFoundationModels", 1, NULL, NULL, NULL);
		wild_ct(st, p, t0 + 9, "bedrock.amazonaws.com", "GetFoundationModelAvailability", 1, NULL, NULL, NULL);
		int k = 3 + (int)gen_rng_below(r, 10);
		for (int i = 0; i < k; i++)
			benign_call(st, p, t0 + 20 + i * 15);
		st->events += (uint64_t)k;
		st->extra += (uint64_t)k;
	}
	const gen_principal *app = find_kind(st, GEN_ROLE, GEN_PROF_APP, GEN_APP_SUMMARIZER);
	if (app && gen_rng_chance(r, 0.002)) { /* a bad deploy: throttled retries or a missing permission */
		const gen_principal *p = varied_principal(st, app, t0, &tmp);
		int denied = gen_rng_chance(r, 0.5), k = 20 + (int)gen_rng_below(r, 60);
		char req[160];
		snprintf(req, sizeof req, "{\"modelId\":\"%s\"}",
			 denied ? "anthropic.claude-3-opus-20240229-v1:0" : "anthropic.claude-3-5-sonnet-20240620-v1:0");
		for (int i = 0; i < k; i++)
			wild_ct(st, p, t0 + i * 4, "bedrock.amazonaws.com", "InvokeModel", 1,
				denied ? "AccessDenied" : "ThrottlingException",
				denied ? "User is not authorized to perform: bedrock:InvokeModel"
				       : "Too many requests, please wait before trying again.",
				req);
	}
}

/* Each CI and reporting key is rotated once a month (day by principal):
 * a new key is created by an administrator, used from then on, the old one
 * deactivated and deleted the next day. */
static int64_t wild_rotation(const stream *st, const gen_principal *p)
{
	uint64_t h = mix64(st->opt->seed ^ (uint64_t)st->ai << 20 ^ (uint64_t)p->idx);
	return st->opt->start + (int64_t)(3 + h % 20) * 86400 + 10 * 3600 + (int64_t)(h >> 32) % 3600;
}

static void wild_rotate_keys(stream *st, int64_t t0)
{
	if (st->ri != 0)
		return;
	const gen_principal *adm = find_kind(st, GEN_ROLE, GEN_PROF_ADMIN, -1);
	for (size_t i = 0; adm && i < st->a->np; i++) {
		const gen_principal *p = &st->a->p[i];
		if (p->type != GEN_IAMUSER)
			continue;
		int64_t at = wild_rotation(st, p);
		char req[128];
		snprintf(req, sizeof req, "{\"userName\":\"%s\"}", p->name);
		if (at >= t0 && at < t0 + SLOT) {
			wild_ct(st, adm, at, "iam.amazonaws.com", "CreateAccessKey", 0, NULL, NULL, req);
			wild_ct(st, adm, at + 60, "iam.amazonaws.com", "UpdateAccessKey", 0, NULL, NULL, req);
		}
		if (at + 86400 >= t0 && at + 86400 < t0 + SLOT)
			wild_ct(st, adm, at + 86400, "iam.amazonaws.com", "DeleteAccessKey", 0, NULL, NULL, req);
	}
}

/* The key a rotated user signs with at t (the wild profile's rotation). */
static void wild_key(const stream *st, const gen_principal *p, int64_t t, gen_principal *tmp)
{
	if (!st->opt->wild || p->type != GEN_IAMUSER || t < wild_rotation(st, p))
		return;
	uint64_t h = mix64(st->opt->seed ^ (uint64_t)st->ai << 24 ^ (uint64_t)p->idx << 8 ^ 0x5eed);
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	for (int i = 0; i < 16; i++, h = mix64(h))
		tmp->access_key[4 + i] = al[h % 32];
}

static void wild_slot(stream *st, int64_t t0)
{
	wild_scanners(st, t0);
	wild_iac(st, t0);
	wild_bedrock(st, t0);
	wild_rotate_keys(st, t0);
}

/* A two-hour regional failover each week: the application roles' calls
 * move from the home region to the second one (which carries half the home
 * traffic, so each of its calls stands for three during the failover). */
static int failover(const stream *st, int64_t t)
{
	int64_t week = (t - st->opt->start) / (7 * 86400);
	int64_t at = st->opt->start + week * 7 * 86400 +
		     (int64_t)(mix64(st->opt->seed + st->ai + (uint64_t)week) % (6 * 86400));
	return t >= at && t < at + 2 * 3600;
}

static void benign_slot(stream *st, int64_t t0, int n)
{
	int64_t *times = gen_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *times);
	for (int i = 0; i < n; i++)
		times[i] = t0 + (int64_t)gen_rng_below(&st->rng, SLOT);
	qsort(times, (size_t)n, sizeof *times, cmp_i64);
	for (int i = 0; i < n; i++) {
		int64_t t = times[i];
		const gen_principal *p = gen_world_pick(&st->rng, st->a);
		gen_principal tmp;
		if (st->opt->varied) {
			p = varied_principal(st, p, t, &tmp);
			if (p->invoke_share > 0 && p->type != GEN_SERVICE && gen_rng_chance(&st->rng, 0.02)) {
				sdk_startup(st, p, t, t0 + SLOT);
				continue;
			}
		}
		int moved = st->opt->varied && p->type == GEN_ROLE && (p->prof & GEN_PROF_APP) && st->ri <= 1 &&
			    failover(st, t);
		if (moved && p->invoke_share > 0 && gen_rng_chance(&st->rng, p->invoke_share)) {
			for (int k = 0; st->ri == 1 && k < 3; k++)
				benign_call(st, p, t);
		} else if (p->invoke_share > 0 && gen_rng_chance(&st->rng, p->invoke_share)) {
			benign_call(st, p, t);
		} else if (!trail_stopped(st, t)) {
			size_t s = rl_begin(&st->ct);
			gen_ct_benign(&st->ct.text, st->scratch, &st->rng, st->w, st->a, p, st->region, t);
			rl_end(&st->ct, s, t);
		}
	}
	st->events += (uint64_t)n;
	free(times);
	if (st->opt->varied)
		varied_slot(st, t0);
	if (st->opt->wild)
		wild_slot(st, t0);
}

/* Events for this slot so that bytes written track the target curve. */
static int slot_events(stream *st, double cum_w, double w, double total_w)
{
	double want = (double)st->target * cum_w / total_w;
	double est = st->events > 20 ? (double)st->bytes / (double)st->events : 260.0;
	double need = (want - (double)st->bytes + est * (double)st->extra) / est; /* extras do not starve it */
	double cap = 4.0 * (double)st->target * w / total_w / est + 3.0;
	if (need < 0)
		need = 0;
	double floor_ = 0.5 * (double)st->target * w / total_w / est; /* varied: the extras never silence it */
	if (st->opt->varied && need < floor_)
		need = floor_;
	if (need > cap)
		need = cap;
	int n = (int)need;
	if (gen_rng_chance(&st->rng, need - n))
		n++;
	return n;
}

static void run_stream(stream *st)
{
	const options *o = st->opt;
	int64_t nslots = (int64_t)o->days * 86400 / SLOT;
	double total_w = 0;
	for (int64_t k = 0; k < nslots; k++)
		total_w += diurnal(st->region, o->start + k * SLOT);
	if (st->attack_stream)
		prepare_incidents(st);
	int64_t digest_start = o->start;
	int64_t off = 5 + (int64_t)((st->ai * 7 + st->ri * 13) % 50);
	double cum_w = 0;
	for (int64_t k = 0; k < nslots; k++) {
		int64_t t0 = o->start + k * SLOT;
		double w = diurnal(st->region, t0);
		cum_w += w;
		rl_reset(&st->ct);
		rl_reset(&st->inv);
		benign_slot(st, t0, slot_events(st, cum_w, w, total_w));
		if (st->attack_stream)
			merge_incidents(st, t0, t0 + SLOT);
		deliver_ct(st, t0 + SLOT);
		deliver_inv(st);
		if ((t0 + SLOT) % 3600 == 0) {
			int64_t end = t0 + SLOT + off;
			st->bytes += gen_chain_emit(st->chain, st->signer, st->gz, st->root, digest_start, end, &st->sigs);
			st->n_files++;
			digest_start = end;
		}
	}
}

/* -------------------------------------------------------------- driver */

typedef struct pool {
	stream *streams;
	size_t n, next;
	pthread_mutex_t mu;
} pool;

static void *worker(void *arg)
{
	pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		run_stream(&p->streams[i]);
	}
}

static void stream_init(stream *st, const options *o, const gen_world *w, const gen_signer *s, const plan_times *plan,
			size_t ai, size_t ri, double share)
{
	memset(st, 0, sizeof *st);
	st->opt = o;
	st->w = w;
	st->a = &w->accounts[ai];
	st->signer = s;
	st->plan = plan;
	st->region = w->regions[ri];
	st->ai = ai;
	st->ri = ri;
	st->attack_stream = ai == 0 && ri == 0;
	gen_rng_seed(&st->rng, o->seed, 1 + ai * 64 + ri);
	st->target = (uint64_t)((double)o->size * share);
	snprintf(st->root, sizeof st->root, "%s/%s", o->out, w->bucket);
	st->gz = gen_gz_new(o->level);
	gen_chain_id id = {w->bucket, st->a->id, st->region, w->trail, w->home_region};
	st->chain = gen_chain_new(&id);
	rl_init(&st->ct);
	rl_init(&st->inv);
	rl_init(&st->att_ct);
	rl_init(&st->att_inv);
	gen_sb_init(&st->out);
	gen_sb_init(&st->gzbuf);
	gen_sb_init(&st->path);
	gen_sb_init(&st->sigs);
	gen_sb_init(&st->truth);
	for (int i = 0; i < 4; i++)
		gen_sb_init(&st->scratch[i]);
	gen_convo_init(&st->convo);
	uint64_t scaled = o->size / (4u << 20);
	st->burst = o->demo ? 30 : 30 + (int)(scaled > 2000 ? 2000 : scaled);
}

static void stream_free(stream *st)
{
	gen_gz_free(st->gz);
	gen_chain_free(st->chain);
	rl_free(&st->ct);
	rl_free(&st->inv);
	rl_free(&st->att_ct);
	rl_free(&st->att_inv);
	gen_sb_free(&st->out);
	gen_sb_free(&st->gzbuf);
	gen_sb_free(&st->path);
	gen_sb_free(&st->sigs);
	gen_sb_free(&st->truth);
	for (int i = 0; i < 4; i++)
		gen_sb_free(&st->scratch[i]);
	gen_convo_free(&st->convo);
}

static void plan_init(plan_times *p, const options *o)
{
	int day = o->days >= 2 ? o->days / 2 : 0;
	p->day = o->start + (int64_t)day * 86400;
	p->leak = p->day + 2 * 3600 + 7 * 60;
	p->log_delete = p->leak + 22 * 60;
	p->trail_stop = p->leak + 84 * 60;
	p->trail_start = p->day + 8 * 3600 + 55 * 60;
	p->log_put = p->day + 9 * 3600 + 14 * 60;
	p->guard_delete = p->day + 16 * 3600 + 2 * 60;
}

/* tail: lines written after the streams' (NULL: none). */
static void write_all(const char *path, stream *v, size_t n, int truth, const gen_sb *tail)
{
	gen_sb all;
	gen_sb_init(&all);
	for (size_t i = 0; i < n; i++) {
		const gen_sb *b = truth ? &v[i].truth : &v[i].sigs;
		if (b->len)
			gen_sb_putn(&all, b->data, b->len);
	}
	if (tail != NULL && tail->len)
		gen_sb_putn(&all, tail->data, tail->len);
	gen_write_file(path, all.data ? all.data : "", all.len);
	gen_sb_free(&all);
}

static uint64_t parse_size(const char *s)
{
	char *end = NULL;
	double v = strtod(s, &end);
	if (!end || end == s || v <= 0)
		gen_die("bad --size '%s' (use e.g. 5M, 1G)", s);
	switch (*end) {
	case 'k': case 'K': v *= 1024.0; break;
	case 'm': case 'M': v *= 1024.0 * 1024.0; break;
	case 'g': case 'G': v *= 1024.0 * 1024.0 * 1024.0; break;
	case '\0': break;
	default: gen_die("bad --size suffix in '%s'", s);
	}
	return (uint64_t)v;
}

static long parse_num(const char *opt, const char *s, long lo, long hi)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!end || *end || v < lo || v > hi)
		gen_die("bad %s '%s' (expected %ld..%ld)", opt, s, lo, hi);
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: llmtrail-gen --out DIR [--size 100M] [--seed N] [--accounts N] [--regions N]\n"
	      "                    [--days N] [--attacks on|off] [--scenario demo] [--key PEM]\n"
	      "                    [--threads N] [--level 1-12] [--start YYYY-MM-DD] [--extras on|off]\n"
	      "                    [--profile default|varied|wild]\n"
	      "Writes a synthetic AWS log export (CloudTrail, digests, Bedrock invocation logs)\n"
	      "to DIR/acme-central-audit-logs/AWSLogs/..., plus DIR/public-keys.json,\n"
	      "DIR/ground-truth.jsonl and DIR/digest-signatures.jsonl. Same seed, same bytes.\n"
	      "--extras on (default) adds Knowledge Base logs to the bucket, CloudTrail data events\n"
	      "through Firehose (DIR/firehose-cloudtrail-data-events/) and a filter-log-events\n"
	      "page (DIR/cloudwatch-exports/).\n", f);
}

static void parse_args(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->size = 100u << 20;
	o->seed = 1;
	o->accounts = 3;
	o->regions = 2;
	o->days = 7;
	o->attacks = 1;
	o->extras = 1;
	o->threads = 2;
	o->level = 6;
	o->start = gen_time_make(2026, 3, 2, 0, 0, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			gen_die("option %s needs a value (see --help)", a);
		const char *v = argv[++i];
		if (strcmp(a, "--out") == 0) o->out = v;
		else if (strcmp(a, "--size") == 0) o->size = parse_size(v);
		else if (strcmp(a, "--seed") == 0) o->seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--accounts") == 0) o->accounts = (size_t)parse_num(a, v, 1, 5);
		else if (strcmp(a, "--regions") == 0) o->regions = (size_t)parse_num(a, v, 1, 8);
		else if (strcmp(a, "--days") == 0) o->days = (int)parse_num(a, v, 1, 366);
		else if (strcmp(a, "--threads") == 0) o->threads = (int)parse_num(a, v, 1, MAX_THREADS);
		else if (strcmp(a, "--level") == 0) o->level = (int)parse_num(a, v, 1, 12);
		else if (strcmp(a, "--key") == 0) o->key = v;
		else if (strcmp(a, "--extras") == 0) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				gen_die("--extras takes on or off");
			o->extras = strcmp(v, "on") == 0;
		} else if (strcmp(a, "--attacks") == 0) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				gen_die("--attacks takes on or off");
			o->attacks = strcmp(v, "on") == 0;
		} else if (strcmp(a, "--scenario") == 0) {
			if (strcmp(v, "demo"))
				gen_die("unknown scenario '%s' (known: demo)", v);
			o->demo = 1;
		} else if (strcmp(a, "--profile") == 0) {
			if (strcmp(v, "default") && strcmp(v, "varied") && strcmp(v, "wild"))
				gen_die("unknown profile '%s' (known: default, varied, wild)", v);
			o->wild = strcmp(v, "wild") == 0;
			o->varied = o->wild || strcmp(v, "varied") == 0;
		} else if (strcmp(a, "--start") == 0) {
			int y, m, d;
			if (sscanf(v, "%d-%d-%d", &y, &m, &d) != 3)
				gen_die("bad --start '%s'", v);
			o->start = gen_time_make(y, m, d, 0, 0, 0);
		} else {
			gen_die("unknown option %s (see --help)", a);
		}
	}
	if (!o->out)
		gen_die("--out DIR is required (see --help)");
	if (o->demo) {
		o->accounts = 1;
		o->regions = 1;
		o->days = 2;
		o->attacks = 1;
		o->size = 420u << 10;
		o->start = gen_time_make(2026, 3, 9, 0, 0, 0);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	options o;
	parse_args(argc, argv, &o);
	double t_begin = now_s();
	gen_world w;
	gen_world_build(&w, o.seed, o.accounts, o.regions);
	gen_sb path;
	gen_sb_init(&path);
	gen_sb_printf(&path, "%s/signing-key.pem", o.out);
	gen_signer *signer = gen_signer_new(o.key, o.key ? NULL : path.data, o.seed);
	plan_times plan;
	plan_init(&plan, &o);

	size_t n = w.naccounts * w.nregions;
	stream *streams = gen_xmalloc(n * sizeof *streams);
	double total = 0;
	for (size_t ai = 0; ai < w.naccounts; ai++)
		for (size_t ri = 0; ri < w.nregions; ri++)
			total += (ai == 0 ? 1.0 : 0.6) * (ri == 0 ? 1.0 : 0.5);
	for (size_t ai = 0; ai < w.naccounts; ai++)
		for (size_t ri = 0; ri < w.nregions; ri++)
			stream_init(&streams[ai * w.nregions + ri], &o, &w, signer, &plan, ai, ri,
				    (ai == 0 ? 1.0 : 0.6) * (ri == 0 ? 1.0 : 0.5) / total);

	pool p = {streams, n, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[MAX_THREADS];
	int nth = o.threads < (int)n ? o.threads : (int)n;
	for (int i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &p) != 0)
			gen_die("cannot start a thread");
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);

	gen_sb_reset(&path);
	gen_sb_printf(&path, "%s/public-keys.json", o.out);
	gen_signer_write_public_keys(signer, path.data, o.start - 86400, o.start + (int64_t)(o.days + 30) * 86400);
	gen_sb extra_truth;
	gen_sb_init(&extra_truth);
	uint64_t extra_files = 0;
	if (o.extras) {
		gen_extra_plan ep = {o.out, o.seed, o.start, o.days, o.attacks, plan.day, plan.trail_stop, plan.trail_start,
				     attacker_ip, attacker_ua};
		extra_files = gen_extra_write(&ep, &w, &extra_truth);
	}
	gen_sb_reset(&path);
	gen_sb_printf(&path, "%s/ground-truth.jsonl", o.out);
	write_all(path.data, streams, n, 1, &extra_truth);
	gen_sb_reset(&path);
	gen_sb_printf(&path, "%s/digest-signatures.jsonl", o.out);
	write_all(path.data, streams, n, 0, NULL);
	gen_sb_free(&extra_truth);

	uint64_t bytes = 0, files = extra_files, nct = 0, ninv = 0;
	for (size_t i = 0; i < n; i++) {
		bytes += streams[i].bytes;
		files += streams[i].n_files;
		nct += streams[i].n_ct;
		ninv += streams[i].n_inv;
		stream_free(&streams[i]);
	}
	double secs = now_s() - t_begin;
	fprintf(stderr, "llmtrail-gen: %llu files, %llu CloudTrail records, %llu invocation records, %.1f MB compressed in %.1f s (%.1f MB/s)\n",
		(unsigned long long)files, (unsigned long long)nct, (unsigned long long)ninv, (double)bytes / 1e6, secs,
		secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	free(streams);
	gen_signer_free(signer);
	gen_world_free(&w);
	gen_sb_free(&path);
	return 0;
}
