/*
 * builtin_rules.c — rules and synthetic hits of the `builtin` pack (see
 * builtin_rules.h).
 *
 * The report model aggregates hits per (rule, group) within its time window;
 * builtin findings are made distinct by their group pair (object or window),
 * so each missing file or silent window stays its own finding. The
 * explanation travels as a match on a "detail" field spanning the whole text,
 * which every writer already shows beside the event.
 */
#include "config.h"

#include "analyzers/audit/builtin_rules.h"

#include <string.h>

static bool pack_present(const report *r)
{
	for (size_t i = 0; i < report_npacks(r); i++) {
		const rpt_pack *p = report_pack(r, i);
		if (p->name.n == strlen(BUILTIN_PACK) && memcmp(p->name.p, BUILTIN_PACK, p->name.n) == 0)
			return true;
	}
	return false;
}

static bool rule_present(const report *r, const char *id, size_t *index)
{
	for (size_t i = 0; i < report_nrules(r); i++) {
		const rpt_rule *ru = report_rule(r, i);
		if (ru->id.n == strlen(id) && memcmp(ru->id.p, id, ru->id.n) == 0 &&
		    ru->pack.n == strlen(BUILTIN_PACK) && memcmp(ru->pack.p, BUILTIN_PACK, ru->pack.n) == 0) {
			*index = i;
			return true;
		}
	}
	return false;
}

lt_status builtin_add_rule(report *r, const builtin_rule *def, size_t *index, lt_error *err)
{
	size_t idx = 0;
	if (rule_present(r, def->id, &idx)) {
		if (index)
			*index = idx;
		return LT_OK;
	}
	if (!pack_present(r)) {
		lt_status st = report_add_pack(r, BUILTIN_PACK, "(built in)", NULL, err);
		if (st != LT_OK)
			return st;
	}
	const char *tags[2];
	size_t ntags = 0;
	if (def->tag)
		tags[ntags++] = def->tag;
	if (def->effect)
		tags[ntags++] = RPT_TAG_EFFECT;
	rpt_rule_in in;
	memset(&in, 0, sizeof in);
	in.pack = BUILTIN_PACK;
	in.id = def->id;
	in.title = def->title;
	in.status = "stable";
	in.description = def->description;
	in.tags = tags;
	in.ntags = ntags;
	in.level = def->level;
	in.outcome = RPT_PASSED;
	return report_add_rule(r, &in, index, err);
}

lt_status builtin_add_hit(report *r, size_t rule, const builtin_hit *h, lt_error *err)
{
	rpt_event_in ev;
	rpt_event_init(&ev);
	ev.time_us = h->time_us;
	ev.source = rpt_s(h->source);
	ev.uid = rpt_s(h->uid);
	ev.principal = rpt_s(h->principal);
	ev.account = rpt_s(h->account);
	ev.region = rpt_s(h->region);
	ev.action = rpt_s(h->action);
	ev.evidence = rpt_s(h->evidence);
	ev.member = rpt_s(h->member);
	rpt_pair g = {rpt_s(h->group_name), rpt_s(h->group_value)};
	rpt_match_in m;
	memset(&m, 0, sizeof m);
	size_t nm = 0;
	if (h->detail != NULL && h->detail[0] != '\0') {
		m.field = rpt_s(h->detail_field ? h->detail_field : "detail");
		m.value = rpt_s(h->detail);
		m.start = 0;
		m.end = m.value.n;
		nm = 1;
	}
	return report_add_hit(r, rule, h->group_name ? &g : NULL, h->group_name ? 1 : 0, &ev, nm ? &m : NULL, nm,
	                      err);
}
