/*
 * ltime.c — ISO-8601/RFC 3339 parsing and formatting (see ltime.h).
 * Calendar arithmetic uses Howard Hinnant's days-from-civil algorithm
 * (public domain description: http://howardhinnant.github.io/date_algorithms.html),
 * written here from the description; no libc time zone state is touched.
 */
#include "common/ltime.h"

#include <stdbool.h>
#include <stdio.h>

#define US_PER_SEC INT64_C(1000000)

static int64_t ltime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t mp = (m + 9) % 12;
	const int64_t doy = (153 * mp + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly k digits at *p (bounded by end) into *v. */
static bool digits(const char **p, const char *end, int k, unsigned *v)
{
	unsigned x = 0;
	for (int i = 0; i < k; i++) {
		if (*p >= end || **p < '0' || **p > '9')
			return false;
		x = x * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	*v = x;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p < end && **p == c) {
		(*p)++;
		return true;
	}
	return false;
}

/* Parses "Z", "z", "+HH", "+HHMM", "+HH:MM" (or '-'); sets offset seconds east. */
static bool parse_zone(const char **p, const char *end, int64_t *offset)
{
	if (expect(p, end, 'Z') || expect(p, end, 'z')) {
		*offset = 0;
		return true;
	}
	if (*p >= end || (**p != '+' && **p != '-'))
		return false;
	int sign = **p == '-' ? -1 : 1;
	(*p)++;
	unsigned hh, mm = 0;
	if (!digits(p, end, 2, &hh) || hh > 23)
		return false;
	if (*p < end) {
		expect(p, end, ':');
		if (!digits(p, end, 2, &mm) || mm > 59)
			return false;
	}
	*offset = sign * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

lt_status ltime_parse(const char *s, size_t n, int64_t *out)
{
	const char *p = s, *end = s + n;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac_us = 0, offset = 0;

	if (!digits(&p, end, 4, &y) || !expect(&p, end, '-') || !digits(&p, end, 2, &mo) ||
	    !expect(&p, end, '-') || !digits(&p, end, 2, &d))
		return LT_EITEM;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return LT_EITEM;
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return LT_EITEM;
		p++;
		if (!digits(&p, end, 2, &h) || !expect(&p, end, ':') || !digits(&p, end, 2, &mi))
			return LT_EITEM;
		if (expect(&p, end, ':') && !digits(&p, end, 2, &sec))
			return LT_EITEM;
		if (h > 23 || mi > 59 || sec > 60)
			return LT_EITEM;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			int nd = 0;
			while (p < end && *p >= '0' && *p <= '9') {
				if (nd < 6)
					frac_us = frac_us * 10 + (*p - '0');
				nd++;
				p++;
			}
			if (nd == 0)
				return LT_EITEM;
			for (int i = nd; i < 6; i++)
				frac_us *= 10;
		}
		if (p < end && !parse_zone(&p, end, &offset))
			return LT_EITEM;
	}
	if (p != end)
		return LT_EITEM;
	if (sec == 60) {
		sec = 59;
		frac_us = US_PER_SEC - 1;
	}
	int64_t days = ltime_days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
	*out = secs * US_PER_SEC + frac_us;
	return LT_OK;
}

size_t ltime_format(int64_t us, int frac_digits, char out[LTIME_BUFSZ])
{
	int64_t secs = us / US_PER_SEC, frac = us % US_PER_SEC;
	if (frac < 0) {
		frac += US_PER_SEC;
		secs -= 1;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days -= 1;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	int n;
	unsigned hh = (unsigned)(rem / 3600), mm = (unsigned)(rem / 60 % 60), ss = (unsigned)(rem % 60);
	if (frac_digits == 6)
		n = snprintf(out, LTIME_BUFSZ, "%04lld-%02u-%02uT%02u:%02u:%02u.%06lldZ", (long long)y, m, d,
		             hh, mm, ss, (long long)frac);
	else if (frac_digits == 3)
		n = snprintf(out, LTIME_BUFSZ, "%04lld-%02u-%02uT%02u:%02u:%02u.%03lldZ", (long long)y, m, d,
		             hh, mm, ss, (long long)(frac / 1000));
	else
		n = snprintf(out, LTIME_BUFSZ, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, hh,
		             mm, ss);
	return n > 0 ? (size_t)n : 0;
}
