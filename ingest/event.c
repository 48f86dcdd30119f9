/*
 * event.c — helpers of the shared event model (see event.h).
 *
 * Everything here is small and pure: names of sources, slices taken from JSON
 * strings, and the "all absent" initial state (empty slices, numbers -1) that
 * every decoder starts from, so an unset field can never be mistaken for a
 * value of zero.
 */
#include "ingest/event.h"

#include <string.h>

static const struct {
	ev_source s;
	const char *name;
} source_names[] = {
	{EV_SRC_CLOUDTRAIL, "cloudtrail"},
	{EV_SRC_INVOCATION, "invocation"},
	{EV_SRC_KBLOG, "kb-log"},
	{EV_SRC_UNKNOWN, "unknown"},
};

const char *ev_source_name(ev_source s)
{
	for (size_t i = 0; i < sizeof source_names / sizeof source_names[0]; i++)
		if (source_names[i].s == s)
			return source_names[i].name;
	return "unknown";
}

ev_source ev_source_from_name(const char *name)
{
	if (name == NULL)
		return EV_SRC_UNKNOWN;
	for (size_t i = 0; i < sizeof source_names / sizeof source_names[0]; i++)
		if (strcmp(source_names[i].name, name) == 0)
			return source_names[i].s;
	return EV_SRC_UNKNOWN;
}

ev_str ev_str_json(const json_value *v)
{
	if (v == NULL || v->type != JSON_STRING)
		return EV_STR_NULL;
	return ev_str_from(v->u.s, v->len);
}

int ev_str_eq(ev_str a, const char *s)
{
	if (s == NULL)
		return 0;
	size_t n = strlen(s);
	if (a.n != n)
		return 0;
	return n == 0 || memcmp(a.p, s, n) == 0;
}

void event_init(event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->source = EV_SRC_UNKNOWN;
	ev->time_us = -1;
	ev->input_tokens = -1;
	ev->output_tokens = -1;
	ev->latency_ms = -1;
}
