/*
 * junit.c — the JUnit XML writer (see junit.h).
 *
 * The schema is strict about order and presence: every <testsuite> needs
 * <properties> first, then its testcases, then <system-out> and <system-err>;
 * inside <testsuites> every suite needs package and id; a testcase holds at
 * most one of skipped / error / failure; timestamps have no zone. Counts go
 * in attributes before the children, so each suite's testcases are counted
 * in a first pass and written in a second. classname + name pairs are kept
 * unique with a strmap (a duplicate gets " (2)", " (3)", ...).
 */
#include "reports/junit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ltime.h"
#include "reports/rtext.h"
#include "model/strmap.h"

typedef struct jw {
	const report *r;
	FILE *out;
	char stamp[LTIME_BUFSZ]; /* YYYY-MM-DDTHH:MM:SS, no zone */
	int suite_id;
	strmap *names;
	bool oom;
} jw;

static void x(const jw *w, rpt_str s)
{
	rtext_xml(w->out, s.p, s.n, 0);
}

static void xa(const jw *w, rpt_str s)
{
	rtext_xml(w->out, s.p, s.n, RTEXT_ATTR);
}

static void xbody(const jw *w, rpt_str s)
{
	rtext_xml(w->out, s.p, s.n, RTEXT_KEEP_NL);
}

static void xtime(const jw *w, int64_t us)
{
	char t[LTIME_BUFSZ] = "-";
	if (us != INT64_MIN)
		ltime_format(us, 0, t);
	fputs(t, w->out);
}

static void property(const jw *w, const char *name, rpt_str name_suffix, rpt_str value)
{
	fprintf(w->out, "      <property name=\"%s", name);
	xa(w, name_suffix);
	fputs("\" value=\"", w->out);
	xa(w, value);
	fputs("\"/>\n", w->out);
}

typedef struct counts {
	unsigned tests, failures, errors, skipped;
} counts;

static void suite_open(jw *w, const char *name, rpt_str name_rest, counts c)
{
	fprintf(w->out, "  <testsuite name=\"%s", name);
	xa(w, name_rest);
	fprintf(w->out, "\" package=\"llmtrail.%s", name);
	xa(w, name_rest);
	fprintf(w->out,
	        "\" id=\"%d\" timestamp=\"%s\" hostname=\"localhost\" tests=\"%u\" failures=\"%u\""
	        " errors=\"%u\" skipped=\"%u\" time=\"0\">\n    <properties>\n",
	        w->suite_id++, w->stamp, c.tests, c.failures, c.errors, c.skipped);
	property(w, "llmtrail.version", rpt_s(""), report_run(w->r)->tool_version);
	char reason[512];
	report_verdict_reason(w->r, reason, sizeof reason);
	property(w, "llmtrail.verdict", rpt_s(""), rpt_s(rpt_verdict_name(report_verdict(w->r))));
	property(w, "llmtrail.verdict.reason", rpt_s(""), rpt_s(reason));
}

/* Writes ' classname="C" name="N"', N made unique for C. */
static void case_names(jw *w, const char *cls, rpt_str cls_rest, rpt_str name)
{
	buf key;
	buf_init(&key, 0);
	lt_status st = buf_puts(&key, cls);
	if (st == LT_OK && cls_rest.n)
		st = buf_append(&key, cls_rest.p, cls_rest.n);
	if (st == LT_OK)
		st = buf_putc(&key, '\0');
	if (st == LT_OK && name.n)
		st = buf_append(&key, name.p, name.n);
	uint64_t *seen = st == LT_OK ? strmap_slot(w->names, key.data, key.len, true, NULL) : NULL;
	buf_free(&key);
	if (seen == NULL)
		w->oom = true;
	fprintf(w->out, " classname=\"%s", cls);
	xa(w, cls_rest);
	fputs("\" name=\"", w->out);
	xa(w, name);
	if (seen != NULL && ++*seen > 1)
		fprintf(w->out, " (%" PRIu64 ")", *seen);
	fputs("\" time=\"0\"", w->out);
}

static void suite_close(const jw *w, const buf *sysout)
{
	fputs("    <system-out>", w->out);
	xbody(w, rpt_sn(sysout->data, sysout->len));
	fputs("</system-out>\n    <system-err></system-err>\n  </testsuite>\n", w->out);
}

/* ---- rule packs --------------------------------------------------------- */

static bool fails(const report *r, const rpt_rule *ru)
{
	rpt_level f = report_options(r)->fail_on;
	return ru->outcome == RPT_FIRED && f != RPT_LEVEL_NONE && ru->level >= f;
}

static counts pack_counts(const report *r, const size_t *order, size_t from, size_t to)
{
	counts c = {0, 0, 0, 0};
	for (size_t i = from; i < to; i++) {
		const rpt_rule *ru = report_rule(r, order[i]);
		c.tests++;
		if (ru->outcome == RPT_FAILED)
			c.errors++;
		else if (ru->outcome == RPT_NOT_APPLICABLE || ru->outcome == RPT_UNSUPPORTED || ru->outcome == RPT_FILTERED)
			c.skipped++;
		else if (fails(r, ru))
			c.failures++;
	}
	return c;
}

static void finding_body(const jw *w, const rpt_finding *f)
{
	FILE *out = w->out;
	fputs("- ", out);
	xtime(w, f->first_us);
	fputs(" .. ", out);
	xtime(w, f->last_us);
	fprintf(out, "  %" PRIu64 " event%s  ", f->count, f->count == 1 ? "" : "s");
	x(w, f->group_text);
	fputs("\n", out);
	size_t shown = f->nevents < JUNIT_MAX_EVENTS_BODY ? f->nevents : JUNIT_MAX_EVENTS_BODY;
	for (size_t i = 0; i < shown; i++) {
		const rpt_event *e = &f->events[i];
		fputs("    event ", out);
		x(w, e->uid);
		fputs(" at ", out);
		xtime(w, e->time_us);
		fputs(" (", out);
		x(w, e->source);
		fputs(") in ", out);
		x(w, e->evidence);
		if (e->member.n) {
			fputs(" :: ", out);
			x(w, e->member);
		}
		fprintf(out, " line %" PRIu64 "\n", e->line);
		for (size_t m = 0; m < e->nmatches; m++) {
			fputs("      ", out);
			x(w, e->matches[m].field);
			fputs(": ", out);
			x(w, e->matches[m].excerpt);
			fputs("\n", out);
		}
	}
	if (f->count > shown)
		fprintf(out, "    (%" PRIu64 " more events)\n", f->count - shown);
}

static void failure(const jw *w, size_t rule, const rpt_rule *ru, const size_t *forder, size_t nf)
{
	FILE *out = w->out;
	fprintf(out, "      <failure type=\"%s\" message=\"%" PRIu64 " finding%s: ",
	        rpt_level_name(ru->level), ru->findings, ru->findings == 1 ? "" : "s");
	size_t listed = 0, msglen = 0;
	for (size_t i = 0; i < nf; i++) {
		const rpt_finding *f = report_finding(w->r, forder[i]);
		if (f->rule != rule)
			continue;
		if (listed == 3 || msglen > 200) {
			fputs("; ...", out);
			break;
		}
		if (listed++)
			fputs("; ", out);
		rpt_str g = f->group_text.n ? f->group_text : rpt_s("(no group)");
		xa(w, g);
		msglen += g.n;
	}
	fputs("\">", out);
	if (ru->title.n) {
		xbody(w, ru->title);
		fputs("\n", out);
	}
	if (ru->description.n) {
		xbody(w, ru->description);
		fputs("\n", out);
	}
	size_t detailed = 0;
	for (size_t i = 0; i < nf; i++) {
		const rpt_finding *f = report_finding(w->r, forder[i]);
		if (f->rule != rule)
			continue;
		if (detailed++ == JUNIT_MAX_FINDINGS_BODY) {
			fputs("(more findings in the full report)\n", out);
			break;
		}
		finding_body(w, f);
	}
	fputs("</failure>\n", out);
}

static void rule_case(jw *w, size_t rule, const size_t *forder, size_t nf, buf *sysout)
{
	const rpt_rule *ru = report_rule(w->r, rule);
	FILE *out = w->out;
	buf name;
	buf_init(&name, 0);
	lt_status st = buf_append(&name, ru->id.p, ru->id.n);
	if (st == LT_OK && ru->title.n)
		st = buf_puts(&name, ": ");
	if (st == LT_OK && ru->title.n)
		st = buf_append(&name, ru->title.p, ru->title.n);
	if (st != LT_OK)
		w->oom = true;
	fputs("    <testcase", out);
	case_names(w, "llmtrail.rules.", ru->pack, rpt_sn(name.data, name.len));
	buf_free(&name);
	rpt_str reason = ru->reason.n ? ru->reason : rpt_s(rpt_outcome_name(ru->outcome));
	if (ru->outcome == RPT_FAILED) {
		fputs(">\n      <error type=\"rule error\" message=\"", out);
		xa(w, reason);
		fputs("\">", out);
		xbody(w, ru->file);
		if (ru->line)
			fprintf(out, ":%" PRIu64, ru->line);
		fputs(": ", out);
		xbody(w, reason);
		fputs("</error>\n    </testcase>\n", out);
	} else if (ru->outcome == RPT_NOT_APPLICABLE || ru->outcome == RPT_UNSUPPORTED || ru->outcome == RPT_FILTERED) {
		fprintf(out, ">\n      <skipped message=\"%s: ", rpt_outcome_name(ru->outcome));
		xa(w, reason);
		fputs("\"/>\n    </testcase>\n", out);
	} else if (fails(w->r, ru)) {
		fputs(">\n", out);
		failure(w, rule, ru, forder, nf);
		fputs("    </testcase>\n", out);
	} else {
		fputs("/>\n", out);
		if (ru->outcome == RPT_FIRED) {
			char line[96];
			snprintf(line, sizeof line, "%s: %" PRIu64 " finding(s) below the fail level: ",
			         rpt_level_name(ru->level), ru->findings);
			if (buf_puts(sysout, line) != LT_OK ||
			    buf_append(sysout, ru->id.p, ru->id.n) != LT_OK ||
			    buf_putc(sysout, '\n') != LT_OK)
				w->oom = true;
		}
	}
}

static void pack_props(const jw *w, rpt_str pack)
{
	for (size_t i = 0; i < report_npacks(w->r); i++) {
		const rpt_pack *p = report_pack(w->r, i);
		if (p->name.n == pack.n && memcmp(p->name.p, pack.p, pack.n) == 0) {
			property(w, "rulepack.sha256", rpt_s(""), p->sha256);
			if (p->path.n)
				property(w, "rulepack.path", rpt_s(""), p->path);
		}
	}
}

static void rule_suites(jw *w, const size_t *forder, size_t nf)
{
	size_t n = report_nrules(w->r);
	size_t *order = report_rules_order(w->r);
	if (n && order == NULL) {
		w->oom = true;
		return;
	}
	for (size_t from = 0; from < n;) {
		rpt_str pack = report_rule(w->r, order[from])->pack;
		size_t to = from;
		while (to < n) {
			rpt_str p = report_rule(w->r, order[to])->pack;
			if (p.n != pack.n || memcmp(p.p, pack.p, pack.n) != 0)
				break;
			to++;
		}
		suite_open(w, "rules.", pack, pack_counts(w->r, order, from, to));
		pack_props(w, pack);
		fputs("    </properties>\n", w->out);
		buf sysout;
		buf_init(&sysout, 0);
		for (size_t i = from; i < to; i++)
			rule_case(w, order[i], forder, nf, &sysout);
		suite_close(w, &sysout);
		buf_free(&sysout);
		from = to;
	}
	free(order);
}

/* ---- evidence, integrity ------------------------------------------------- */

static bool same(rpt_str a, rpt_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static size_t problems_of(const report *r, const rpt_evidence *e)
{
	size_t n = 0;
	for (size_t i = 0; i < report_nproblems(r); i++) {
		const rpt_problem *p = report_problem(r, i);
		n += same(p->file, e->path) && same(p->member, e->member);
	}
	return n;
}

static void evidence_suite(jw *w)
{
	const report *r = w->r;
	counts c = {0, 0, 0, 0};
	for (size_t i = 0; i < report_nevidence(r); i++) {
		const rpt_evidence *e = report_evidence(r, i);
		c.tests++;
		c.failures += e->problems > 0 || problems_of(r, e) > 0;
	}
	suite_open(w, "evidence", rpt_s(""), c);
	for (size_t i = 0; i < report_nevidence(r); i++) {
		const rpt_evidence *e = report_evidence(r, i);
		buf name;
		buf_init(&name, 0);
		lt_status st = buf_append(&name, e->path.p, e->path.n);
		if (st == LT_OK && e->member.n) {
			st = buf_puts(&name, " :: ");
			if (st == LT_OK)
				st = buf_append(&name, e->member.p, e->member.n);
		}
		if (st != LT_OK)
			w->oom = true;
		property(w, "sha256:", rpt_sn(name.data, name.len), e->sha256);
		buf_free(&name);
	}
	fputs("    </properties>\n", w->out);
	for (size_t i = 0; i < report_nevidence(r); i++) {
		const rpt_evidence *e = report_evidence(r, i);
		fputs("    <testcase", w->out);
		rpt_str name = e->member.n ? e->member : e->path;
		case_names(w, "llmtrail.evidence.", e->member.n ? e->path : rpt_s("file"), name);
		size_t np = problems_of(r, e);
		if (e->problems == 0 && np == 0) {
			fputs("/>\n", w->out);
			continue;
		}
		fprintf(w->out,
		        ">\n      <failure type=\"evidence problem\" message=\"%" PRIu64
		        " problem(s)\">",
		        e->problems > np ? e->problems : (uint64_t)np);
		for (size_t k = 0, shown = 0; k < report_nproblems(r) && shown < 100; k++) {
			const rpt_problem *p = report_problem(r, k);
			if (!same(p->file, e->path) || !same(p->member, e->member))
				continue;
			shown++;
			if (p->line > 0)
				fprintf(w->out, "%s: line %" PRIu64 ": ", rpt_severity_name(p->severity), p->line);
			else
				fprintf(w->out, "%s: ", rpt_severity_name(p->severity));
			xbody(w, p->reason);
			fputs("\n", w->out);
		}
		fputs("</failure>\n    </testcase>\n", w->out);
	}
	buf sysout;
	buf_init(&sysout, 0);
	suite_close(w, &sysout);
}

static void integrity_suite(jw *w)
{
	const report *r = w->r;
	counts c = {0, 0, 0, 0};
	for (size_t i = 0; i < report_nintegrity(r); i++) {
		rpt_check s = report_integrity(r, i)->status;
		c.tests++;
		c.failures += s == RPT_CHECK_INVALID;
		c.skipped += s == RPT_CHECK_UNVERIFIABLE;
	}
	suite_open(w, "integrity", rpt_s(""), c);
	fputs("    </properties>\n", w->out);
	for (size_t i = 0; i < report_nintegrity(r); i++) {
		const rpt_integrity *g = report_integrity(r, i);
		fputs("    <testcase", w->out);
		case_names(w, "llmtrail.integrity.", g->check, g->object);
		if (g->status == RPT_CHECK_VALID) {
			fputs("/>\n", w->out);
		} else if (g->status == RPT_CHECK_UNVERIFIABLE) {
			fputs(">\n      <skipped message=\"unverifiable: ", w->out);
			xa(w, g->detail);
			fputs("\"/>\n    </testcase>\n", w->out);
		} else {
			fputs(">\n      <failure type=\"invalid\" message=\"", w->out);
			xa(w, g->detail);
			fputs("\">", w->out);
			xbody(w, g->detail);
			fputs("</failure>\n    </testcase>\n", w->out);
		}
	}
	buf sysout;
	buf_init(&sysout, 0);
	suite_close(w, &sysout);
}

/* ---- compliance controls ---------------------------------------------- */

static void control_message(const jw *w, const rpt_control *c)
{
	fprintf(w->out, "%" PRIu64 " violation%s", c->violations, c->violations == 1 ? "" : "s");
	if (c->worst_day.n) {
		fputs(", worst day ", w->out);
		xa(w, c->worst_day);
	}
	for (size_t i = 0; i < c->examples.n && i < 3; i++) {
		fputs(i ? "; " : "; first: ", w->out);
		xa(w, c->examples.v[i]);
	}
}

/* What every control checked and its mappings, for the suite's system-out. */
static lt_status control_sysout(buf *b, const rpt_control *c)
{
	lt_status st = buf_append(b, c->id.p, c->id.n);
	if (st == LT_OK)
		st = buf_printf(b, ": %s: ", rpt_control_status_name(c->status));
	if (st == LT_OK)
		st = buf_append(b, c->detail.p, c->detail.n);
	for (size_t i = 0; st == LT_OK && i < c->nmappings; i++) {
		st = buf_puts(b, i ? ", " : " [");
		if (st == LT_OK)
			st = buf_append(b, c->mappings[i].name.p, c->mappings[i].name.n);
		if (st == LT_OK)
			st = buf_putc(b, ' ');
		if (st == LT_OK)
			st = buf_append(b, c->mappings[i].value.p, c->mappings[i].value.n);
	}
	if (st == LT_OK && c->nmappings)
		st = buf_putc(b, ']');
	if (st == LT_OK)
		st = buf_putc(b, '\n');
	return st;
}

static void control_case(jw *w, const rpt_control *c)
{
	buf name;
	buf_init(&name, 0);
	if (buf_append(&name, c->id.p, c->id.n) != LT_OK || buf_puts(&name, " ") != LT_OK ||
	    buf_append(&name, c->title.p, c->title.n) != LT_OK)
		w->oom = true;
	fputs("    <testcase", w->out);
	case_names(w, "llmtrail.controls.", c->kind, rpt_sn(name.data, name.len));
	buf_free(&name);
	if (c->status == RPT_CONTROL_PASS) {
		fputs("/>\n", w->out);
	} else if (c->status == RPT_CONTROL_FAIL) {
		fputs(">\n      <failure type=\"control\" message=\"", w->out);
		control_message(w, c);
		fputs("\">", w->out);
		xbody(w, c->detail);
		for (size_t i = 0; i < c->examples.n; i++) {
			fputs("\n", w->out);
			xbody(w, c->examples.v[i]);
		}
		if (c->violations > c->examples.n)
			fprintf(w->out, "\n... %" PRIu64 " more", c->violations - c->examples.n);
		fputs("</failure>\n    </testcase>\n", w->out);
	} else {
		fprintf(w->out, ">\n      <skipped message=\"%s: ", rpt_control_status_name(c->status));
		xa(w, c->detail);
		fputs("\"/>\n    </testcase>\n", w->out);
	}
}

static void controls_suite(jw *w)
{
	const report *r = w->r;
	if (report_ncontrols(r) == 0)
		return;
	counts c = {0, 0, 0, 0};
	buf sysout;
	buf_init(&sysout, 0);
	for (size_t i = 0; i < report_ncontrols(r); i++) {
		rpt_control_status s = report_control(r, i)->status;
		c.tests++;
		c.failures += s == RPT_CONTROL_FAIL;
		c.skipped += s == RPT_CONTROL_NOT_APPLICABLE || s == RPT_CONTROL_NOT_EVALUABLE;
		if (control_sysout(&sysout, report_control(r, i)) != LT_OK)
			w->oom = true;
	}
	suite_open(w, "controls", rpt_s(""), c);
	fputs("    </properties>\n", w->out);
	for (size_t i = 0; i < report_ncontrols(r); i++)
		control_case(w, report_control(r, i));
	suite_close(w, &sysout);
	buf_free(&sysout);
}

lt_status report_write_junit(const report *r, FILE *out, lt_error *err)
{
	jw w;
	memset(&w, 0, sizeof w);
	w.r = r;
	w.out = out;
	w.names = strmap_new(0);
	size_t nf = report_nfindings(r);
	size_t *forder = report_findings_order(r);
	if (w.names == NULL || (nf && forder == NULL)) {
		strmap_free(w.names);
		free(forder);
		return lt_error_set(err, LT_EFATAL, "junit: out of memory");
	}
	ltime_format(report_run(r)->run_time_us, 0, w.stamp);
	char *z = strchr(w.stamp, 'Z');
	if (z != NULL)
		*z = '\0';
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", out);
	controls_suite(&w);
	rule_suites(&w, forder, nf);
	evidence_suite(&w);
	integrity_suite(&w);
	fputs("</testsuites>\n", out);
	strmap_free(w.names);
	free(forder);
	if (w.oom)
		return lt_error_set(err, LT_EFATAL, "junit: out of memory");
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, "junit");
	return LT_OK;
}
