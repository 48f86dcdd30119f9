/*
 * prompt-feat.c — print the classifier's features of texts, for training.
 *
 * Reads NUL-separated texts on stdin; for each text prints one line per window
 * "W h1 h2 ..." (hashes in hex, repeats kept), then "S s1 ... s64" (its MinHash
 * signature), then "E". tools/train-prompt-model.py runs this so the model is
 * trained on exactly the features analyzers/prompt/prompt_model.c scores.
 * With --norm, prints each normalised text and its flags instead; with
 * --score MODEL, each text's scores per class, its most similar template
 * family and the n-grams behind the top class (tests/unit golden scores);
 * with --concepts, every hash a concept feature can have (one per line).
 * Usage: prompt-feat [--norm | --score MODEL | --concepts | WINDOW STEP [SPEC]] < texts
 */
#include "analyzers/prompt/prompt_model.h"
#include "analyzers/prompt/prompt_norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_window(void *ctx, size_t i)
{
	(void)ctx;
	fputs(i ? "\nW" : "W", stdout);
}

static void on_feat(void *ctx, uint32_t h)
{
	(void)ctx;
	printf(" %x", h);
}

static int norm_only;

static int print_norm(const char *t, size_t n)
{
	pnorm nm = {0};
	lt_error err = {0};
	if (pnorm_run(&nm, t, n, &err) != LT_OK)
		return 1;
	printf("%s\n#", nm.out);
	for (unsigned i = 0; i < PNORM_NFLAGS; i++)
		if (nm.flags & (1u << i))
			printf(" %s", pnorm_flag_name(i));
	putchar('\n');
	pnorm_free(&nm);
	return 0;
}

static pmodel_scorer *scorer;

static int print_score(const char *t, size_t n)
{
	pmodel_result r;
	lt_error err = {0};
	if (pmodel_score(scorer, t, n, &r, &err) != LT_OK) {
		fprintf(stderr, "prompt-feat: %s\n", err.msg);
		return 1;
	}
	size_t best = 0;
	const pmodel *m = pmodel_scorer_model(scorer);
	for (size_t c = 0; c < pmodel_nclass(m); c++) {
		printf("%s%s=%.4f", c ? " " : "", pmodel_class_name(m, c), r.score[c]);
		if (r.score[c] > r.score[best])
			best = c;
	}
	double sim;
	const char *fam = pmodel_similar(scorer, &sim);
	char why[PMODEL_WHY_LEN];
	pmodel_explain(scorer, best, why);
	printf(" template=%s/%.2f why=%s\n", fam ? fam : "-", sim, why);
	return 0;
}

static int one(const char *t, size_t n, size_t window, size_t step, unsigned spec)
{
	if (norm_only)
		return print_norm(t, n);
	if (scorer != NULL)
		return print_score(t, n);
	pmodel_feat_cb cb = {on_window, on_feat, NULL};
	uint32_t sig[PMODEL_SIG];
	lt_error err = {0};
	if (pmodel_features(t, n, window, step, spec, &cb, sig, &err) != LT_OK) {
		fprintf(stderr, "prompt-feat: %s\n", err.msg);
		return 1;
	}
	fputs("\nS", stdout);
	for (int k = 0; k < PMODEL_SIG; k++)
		printf(" %x", sig[k]);
	fputs("\nE\n", stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--concepts") == 0) {
		uint32_t h[1024];
		size_t k = pmodel_concept_hashes(h, sizeof h / sizeof *h);
		for (size_t i = 0; i < k && i < sizeof h / sizeof *h; i++)
			printf("%x\n", h[i]);
		return 0;
	}
	norm_only = argc == 2 && strcmp(argv[1], "--norm") == 0;
	pmodel *model = NULL;
	if (argc == 3 && strcmp(argv[1], "--score") == 0) {
		lt_error err = {0};
		if (pmodel_load(&model, argv[2], &err) != LT_OK) {
			fprintf(stderr, "prompt-feat: %s\n", err.msg);
			return 2;
		}
		if ((scorer = pmodel_scorer_new(model)) == NULL)
			return 2;
		argc = 1;
	}
	size_t window = argc > 2 ? strtoul(argv[1], NULL, 10) : 1536;
	size_t step = argc > 2 ? strtoul(argv[2], NULL, 10) : 1024;
	unsigned spec = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 0x3F;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int c, rc = 0;
	if (buf == NULL)
		return 2;
	while ((c = getchar()) != EOF) {
		if (c == '\0') {
			rc |= one(buf, n, window, step, spec);
			n = 0;
			continue;
		}
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				return 2;
			buf = nb;
			cap *= 2;
		}
		buf[n++] = (char)c;
	}
	if (n)
		rc |= one(buf, n, window, step, spec);
	free(buf);
	pmodel_scorer_free(scorer);
	pmodel_free(model);
	return rc;
}
