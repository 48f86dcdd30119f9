/*
 * fuzz_decode.c — libFuzzer target for sniffing and every decoder
 * (decode.h, cloudtrail.h, bedrock.h, digestfile.h, kblog.h, cwlogs.h, lookalike.h);
 * seeds in tests/fuzz/corpus/fuzz_decode/ (every format, damaged ones too).
 *
 * Decodes the input as one member with small batches (so flush + arena reset
 * paths run), touches every field of every event (ASan sees any slice that
 * points outside its buffer), validates digests handed to the sink, and, for
 * the chunkable formats, decodes again in two pieces and requires the same
 * counts as the whole-member decode. Progress (on_progress) never goes back
 * and stays inside the member.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "ingest/decode.h"
#include "ingest/digestfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sinkctx {
	arena *scratch;
	uint64_t sum;
	uint64_t size; /* the member's length */
	uint64_t told; /* the last on_progress offset */
} sinkctx;

static void touch(sinkctx *c, ev_str s)
{
	for (size_t i = 0; i < s.n; i++)
		c->sum += (unsigned char)s.p[i];
}

static lt_status on_event(void *ctx, const event *ev)
{
	sinkctx *c = ctx;
	ev_str all[] = {ev->uid, ev->request_id, ev->action, ev->service, ev->principal,
			ev->access_key, ev->account, ev->region, ev->source_ip, ev->user_agent,
			ev->model, ev->error_code, ev->guardrail_action, ev->prompt, ev->system,
			ev->response, ev->tool_calls, ev->input_body_ref, ev->output_body_ref, ev->raw};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		touch(c, all[i]);
	/* every event has its record; an id too, except Knowledge Base log
	 * records, which carry none (the indexer names them by their hash) */
	if ((ev->uid.n == 0 && ev->source != EV_SRC_KBLOG) || ev->doc == NULL || ev->raw.n == 0)
		abort();
	return LT_OK;
}

static void on_problem(void *ctx, const lt_error *e)
{
	((sinkctx *)ctx)->sum += e->line;
}

static lt_status on_digest(void *ctx, const json_value *doc)
{
	sinkctx *c = ctx;
	digestfile d;
	lt_error err;
	if (digestfile_parse(doc, c->scratch, &d, &err) == LT_OK)
		for (size_t i = 0; i < d.n_log_files; i++)
			touch(c, d.log_files[i].s3_object);
	return LT_OK;
}

/* on_progress: member offsets that never go back and stay inside the member */
static void on_progress(void *ctx, uint64_t offset)
{
	sinkctx *c = ctx;
	if (offset > c->size || offset < c->told)
		abort();
	c->told = offset;
}

static void chunked(const decode_format *f, const char *text, size_t size, arena *a,
		    const decode_sink *s, const decode_options *o, decode_result *res)
{
	memset(res, 0, sizeof *res);
	decode_cursor cur = {.line = 1};
	char *window = malloc(size + 1);
	size_t half = size / 2, have = half, used = 0;
	lt_error err;
	memcpy(window, text, half);
	lt_status st = decode_chunk(f, window, have, false, &cur, &used, NULL, a, s, o, res, &err);
	memmove(window, window + used, have - used);
	have -= used;
	memcpy(window + have, text + half, size - half);
	have += size - half;
	arena_reset(a);
	st = decode_chunk(f, window, have, true, &cur, &used, NULL, a, s, o, res, &err);
	(void)st;
	if (used != have || cur.offset != size)
		abort();
	free(window);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	arena *a = arena_new(0, (size_t)64 << 20);
	sinkctx c = {arena_new(0, (size_t)16 << 20), 0, size, 0};
	decode_sink s = {&c, on_event, on_problem, on_digest, NULL, NULL, on_progress};
	decode_options o = {4096, 1 << 16, 64};
	decode_result whole;
	lt_error err;
	lt_status st = decode_member_ex(text, size, NULL, a, &s, &o, &whole, &err);
	(void)st;
	arena_reset(a);
	const decode_format *f = decode_format_find(whole.format);
	if (decode_format_chunkable(f)) {
		decode_result parts;
		c.told = 0;
		chunked(f, text, size, a, &s, &o, &parts);
		if (parts.events != whole.events || parts.records != whole.records ||
		    parts.problems != whole.problems)
			abort();
	}
	arena_free(c.scratch);
	arena_free(a);
	free(text);
	return 0;
}
