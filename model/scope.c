/*
 * scope.c — the investigator's filter over hits (see scope.h).
 *
 * Each field filter is checked against the event's own value; an event that
 * lacks the field (a gap the reconciliation inferred has no principal) is
 * outside a filter on it, since nothing shows it concerns what was asked for.
 * The check costs a few fnmatch calls per hit, and only when filters are set.
 */
#include "config.h"

#include "model/scope.h"

#include <stdio.h>
#include <string.h>

void scope_init(scope *s)
{
	memset(s, 0, sizeof *s);
	s->since_us = INT64_MIN;
	s->until_us = INT64_MAX;
	s->min_level = RPT_LEVEL_INFORMATIONAL;
}

bool scope_has_fields(const scope *s)
{
	for (int i = 0; i < VM_NFIELDS; i++)
		if (s->match[i] != NULL)
			return true;
	return false;
}

static rpt_str field_of(const rpt_event_in *ev, valmatch_field f)
{
	switch (f) {
	case VM_PRINCIPAL:
		return ev->principal;
	case VM_ACCESS_KEY:
		return ev->access_key;
	case VM_SOURCE_IP:
		return ev->source_ip;
	case VM_ACCOUNT:
		return ev->account;
	case VM_REGION:
		return ev->region;
	case VM_MODEL:
		return ev->model;
	case VM_ACTION:
	case VM_NFIELDS:
		break;
	}
	return ev->action;
}

bool scope_admits(const scope *s, rpt_level level, const rpt_event_in *ev)
{
	if (level < s->min_level || ev->time_us < s->since_us || ev->time_us >= s->until_us)
		return false;
	for (int i = 0; i < VM_NFIELDS; i++) {
		if (s->match[i] == NULL)
			continue;
		rpt_str v = field_of(ev, (valmatch_field)i);
		if (!valmatch_value(s->match[i], v.p, v.n))
			return false;
	}
	return true;
}

size_t scope_describe(const scope *s, char *out, size_t n)
{
	size_t len = 0;
	if (n == 0)
		return 0;
	out[0] = '\0';
	for (int i = 0; i < VM_NFIELDS; i++) {
		if (s->match[i] == NULL || len >= n - 1)
			continue;
		int k = snprintf(out + len, n - len, "%s--%s %s", len ? " " : "", valmatch_option_names[i],
		                 s->match[i]);
		if (k < 0)
			break;
		len += (size_t)k < n - len ? (size_t)k : n - len - 1;
	}
	return len;
}
