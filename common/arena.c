/*
 * arena.c — bump allocator over a chain of malloc'd blocks (see arena.h).
 *
 * Blocks are singly linked, newest first. A request larger than the block size
 * gets a block of its own. Reset frees all blocks but the oldest (the one that
 * every later allocation round will need again) and rewinds it.
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_BLOCK (64 * 1024)

typedef struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
} block;

struct arena {
	block *head;       /* newest block */
	size_t block_size;
	size_t cap;        /* 0 = unlimited */
	size_t reserved;   /* bytes of all blocks' usable space */
	size_t used;       /* bytes handed out */
};

static size_t header_size(void)
{
	return (sizeof(block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static unsigned char *block_data(block *b)
{
	return (unsigned char *)b + header_size();
}

arena *arena_new(size_t block_size, size_t cap)
{
	arena *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->block_size = block_size != 0 ? block_size : ARENA_DEFAULT_BLOCK;
	a->cap = cap;
	return a;
}

void arena_free(arena *a)
{
	if (a == NULL)
		return;
	block *b = a->head;
	while (b != NULL) {
		block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

static block *add_block(arena *a, size_t need)
{
	size_t size = need > a->block_size ? need : a->block_size;
	if (a->cap != 0 && a->reserved + size > a->cap) {
		/* Near the cap, take only what is needed rather than a whole block. */
		if (a->reserved + need > a->cap)
			return NULL;
		size = need;
	}
	if (size > SIZE_MAX - header_size())
		return NULL;
	block *b = malloc(header_size() + size);
	if (b == NULL)
		return NULL;
	b->next = a->head;
	b->size = size;
	b->used = 0;
	a->head = b;
	a->reserved += size;
	return b;
}

void *arena_alloc(arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	block *b = a->head;
	if (b == NULL || b->size - b->used < rounded) {
		b = add_block(a, rounded);
		if (b == NULL)
			return NULL;
	}
	void *p = block_data(b) + b->used;
	b->used += rounded;
	a->used += rounded;
	return p;
}

void *arena_calloc(arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_reset(arena *a)
{
	block *b = a->head;
	if (b == NULL)
		return;
	while (b->next != NULL) {
		block *next = b->next;
		a->reserved -= b->size;
		free(b);
		b = next;
	}
	a->used = 0;
	if (b->size > a->block_size) {
		/* An oversized first block served one big request: do not keep it. */
		a->reserved -= b->size;
		free(b);
		a->head = NULL;
		return;
	}
	b->used = 0;
	a->head = b;
}

size_t arena_used(const arena *a)
{
	return a->used;
}

size_t arena_reserved(const arena *a)
{
	return a->reserved;
}
