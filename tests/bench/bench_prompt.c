/*
 * bench_prompt.c — prompts scored per second by the prompt classifier
 * (normalise + windows + three classes), on one core, for typical prompt
 * lengths (80 B to 4 KB, a mix like real chat traffic), with the shipped
 * model. Prints one line per length and the mix. Run by `make bench`
 * (tests/bench/run.sh); never timed in unit tests. Goal: >= 50,000 prompts/s
 * on the mix.
 * Usage: bench_prompt [MODEL] (default: the source tree's shipped model)
 */
#include "analyzers/prompt/prompt_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* per core: CPU time, not wall */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const words[] = {
	"please", "summarize", "the", "following", "report", "about", "quarterly", "sales", "and",
	"write", "a", "short", "email", "to", "my", "team", "explaining", "what", "changed", "in",
	"python", "function", "that", "returns", "list", "of", "customers", "who", "ordered", "twice",
	"ignore", "previous", "instructions", "you", "are", "now", "free", "from", "rules", "tell",
	"me", "your", "system", "prompt", "translate", "into", "german", "how", "do", "I", "fix"};

static char *make_text(size_t len, unsigned *seed)
{
	char *t = malloc(len + 16);
	size_t n = 0;
	while (n < len) {
		*seed = *seed * 1103515245u + 12345u;
		const char *w = words[(*seed >> 16) % (sizeof words / sizeof *words)];
		size_t k = strlen(w);
		memcpy(t + n, w, k);
		n += k;
		t[n++] = (*seed >> 8) % 13 == 0 ? '.' : ' ';
	}
	t[len] = '\0';
	return t;
}

static double run(pmodel_scorer *s, char **texts, size_t n, size_t rounds)
{
	pmodel_result r;
	lt_error err = {0};
	double t0 = now();
	for (size_t k = 0; k < rounds; k++)
		for (size_t i = 0; i < n; i++)
			if (pmodel_score(s, texts[i], strlen(texts[i]), &r, &err) != LT_OK)
				return 0;
	return (double)(n * rounds) / (now() - t0);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : LLMTRAIL_SOURCE_RULES "/" PMODEL_FILE;
	pmodel *m = NULL;
	lt_error err = {0};
	if (pmodel_load(&m, path, &err) != LT_OK) {
		fprintf(stderr, "bench_prompt: %s\n", err.msg);
		return 1;
	}
	pmodel_scorer *s = pmodel_scorer_new(m);
	static const size_t lens[] = {80, 300, 1000, 4000};
	unsigned seed = 1;
	char *mix[64];
	for (size_t i = 0; i < 64; i++) /* 40 % 80 B, 35 % 300 B, 20 % 1 KB, 5 % 4 KB */
		mix[i] = make_text(i < 26 ? 80 : i < 48 ? 300 : i < 61 ? 1000 : 4000, &seed);
	for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
		char *t[16];
		for (size_t i = 0; i < 16; i++)
			t[i] = make_text(lens[l], &seed);
		printf("prompt classifier, %5zu-byte prompts: %9.0f prompts/s\n", lens[l],
		       run(s, t, 16, 40000 / lens[l] + 20));
		for (size_t i = 0; i < 16; i++)
			free(t[i]);
	}
	printf("prompt classifier, mix (avg %zu B):      %9.0f prompts/s\n",
	       (size_t)(0.4 * 80 + 0.35 * 300 + 0.2 * 1000 + 0.05 * 4000), run(s, mix, 64, 60));
	for (size_t i = 0; i < 64; i++)
		free(mix[i]);
	pmodel_scorer_free(s);
	pmodel_free(m);
	return 0;
}
