/*
 * sigmahq_regression.c — conformance: SigmaHQ regression data are positive
 * cases. For every regression_data/.../info.yml, each rule it names must match
 * at least one event of the JSON file beside it (Windows event records as
 * JSON, possibly several concatenated). Events go through the generic JSON
 * mode: every rule applies whatever its log source, fields resolved with
 * tests/conformance/sigmahq-fieldmap.yml. TAP, one case per info.yml.
 *
 * Each case is also a negative one: no other rule of the regression data
 * whose log source (product/service-or-category) differs from the case
 * rule's may fire on its events. Positives alone cannot tell a matcher that
 * is too loose (an endswith that behaves like contains passed them all);
 * events of another log source are near misses for those rules. Hits that
 * are field-level matches (generic mode has no per-log-source condition) are
 * listed, checked by hand, in tests/conformance/sigmahq-crossfire.txt.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzers/sigma/sigma.h"
#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"
#include "ingest/json.h"

/* The rules named by the regression data (pass 1 collects them). */
static const sigma_rule **regr;
static size_t nregr;
static int collecting;

/* Expected cross-log-source hits: "FIRING-ID CASE-ID ..." lines. */
static char **crossfire;
static size_t ncrossfire;

static void load_crossfire(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char a[64], b[64];
		if (line[0] == '#' || sscanf(line, "%63s %63s", a, b) != 2)
			continue;
		char **n = realloc(crossfire, (ncrossfire + 1) * sizeof *n);
		if (n == NULL)
			break;
		crossfire = n;
		size_t la = strlen(a), lb = strlen(b);
		if ((crossfire[ncrossfire] = malloc(la + lb + 2)) == NULL)
			break;
		memcpy(crossfire[ncrossfire], a, la);
		crossfire[ncrossfire][la] = ' ';
		memcpy(crossfire[ncrossfire] + la + 1, b, lb + 1);
		ncrossfire++;
	}
	if (f != NULL)
		fclose(f);
	else
		printf("# %s: not readable, no cross-log-source hit is expected\n", path);
}

static bool crossfire_expected(const char *firing, const char *case_id)
{
	char key[160];
	snprintf(key, sizeof key, "%s %s", firing, case_id);
	for (size_t i = 0; i < ncrossfire; i++)
		if (strcmp(crossfire[i], key) == 0)
			return true;
	return false;
}

typedef struct want {
	const char *id;
	int hit;
	const sigma_rule *rule;    /* the case's rule */
	const sigma_rule *foreign; /* a regression rule of another log source that fired */
	int nforeign;
	int nexpected; /* such hits listed in sigmahq-crossfire.txt */
} want;

static bool is_regression_rule(const sigma_rule *r)
{
	for (size_t i = 0; i < nregr; i++)
		if (regr[i] == r)
			return true;
	return false;
}

static int on_hit(void *ctx, const sigma_hit *hit)
{
	want *w = ctx;
	if (hit->error != NULL)
		return 0;
	if (strcmp(sigma_rule_id(hit->rule), w->id) == 0)
		w->hit = 1;
	else if (w->rule != NULL && is_regression_rule(hit->rule) &&
	         strcmp(sigma_rule_logsource_text(hit->rule), sigma_rule_logsource_text(w->rule)) != 0) {
		if (crossfire_expected(sigma_rule_id(hit->rule), w->id))
			w->nexpected++;
		else if (w->nforeign++ == 0)
			w->foreign = hit->rule;
	}
	return 0;
}

static void collect(const sigma_rule *r)
{
	if (r == NULL || is_regression_rule(r))
		return;
	const sigma_rule **n = realloc(regr, (nregr + 1) * sizeof *regr);
	if (n == NULL)
		return;
	regr = n;
	regr[nregr++] = r;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		*len = (size_t)n;
	}
	return b;
}

static int ncase;
static int npass;
static int npass_neg;

/* X.raw instead of X.json: plain log lines; each line is an event whose
 * document is that line as one JSON string (keyword searches apply). */
static int run_raw(sigma_ruleset *rs, const char *json_path, want *w, char *why, size_t whyn)
{
	char raw[4096];
	size_t len = 0, nev = 0;
	snprintf(raw, sizeof raw, "%.*s.raw", (int)(strlen(json_path) - 5), json_path);
	char *text = slurp(raw, &len);
	if (text == NULL) {
		snprintf(why, whyn, "cannot read %s (nor .raw)", json_path);
		return -1;
	}
	for (char *line = text; line < text + len;) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
		json_value doc;
		memset(&doc, 0, sizeof doc);
		doc.type = JSON_STRING;
		doc.u.s = line;
		doc.len = n;
		event ev;
		memset(&ev, 0, sizeof ev);
		ev.doc = &doc;
		if (ruleset_match(rs, &ev, on_hit, w) != LT_OK)
			break;
		nev++;
		line += n + 1;
	}
	free(text);
	return (int)nev;
}

/* Matches every event of json_path against the ruleset; sets w->hit. */
static int run_events(sigma_ruleset *rs, const char *json_path, want *w, char *why, size_t whyn)
{
	size_t len = 0;
	char *text = slurp(json_path, &len);
	if (text == NULL)
		return run_raw(rs, json_path, w, why, whyn);
	arena *a = arena_new(0, 0);
	size_t off = 0;
	int nev = 0;
	while (a != NULL && off < len) {
		while (off < len && strchr(" \t\r\n", text[off]))
			off++;
		if (off >= len)
			break;
		json_value *doc;
		size_t used;
		lt_error err;
		lt_error_clear(&err);
		json_options o = {JSON_ALLOW_TRAILING | JSON_ALLOW_BOM, 0};
		if (json_parse(a, text + off, len - off, &o, &doc, &used, &err) != LT_OK) {
			snprintf(why, whyn, "JSON error at %zu: %.200s", (size_t)(off + err.offset), err.msg);
			break;
		}
		event ev;
		memset(&ev, 0, sizeof ev);
		ev.source = EV_SRC_UNKNOWN;
		ev.doc = doc;
		if (ruleset_match(rs, &ev, on_hit, w) != LT_OK)
			break;
		nev++;
		off += used;
	}
	arena_free(a);
	free(text);
	return nev;
}

static void run_case(sigma_ruleset *rs, const char *dir)
{
	char path[4096], why[512] = "";
	snprintf(path, sizeof path, "%s/info.yml", dir);
	size_t len;
	char *text = slurp(path, &len);
	arena *a = arena_new(0, 0);
	sigma_ynode **docs;
	size_t nd;
	lt_error err;
	lt_error_clear(&err);
	if (text == NULL || a == NULL || sigma_yaml_load(a, text, len, &docs, &nd, &err) != LT_OK ||
	    nd != 1) {
		printf("not ok %d - %s: unreadable info.yml\n", ++ncase, dir);
		free(text);
		arena_free(a);
		return;
	}
	const sigma_ynode *meta = sigma_yaml_get(docs[0], "rule_metadata");
	for (size_t i = 0; meta && meta->type == SIGMA_Y_SEQ && i < meta->len; i++) {
		want w = {sigma_yaml_str(sigma_yaml_get(meta->items[i], "id")), 0, NULL, NULL, 0, 0};
		if (w.id == NULL)
			continue;
		const sigma_rule *r = ruleset_find(rs, w.id);
		if (collecting) {
			collect(r);
			continue;
		}
		w.rule = r;
		snprintf(path, sizeof path, "%s/%s.json", dir, w.id);
		int nev = -1;
		why[0] = '\0';
		if (r == NULL)
			snprintf(why, sizeof why, "rule %s not found in the SigmaHQ folders", w.id);
		else if (sigma_rule_state(r) != SIGMA_LOADED)
			snprintf(why, sizeof why, "rule %s: %s", sigma_state_name(sigma_rule_state(r)),
			         sigma_rule_reason(r));
		else
			nev = run_events(rs, path, &w, why, sizeof why);
		ncase++;
		if (w.hit) {
			npass++;
			printf("ok %d - %s (%d events)\n", ncase, sigma_rule_file(r), nev);
		} else {
			printf("not ok %d - %s: rule %s did not match%s%s\n", ncase, dir, w.id,
			       why[0] ? ": " : "", why);
		}
		if (nev < 0)
			continue; /* no events ran: the positive case already failed */
		ncase++;
		if (w.nforeign == 0) {
			npass_neg++;
			printf("ok %d - %s: no regression rule of another log source fires%s\n", ncase,
			       sigma_rule_file(r), w.nexpected ? " (but the listed field-level matches)" : "");
		} else {
			printf("not ok %d - %s: %d hit(s) of regression rules of another log source, first %s "
			       "(%s, %s) on events of %s (%s)\n",
			       ncase, dir, w.nforeign, sigma_rule_id(w.foreign), sigma_rule_title(w.foreign),
			       sigma_rule_logsource_text(w.foreign), w.id, sigma_rule_logsource_text(r));
		}
	}
	free(text);
	arena_free(a);
}

static void walk(sigma_ruleset *rs, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (d == NULL || depth > 16) {
		if (d)
			closedir(d);
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *names);
		if (nn == NULL)
			break;
		names = nn;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (names[i] && names[j] && strcmp(names[i], names[j]) > 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		char p[4096];
		struct stat sb;
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		if (strcmp(names[i], "info.yml") == 0)
			run_case(rs, dir);
		else if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			walk(rs, p, depth + 1);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const char *conf = getenv("LLMTRAIL_CONFORMANCE");
	const char *src = getenv("LLMTRAIL_SRCDIR");
	char dir[4096];
	struct stat sb;
	snprintf(dir, sizeof dir, "%s/sigmahq/regression_data", conf ? conf : "");
	if (conf == NULL || stat(dir, &sb) != 0) {
		printf("1..0 # SKIP conformance suite not available: %s\n", dir);
		return 0;
	}
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	char map[4096];
	snprintf(map, sizeof map, "%s/tests/conformance/sigmahq-fieldmap.yml", src ? src : ".");
	if (rs == NULL || ruleset_set_fieldmap(rs, map, &err) != LT_OK) {
		printf("1..1\nnot ok 1 - field map %s: %s\n", map, err.msg);
		return 0;
	}
	ruleset_set_generic(rs, true);
	static const char *const sub[] = {"rules", "rules-emerging-threats", "rules-threat-hunting"};
	for (size_t i = 0; i < 3; i++) {
		char rd[4096];
		snprintf(rd, sizeof rd, "%s/sigmahq/%s", conf, sub[i]);
		if (ruleset_load_path(rs, rd, &err) != LT_OK)
			printf("# %s: %s\n", rd, err.msg);
	}
	if (ruleset_compile(rs, &err) != LT_OK)
		printf("# compile: %s\n", err.msg);
	char cf[4096];
	snprintf(cf, sizeof cf, "%s/tests/conformance/sigmahq-crossfire.txt", src ? src : ".");
	load_crossfire(cf);
	collecting = 1;
	walk(rs, dir, 0);
	collecting = 0;
	walk(rs, dir, 0);
	printf("# regression data: %d rules matched their events; %d cases had no hit of a regression "
	       "rule of another log source (%zu rules); %d TAP cases\n",
	       npass, npass_neg, nregr, ncase);
	ruleset_stats st;
	ruleset_get_stats(rs, &st);
	printf("# generic mode: %zu rules loaded, %zu by literal prefilter (%zu patterns), %zu always; "
	       "%.1f rule evaluations per event\n",
	       st.loaded, st.prefiltered, st.patterns, st.always,
	       st.events ? (double)st.evaluations / (double)st.events : 0.0);
	printf("1..%d\n", ncase);
	free(regr);
	for (size_t i = 0; i < ncrossfire; i++)
		free(crossfire[i]);
	free(crossfire);
	ruleset_free(rs);
	return 0;
}
