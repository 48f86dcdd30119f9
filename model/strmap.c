/*
 * strmap.c — open addressing (linear probing) over an index table that points
 * into an insertion-ordered entry vector; see strmap.h.
 *
 * The entry vector keeps insertion order so that anything a writer derives
 * from a map (top-N lists, ties) is deterministic without sorting by hash.
 * The index table is a power of two, at most half full; it is rebuilt from the
 * entries when it grows. Keys live in an arena (no per-key malloc).
 */
#include "model/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/arena.h"

typedef struct entry {
	const char *key;
	size_t n;
	uint64_t hash;
	uint64_t value;
} entry;

struct strmap {
	arena *keys;
	entry *entries;
	size_t count, alloc, cap;
	uint32_t *index; /* entry number + 1; 0 = empty slot */
	size_t nslots;   /* power of two */
};

uint64_t strmap_hash(const void *key, size_t n)
{
	return lt_fnv64(key, n);
}

strmap *strmap_new(size_t cap)
{
	strmap *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->cap = cap;
	m->keys = arena_new(0, 0);
	m->nslots = 64;
	m->index = calloc(m->nslots, sizeof *m->index);
	if (m->keys == NULL || m->index == NULL) {
		strmap_free(m);
		return NULL;
	}
	return m;
}

void strmap_free(strmap *m)
{
	if (m == NULL)
		return;
	arena_free(m->keys);
	free(m->entries);
	free(m->index);
	free(m);
}

static size_t probe(const strmap *m, const void *key, size_t n, uint64_t h, bool *found)
{
	size_t mask = m->nslots - 1;
	size_t i = (size_t)h & mask;
	for (;;) {
		uint32_t e = m->index[i];
		if (e == 0) {
			*found = false;
			return i;
		}
		const entry *en = &m->entries[e - 1];
		if (en->hash == h && en->n == n && (n == 0 || memcmp(en->key, key, n) == 0)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static bool grow_index(strmap *m)
{
	size_t nslots = m->nslots * 2;
	uint32_t *index = calloc(nslots, sizeof *index);
	if (index == NULL)
		return false;
	free(m->index);
	m->index = index;
	m->nslots = nslots;
	for (size_t e = 0; e < m->count; e++) {
		bool found;
		size_t i = probe(m, m->entries[e].key, m->entries[e].n, m->entries[e].hash, &found);
		m->index[i] = (uint32_t)(e + 1);
	}
	return true;
}

static bool grow_entries(strmap *m)
{
	size_t alloc = m->alloc ? m->alloc * 2 : 64;
	entry *e = realloc(m->entries, alloc * sizeof *e);
	if (e == NULL)
		return false;
	m->entries = e;
	m->alloc = alloc;
	return true;
}

uint64_t *strmap_slot(strmap *m, const void *key, size_t n, bool create, bool *full)
{
	uint64_t h = strmap_hash(key, n);
	bool found;
	size_t i = probe(m, key, n, h, &found);
	if (found)
		return &m->entries[m->index[i] - 1].value;
	if (!create)
		return NULL;
	if ((m->cap != 0 && m->count >= m->cap) || m->count >= UINT32_MAX - 1) {
		if (full != NULL)
			*full = true;
		return NULL;
	}
	if (m->count == m->alloc && !grow_entries(m))
		return NULL;
	char *copy = arena_strndup(m->keys, n ? key : "", n);
	if (copy == NULL)
		return NULL;
	if ((m->count + 1) * 2 > m->nslots) {
		if (!grow_index(m))
			return NULL;
		i = probe(m, key, n, h, &found);
	}
	entry *en = &m->entries[m->count];
	en->key = copy;
	en->n = n;
	en->hash = h;
	en->value = 0;
	m->index[i] = (uint32_t)(m->count + 1);
	m->count++;
	return &en->value;
}

const uint64_t *strmap_find(const strmap *m, const void *key, size_t n)
{
	bool found;
	size_t i = probe(m, key, n, strmap_hash(key, n), &found);
	return found ? &m->entries[m->index[i] - 1].value : NULL;
}

size_t strmap_count(const strmap *m)
{
	return m->count;
}

void strmap_entry(const strmap *m, size_t i, const char **key, size_t *n, uint64_t *value)
{
	*key = m->entries[i].key;
	*n = m->entries[i].n;
	*value = m->entries[i].value;
}
