/*
 * uuid.c — canonical UUID text <-> 16 bytes (see uuid.h). Both directions are
 * on the replay's hot path (every CloudTrail eventID and most requestIDs are
 * UUIDs), hence table lookups and, on little-endian machines, eight hex digits
 * per word.
 */
#include "config.h"

#include "common/uuid.h"

#include <stdint.h>
#include <string.h>

/* hex digit value + 1, 0 for anything but 0-9 a-f */
static const uint8_t hex_value[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};


/* Byte offsets of the 16 hex pairs in "8-4-4-4-12" text. */
static const uint8_t uuid_pos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};

int lt_uuid_pack(const char *s, size_t n, unsigned char out[16])
{
	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	int ok = 1;
	for (size_t i = 0; i < 16; i++) {
		unsigned hi = hex_value[u[uuid_pos[i]]], lo = hex_value[u[uuid_pos[i] + 1]];
		ok &= hi != 0 && lo != 0;
		out[i] = (unsigned char)((hi - 1) << 4 | ((lo - 1) & 15));
	}
	return ok;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* 4 bytes to 8 lower-case hex digits, as a little-endian word: each nibble in
 * its own byte lane, then '0' + n, plus 39 more ('a' - '0' - 10) where n > 9. */
static inline uint64_t hex8(const unsigned char *in)
{
	uint64_t x = (uint64_t)in[0] | (uint64_t)in[1] << 16 | (uint64_t)in[2] << 32 |
		(uint64_t)in[3] << 48;
	const uint64_t lanes = UINT64_C(0x000f000f000f000f);
	uint64_t n = ((x >> 4) & lanes) | (x & lanes) << 8;
	uint64_t over9 = ((n + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	return n + UINT64_C(0x3030303030303030) + over9 * 39;
}

void lt_uuid_format(const unsigned char in[16], char out[36])
{
	uint64_t w[4] = {hex8(in), hex8(in + 4), hex8(in + 8), hex8(in + 12)};
	const char *c = (const char *)w;
	memcpy(out, c, 8);
	out[8] = '-';
	memcpy(out + 9, c + 8, 4);
	out[13] = '-';
	memcpy(out + 14, c + 12, 4);
	out[18] = '-';
	memcpy(out + 19, c + 16, 4);
	out[23] = '-';
	memcpy(out + 24, c + 20, 12);
}
#else
static const char hex_pairs[513] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void lt_uuid_format(const unsigned char in[16], char out[36])
{
	for (size_t i = 0; i < 16; i++)
		memcpy(out + uuid_pos[i], hex_pairs + 2 * in[i], 2);
	out[8] = out[13] = out[18] = out[23] = '-';
}
#endif
