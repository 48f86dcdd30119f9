/*
 * fuzz_prompt_model.c — libFuzzer target for the prompt model loader and the
 * normaliser/scorer: the input is parsed as a model file (it must be refused
 * cleanly or load); when it loads, the input itself is scored as a prompt with
 * it, and it is always normalised on its own. Seeds: tests/fuzz/prompt_model/.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>
#include <stdint.h>

#include "analyzers/prompt/prompt_model.h"
#include "analyzers/prompt/prompt_norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lt_error err = {0};
	pmodel *m = NULL;
	if (pmodel_parse(&m, data, size, &err) == LT_OK) {
		pmodel_scorer *s = pmodel_scorer_new(m);
		pmodel_result r;
		if (s != NULL && pmodel_score(s, (const char *)data, size, &r, &err) == LT_OK) {
			char why[PMODEL_WHY_LEN];
			double sim;
			pmodel_explain(s, 0, why);
			(void)pmodel_similar(s, &sim);
		}
		pmodel_scorer_free(s);
		pmodel_free(m);
	}
	pnorm nm = {0};
	if (pnorm_run(&nm, (const char *)data, size, &err) == LT_OK && nm.len > 0 &&
	    nm.out[nm.len] != '\0')
		__builtin_trap();
	pnorm_free(&nm);
	return 0;
}
