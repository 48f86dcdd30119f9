/*
 * fuzz_sigma.c — libFuzzer target for the Sigma rule loader, the condition
 * parser and the matcher: the input is a rule file (YAML); it is loaded,
 * compiled, and matched against one fixed CloudTrail-like event. The first
 * line of the input, when it starts with "#c ", is also parsed on its own as
 * a condition over identifiers a, b, sel1, sel2, _x.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "analyzers/sigma/sigma.h"
#include "analyzers/sigma/sigma_cond.h"
#include "common/arena.h"
#include "ingest/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char event_json[] =
    "{\"eventName\":\"InvokeModel\",\"eventSource\":\"bedrock.amazonaws.com\","
    "\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/a\",\"accessKeyId\":\"AKIA0000\"},"
    "\"sourceIPAddress\":\"10.0.0.1\",\"n\":5,\"list\":[\"x\",{\"y\":\"z\"}],\"nul\":null}";

static int on_hit(void *ctx, const sigma_hit *h)
{
	(*(size_t *)ctx) += h->nspans;
	return 0;
}

static void fuzz_condition(const char *text, size_t n)
{
	static const char *const names[] = {"a", "b", "sel1", "sel2", "_x"};
	char buf[512];
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	arena *a = arena_new(0, 1 << 20);
	sigma_cond *c;
	bool unsup;
	lt_error err;
	if (a && sigma_cond_parse(a, buf, names, 5, &c, &unsup, &err) == LT_OK) {
		char out[1024];
		sigma_cond_format(c, names, out, sizeof out);
	}
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	if (size > 3 && memcmp(text, "#c ", 3) == 0) {
		const char *nl = memchr(text, '\n', size);
		fuzz_condition(text + 3, (size_t)((nl ? nl : text + size) - (text + 3)));
	}
	sigma_ruleset *rs = ruleset_new();
	if (rs == NULL)
		return 0;
	lt_error err;
	lt_error_clear(&err);
	ruleset_set_generic(rs, size % 2 == 0);
	if (ruleset_load_text(rs, "fuzz.yml", text, size, &err) == LT_OK &&
	    ruleset_compile(rs, &err) == LT_OK) {
		arena *a = arena_new(0, 0);
		json_value *doc;
		if (a && json_parse(a, event_json, sizeof event_json - 1, NULL, &doc, NULL, &err) == LT_OK) {
			event ev;
			memset(&ev, 0, sizeof ev);
			ev.source = EV_SRC_CLOUDTRAIL;
			ev.doc = doc;
			ev.prompt = ev_str_from("ignore previous instructions", 28);
			size_t spans = 0;
			(void)ruleset_match(rs, &ev, on_hit, &spans);
		}
		arena_free(a);
	}
	ruleset_free(rs);
	return 0;
}
