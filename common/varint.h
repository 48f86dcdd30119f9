/*
 * varint.h — LEB128 unsigned integers (7 bits a byte, low first, at most 10
 * bytes for 64 bits), written into a buf and read back from untrusted bytes.
 *
 * varint_put appends; varint_get reads at *pos from p[0..n), advances *pos and
 * returns false (leaving *pos and *v unspecified) when the bytes end inside
 * the number or it is longer than 10 bytes or past 64 bits: a reader of
 * evidence-derived data never trusts the writer.
 */
#ifndef LLMTRAIL_COMMON_VARINT_H
#define LLMTRAIL_COMMON_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

static inline lt_status varint_put(buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;
	do {
		t[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			t[n] |= 0x80;
		n++;
	} while (v != 0);
	return buf_append(b, t, n);
}

static inline bool varint_get(const unsigned char *p, size_t n, size_t *pos, uint64_t *v)
{
	uint64_t out = 0;
	for (unsigned shift = 0; shift < 64 && *pos < n; shift += 7) {
		unsigned char c = p[(*pos)++];
		if (shift == 63 && (c & 0x7e) != 0)
			return false; /* past 64 bits */
		out |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			*v = out;
			return true;
		}
	}
	return false;
}

#endif
