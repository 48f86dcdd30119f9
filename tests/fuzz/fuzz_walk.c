/*
 * fuzz_walk.c — libFuzzer target for ingest/walk over an in-memory archive
 * (walk_memory): every libarchive format and filter the walker enables, nested.
 * Checks the callback contract: data non-NULL, len within the cap, hashes set,
 * problems carry the evidence name; stealing is exercised on every other member.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP (1u << 20)

static unsigned members;

static lt_status on_member(void *ctx, walk_member *m)
{
	(void)ctx;
	if (m->data == NULL || m->len > CAP || strlen(m->sha256) != SHA256_HEX_LEN)
		abort();
	if (members++ % 2 == 0)
		free(walk_member_steal(m));
	return LT_OK;
}

static lt_status on_problem(void *ctx, const lt_error *e)
{
	(void)ctx;
	if (strcmp(e->file, "fuzz") != 0 || e->status == LT_OK)
		abort();
	return LT_OK;
}

static lt_status on_evidence(void *ctx, const walk_file *f)
{
	(void)ctx;
	if (strlen(f->sha256) != SHA256_HEX_LEN)
		abort();
	return LT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk_options o;
	walk_options_init(&o);
	o.max_member_bytes = CAP;
	o.max_depth = 4;
	walk_callbacks cb = {on_member, NULL, on_evidence, on_problem, NULL};
	(void)walk_memory(data, size, "fuzz", &o, &cb);
	return 0;
}
