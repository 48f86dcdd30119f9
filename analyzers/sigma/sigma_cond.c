/*
 * sigma_cond.c — condition parser and evaluator (see sigma_cond.h).
 *
 * A hand-written recursive-descent parser over a tiny tokenizer: '(' and ')'
 * are tokens, everything else splits on whitespace. Precedence follows the
 * specification's list (or < and < not < x-of < parentheses). `x of` patterns
 * are expanded against the rule's search identifiers at parse time, so the
 * evaluator only sees identifier indices; a pattern that matches nothing is an
 * error (it is nearly always a typo). Depth is capped so hostile rule text
 * cannot exhaust the stack; every error names the column of the token.
 * https://github.com/SigmaHQ/sigma-specification (sigma-rules-specification.md)
 */
#include "analyzers/sigma/sigma_cond.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct tok {
	const char *p;
	size_t n;
	size_t col; /* 1-based */
} tok;

typedef struct parser {
	arena *a;
	const char *text;
	size_t pos;
	tok cur;
	const char *const *names;
	size_t nnames;
	int depth;
	bool *unsupported;
	lt_error *err;
} parser;

static void next_token(parser *p)
{
	const char *t = p->text;
	while (t[p->pos] == ' ' || t[p->pos] == '\t' || t[p->pos] == '\n' || t[p->pos] == '\r')
		p->pos++;
	p->cur.p = t + p->pos;
	p->cur.col = p->pos + 1;
	if (t[p->pos] == '\0') {
		p->cur.n = 0;
		return;
	}
	if (t[p->pos] == '(' || t[p->pos] == ')') {
		p->cur.n = 1;
		p->pos++;
		return;
	}
	size_t s = p->pos;
	while (t[p->pos] && !strchr(" \t\n\r()", t[p->pos]))
		p->pos++;
	p->cur.n = p->pos - s;
}

static bool is_kw(const tok *t, const char *kw)
{
	return t->n == strlen(kw) && strncasecmp(t->p, kw, t->n) == 0;
}

static lt_status fail(parser *p, const char *what)
{
	if (p->cur.n == 0)
		return lt_error_set(p->err, LT_EITEM, "condition: %s at end of condition", what);
	return lt_error_set(p->err, LT_EITEM, "condition: %s at column %zu ('%.*s')", what, p->cur.col,
	                    (int)(p->cur.n > 40 ? 40 : p->cur.n), p->cur.p);
}

static sigma_cond *node(parser *p, sigma_cond_op op, size_t n)
{
	sigma_cond *c = arena_calloc(p->a, sizeof *c);
	if (c == NULL)
		return NULL;
	c->op = op;
	c->n = n;
	if (n > 0) {
		c->kids = arena_calloc(p->a, n * sizeof *c->kids);
		if (c->kids == NULL)
			return NULL;
	}
	return c;
}

static lt_status oom(parser *p)
{
	return lt_error_set(p->err, LT_EFATAL, "out of memory parsing condition");
}

static lt_status parse_or(parser *p, sigma_cond **out);

static bool glob_match(const char *pat, size_t pn, const char *s)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0, sn = strlen(s);
	while (si < sn) {
		if (pi < pn && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && pat[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && pat[pi] == '*')
		pi++;
	return pi == pn;
}

static lt_status parse_of(parser *p, bool all, sigma_cond **out)
{
	next_token(p); /* past "1"/"all" */
	if (!is_kw(&p->cur, "of"))
		return fail(p, "expected 'of'");
	next_token(p);
	if (p->cur.n == 0 || p->cur.p[0] == '(' || p->cur.p[0] == ')')
		return fail(p, "expected 'them' or a search-identifier pattern after 'of'");
	bool them = is_kw(&p->cur, "them");
	size_t cnt = 0;
	for (size_t i = 0; i < p->nnames; i++)
		if (them ? p->names[i][0] != '_' : glob_match(p->cur.p, p->cur.n, p->names[i]))
			cnt++;
	if (cnt == 0)
		return fail(p, them ? "'them' covers no search identifier"
		                    : "pattern matches no search identifier");
	sigma_cond *c = node(p, all ? SIGMA_C_ALL_OF : SIGMA_C_ONE_OF, cnt);
	if (c == NULL)
		return oom(p);
	size_t k = 0;
	for (size_t i = 0; i < p->nnames; i++) {
		if (!(them ? p->names[i][0] != '_' : glob_match(p->cur.p, p->cur.n, p->names[i])))
			continue;
		sigma_cond *s = node(p, SIGMA_C_SEL, 0);
		if (s == NULL)
			return oom(p);
		s->sel = (uint32_t)i;
		c->kids[k++] = s;
	}
	next_token(p);
	*out = c;
	return LT_OK;
}

static lt_status parse_ident(parser *p, sigma_cond **out)
{
	for (size_t i = 0; i < p->nnames; i++) {
		if (strlen(p->names[i]) == p->cur.n && memcmp(p->names[i], p->cur.p, p->cur.n) == 0) {
			sigma_cond *s = node(p, SIGMA_C_SEL, 0);
			if (s == NULL)
				return oom(p);
			s->sel = (uint32_t)i;
			next_token(p);
			*out = s;
			return LT_OK;
		}
	}
	return fail(p, "unknown search identifier");
}

static lt_status parse_primary(parser *p, sigma_cond **out)
{
	if (p->cur.n == 0)
		return fail(p, "expected an expression");
	if (p->cur.p[0] == '(') {
		if (++p->depth > SIGMA_COND_MAX_DEPTH)
			return fail(p, "parentheses nested too deeply");
		next_token(p);
		lt_status st = parse_or(p, out);
		if (st != LT_OK)
			return st;
		if (p->cur.n == 0 || p->cur.p[0] != ')')
			return fail(p, "expected ')'");
		p->depth--;
		next_token(p);
		return LT_OK;
	}
	if (p->cur.p[0] == ')')
		return fail(p, "unexpected ')'");
	if (memchr(p->cur.p, '|', p->cur.n) != NULL) {
		*p->unsupported = true;
		return fail(p, "aggregation expressions ('|') are not supported (use a correlation rule)");
	}
	if (is_kw(&p->cur, "near")) {
		*p->unsupported = true;
		return fail(p, "'near' is not supported (use a correlation rule)");
	}
	if (is_kw(&p->cur, "all") || (p->cur.n == 1 && p->cur.p[0] == '1'))
		return parse_of(p, is_kw(&p->cur, "all"), out);
	if (is_kw(&p->cur, "and") || is_kw(&p->cur, "or") || is_kw(&p->cur, "of") ||
	    is_kw(&p->cur, "them"))
		return fail(p, "expected a search identifier");
	if (p->cur.n > 0 && p->cur.p[0] >= '0' && p->cur.p[0] <= '9') {
		tok t = p->cur;
		next_token(p);
		if (is_kw(&p->cur, "of")) {
			p->cur = t;
			return fail(p, "only '1 of' and 'all of' are defined");
		}
		p->cur = t;
		p->pos = (size_t)(t.p - p->text) + t.n;
	}
	return parse_ident(p, out);
}

static lt_status parse_not(parser *p, sigma_cond **out)
{
	if (!is_kw(&p->cur, "not"))
		return parse_primary(p, out);
	if (++p->depth > SIGMA_COND_MAX_DEPTH)
		return fail(p, "'not' nested too deeply");
	next_token(p);
	sigma_cond *c = node(p, SIGMA_C_NOT, 1);
	if (c == NULL)
		return oom(p);
	lt_status st = parse_not(p, &c->kids[0]);
	if (st != LT_OK)
		return st;
	p->depth--;
	*out = c;
	return LT_OK;
}

/* Parses `sub (kw sub)*` into one n-ary node of op (or the single operand). */
static lt_status parse_chain(parser *p, const char *kw, sigma_cond_op op,
                             lt_status (*sub)(parser *, sigma_cond **), sigma_cond **out)
{
	sigma_cond *first;
	lt_status st = sub(p, &first);
	if (st != LT_OK)
		return st;
	if (!is_kw(&p->cur, kw)) {
		*out = first;
		return LT_OK;
	}
	size_t cap = 4, n = 1;
	sigma_cond **v = arena_alloc(p->a, cap * sizeof *v);
	if (v == NULL)
		return oom(p);
	v[0] = first;
	while (is_kw(&p->cur, kw)) {
		next_token(p);
		if (n == cap) {
			sigma_cond **nv = arena_alloc(p->a, 2 * cap * sizeof *nv);
			if (nv == NULL)
				return oom(p);
			memcpy(nv, v, n * sizeof *v);
			v = nv;
			cap *= 2;
		}
		st = sub(p, &v[n++]);
		if (st != LT_OK)
			return st;
	}
	sigma_cond *c = node(p, op, 0);
	if (c == NULL)
		return oom(p);
	c->n = n;
	c->kids = v;
	*out = c;
	return LT_OK;
}

static lt_status parse_and(parser *p, sigma_cond **out)
{
	return parse_chain(p, "and", SIGMA_C_AND, parse_not, out);
}

static lt_status parse_or(parser *p, sigma_cond **out)
{
	return parse_chain(p, "or", SIGMA_C_OR, parse_and, out);
}

lt_status sigma_cond_parse(arena *a, const char *text, const char *const *names, size_t nnames,
                           sigma_cond **out, bool *unsupported, lt_error *err)
{
	*unsupported = false;
	*out = NULL;
	if (strlen(text) > SIGMA_COND_MAX_LEN)
		return lt_error_set(err, LT_EITEM, "condition longer than %d bytes", SIGMA_COND_MAX_LEN);
	if (strchr(text, '|') != NULL) {
		*unsupported = true;
		return lt_error_set(err, LT_EITEM, "condition: aggregation expressions ('|') are not "
		                    "supported (use a correlation rule)");
	}
	parser p = {a, text, 0, {text, 0, 1}, names, nnames, 0, unsupported, err};
	next_token(&p);
	if (p.cur.n == 0)
		return lt_error_set(err, LT_EITEM, "condition is empty");
	lt_status st = parse_or(&p, out);
	if (st != LT_OK)
		return st;
	if (p.cur.n != 0)
		return fail(&p, p.cur.p[0] == ')' ? "unbalanced ')'" : "expected 'and', 'or' or end");
	return LT_OK;
}

sigma_cond *sigma_cond_or(arena *a, sigma_cond *x, sigma_cond *y)
{
	if (x == NULL)
		return y;
	if (y == NULL)
		return x;
	sigma_cond *c = arena_calloc(a, sizeof *c);
	sigma_cond **k = arena_alloc(a, 2 * sizeof *k);
	if (c == NULL || k == NULL)
		return NULL;
	k[0] = x;
	k[1] = y;
	c->op = SIGMA_C_OR;
	c->n = 2;
	c->kids = k;
	return c;
}

bool sigma_cond_eval(const sigma_cond *c, sigma_cond_sel_fn sel, void *ctx)
{
	switch (c->op) {
	case SIGMA_C_SEL:
		return sel(ctx, c->sel);
	case SIGMA_C_NOT:
		return !sigma_cond_eval(c->kids[0], sel, ctx);
	case SIGMA_C_AND:
	case SIGMA_C_ALL_OF:
		for (size_t i = 0; i < c->n; i++)
			if (!sigma_cond_eval(c->kids[i], sel, ctx))
				return false;
		return true;
	case SIGMA_C_OR:
	case SIGMA_C_ONE_OF:
		for (size_t i = 0; i < c->n; i++)
			if (sigma_cond_eval(c->kids[i], sel, ctx))
				return true;
		return false;
	}
	return false;
}

typedef struct fmt {
	char *out;
	size_t n, len;
} fmt;

static void put(fmt *f, const char *s)
{
	size_t l = strlen(s);
	if (f->len < f->n) {
		size_t room = f->n - f->len - 1;
		memcpy(f->out + f->len, s, l < room ? l : room);
		f->out[f->len + (l < room ? l : room)] = '\0';
	}
	f->len += l;
}

static void format_node(fmt *f, const sigma_cond *c, const char *const *names)
{
	static const char *const opname[] = {"", "and", "or", "not", "1of", "allof"};
	if (c->op == SIGMA_C_SEL) {
		put(f, names[c->sel]);
		return;
	}
	put(f, "(");
	put(f, opname[c->op]);
	for (size_t i = 0; i < c->n; i++) {
		put(f, " ");
		format_node(f, c->kids[i], names);
	}
	put(f, ")");
}

size_t sigma_cond_format(const sigma_cond *c, const char *const *names, char *out, size_t n)
{
	fmt f = {out, n, 0};
	if (n > 0)
		out[0] = '\0';
	format_node(&f, c, names);
	return f.len;
}
