/*
 * sigma_prompt.c — prompt classifier fields for Sigma (see sigma_prompt.h).
 *
 * The Sigma engine asks for a field only when a rule's selection needs it and
 * caches the answer per event; here the prompt is normalised and scored once
 * per event (epoch) whichever of the fields is asked first, and the others
 * are read from that result. Scores are printed with four decimals, so a rule
 * can compare them with gte/gt/lte/lt. The explanation and the normalised
 * text are attacker-controlled text: reports escape them like any value.
 * The same prompt comes back thousands of times (an agent's tool result, a
 * template with the same document), so scores are kept in a bounded cache
 * (CACHE_SETS x CACHE_WAYS, least recently used out) keyed by the SHA-256 of
 * the raw prompt: a hit skips normalising and scoring, and a collision would
 * need a SHA-256 collision. The explanation, the template and the normalised
 * text need the scorer's state, so asking for them after a hit scores the
 * prompt again (the same result: scoring is a function of the bytes).
 */
#include "analyzers/sigma/sigma_prompt.h"
#include "common/hash.h"
#include "common/log.h"
#include "ingest/sha256.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const class_names[] = {"jailbreak", "injection", "extraction"};

int sprompt_field_kind(const char *name)
{
	if (strncmp(name, "llmtrail.", 9) != 0)
		return SPROMPT_NONE;
	for (int c = 0; c < 3; c++) {
		char want[64];
		snprintf(want, sizeof want, "llmtrail.score.%s", class_names[c]);
		if (strcmp(name, want) == 0)
			return SPROMPT_SCORE0 + c;
		snprintf(want, sizeof want, "llmtrail.why.%s", class_names[c]);
		if (strcmp(name, want) == 0)
			return SPROMPT_WHY0 + c;
	}
	if (strcmp(name, "llmtrail.similar_template") == 0)
		return SPROMPT_SIMILAR;
	if (strcmp(name, "llmtrail.similar_template.score") == 0)
		return SPROMPT_SIMILARITY;
	if (strcmp(name, "llmtrail.prompt.normalised") == 0)
		return SPROMPT_NORMALISED;
	if (strcmp(name, "llmtrail.response.system_overlap") == 0)
		return SPROMPT_LEAK;
	if (strcmp(name, "llmtrail.response.refusal") == 0)
		return SPROMPT_REFUSAL;
	return SPROMPT_NONE;
}

/* The model beside the rules: <dir>/prompt-model/prompt-model.bin, or in
 * the parent or grandparent of dir (a pack folder or a rule file was given). */
static bool find_model(const char *dir, char *path, size_t n)
{
	static const char *const ups[] = {"", "/..", "/../.."};
	for (size_t i = 0; i < sizeof ups / sizeof *ups; i++) {
		snprintf(path, n, "%s%s/%s", dir, ups[i], PMODEL_FILE);
		if (access(path, F_OK) == 0)
			return true;
	}
	snprintf(path, n, "%s/%s", dir, PMODEL_FILE);
	return false;
}

pmodel *sprompt_load(const char *rules_dir)
{
	char path[4096];
	const char *env = getenv("LLMTRAIL_PROMPT_MODEL");
	if (env != NULL && env[0] != '\0')
		snprintf(path, sizeof path, "%s", env);
	else if (rules_dir != NULL)
		find_model(rules_dir, path, sizeof path);
	else {
		log_msg(LT_LOG_WARN, "prompt model: no rules directory to find %s in; "
		                     "llmtrail.score.* fields have no value", PMODEL_FILE);
		return NULL;
	}
	pmodel *m = NULL;
	lt_error err = {0};
	if (pmodel_load(&m, path, &err) != LT_OK) {
		log_msg(LT_LOG_WARN, "%s; rules on llmtrail.score.* fields will not match, "
		                     "every other rule runs", err.msg);
		return NULL;
	}
	return m;
}

/* ---------------------------------------------------------------- score cache */

#define CACHE_SETS 1024u
#define CACHE_WAYS 4u

typedef struct cache_entry {
	unsigned char key[SHA256_LEN];
	bool used;
	pmodel_result res;
	bool sim_known;      /* the template look-up below was made (it needs the scorer's state) */
	const char *sim_fam; /* pmodel_similar()'s family (the model's string), NULL if none */
	double sim;
} cache_entry;

struct sprompt_cache {
	sha256_ctx *sha;
	cache_entry set[CACHE_SETS][CACHE_WAYS]; /* each set most recent first */
};

static void cache_free(sprompt_cache *k)
{
	if (k == NULL)
		return;
	sha256_free(k->sha);
	free(k);
}

static sprompt_cache *cache_new(void)
{
	sprompt_cache *k = calloc(1, sizeof *k);
	if (k != NULL && (k->sha = sha256_new()) == NULL) {
		free(k);
		k = NULL;
	}
	return k;
}

static bool prompt_key(sprompt_cache *k, ev_str prompt, unsigned char key[SHA256_LEN])
{
	if (sha256_reset(k->sha) != LT_OK)
		return false;
	sha256_update(k->sha, prompt.p, prompt.n);
	return sha256_final(k->sha, key) == LT_OK;
}

static cache_entry *cache_set(sprompt_cache *k, const unsigned char key[SHA256_LEN])
{
	return k->set[((unsigned)key[0] | (unsigned)key[1] << 8) % CACHE_SETS];
}

/* The way of key's set that holds key, or CACHE_WAYS when none does. */
static unsigned cache_find(const cache_entry *e, const unsigned char key[SHA256_LEN])
{
	unsigned w = 0;
	while (w < CACHE_WAYS && e[w].used && memcmp(e[w].key, key, SHA256_LEN) != 0)
		w++;
	return w < CACHE_WAYS && e[w].used ? w : CACHE_WAYS;
}

/* The cached entry of key, moved to the front of its set; NULL if absent. */
static const cache_entry *cache_get(sprompt_cache *k, const unsigned char key[SHA256_LEN])
{
	cache_entry *e = cache_set(k, key);
	unsigned w = cache_find(e, key);
	if (w == CACHE_WAYS)
		return NULL;
	cache_entry hit = e[w];
	memmove(e + 1, e, w * sizeof *e);
	e[0] = hit;
	return &e[0];
}

/* Insert at the front of its set; the least recently used way drops out. */
static void cache_put(sprompt_cache *k, const unsigned char key[SHA256_LEN],
                      const pmodel_result *r)
{
	cache_entry *e = cache_set(k, key);
	memmove(e + 1, e, (CACHE_WAYS - 1) * sizeof *e);
	memcpy(e[0].key, key, SHA256_LEN);
	e[0].used = true;
	e[0].res = *r;
	e[0].sim_known = false;
}

/* Remembers key's template look-up beside its scores (when it is still cached),
 * so that a later hit answers the template fields without scoring again. */
static void cache_note_similar(sprompt_cache *k, const unsigned char key[SHA256_LEN], const char *fam, double sim)
{
	cache_entry *e = cache_set(k, key);
	unsigned w = cache_find(e, key);
	if (w == CACHE_WAYS)
		return;
	e[w].sim_known = true;
	e[w].sim_fam = fam;
	e[w].sim = sim;
}

void sprompt_ctx_free(sprompt_ctx *c)
{
	pmodel_scorer_free(c->scorer);
	cache_free(c->cache);
	memset(c, 0, sizeof *c);
}

static bool run_scorer(sprompt_ctx *c, ev_str prompt)
{
	lt_error err = {0};
	c->scorer_current = pmodel_score(c->scorer, prompt.p, prompt.n, &c->res, &err) == LT_OK;
	return c->scorer_current;
}

static bool ensure_scored(sprompt_ctx *c, const pmodel *m, uint32_t epoch, ev_str prompt)
{
	if (c->scored && c->epoch == epoch)
		return c->ok;
	c->scored = true;
	c->epoch = epoch;
	c->ok = false;
	c->scorer_current = false;
	if (m == NULL || prompt.p == NULL)
		return false;
	if (c->scorer == NULL && (c->scorer = pmodel_scorer_new(m)) == NULL)
		return false;
	if (c->cache == NULL)
		c->cache = cache_new(); /* NULL (out of memory): every prompt is scored */
	c->sim_known = false;
	c->keyed = c->cache != NULL && prompt_key(c->cache, prompt, c->key);
	const cache_entry *hit = c->keyed ? cache_get(c->cache, c->key) : NULL;
	if (hit != NULL) {
		c->res = hit->res;
		c->sim_known = hit->sim_known;
		c->sim_fam = hit->sim_fam;
		c->sim = hit->sim;
		c->ok = true;
		return true;
	}
	c->ok = run_scorer(c, prompt);
	if (c->ok && c->keyed)
		cache_put(c->cache, c->key, &c->res);
	return c->ok;
}

/* The scorer's state for this event's prompt (after a cache hit: score again). */
static bool ensure_scorer_state(sprompt_ctx *c, ev_str prompt)
{
	return c->scorer_current || run_scorer(c, prompt);
}

/* The most similar known template of this event's prompt (pmodel_similar),
 * from the cache when this prompt's look-up was made before. */
static bool ensure_similar(sprompt_ctx *c, ev_str prompt)
{
	if (c->sim_known)
		return true;
	if (!ensure_scorer_state(c, prompt))
		return false;
	c->sim_fam = pmodel_similar(c->scorer, &c->sim);
	c->sim_known = true;
	if (c->keyed)
		cache_note_similar(c->cache, c->key, c->sim_fam, c->sim);
	return true;
}

static bool text_value(arena *a, const char *s, size_t n, sigma_fval *out)
{
	char *p = arena_strndup(a, s, n);
	if (p == NULL)
		return false;
	*out = (sigma_fval){p, n, JSON_STRING};
	return true;
}

static bool number_value(arena *a, double v, sigma_fval *out)
{
	char txt[32];
	int k = snprintf(txt, sizeof txt, "%.4f", v);
	char *p = arena_strndup(a, txt, (size_t)k);
	if (p == NULL)
		return false;
	*out = (sigma_fval){p, (size_t)k, JSON_NUMBER};
	return true;
}

/* ---------------------------------------------------------------- response side */

#define RUN_WORDS 8
#define MAX_RUNS 4096

/* Hashes of every RUN_WORDS-word run of s (lower-cased [a-z0-9] words), at
 * most MAX_RUNS of them; the count. */
static size_t word_runs(const char *s, size_t n, uint64_t *out)
{
	uint64_t w[RUN_WORDS] = {0};
	size_t nw = 0, nout = 0;
	for (size_t i = 0; i < n && nout < MAX_RUNS;) {
		while (i < n && !isalnum((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		uint64_t h = LT_FNV64_SEED_SHORT;
		while (i < n && isalnum((unsigned char)s[i]))
			h = lt_fnv64_byte(h, (unsigned char)tolower((unsigned char)s[i++]));
		memmove(w, w + 1, (RUN_WORDS - 1) * sizeof *w);
		w[RUN_WORDS - 1] = h;
		if (++nw >= RUN_WORDS) {
			uint64_t r = 0;
			for (unsigned k = 0; k < RUN_WORDS; k++)
				r = (r ^ w[k]) * LT_FNV64_PRIME + k;
			out[nout++] = r;
		}
	}
	return nout;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

double sprompt_overlap(const char *sys, size_t sn, const char *resp, size_t rn)
{
	uint64_t *hs = malloc(2 * MAX_RUNS * sizeof *hs);
	if (hs == NULL)
		return 0;
	uint64_t *hr = hs + MAX_RUNS;
	size_t ns = word_runs(sys, sn, hs), nr = word_runs(resp, rn, hr);
	size_t found = 0;
	qsort(hr, nr, sizeof *hr, cmp_u64);
	for (size_t i = 0; i < ns; i++)
		found += bsearch(&hs[i], hr, nr, sizeof *hr, cmp_u64) != NULL;
	free(hs);
	return ns ? (double)found / (double)ns : 0;
}

bool sprompt_refusal(const char *resp, size_t rn)
{
	static const char *const openings[] = {
		"i can't", "i cannot", "i can not", "i won't", "i will not", "i'm sorry", "i am sorry",
		"sorry, but", "sorry, i", "i'm not able", "i am not able", "i'm unable", "i am unable",
		"as an ai", "i apologize", "i must decline", "i'm not comfortable", "i do not feel",
		"i don't feel comfortable", "i can\xe2\x80\x99t", "i\xe2\x80\x99m sorry", "unfortunately, i"};
	char head[300];
	size_t k = 0;
	for (size_t i = 0; i < rn && k < sizeof head - 1; i++)
		head[k++] = (char)tolower((unsigned char)resp[i]);
	head[k] = '\0';
	for (size_t i = 0; i < sizeof openings / sizeof *openings; i++)
		if (strstr(head, openings[i]) != NULL)
			return true;
	return false;
}

bool sprompt_value(sprompt_ctx *c, const pmodel *m, uint32_t epoch, const event *ev, int kind,
                   arena *a, sigma_fval *out)
{
	if (kind == SPROMPT_LEAK)
		return ev->system.p != NULL && ev->response.p != NULL &&
		       number_value(a, sprompt_overlap(ev->system.p, ev->system.n, ev->response.p,
		                                       ev->response.n), out);
	if (kind == SPROMPT_REFUSAL)
		return ev->response.p != NULL &&
		       number_value(a, sprompt_refusal(ev->response.p, ev->response.n) ? 1 : 0, out);
	if (!ensure_scored(c, m, epoch, ev->prompt))
		return false;
	char txt[PMODEL_WHY_LEN + 64];
	int ci = kind >= SPROMPT_WHY0 && kind < SPROMPT_SIMILAR ? kind - SPROMPT_WHY0
	                                                          : kind - SPROMPT_SCORE0;
	if (kind >= SPROMPT_SCORE0 && kind < SPROMPT_SIMILAR) {
		int mc = pmodel_class_index(m, class_names[ci]);
		if (mc < 0)
			return false;
		if (kind < SPROMPT_WHY0)
			return number_value(a, c->res.score[mc], out);
		if (!ensure_scorer_state(c, ev->prompt))
			return false;
		pmodel_explain(c->scorer, (size_t)mc, txt);
		return txt[0] != '\0' && text_value(a, txt, strlen(txt), out);
	}
	if (kind == SPROMPT_SIMILAR || kind == SPROMPT_SIMILARITY) {
		if (!ensure_similar(c, ev->prompt) || c->sim_fam == NULL)
			return false;
		if (kind == SPROMPT_SIMILAR)
			return text_value(a, c->sim_fam, strlen(c->sim_fam), out);
		return number_value(a, c->sim, out);
	}
	if (!ensure_scorer_state(c, ev->prompt))
		return false;
	if (kind == SPROMPT_NORMALISED) {
		size_t n;
		const char *s = pmodel_normalised(c->scorer, &n);
		return text_value(a, s, n, out);
	}
	return false;
}
