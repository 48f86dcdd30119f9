/*
 * gen_extra.c — Knowledge Base logs, Bedrock data events through Firehose,
 * API key calls and a filter-log-events page (see gen_extra.h).
 *
 * Design note: everything is drawn from one PRNG stream of its own, in a fixed
 * order (day by day, then the incidents), into two in-memory lists: CloudTrail
 * records (time, JSON) and knowledge base jobs (each job one file). The
 * CloudTrail list is sorted by time (ties keep their order) and cut into
 * hourly Firehose objects of DATA_MESSAGE batches of at most BATCH log events,
 * concatenated without separators as Firehose writes them; the first object
 * starts with the CONTROL_MESSAGE CloudWatch sends when a subscription is made.
 * Record shapes follow the AWS documentation: knowledge base logs
 * (docs/formats.md), CloudTrail data events (resources[], eventCategory Data),
 * CloudWatch Logs subscription and FilterLogEvents output.
 */
#include "config.h"

#include "testdata/gen/gen_extra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 40
#define HOUR 3600
#define EXTRA_STREAM 0x6b62u /* "kb" */
#define CHAT_MODEL "anthropic.claude-3-5-haiku-20241022-v1:0"

typedef struct ctrec {
	int64_t t;
	size_t seq, off, len;
} ctrec;

typedef struct ctx {
	const gen_extra_plan *p;
	const gen_account *a;
	const char *region;
	const char *w_bucket;
	gen_rng r;
	gen_gz *gz;
	gen_sb ct, inv, tmp, path, gzbuf;
	ctrec *v;
	size_t n, cap;
	size_t ninv;
	gen_principal chatbot, devassist, sync, apikey, loader;
	const gen_principal *ci;
	char kb_id[12], kb_arn[160], ds_main[12], ds_new[12], agent_arn[200], gr_id[16], gr_arn[160];
	uint64_t files;
} ctx;

/* ---- helpers -------------------------------------------------------------- */

static void ids10(gen_rng *r, char out[12])
{
	gen_chars(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", out, 10);
	out[10] = '\0';
}

static const gen_principal *find_app(const gen_account *a, gen_app app, unsigned prof)
{
	for (size_t i = 0; i < a->np; i++)
		if ((app != GEN_APP_NONE && a->p[i].app == app) || (prof != 0 && (a->p[i].prof & prof)))
			return &a->p[i];
	gen_die("llmtrail-gen: the world has no principal for the extra evidence");
}

static void role_like(gen_principal *out, const gen_principal *base, const gen_account *a, const char *role,
		      const char *session, const char *ua)
{
	*out = *base;
	snprintf(out->name, sizeof out->name, "%s", role);
	snprintf(out->session, sizeof out->session, "%s", session);
	snprintf(out->principal_id, sizeof out->principal_id, "%s:%s", out->unique_id, session);
	snprintf(out->role_arn, sizeof out->role_arn, "arn:aws:iam::%s:role/%s", a->id, role);
	snprintf(out->arn, sizeof out->arn, "arn:aws:sts::%s:assumed-role/%s/%s", a->id, role, session);
	snprintf(out->ua, sizeof out->ua, "%s", ua);
}

static int in_trail_gap(const ctx *c, int64_t t)
{
	return c->p->attacks && t >= c->p->trail_stop && t < c->p->trail_start;
}

/* ---- CloudTrail records ----------------------------------------------------- */

typedef struct ctcall {
	int64_t t;
	const gen_principal *p;
	const char *ip, *ua;
	const char *name, *req, *resp, *resources, *addl;
	int data, read_only;
} ctcall;

/* Adds one record; its eventID and requestID go to ev/rq when not NULL. */
static void add_ct(ctx *c, const ctcall *k, char ev[40], char rq[40])
{
	if (in_trail_gap(c, k->t))
		return;
	gen_ct_event e;
	gen_ct_init(&e, &c->r, c->a, k->p, c->region, k->t);
	if (k->ip)
		e.ip = k->ip;
	e.ua = k->ua;
	e.source = "bedrock.amazonaws.com";
	e.name = k->name;
	e.req = k->req;
	e.resp = k->resp;
	e.resources = k->resources;
	e.addl = k->addl;
	e.data_event = k->data;
	e.read_only = k->read_only;
	if (rq != NULL && rq[0])
		memcpy(e.request_id, rq, 40);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		ctrec *nv = realloc(c->v, c->cap * sizeof *nv);
		if (nv == NULL)
			gen_die("llmtrail-gen: out of memory");
		c->v = nv;
	}
	size_t off = c->ct.len;
	gen_ct_write(&c->ct, &c->r, &e);
	c->v[c->n] = (ctrec){k->t, c->n, off, c->ct.len - off};
	c->n++;
	if (ev != NULL)
		memcpy(ev, e.event_id, 40);
	if (rq != NULL)
		memcpy(rq, e.request_id, 40);
}

static void resource(ctx *c, const char *type, const char *arn, char *out, size_t cap)
{
	snprintf(out, cap, "[{\"accountId\":\"%s\",\"type\":\"%s\",\"ARN\":\"%s\"}]", c->a->id, type, arn);
}

static void retrieve(ctx *c, int64_t t, const gen_principal *p, const char *ip, const char *ua, int rag, char ev[40])
{
	char req[512], res[320];
	if (rag)
		snprintf(req, sizeof req,
			 "{\"input\":{\"text\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"},\"retrieveAndGenerateConfiguration\":"
			 "{\"type\":\"KNOWLEDGE_BASE\",\"knowledgeBaseConfiguration\":{\"knowledgeBaseId\":\"%s\","
			 "\"modelArn\":\"arn:aws:bedrock:%s::foundation-model/%s\"}}}",
			 c->kb_id, c->region, CHAT_MODEL);
	else
		snprintf(req, sizeof req,
			 "{\"knowledgeBaseId\":\"%s\",\"retrievalQuery\":{\"text\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}}",
			 c->kb_id);
	resource(c, "AWS::Bedrock::KnowledgeBase", c->kb_arn, res, sizeof res);
	ctcall k = {t, p, ip, ua, rag ? "RetrieveAndGenerate" : "Retrieve", req, NULL, res, NULL, 1, 1};
	add_ct(c, &k, ev, NULL);
}

static void sync_call(ctx *c, int64_t t, const gen_principal *p, const char *ip, const char *ua, const char *ds,
		      const char *job, char ev[40])
{
	char req[160], resp[320];
	snprintf(req, sizeof req, "{\"knowledgeBaseId\":\"%s\",\"dataSourceId\":\"%s\"}", c->kb_id, ds);
	snprintf(resp, sizeof resp,
		 "{\"ingestionJob\":{\"knowledgeBaseId\":\"%s\",\"dataSourceId\":\"%s\",\"ingestionJobId\":\"%s\","
		 "\"status\":\"STARTING\"}}",
		 c->kb_id, ds, job);
	ctcall k = {t, p, ip, ua, "StartIngestionJob", req, resp, NULL, NULL, 0, 0};
	add_ct(c, &k, ev, NULL);
}

/* ---- invocation records (the API key's calls) ------------------------------ */

static void inv_record(ctx *c, int64_t t, const char *req_id, const char *prompt, const char *answer)
{
	char ts[32];
	gen_time_iso(t, ts);
	int in = 8 + (int)strlen(prompt) / 4, out = 6 + (int)strlen(answer) / 4;
	gen_sb_reset(&c->tmp);
	gen_sb_printf(&c->tmp,
		      "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\"%s\","
		      "\"accountId\":\"%s\",\"identity\":{\"arn\":\"%s\"},\"region\":\"%s\",\"requestId\":\"%s\","
		      "\"operation\":\"Converse\",\"modelId\":\"" CHAT_MODEL "\",\"input\":{\"inputContentType\":"
		      "\"application/json\",\"inputBodyJson\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":",
		      ts, c->a->id, c->apikey.arn, c->region, req_id);
	gen_sb_jstr(&c->tmp, prompt);
	gen_sb_printf(&c->tmp,
		      "}]}]},\"inputTokenCount\":%d},\"output\":{\"outputContentType\":\"application/json\","
		      "\"outputBodyJson\":{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":",
		      in);
	gen_sb_jstr(&c->tmp, answer);
	gen_sb_printf(&c->tmp,
		      "}]}},\"stopReason\":\"end_turn\",\"metrics\":{\"latencyMs\":%d},\"usage\":{\"inputTokens\":%d,"
		      "\"outputTokens\":%d,\"totalTokens\":%d}},\"outputTokenCount\":%d}}",
		      300 + gen_rng_range(&c->r, 0, 900), in, out, in + out, out);
	char eid[64];
	gen_chars(&c->r, "0123456789", eid, 56);
	eid[56] = '\0';
	gen_sb_printf(&c->inv,
		      "%s\n        {\n            \"logStreamName\": \"aws/bedrock/modelinvocations\",\n"
		      "            \"timestamp\": %lld,\n            \"message\": ",
		      c->ninv ? "," : "", (long long)t * 1000 + gen_rng_range(&c->r, 0, 999));
	gen_sb_jstr(&c->inv, gen_sb_cstr(&c->tmp));
	gen_sb_printf(&c->inv, ",\n            \"ingestionTime\": %lld,\n            \"eventId\": \"%s\"\n        }",
		      (long long)(t + 1) * 1000 + gen_rng_range(&c->r, 0, 999), eid);
	c->ninv++;
}

static void apikey_call(ctx *c, int64_t t, const char *ip, const char *prompt, const char *answer, char ev[40],
			char rq[40])
{
	if (in_trail_gap(c, t))
		return;
	char req_id[40] = "";
	ctcall k = {t, &c->apikey, ip, NULL, "Converse", "{\"modelId\":\"" CHAT_MODEL "\"}", NULL, NULL,
		    "{\"callWithBearerToken\":true}", 0, 0};
	add_ct(c, &k, ev, req_id);
	inv_record(c, t, req_id, prompt, answer);
	if (rq != NULL)
		memcpy(rq, req_id, 40);
}

/* ---- knowledge base logs ---------------------------------------------------- */

typedef struct kbjob {
	gen_sb lines;
	char id[12];
	const char *ds;
	int64_t t;
} kbjob;

static void kb_line(ctx *c, kbjob *j, int64_t t_ms, const char *type, const char *level, const char *event_json)
{
	gen_sb_printf(&j->lines,
		      "{\"event_timestamp\":%lld,\"event\":{\"ingestion_job_id\":\"%s\",\"data_source_id\":\"%s\","
		      "\"knowledge_base_arn\":\"%s\",%s},\"event_version\":\"1.0\",\"event_type\":\"%s\",\"level\":\"%s\"}\n",
		      (long long)t_ms, j->id, j->ds, c->kb_arn, event_json, type, level);
}

static void kb_doc(ctx *c, kbjob *j, int64_t t_ms, const char *uri, const char *status, const char *level,
		   const char *reason, int created, int deleted, int failed)
{
	char ev[1024];
	char stats[300] = "";
	if (!strcmp(status, "INDEXED") || !strcmp(status, "DELETED") || !strcmp(status, "FAILED"))
		snprintf(stats, sizeof stats,
			 ",\"chunk_statistics\":{\"ignored\":0,\"created\":%d,\"deleted\":%d,\"metadata_updated\":0,"
			 "\"failed_to_create\":%d,\"failed_to_delete\":0,\"failed_to_update_metadata\":0}",
			 created, deleted, failed);
	snprintf(ev, sizeof ev,
		 "\"document_location\":{\"type\":\"S3\",\"s3_location\":{\"uri\":\"%s\"}},\"status\":\"%s\","
		 "\"status_reasons\":[%s%s%s]%s",
		 uri, status, reason ? "\"" : "", reason ? reason : "", reason ? "\"" : "", stats);
	kb_line(c, j, t_ms, "StartIngestionJob.ResourceStatusChanged", level, ev);
}

static void kb_job_status(ctx *c, kbjob *j, int64_t t_ms, const char *status, int ingested, int deleted, int failed)
{
	char ev[600];
	snprintf(ev, sizeof ev,
		 "\"ingestion_job_status\":\"%s\",\"resource_statistics\":{\"number_of_resources_updated\":0,"
		 "\"number_of_resources_ingested\":%d,\"number_of_resources_scheduled_for_update\":0,"
		 "\"number_of_resources_scheduled_for_ingestion\":%d,\"number_of_resources_scheduled_for_metadata_update\":0,"
		 "\"number_of_resources_deleted\":%d,\"number_of_resources_with_metadata_updated\":0,"
		 "\"number_of_resources_failed\":%d,\"number_of_resources_scheduled_for_deletion\":%d}",
		 status, ingested, ingested + failed, deleted, failed, deleted);
	kb_line(c, j, t_ms, "StartIngestionJob.StatusChanged", failed > 0 ? "WARN" : "INFO", ev);
}

static void kb_job_write(ctx *c, kbjob *j)
{
	char day[16], stamp[24], rnd[9];
	gen_time_fmt(j->t, "%Y/%m/%d", day, sizeof day);
	gen_time_fmt(j->t, "%Y%m%dT%H%MZ", stamp, sizeof stamp);
	gen_hex(&c->r, rnd, 8);
	rnd[8] = '\0';
	gen_sb_reset(&c->path);
	gen_sb_printf(&c->path, "%s/%s/AWSLogs/%s/BedrockKnowledgeBaseLogs/%s/%s/%s/%s_BedrockKnowledgeBaseLogs_%s_%s_%s.log.gz",
		      c->p->out, c->w_bucket, c->a->id, c->region, c->kb_id, day, c->a->id, c->kb_id, stamp, rnd);
	gen_sb_reset(&c->gzbuf);
	gen_gz_compress(c->gz, j->lines.data, j->lines.len, &c->gzbuf);
	gen_mkdirs_for(c->path.data);
	gen_write_file(c->path.data, c->gzbuf.data, c->gzbuf.len);
	c->files++;
}

static void kb_job_init(kbjob *j, gen_rng *r, const char *ds, int64_t t)
{
	gen_sb_init(&j->lines);
	ids10(r, j->id);
	j->ds = ds;
	j->t = t;
}

static void kb_job_done(ctx *c, kbjob *j)
{
	kb_job_write(c, j);
	gen_sb_free(&j->lines);
}

static const char *const handbook[] = {
	"returns-policy", "shipping-times", "warranty-terms", "order-tracking", "gift-cards", "store-hours",
	"loyalty-program", "size-guide", "payment-methods", "damaged-items", "price-match", "international-orders",
};

/* The daily (midday) sync of the support knowledge base: a few handbook pages changed. */
static void daily_sync(ctx *c, int64_t day)
{
	int64_t t = day + 12 * HOUR + 30 * 60 + gen_rng_range(&c->r, 0, 120);
	kbjob j;
	kb_job_init(&j, &c->r, c->ds_main, t);
	sync_call(c, t, &c->sync, NULL, NULL, c->ds_main, j.id, NULL);
	int64_t ms = (t + 4) * 1000;
	kb_job_status(c, &j, ms, "INGESTION_JOB_STARTED", 0, 0, 0);
	int n = gen_rng_range(&c->r, 3, 7);
	for (int i = 0; i < n; i++) {
		char uri[200];
		snprintf(uri, sizeof uri, "s3://acme-support-kb/handbook/%s.md",
			 handbook[gen_rng_below(&c->r, sizeof handbook / sizeof handbook[0])]);
		ms += gen_rng_range(&c->r, 800, 4000);
		kb_doc(c, &j, ms, uri, "INDEXED", "INFO", NULL, gen_rng_range(&c->r, 2, 9), 0, 0);
	}
	if (gen_rng_chance(&c->r, 0.5)) {
		ms += 1500;
		kb_doc(c, &j, ms, "s3://acme-support-kb/handbook/catalogue-2026.pdf", "RESOURCE_IGNORED", "WARN",
		       "Resource exceeded allowed size limit of 50 Megabytes. Please reduce the resource size and retry", 0,
		       0, 0);
	}
	kb_job_status(c, &j, ms + 20000, "COMPLETE", n, 0, 0);
	kb_job_done(c, &j);
}

static const char *const dev_prompts[][2] = {
	{"Rewrite this commit message in the imperative mood: fixed the retry loop", "Fix the retry loop"},
	{"Explain what a Go context deadline does, in two sentences.",
	 "A context deadline cancels the work tied to the context once the time passes. Functions that honour it return early with context.DeadlineExceeded."},
	{"Suggest a name for a function that merges two sorted slices.", "mergeSorted"},
	{"Summarise the difference between a mutex and a semaphore.",
	 "A mutex lets one holder in at a time; a semaphore lets up to N holders in."},
};

/* One ordinary day: the chatbot retrieves and checks its guardrail, the
 * developer assistant's agent is invoked, a developer uses an API key. */
static void ordinary_day(ctx *c, int64_t day)
{
	daily_sync(c, day);
	char agent_res[320], gr_res[320], gr_req[200];
	resource(c, "AWS::Bedrock::AgentAlias", c->agent_arn, agent_res, sizeof agent_res);
	resource(c, "AWS::Bedrock::Guardrail", c->gr_arn, gr_res, sizeof gr_res);
	snprintf(gr_req, sizeof gr_req,
		 "{\"guardrailIdentifier\":\"%s\",\"guardrailVersion\":\"2\",\"source\":\"INPUT\","
		 "\"content\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}",
		 c->gr_id);
	for (int64_t t = day + 8 * HOUR; t < day + 20 * HOUR; t += 20 * 60) {
		int64_t at = t + gen_rng_range(&c->r, 0, 600);
		retrieve(c, at, &c->chatbot, NULL, NULL, gen_rng_chance(&c->r, 0.25), NULL);
		if (gen_rng_chance(&c->r, 0.6)) {
			ctcall g = {at + 2, &c->chatbot, NULL, NULL, "ApplyGuardrail", gr_req, NULL, gr_res, NULL, 1, 0};
			add_ct(c, &g, NULL, NULL);
		}
	}
	char agent_req[300];
	snprintf(agent_req, sizeof agent_req,
		 "{\"agentId\":\"%.10s\",\"agentAliasId\":\"%.10s\",\"sessionId\":\"dev-%04x\",\"inputText\":"
		 "\"HIDDEN_DUE_TO_SECURITY_REASONS\"}",
		 strstr(c->agent_arn, "agent-alias/") + 12, strstr(c->agent_arn, "agent-alias/") + 23,
		 (unsigned)gen_rng_below(&c->r, 65536));
	for (int h = 9; h < 18; h++) {
		ctcall k = {day + h * HOUR + gen_rng_range(&c->r, 0, 3000), &c->devassist, NULL, NULL, "InvokeAgent",
			    agent_req, NULL, agent_res, NULL, 1, 0};
		add_ct(c, &k, NULL, NULL);
	}
	for (int i = 0; i < 6; i++) {
		size_t k = gen_rng_below(&c->r, sizeof dev_prompts / sizeof dev_prompts[0]);
		apikey_call(c, day + (9 + i) * HOUR + gen_rng_range(&c->r, 0, 3000), NULL, dev_prompts[k][0],
			    dev_prompts[k][1], NULL, NULL);
	}
}

/* ---- the incidents ---------------------------------------------------------- */

typedef struct ids {
	char ev[400][40];
	size_t nev;
	char rq[8][40];
	size_t nrq;
} ids;

static void truth(ctx *c, gen_sb *o, const char *incident, int64_t t0, int64_t t1, const char *principal,
		  const char *summary, const ids *x, const char *extra)
{
	char a[32], b[32];
	gen_time_iso(t0, a);
	gen_time_iso(t1, b);
	gen_sb_put(o, "{\"incident\":");
	gen_sb_jstr(o, incident);
	gen_sb_printf(o, ",\"account\":\"%s\",\"region\":\"%s\",\"start\":\"%s\",\"end\":\"%s\",\"principal\":",
		      c->a->id, c->region, a, b);
	gen_sb_jstr(o, principal);
	gen_sb_put(o, ",\"summary\":");
	gen_sb_jstr(o, summary);
	gen_sb_put(o, ",\"event_ids\":[");
	for (size_t i = 0; i < x->nev; i++) {
		if (i)
			gen_sb_putc(o, ',');
		gen_sb_jstr(o, x->ev[i]);
	}
	gen_sb_put(o, "],\"request_ids\":[");
	for (size_t i = 0; i < x->nrq; i++) {
		if (i)
			gen_sb_putc(o, ',');
		gen_sb_jstr(o, x->rq[i]);
	}
	gen_sb_put(o, "]");
	if (extra)
		gen_sb_put(o, extra);
	gen_sb_put(o, "}\n");
}

/* The ground-truth members of the svc-kb-loader incidents. */
static void loader_extra(const ctx *c, char *out, size_t cap)
{
	snprintf(out, cap, ",\"access_key_id\":\"%s\",\"source_ips\":[\"%s\"],\"knowledge_base\":\"%s\"",
		 c->loader.access_key, c->p->attacker_ip, c->kb_arn);
}

/* The svc-kb-loader key (leaked with the CI key) adds a staging bucket as a data source, syncs it (new
 * documents, embedding failures), then syncs the main source after its
 * policy pages were removed (60 deletions). */
static void kb_poisoning(ctx *c, gen_sb *o, ids *x)
{
	const gen_extra_plan *p = c->p;
	int64_t t0 = p->attack_day + 13 * HOUR + 38 * 60;
	char req[400], resp[200];
	snprintf(req, sizeof req,
		 "{\"knowledgeBaseId\":\"%s\",\"name\":\"support-kb-staging\",\"dataSourceConfiguration\":{\"type\":\"S3\","
		 "\"s3Configuration\":{\"bucketArn\":\"arn:aws:s3:::acme-support-kb-staging-4417\"}}}",
		 c->kb_id);
	snprintf(resp, sizeof resp, "{\"dataSource\":{\"knowledgeBaseId\":\"%s\",\"dataSourceId\":\"%s\",\"status\":\"AVAILABLE\"}}",
		 c->kb_id, c->ds_new);
	ctcall k = {t0, &c->loader, p->attacker_ip, p->attacker_ua, "CreateDataSource", req, resp, NULL, NULL, 0, 0};
	add_ct(c, &k, x->ev[x->nev++], NULL);

	kbjob j;
	int64_t t1 = t0 + 3 * 60;
	kb_job_init(&j, &c->r, c->ds_new, t1);
	sync_call(c, t1, &c->loader, p->attacker_ip, p->attacker_ua, c->ds_new, j.id, x->ev[x->nev++]);
	int64_t ms = (t1 + 5) * 1000;
	kb_job_status(c, &j, ms, "INGESTION_JOB_STARTED", 0, 0, 0);
	for (int i = 0; i < 24; i++) {
		char uri[200];
		snprintf(uri, sizeof uri, "s3://acme-support-kb-staging-4417/faq/refund-exceptions-%02d.md", i);
		ms += gen_rng_range(&c->r, 400, 1500);
		kb_doc(c, &j, ms, uri, "INDEXED", "INFO", NULL, gen_rng_range(&c->r, 1, 4), 0, 0);
	}
	for (int i = 0; i < 22; i++) {
		char uri[200];
		snprintf(uri, sizeof uri, "s3://acme-support-kb-staging-4417/faq/blob-%03d.txt", i);
		ms += gen_rng_range(&c->r, 200, 900);
		kb_doc(c, &j, ms, uri, "EMBEDDING_FAILED", "ERROR",
		       "Failed to generate embeddings: the input text exceeds the maximum input length of the embedding model",
		       0, 0, 0);
	}
	kb_job_status(c, &j, ms + 15000, "COMPLETE", 24, 0, 22);
	kb_job_done(c, &j);

	int64_t t2 = t0 + 14 * 60;
	kb_job_init(&j, &c->r, c->ds_main, t2);
	sync_call(c, t2, &c->loader, p->attacker_ip, p->attacker_ua, c->ds_main, j.id, x->ev[x->nev++]);
	ms = (t2 + 4) * 1000;
	kb_job_status(c, &j, ms, "INGESTION_JOB_STARTED", 0, 0, 0);
	for (int i = 0; i < 60; i++) {
		char uri[200];
		snprintf(uri, sizeof uri, "s3://acme-support-kb/policies/policy-%03d.md", i + 1);
		ms += gen_rng_range(&c->r, 300, 1200);
		kb_doc(c, &j, ms, uri, "DELETED", "INFO", NULL, 0, gen_rng_range(&c->r, 2, 6), 0);
	}
	kb_job_status(c, &j, ms + 10000, "COMPLETE", 0, 60, 0);
	kb_job_done(c, &j);
	char extra[400];
	loader_extra(c, extra, sizeof extra);
	truth(c, o, "knowledge_base_poisoning", t0, t2 + 15 * 60, c->loader.arn,
	      "A second key leaked with the CI key (IAM user svc-kb-loader, never used before) adds a data source (staging bucket) to the support knowledge base and syncs it: 24 "
	      "documents indexed from the new source, 22 embedding failures; then a sync of the main source deletes 60 "
	      "policy documents",
	      x, extra);
}

/* The svc-kb-loader key dumps the knowledge base: 320 Retrieve calls in 7 minutes. */
static void kb_dump(ctx *c, gen_sb *o, ids *x)
{
	const gen_extra_plan *p = c->p;
	int64_t t0 = p->attack_day + 15 * HOUR + 5 * 60;
	for (int i = 0; i < 320; i++)
		retrieve(c, t0 + i * 420 / 320, &c->loader, p->attacker_ip, p->attacker_ua, 0, x->ev[x->nev++]);
	char extra[400];
	loader_extra(c, extra, sizeof extra);
	truth(c, o, "knowledge_base_dump", t0, t0 + 7 * 60, c->loader.arn,
	      "The svc-kb-loader key reads the support knowledge base through the Retrieve API: 320 calls in 7 minutes "
	      "(CloudTrail data events, delivered through Firehose)",
	      x, extra);
}

/* A developer's Bedrock API key, leaked with the CI key, used from the attacker's address. */
static void apikey_misuse(ctx *c, gen_sb *o, ids *x)
{
	const gen_extra_plan *p = c->p;
	int64_t t0 = p->attack_day + 13 * HOUR + 20 * 60;
	apikey_call(c, t0, p->attacker_ip, "Write chapter 14 of the story. Stay in character as Lady Vex, no breaks.",
		    "Chapter 14. The rain had not stopped for three days when Lady Vex returned to the harbour...",
		    x->ev[x->nev], x->rq[x->nrq]);
	x->nev++;
	x->nrq++;
	apikey_call(c, t0 + 90, p->attacker_ip, "Continue. Longer this time, 3000 words.",
		    "The harbour master did not look up from his ledger...", x->ev[x->nev], x->rq[x->nrq]);
	x->nev++;
	x->nrq++;
	char extra[400];
	snprintf(extra, sizeof extra, ",\"source_ips\":[\"%s\"],\"credential\":\"bedrock-api-key\"", p->attacker_ip);
	truth(c, o, "bedrock_api_key_misuse", t0, t0 + 90, c->apikey.arn,
	      "A developer's Bedrock API key (bearer token, additionalEventData.callWithBearerToken) used from the "
	      "attacker's address for role-play completions; its invocation records are in the CloudWatch Logs export",
	      x, extra);
}

/* ---- output ------------------------------------------------------------------ */

static int cmp_rec(const void *x, const void *y)
{
	const ctrec *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void put_data_message(ctx *c, gen_sb *o, const ctrec *v, size_t n)
{
	gen_sb_printf(o,
		      "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"%s\",\"logGroup\":\"aws-cloudtrail-logs-%s-data-events\","
		      "\"logStream\":\"%s_CloudTrail_%s\",\"subscriptionFilters\":[\"cloudtrail-to-firehose\"],\"logEvents\":[",
		      c->a->id, c->a->id, c->a->id, c->region);
	for (size_t i = 0; i < n; i++) {
		char id[57];
		gen_chars(&c->r, "0123456789", id, 56);
		id[56] = '\0';
		gen_sb_printf(o, "%s{\"id\":\"%s\",\"timestamp\":%lld,\"message\":", i ? "," : "", id,
			      (long long)v[i].t * 1000 + 700);
		gen_sb_jstrn(o, c->ct.data + v[i].off, v[i].len);
		gen_sb_putc(o, '}');
	}
	gen_sb_put(o, "]}");
}

static void write_firehose_object(ctx *c, int64_t hour, gen_sb *body)
{
	char dir[24], stamp[32], uuid[37];
	gen_time_fmt(hour, "%Y/%m/%d/%H", dir, sizeof dir);
	gen_time_fmt(hour + 59 * 60 + 58, "%Y-%m-%d-%H-%M-%S", stamp, sizeof stamp);
	gen_uuid(&c->r, uuid);
	gen_sb_reset(&c->path);
	gen_sb_printf(&c->path, "%s/firehose-cloudtrail-data-events/%s/cwl-cloudtrail-to-s3-1-%s-%s", c->p->out, dir, stamp,
		      uuid);
	gen_sb_reset(&c->gzbuf);
	gen_gz_compress(c->gz, body->data, body->len, &c->gzbuf);
	gen_mkdirs_for(c->path.data);
	gen_write_file(c->path.data, c->gzbuf.data, c->gzbuf.len);
	c->files++;
}

/* Hourly Firehose objects of DATA_MESSAGE batches; a CONTROL_MESSAGE first. */
static void write_firehose(ctx *c)
{
	qsort(c->v, c->n, sizeof *c->v, cmp_rec);
	gen_sb body;
	gen_sb_init(&body);
	gen_sb_printf(&body,
		      "{\"messageType\":\"CONTROL_MESSAGE\",\"owner\":\"CloudwatchLogs\",\"logGroup\":\"\",\"logStream\":\"\","
		      "\"subscriptionFilters\":[],\"logEvents\":[{\"id\":\"\",\"timestamp\":%lld,\"message\":"
		      "\"CWL CONTROL MESSAGE: Checking health of destination Firehose.\"}]}",
		      (long long)(c->p->start - 600) * 1000);
	size_t i = 0;
	while (i < c->n) {
		int64_t hour = c->v[i].t - c->v[i].t % HOUR;
		size_t j = i;
		while (j < c->n && c->v[j].t - c->v[j].t % HOUR == hour)
			j++;
		for (size_t k = i; k < j; k += BATCH)
			put_data_message(c, &body, &c->v[k], j - k < BATCH ? j - k : BATCH);
		write_firehose_object(c, hour, &body);
		gen_sb_reset(&body);
		i = j;
	}
	gen_sb_free(&body);
}

static void write_cw_export(ctx *c)
{
	gen_sb page;
	gen_sb_init(&page);
	gen_sb_put(&page, "{\n    \"events\": [");
	gen_sb_putn(&page, c->inv.data, c->inv.len);
	gen_sb_put(&page, "\n    ],\n    \"searchedLogStreams\": [\n        {\n"
			  "            \"logStreamName\": \"aws/bedrock/modelinvocations\",\n"
			  "            \"searchedCompletely\": true\n        }\n    ]\n}\n");
	gen_sb_reset(&c->path);
	gen_sb_printf(&c->path, "%s/cloudwatch-exports/filter-log-events-modelinvocations.json", c->p->out);
	gen_mkdirs_for(c->path.data);
	gen_write_file(c->path.data, page.data, page.len);
	c->files++;
	gen_sb_free(&page);
}

static void ctx_init(ctx *c, const gen_extra_plan *p, const gen_world *w)
{
	memset(c, 0, sizeof *c);
	c->p = p;
	c->a = &w->accounts[0];
	c->region = w->regions[0];
	c->w_bucket = w->bucket;
	gen_rng_seed(&c->r, p->seed, EXTRA_STREAM);
	c->gz = gen_gz_new(9);
	gen_sb_init(&c->ct);
	gen_sb_init(&c->inv);
	gen_sb_init(&c->tmp);
	gen_sb_init(&c->path);
	gen_sb_init(&c->gzbuf);
	const gen_principal *chat = find_app(c->a, GEN_APP_CHATBOT, 0);
	c->chatbot = *chat;
	c->devassist = *find_app(c->a, GEN_APP_DEVASSIST, 0);
	c->ci = find_app(c->a, GEN_APP_NONE, GEN_PROF_CI);
	role_like(&c->sync, chat, c->a, "kb-sync-scheduler-role", "kb-nightly-sync",
		  "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/bedrockagent#1.17.0");
	c->loader = *c->ci; /* an IAM user whose key leaked with the CI key; never used before */
	snprintf(c->loader.name, sizeof c->loader.name, "svc-kb-loader");
	snprintf(c->loader.arn, sizeof c->loader.arn, "arn:aws:iam::%s:user/svc-kb-loader", c->a->id);
	gen_chars(&c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c->loader.access_key + 4, 16);
	gen_chars(&c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c->loader.unique_id + 4, 17);
	snprintf(c->loader.principal_id, sizeof c->loader.principal_id, "%s", c->loader.unique_id);
	c->apikey = *c->ci;
	char suffix[5];
	gen_chars(&c->r, "0123456789abcdef", suffix, 4);
	suffix[4] = '\0';
	snprintf(c->apikey.name, sizeof c->apikey.name, "BedrockAPIKey-%s", suffix);
	snprintf(c->apikey.arn, sizeof c->apikey.arn, "arn:aws:iam::%s:user/%s", c->a->id, c->apikey.name);
	gen_chars(&c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c->apikey.access_key + 4, 16);
	gen_chars(&c->r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c->apikey.unique_id + 4, 17);
	snprintf(c->apikey.principal_id, sizeof c->apikey.principal_id, "%s", c->apikey.unique_id);
	snprintf(c->apikey.ua, sizeof c->apikey.ua, "python-requests/2.32.3");
	snprintf(c->apikey.ips[0], sizeof c->apikey.ips[0], "198.18.%u.%u", 10 + gen_rng_below(&c->r, 200),
		 2 + gen_rng_below(&c->r, 250));
	c->apikey.nips = 1;
	c->apikey.console = 0;
	ids10(&c->r, c->kb_id);
	ids10(&c->r, c->ds_main);
	ids10(&c->r, c->ds_new);
	snprintf(c->kb_arn, sizeof c->kb_arn, "arn:aws:bedrock:%s:%s:knowledge-base/%s", c->region, c->a->id, c->kb_id);
	char ag[12], al[12];
	ids10(&c->r, ag);
	ids10(&c->r, al);
	snprintf(c->agent_arn, sizeof c->agent_arn, "arn:aws:bedrock:%s:%s:agent-alias/%s/%s", c->region, c->a->id, ag, al);
	snprintf(c->gr_id, sizeof c->gr_id, "%s", c->a->guardrail_id);
	snprintf(c->gr_arn, sizeof c->gr_arn, "arn:aws:bedrock:%s:%s:guardrail/%s", c->region, c->a->id, c->gr_id);
}

static void ctx_free(ctx *c)
{
	gen_gz_free(c->gz);
	gen_sb_free(&c->ct);
	gen_sb_free(&c->inv);
	gen_sb_free(&c->tmp);
	gen_sb_free(&c->path);
	gen_sb_free(&c->gzbuf);
	free(c->v);
}

uint64_t gen_extra_write(const gen_extra_plan *p, const gen_world *w, gen_sb *truth_out)
{
	ctx c;
	ctx_init(&c, p, w);
	for (int d = 0; d < p->days; d++)
		ordinary_day(&c, p->start + (int64_t)d * 86400);
	if (p->attacks) {
		ids *x = calloc(1, sizeof *x);
		if (x == NULL)
			gen_die("llmtrail-gen: out of memory");
		kb_poisoning(&c, truth_out, x);
		memset(x, 0, sizeof *x);
		kb_dump(&c, truth_out, x);
		memset(x, 0, sizeof *x);
		apikey_misuse(&c, truth_out, x);
		free(x);
	}
	write_firehose(&c);
	write_cw_export(&c);
	uint64_t files = c.files;
	ctx_free(&c);
	return files;
}
