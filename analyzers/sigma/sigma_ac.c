/*
 * sigma_ac.c — Aho-Corasick automaton (see sigma_ac.h).
 *
 * Insertion builds a trie whose edges are kept in one array (linked per state
 * while inserting). sigma_ac_build sorts the edges into a compact per-state
 * table (binary-searched), gives the root a dense 256-entry table (most steps
 * of a scan start from it), and computes failure and dictionary-suffix links
 * breadth-first. The scan follows failure links (no full DFA: memory stays
 * proportional to the total pattern length, which matters with thousands of
 * rules). Pattern ids ending at a state are a linked list in `outs`.
 */
#include "analyzers/sigma/sigma_ac.h"
#include "common/sort.h"

#include <stdlib.h>
#include <string.h>

typedef struct ac_edge {
	uint32_t from, to;
	uint8_t byte;
	uint32_t next; /* next edge of the same state while inserting (0 = none) */
} ac_edge;

typedef struct ac_state {
	uint32_t first_edge; /* insertion: head of linked list; built: start in edges */
	uint32_t nedges;
	uint32_t fail;
	uint32_t dict; /* nearest state on the failure chain with outputs, 0 = none */
	uint32_t out;  /* head of outs list, 0 = none */
} ac_state;

typedef struct ac_out {
	uint32_t id;
	uint32_t next;
} ac_out;

struct sigma_ac {
	ac_state *st;
	size_t nst, cst;
	ac_edge *ed;
	size_t ned, ced;
	ac_out *outs;
	size_t nout, cout;
	uint32_t root[256];
	int built;
	size_t npat;
};

static uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	void *np = realloc(*p, nc * elem);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

sigma_ac *sigma_ac_new(void)
{
	sigma_ac *ac = calloc(1, sizeof *ac);
	if (ac == NULL)
		return NULL;
	/* state 0 is the root; edge 0 and out 0 are sentinels meaning "none" */
	if (grow((void **)&ac->st, &ac->cst, 1, sizeof *ac->st) ||
	    grow((void **)&ac->ed, &ac->ced, 1, sizeof *ac->ed) ||
	    grow((void **)&ac->outs, &ac->cout, 1, sizeof *ac->outs)) {
		sigma_ac_free(ac);
		return NULL;
	}
	memset(ac->st, 0, sizeof *ac->st);
	ac->nst = ac->ned = ac->nout = 1;
	return ac;
}

void sigma_ac_free(sigma_ac *ac)
{
	if (ac == NULL)
		return;
	free(ac->st);
	free(ac->ed);
	free(ac->outs);
	free(ac);
}

size_t sigma_ac_patterns(const sigma_ac *ac)
{
	return ac->npat;
}

static uint32_t child_linked(const sigma_ac *ac, uint32_t s, uint8_t c)
{
	for (uint32_t e = ac->st[s].first_edge; e != 0; e = ac->ed[e].next)
		if (ac->ed[e].byte == c)
			return ac->ed[e].to;
	return 0;
}

lt_status sigma_ac_add(sigma_ac *ac, const char *pat, size_t n, uint32_t id)
{
	if (ac->built || n == 0)
		return LT_EITEM;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = lc((uint8_t)pat[i]);
		uint32_t t = child_linked(ac, s, c);
		if (t == 0) {
			if (ac->nst >= UINT32_MAX - 1 ||
			    grow((void **)&ac->st, &ac->cst, ac->nst + 1, sizeof *ac->st) ||
			    grow((void **)&ac->ed, &ac->ced, ac->ned + 1, sizeof *ac->ed))
				return LT_EFATAL;
			t = (uint32_t)ac->nst++;
			memset(&ac->st[t], 0, sizeof ac->st[t]);
			ac_edge *e = &ac->ed[ac->ned];
			e->from = s;
			e->to = t;
			e->byte = c;
			e->next = ac->st[s].first_edge;
			ac->st[s].first_edge = (uint32_t)ac->ned++;
		}
		s = t;
	}
	if (grow((void **)&ac->outs, &ac->cout, ac->nout + 1, sizeof *ac->outs))
		return LT_EFATAL;
	ac->outs[ac->nout].id = id;
	ac->outs[ac->nout].next = ac->st[s].out;
	ac->st[s].out = (uint32_t)ac->nout++;
	ac->npat++;
	return LT_OK;
}

static int edge_cmp(const void *a, const void *b)
{
	const ac_edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (int)x->byte - (int)y->byte;
}

/* Child of s on c in the built table, 0 if none. */
static uint32_t child(const sigma_ac *ac, uint32_t s, uint8_t c)
{
	if (s == 0)
		return ac->root[c];
	const ac_edge *e = ac->ed + ac->st[s].first_edge;
	size_t lo = 0, hi = ac->st[s].nedges;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e[mid].byte == c)
			return e[mid].to;
		if (e[mid].byte < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void index_edges(sigma_ac *ac)
{
	lt_sort(ac->ed + 1, ac->ned - 1, sizeof *ac->ed, edge_cmp);
	for (size_t s = 0; s < ac->nst; s++) {
		ac->st[s].first_edge = 0;
		ac->st[s].nedges = 0;
	}
	for (size_t e = ac->ned; e-- > 1;) {
		ac_state *st = &ac->st[ac->ed[e].from];
		st->first_edge = (uint32_t)e;
		st->nedges++;
	}
	memset(ac->root, 0, sizeof ac->root);
	for (uint32_t i = 0; i < ac->st[0].nedges; i++) {
		const ac_edge *e = &ac->ed[ac->st[0].first_edge + i];
		ac->root[e->byte] = e->to;
	}
}

lt_status sigma_ac_build(sigma_ac *ac)
{
	if (ac->built)
		return LT_OK;
	index_edges(ac);
	uint32_t *queue = malloc(ac->nst * sizeof *queue);
	if (queue == NULL)
		return LT_EFATAL;
	size_t head = 0, tail = 0;
	for (uint32_t i = 0; i < ac->st[0].nedges; i++) {
		uint32_t t = ac->ed[ac->st[0].first_edge + i].to;
		ac->st[t].fail = 0;
		ac->st[t].dict = 0;
		queue[tail++] = t;
	}
	while (head < tail) {
		uint32_t u = queue[head++];
		for (uint32_t i = 0; i < ac->st[u].nedges; i++) {
			const ac_edge *e = &ac->ed[ac->st[u].first_edge + i];
			uint32_t v = e->to, f = ac->st[u].fail, t;
			while ((t = child(ac, f, e->byte)) == 0 && f != 0)
				f = ac->st[f].fail;
			ac->st[v].fail = (t != v) ? t : 0;
			uint32_t fv = ac->st[v].fail;
			ac->st[v].dict = ac->st[fv].out ? fv : ac->st[fv].dict;
			queue[tail++] = v;
		}
	}
	free(queue);
	ac->built = 1;
	return LT_OK;
}

static int report(const sigma_ac *ac, uint32_t s, size_t end, sigma_ac_fn fn, void *ctx)
{
	if (ac->st[s].out == 0)
		s = ac->st[s].dict;
	while (s != 0) {
		for (uint32_t o = ac->st[s].out; o != 0; o = ac->outs[o].next) {
			int r = fn(ctx, ac->outs[o].id, end);
			if (r)
				return r;
		}
		s = ac->st[s].dict;
	}
	return 0;
}

int sigma_ac_scan(const sigma_ac *ac, const char *text, size_t n, sigma_ac_fn fn, void *ctx)
{
	if (!ac->built || ac->npat == 0)
		return 0;
	const uint8_t *p = (const uint8_t *)text;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = lc(p[i]);
		uint32_t t;
		while ((t = child(ac, s, c)) == 0 && s != 0)
			s = ac->st[s].fail;
		s = t;
		if (s != 0 && (ac->st[s].out != 0 || ac->st[s].dict != 0)) {
			int r = report(ac, s, i + 1, fn, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}
