/*
 * cmd_rules.c — `llmtrail rules list|lint|test [PATH...]`: list, lint or test
 * Sigma rules (default PATH: the shipped packs).
 *
 * list: one line per rule document: id, title, level, log source, status,
 *       state (tab-separated; text from rule files is escaped for the terminal).
 * lint: load and compile; every error and unsupported feature on stderr as
 *       FILE:LINE: KIND: REASON; exit 2 when any rule is in error.
 * test: for each rule file X.yml, the example events beside it (X.pos.json,
 *       X.neg.json, or X.examples/pos* and neg*; JSON, one event per line or
 *       concatenated, or a CloudTrail {"Records":[...]} file) must match
 *       (pos) or not match (neg) a rule of that file. TAP on stdout; exit 1
 *       when a case fails, 2 when a rule does not load.
 * The examples convention is documented in docs/rules.md.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzers/sigma/sigma.h"
#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "pipeline/rulesdir.h"
#include "common/arena.h"
#include "ingest/decode.h"
#include "ingest/json.h"

#define EXAMPLE_MAX_BYTES ((size_t)64 << 20)

static const cli_option options[] = {
	{"field-map", 0, "FILE", "field mapping (YAML) for rules written for other log sources"},
	{"placeholders", 0, "FILE", "values of %name% placeholders (YAML) for the expand modifier"},
	{NULL, 0, NULL, NULL},
};

typedef struct rules_opts {
	const char *field_map;
	const char *placeholders;
} rules_opts;

static int on_option(void *ctx, const cli_option *opt, const char *value)
{
	rules_opts *o = ctx;
	if (strcmp(opt->name, "field-map") == 0)
		o->field_map = value;
	else if (strcmp(opt->name, "placeholders") == 0)
		o->placeholders = value;
	return 0;
}

/* Prints text with control bytes escaped (a terminal is a sink too). */
static void put_safe(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static bool is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static sigma_ruleset *load(const rules_opts *o, int npaths, char **paths, int *code)
{
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	*code = LT_EXIT_CLEAN;
	if (rs == NULL) {
		fprintf(stderr, "llmtrail: rules: out of memory\n");
		*code = LT_EXIT_FATAL;
		return NULL;
	}
	if ((o->field_map && ruleset_set_fieldmap(rs, o->field_map, &err) != LT_OK) ||
	    (o->placeholders && ruleset_set_placeholders(rs, o->placeholders, &err) != LT_OK)) {
		char msg[2048];
		lt_error_format(&err, msg, sizeof msg);
		fprintf(stderr, "llmtrail: rules: %s\n", msg);
		ruleset_free(rs);
		*code = LT_EXIT_USAGE;
		return NULL;
	}
	if (o->field_map)
		ruleset_set_generic(rs, true);
	char def[PATH_MAX];
	const char *d = npaths == 0 ? rulesdir_find(def, sizeof def) : NULL;
	if (npaths == 0 && d == NULL)
		fprintf(stderr, "llmtrail: rules: no PATH given and no shipped rule packs found\n");
	for (int i = 0; i < (npaths ? npaths : (d ? 1 : 0)); i++) {
		lt_error_clear(&err);
		if (ruleset_load_path(rs, npaths ? paths[i] : d, &err) != LT_OK) {
			char msg[2048];
			lt_error_format(&err, msg, sizeof msg);
			fprintf(stderr, "llmtrail: rules: %s\n", msg);
			*code = LT_EXIT_USAGE;
		}
	}
	if (ruleset_compile(rs, &err) != LT_OK) {
		fprintf(stderr, "llmtrail: rules: %s\n", err.msg);
		*code = LT_EXIT_FATAL;
	}
	return rs;
}

static int do_list(sigma_ruleset *rs)
{
	printf("id\ttitle\tlevel\tlogsource\tstatus\tstate\n");
	for (size_t i = 0; i < ruleset_count(rs); i++) {
		const sigma_rule *r = ruleset_rule(rs, i);
		const char *f[] = {sigma_rule_id(r), sigma_rule_title(r), sigma_rule_level(r),
		                   sigma_rule_logsource_text(r), sigma_rule_status(r)};
		for (size_t k = 0; k < 5; k++) {
			put_safe(stdout, f[k][0] ? f[k] : "-");
			putchar('\t');
		}
		fputs(sigma_state_name(sigma_rule_state(r)), stdout);
		if (sigma_rule_kind(r) == SIGMA_KIND_FILTER)
			fputs(" (filter)", stdout);
		else if (sigma_rule_kind(r) == SIGMA_KIND_CORRELATION)
			fputs(" (correlation)", stdout);
		else if (sigma_rule_state(r) == SIGMA_LOADED && sigma_rule_kind(r) == SIGMA_KIND_DETECTION &&
		         sigma_rule_source(r) == EV_SRC_UNKNOWN)
			fputs(" (not applicable: no such events)", stdout);
		putchar('\n');
	}
	return LT_EXIT_CLEAN;
}

static int do_lint(sigma_ruleset *rs)
{
	ruleset_stats st;
	ruleset_get_stats(rs, &st);
	for (size_t i = 0; i < ruleset_count(rs); i++) {
		const sigma_rule *r = ruleset_rule(rs, i);
		if (sigma_rule_state(r) == SIGMA_LOADED)
			continue;
		put_safe(stderr, sigma_rule_file(r));
		fprintf(stderr, ":%u: %s: ", sigma_rule_err_line(r), sigma_state_name(sigma_rule_state(r)));
		put_safe(stderr, sigma_rule_reason(r));
		fputc('\n', stderr);
	}
	printf("%zu rules: %zu loaded, %zu unsupported, %zu errors\n", st.rules, st.loaded,
	       st.unsupported, st.errors);
	return st.errors ? LT_EXIT_USAGE : LT_EXIT_CLEAN;
}

/* ---------------------------------------------------------------- test */

typedef struct tap {
	int n, failed;
} tap;

typedef struct hitctx {
	const char *file;
	int hits;
} hitctx;

static int count_hit(void *ctx, const sigma_hit *h)
{
	hitctx *c = ctx;
	if (h->error == NULL && strcmp(sigma_rule_file(h->rule), c->file) == 0)
		c->hits++;
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *b = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 65536 > cap) {
			if (cap >= EXAMPLE_MAX_BYTES)
				break;
			char *nb = realloc(b, cap = cap ? cap * 2 : 65536 * 2);
			if (nb == NULL)
				break;
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

static ev_source file_source(sigma_ruleset *rs, const char *file)
{
	for (size_t i = 0; i < ruleset_count(rs); i++)
		if (strcmp(sigma_rule_file(ruleset_rule(rs, i)), file) == 0 &&
		    sigma_rule_kind(ruleset_rule(rs, i)) == SIGMA_KIND_DETECTION)
			return sigma_rule_source(ruleset_rule(rs, i));
	return EV_SRC_UNKNOWN;
}

typedef struct exctx {
	sigma_ruleset *rs;
	const char *rule_file;
	const char *ex;
	bool pos;
	int ordinal;
	tap *t;
	bool sequence; /* correlation file: the outcome is over all events of the file */
	int seq_hits;
} exctx;

static void tap_line(tap *t, bool ok, const char *ex, const char *what)
{
	t->n++;
	if (!ok)
		t->failed++;
	printf("%s %d - ", ok ? "ok" : "not ok", t->n);
	put_safe(stdout, ex);
	printf(" %s\n", what);
}

static void check_event(exctx *c, const event *ev)
{
	hitctx hc = {c->rule_file, 0};
	if (ruleset_match(c->rs, ev, count_hit, &hc) != LT_OK)
		hc.hits = -1;
	if (c->sequence) {
		c->ordinal++;
		c->seq_hits += hc.hits;
		return;
	}
	char what[64];
	snprintf(what, sizeof what, "#%d %s", ++c->ordinal, c->pos ? "matches" : "does not match");
	tap_line(c->t, c->pos ? hc.hits > 0 : hc.hits == 0, c->ex, what);
}

static void check_doc(exctx *c, const json_value *doc)
{
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = file_source(c->rs, c->rule_file);
	ev.doc = doc;
	check_event(c, &ev);
}

static lt_status sink_event(void *ctx, const event *ev)
{
	check_event(ctx, ev);
	return LT_OK;
}

static lt_status sink_object(void *ctx, const json_value *doc)
{
	check_doc(ctx, doc);
	return LT_OK;
}

static void sink_problem(void *ctx, const lt_error *problem)
{
	exctx *c = ctx;
	char msg[2048];
	lt_error_format(problem, msg, sizeof msg);
	printf("# %s\n", msg);
	tap_line(c->t, false, c->ex, "decodes without problems");
}

/* Decodes the example as evidence (CloudTrail or invocation-log records in
 * any accepted shape, header and derived fields filled by the decoders).
 * Returns false when it is no evidence format (then it is read as plain JSON). */
static bool decode_example(exctx *c, const char *text, size_t len)
{
	arena *a = arena_new(0, 0);
	if (a == NULL)
		return false;
	ev_provenance prov;
	memset(&prov, 0, sizeof prov);
	prov.evidence = c->ex;
	prov.member = "";
	decode_sink sink = {c, sink_event, sink_problem, NULL, sink_object, NULL, NULL};
	decode_result res;
	lt_error err;
	lt_error_clear(&err);
	lt_status st = decode_member(text, len, &prov, a, &sink, &res, &err);
	arena_free(a);
	(void)st;
	return res.events + res.problems > 0 || c->ordinal > 0;
}

static void plain_json(exctx *c, const char *text, size_t len)
{
	arena *a = arena_new(0, 0);
	size_t off = 0;
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
			printf("# invalid JSON at byte %zu: %s\n", off + (size_t)err.offset, err.msg);
			tap_line(c->t, false, c->ex, "is valid JSON");
			break;
		}
		const json_value *recs = json_get(doc, "Records");
		if (recs != NULL && recs->type == JSON_ARRAY)
			for (size_t i = 0; i < recs->len; i++)
				check_doc(c, &recs->u.items[i]);
		else
			check_doc(c, doc);
		off += used;
	}
	arena_free(a);
}

/* Why the examples of a rule file are skipped: its rules are all unsupported
 * (reason given). NULL: run them; *sequence tells whether the outcome is over
 * the whole sequence of events (correlation or llmtrail first_seen rules). */
static const char *skip_reason(sigma_ruleset *rs, const char *file, bool *sequence)
{
	const char *reason = NULL;
	bool runnable = false;
	*sequence = false;
	for (size_t i = 0; i < ruleset_count(rs); i++) {
		const sigma_rule *r = ruleset_rule(rs, i);
		if (strcmp(sigma_rule_file(r), file) != 0)
			continue;
		if (sigma_rule_kind(r) == SIGMA_KIND_CORRELATION) {
			if (sigma_rule_state(r) != SIGMA_LOADED)
				return sigma_rule_reason(r);
			*sequence = true;
		}
		if (sigma_rule_extension(r, "first_seen"))
			*sequence = true;
		if (sigma_rule_state(r) == SIGMA_LOADED)
			runnable = true;
		else if (sigma_rule_state(r) == SIGMA_UNSUPPORTED)
			reason = sigma_rule_reason(r);
	}
	return runnable ? NULL : reason;
}

static void run_example(sigma_ruleset *rs, const char *rule_file, const char *ex, bool pos, tap *t)
{
	bool sequence;
	const char *skip = skip_reason(rs, rule_file, &sequence);
	if (skip != NULL) {
		t->n++;
		printf("ok %d - ", t->n);
		put_safe(stdout, ex);
		printf(" # SKIP ");
		put_safe(stdout, skip);
		putchar('\n');
		return;
	}
	size_t len;
	char *text = slurp(ex, &len);
	exctx c = {rs, rule_file, ex, pos, 0, t, sequence, 0};
	ruleset_reset_state(rs);
	if (text == NULL)
		tap_line(t, false, ex, "is readable");
	else if (!decode_example(&c, text, len))
		plain_json(&c, text, len);
	if (text != NULL && sequence) {
		/* end of the example: "fewer than" correlations close their windows */
		hitctx hc = {rule_file, 0};
		if (ruleset_finish(rs, count_hit, &hc) != LT_OK)
			hc.hits = -1;
		c.seq_hits += hc.hits;
		char what[96];
		snprintf(what, sizeof what, "(%d events) %s", c.ordinal,
		         pos ? "fires (over the sequence)" : "does not fire (over the sequence)");
		tap_line(t, pos ? c.seq_hits > 0 : c.seq_hits == 0, ex, what);
	}
	free(text);
}

static void examples_dir(sigma_ruleset *rs, const char *rule_file, const char *dir, tap *t)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		bool pos = strncmp(nm, "pos", 3) == 0, neg = strncmp(nm, "neg", 3) == 0;
		if (pos || neg) {
			char p[PATH_MAX];
			int w = snprintf(p, sizeof p, "%s/%s", dir, nm);
			if (w > 0 && (size_t)w < sizeof p)
				run_example(rs, rule_file, p, pos, t);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static int do_test(sigma_ruleset *rs)
{
	tap t = {0, 0};
	int errors = 0;
	const char *last = "";
	for (size_t i = 0; i < ruleset_count(rs); i++) {
		const sigma_rule *r = ruleset_rule(rs, i);
		const char *file = sigma_rule_file(r);
		if (sigma_rule_state(r) == SIGMA_ERROR) {
			errors++;
			printf("# error: ");
			put_safe(stdout, file);
			printf(":%u: ", sigma_rule_err_line(r));
			put_safe(stdout, sigma_rule_reason(r));
			putchar('\n');
		}
		if (strcmp(file, last) == 0)
			continue;
		last = file;
		size_t fl = strlen(file), stem = fl;
		if (fl > 4 && strcmp(file + fl - 4, ".yml") == 0)
			stem = fl - 4;
		else if (fl > 5 && strcmp(file + fl - 5, ".yaml") == 0)
			stem = fl - 5;
		char p[PATH_MAX];
		static const char *const suffix[] = {".pos.json", ".neg.json"};
		for (size_t k = 0; k < 2; k++) {
			snprintf(p, sizeof p, "%.*s%s", (int)stem, file, suffix[k]);
			if (access(p, R_OK) == 0)
				run_example(rs, file, p, k == 0, &t);
		}
		snprintf(p, sizeof p, "%.*s.examples", (int)stem, file);
		if (is_dir(p))
			examples_dir(rs, file, p, &t);
	}
	printf("1..%d\n", t.n);
	printf("# %d passed, %d failed\n", t.n - t.failed, t.failed);
	return errors ? LT_EXIT_USAGE : t.failed ? LT_EXIT_FINDINGS : LT_EXIT_CLEAN;
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	rules_opts o = {NULL};
	int first = cli_parse(self, argc, argv, on_option, &o, &npos, &code);
	if (first < 0)
		return code;
	const char *verb = argv[first];
	if (strcmp(verb, "list") != 0 && strcmp(verb, "lint") != 0 && strcmp(verb, "test") != 0) {
		fprintf(stderr, "llmtrail: rules: unknown action '%s' (list, lint or test)\n", verb);
		return LT_EXIT_USAGE;
	}
	sigma_ruleset *rs = load(&o, npos - 1, argv + first + 1, &code);
	if (rs == NULL)
		return code;
	int rc = verb[1] == 'i' && verb[2] == 's' ? do_list(rs)
	         : verb[0] == 'l'                 ? do_lint(rs)
	                                          : do_test(rs);
	ruleset_free(rs);
	exit_state es = {0};
	exit_state_note(&es, rc);
	exit_state_note(&es, code);
	return exit_state_code(&es);
}

const command cmd_rules = {
	.name = "rules",
	.args = "list|lint|test [PATH...]",
	.summary = "list, lint or test Sigma rules (default PATH: the shipped packs)",
	.options = options,
	.min_args = 1,
	.max_args = -1,
	.main = run,
};
