/*
 * gen_ct.h — the simulated organisation and its CloudTrail records.
 *
 * What: gen_world_build makes, from a seed, the accounts of a fictional
 * company (ids, IAM users with AKIA keys, SSO and application roles, AWS
 * services, root), each principal with its usual IPs and user agent and a
 * profile saying what it does. gen_ct_write renders one CloudTrail record
 * (the fields of DESIGN.md §3: userIdentity with sessionContext, tlsDetails,
 * errors...) and gen_ct_benign renders a random everyday management event for
 * a principal.
 * Ownership: a gen_world is built once, then read-only (shared by threads);
 * records are appended to the caller's gen_sb.
 */
#ifndef LLMTRAIL_GEN_CT_H
#define LLMTRAIL_GEN_CT_H

#include <stddef.h>
#include <stdint.h>

#include "testdata/gen/gen_util.h"

typedef enum gen_ptype { GEN_IAMUSER, GEN_ROLE, GEN_SERVICE, GEN_ROOT } gen_ptype;

/* What a principal does; one bit each so event kinds can list their users. */
enum {
	GEN_PROF_CI = 1u << 0,        /* CI/CD IAM user: deploys */
	GEN_PROF_ADMIN = 1u << 1,     /* SSO administrators */
	GEN_PROF_DEV = 1u << 2,       /* SSO developers, CLI and console */
	GEN_PROF_APP = 1u << 3,       /* application roles calling Bedrock */
	GEN_PROF_REPORT = 1u << 4,    /* reporting IAM user calling Bedrock */
	GEN_PROF_SERVICE = 1u << 5,   /* AWS services acting for the account */
	GEN_PROF_ROOT = 1u << 6,      /* the root user */
	GEN_PROF_ATTACKER = 1u << 7   /* only the injected incidents */
};

/* What an application principal uses Bedrock for (selects prompts). */
typedef enum gen_app {
	GEN_APP_NONE,
	GEN_APP_CHATBOT,    /* customer-support bot: Converse(+Stream), guardrail */
	GEN_APP_SUMMARIZER, /* document summariser: InvokeModel Anthropic/Titan */
	GEN_APP_DEVASSIST,  /* internal developer assistant: Converse with tools */
	GEN_APP_REPORTING,  /* batch reports: Llama, Mistral, Cohere, AI21 */
	GEN_APP_PLAYGROUND  /* people trying models in the console */
} gen_app;

#define GEN_MAX_IPS 4

typedef struct gen_principal {
	gen_ptype type;
	unsigned prof;
	gen_app app;
	char name[64];        /* user name, role name, service host or "root" */
	char session[96];     /* role session name */
	char arn[192];        /* identity ARN as CloudTrail shows it */
	char role_arn[160];   /* IAM role ARN (session issuer) */
	char principal_id[80];
	char unique_id[24];   /* AIDA... / AROA... */
	char access_key[24];  /* long-term AKIA key (IAM users) */
	char ua[256];
	char ips[GEN_MAX_IPS][48];
	int nips;
	double weight;        /* share of the account's activity */
	double invoke_share;  /* share of its actions that are Bedrock runtime calls */
	int console;          /* acts through the console */
	int mfa;
	int idx;              /* index within the account */
} gen_principal;

#define GEN_MAX_PRINCIPALS 32

typedef struct gen_account {
	char id[16];
	char alias[48];
	int idx;
	gen_principal p[GEN_MAX_PRINCIPALS];
	size_t np;
	double weights[GEN_MAX_PRINCIPALS];
	char guardrail_id[16];
	char kms_key[40];
} gen_account;

typedef struct gen_world {
	uint64_t seed;
	char bucket[64];
	char trail[32];
	char home_region[24];
	gen_account *accounts;
	size_t naccounts;
	const char **regions;
	size_t nregions;
} gen_world;

/* Builds naccounts accounts and picks nregions regions (first is us-east-1). */
void gen_world_build(gen_world *w, uint64_t seed, size_t naccounts, size_t nregions);
void gen_world_free(gen_world *w);
/* Index of the principal with this name in a, or -1. */
int gen_world_find(const gen_account *a, const char *name);

/* One CloudTrail record. NULL JSON members render as null. */
typedef struct gen_ct_event {
	int64_t t;
	const gen_account *acct;
	const gen_principal *p;
	const char *region;
	const char *source;      /* eventSource, e.g. "sts.amazonaws.com" */
	const char *name;        /* eventName */
	const char *ip;          /* NULL: one of p's usual IPs */
	const char *ua;          /* NULL: p's user agent */
	const char *err_code;
	const char *err_msg;
	const char *req;         /* requestParameters JSON or NULL */
	const char *resp;        /* responseElements JSON or NULL */
	const char *addl;        /* additionalEventData JSON or NULL */
	const char *resources;   /* resources JSON array or NULL */
	const char *host;        /* tlsDetails.clientProvidedHostHeader; NULL: derived */
	const char *event_type;  /* NULL: AwsApiCall */
	int read_only;
	int data_event;          /* a data event: managementEvent false, eventCategory Data */
	char request_id[40];
	char event_id[40];
} gen_ct_event;

/* Fills ids (request and event) and the usual IP from r. */
void gen_ct_init(gen_ct_event *e, gen_rng *r, const gen_account *a, const gen_principal *p,
		 const char *region, int64_t t);
void gen_ct_write(gen_sb *out, gen_rng *r, const gen_ct_event *e);

/* An everyday management event by p (never a Bedrock runtime call). */
/* scratch: four builders the caller owns (reused between calls). */
void gen_ct_benign(gen_sb *out, gen_sb scratch[4], gen_rng *r, const gen_world *w, const gen_account *a,
		   const gen_principal *p, const char *region, int64_t t);

/* Picks the acting principal of account a, weighted. */
const gen_principal *gen_world_pick(gen_rng *r, const gen_account *a);

/* Temporary STS key for a role principal at time t (stable within the hour). */
void gen_ct_session_key(const gen_account *a, const gen_principal *p, int64_t t, char out[24]);

#endif
