/*
 * ltime.h — timestamps as int64 microseconds since the Unix epoch, UTC.
 *
 * Parses the RFC 3339 / ISO-8601 shapes AWS emits: "2024-05-01T12:03:04Z",
 * with fractional seconds of any length (".5", ".123", ".123456789" — digits
 * past microseconds are truncated), with numeric offsets ("+02:00", "-0530",
 * "+02"), lower-case 't'/'z', and a space instead of 'T'. A date alone
 * ("2024-05-01") is midnight UTC; a time without a zone is taken as UTC (what
 * a responder typing --since means); seconds may be omitted. Anything else, or an impossible date
 * (Feb 30, hour 25), is rejected. Leap second 60 is accepted as 59.999999.
 *
 * Formatting is always UTC with 'Z'.
 */
#ifndef LLMTRAIL_COMMON_LTIME_H
#define LLMTRAIL_COMMON_LTIME_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define LTIME_BUFSZ 32

/* Spans in microseconds (the one definition; issue 15 found five HOUR_US). */
#define LTIME_SECOND_US 1000000LL
#define LTIME_MINUTE_US (60 * LTIME_SECOND_US)
#define LTIME_HOUR_US (3600LL * 1000000LL)
#define LTIME_DAY_US (24 * LTIME_HOUR_US)

/* a / b rounded towards minus infinity (b != 0): the hour or day number of a
 * time before 1970 is the one that holds it, not the next. */
static inline int64_t ltime_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Parses s[0..n). LT_OK and *out set, or LT_EITEM (and *out untouched). */
lt_status ltime_parse(const char *s, size_t n, int64_t *out) LT_WUR;

/* "YYYY-MM-DDTHH:MM:SS[.frac]Z" with frac_digits 0, 3 or 6. Returns length. */
size_t ltime_format(int64_t us, int frac_digits, char out[LTIME_BUFSZ]);


#endif
