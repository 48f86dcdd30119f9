/*
 * uuid.h — canonical UUID text ("8-4-4-4-12" lower-case hex, 36 bytes) packed
 * into 16 bytes and back: how the case index stores eventIDs and requestIDs.
 *
 * lt_uuid_pack returns 1 and fills out when s[0..n) is exactly such text,
 * else 0 (upper case would not round-trip, so it is not a UUID here).
 * lt_uuid_format writes the 36 characters, without a terminating NUL.
 */
#ifndef LLMTRAIL_COMMON_UUID_H
#define LLMTRAIL_COMMON_UUID_H

#include <stddef.h>

int lt_uuid_pack(const char *s, size_t n, unsigned char out[16]);
void lt_uuid_format(const unsigned char in[16], char out[36]);

#endif
