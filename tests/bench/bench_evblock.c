/*
 * bench_evblock.c — size and speed of store/evblock on synthetic event headers.
 *
 * Builds blocks of EVBLOCK_MAX (or fewer) rows shaped like real evidence and prints,
 * per shape, bytes per event of the encoded blob and encode / decode events
 * per second on one core:
 *   cloudtrail      random UUID uids, times ~1 s apart at whole seconds (as
 *                   CloudTrail's eventTime is), ~30 actions, ~10 principals,
 *                   5 IPs, records of one file in a locally shuffled order
 *                   (lengths 800-2500, offsets contiguous in file order)
 *   cloudtrail-us   the same with microsecond times (a worst case for time)
 *   invocation      request_id = uid, model, tokens and latency present
 * Usage: bench_evblock [seconds per measurement, default 1] [rows per block, default 8192]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/evblock.h"

static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { SHAPE_CT, SHAPE_CT_US, SHAPE_INV };

static void make_rows(evblock_row *rows, char *text, size_t n, int shape)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t *len = malloc(n * sizeof *len), *off = malloc(n * sizeof *off);
	size_t *perm = malloc(n * sizeof *perm);
	if (len == NULL || off == NULL || perm == NULL)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		perm[i] = i;
		len[i] = 800 + rnd() % 1701;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		size_t j = i + rnd() % 32;
		j = j < n ? j : n - 1;
		size_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	off[0] = 12; /* {"Records":[ */
	for (size_t i = 1; i < n; i++)
		off[i] = off[i - 1] + len[i - 1] + 1; /* comma */
	int64_t t = INT64_C(1717200000) * 1000000;
	for (size_t i = 0; i < n; i++) {
		evblock_row *r = &rows[i];
		memset(r, 0, sizeof *r);
		r->input_tokens = r->output_tokens = r->latency_ms = -1;
		char *u = text + 36 * i;
		for (int k = 0; k < 36; k++)
			u[k] = (k == 8 || k == 13 || k == 18 || k == 23) ? '-' : hex[rnd() & 15];
		r->uid = ev_str_from(u, 36);
		if (shape == SHAPE_CT_US)
			t += (int64_t)(rnd() % 2000000);
		else
			t += (int64_t)(rnd() % 3) * 1000000;
		r->time_us = t;
		r->source = shape == SHAPE_INV ? 2 : 1;
		r->str[EVB_ACTION] = (uint32_t)(1 + rnd() % 30);
		r->str[EVB_SERVICE] = (uint32_t)(31 + rnd() % 4);
		uint32_t who = (uint32_t)(rnd() % 10);
		r->str[EVB_PRINCIPAL] = 40 + who;
		r->str[EVB_ACCESS_KEY] = 60 + who;
		r->str[EVB_ACCOUNT] = 80;
		r->str[EVB_REGION] = 81;
		r->str[EVB_SOURCE_IP] = (uint32_t)(90 + rnd() % 5);
		r->str[EVB_USER_AGENT] = 100 + who % 4;
		if (rnd() % 20 == 0)
			r->str[EVB_ERROR_CODE] = (uint32_t)(110 + rnd() % 3);
		r->line = perm[i] + 1;
		r->offset = off[perm[i]];
		r->length = len[perm[i]];
		if (shape == SHAPE_INV) {
			r->request_id = r->uid;
			r->str[EVB_MODEL] = (uint32_t)(120 + rnd() % 4);
			r->input_tokens = (int64_t)(rnd() % 5000);
			r->output_tokens = (int64_t)(rnd() % 2000);
			r->latency_ms = (int64_t)(200 + rnd() % 9000);
		}
	}
	free(perm);
	free(off);
	free(len);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	long rows_arg = argc > 2 ? atol(argv[2]) : EVBLOCK_MAX;
	const size_t n = rows_arg >= 1 && rows_arg <= EVBLOCK_MAX ? (size_t)rows_arg : EVBLOCK_MAX;
	static const char *const names[] = {"cloudtrail", "cloudtrail-us", "invocation"};
	evblock_row *rows = malloc(n * sizeof *rows);
	char *text = malloc(36 * n);
	if (rows == NULL || text == NULL)
		return 1;
	printf("%-14s %8s %12s %12s\n", "shape", "B/event", "encode ev/s", "decode ev/s");
	for (int shape = 0; shape < 3; shape++) {
		make_rows(rows, text, n, shape);
		buf out;
		buf_init(&out, 0);
		lt_error err;
		size_t iters = 0;
		double t0 = now(), t1;
		do {
			buf_reset(&out);
			if (evblock_encode(rows, n, &out, &err) != LT_OK) {
				fprintf(stderr, "encode: %s\n", err.msg);
				return 1;
			}
			iters++;
		} while ((t1 = now()) - t0 < secs);
		double enc = (double)(iters * n) / (t1 - t0);
		iters = 0;
		uint64_t sink = 0;
		t0 = now();
		do {
			evblock *b;
			if (evblock_decode(out.data, out.len, &b, &err) != LT_OK) {
				fprintf(stderr, "decode: %s\n", err.msg);
				return 1;
			}
			for (size_t i = 0; i < evblock_count(b); i++)
				sink += evblock_row_at(b, i)->offset + (uint8_t)evblock_row_at(b, i)->uid.p[35];
			evblock_free(b);
			iters++;
		} while ((t1 = now()) - t0 < secs);
		double dec = (double)(iters * n) / (t1 - t0);
		printf("%-14s %8.2f %12.0f %12.0f\n", names[shape], (double)out.len / (double)n, enc, dec);
		if (sink == 1)
			printf("\n");
		buf_free(&out);
	}
	free(text);
	free(rows);
	return 0;
}
