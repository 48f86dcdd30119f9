/*
 * lookalike.c — records in a shape we do not know (see lookalike.h).
 *
 * A depth-first walk with a node budget; the path is built in a small stack
 * buffer as the walk goes down and cut back on the way up. Records are judged
 * by the classifiers the decoders use (cloudtrail_is_record, ...), strings by
 * their keys only: a quoted key pair a record of that kind always has.
 */
#include "config.h"

#include "ingest/lookalike.h"

#include <stdio.h>
#include <string.h>

#include "ingest/bedrock.h"
#include "ingest/cloudtrail.h"
#include "ingest/kblog.h"

#define KEY_SHOWN 40

typedef struct look {
	char path[256];
	size_t plen;
	size_t nodes;
	const char *kind;
} look;

static const char *object_kind(const json_value *v)
{
	if (bedrock_is_record(v))
		return "model invocation log records";
	if (cloudtrail_is_record(v))
		return "CloudTrail records";
	if (kblog_is_record(v))
		return "knowledge base log records";
	return NULL;
}

static bool has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

static const char *string_kind(const json_value *v)
{
	size_t i = 0;
	while (i < v->len && (v->u.s[i] == ' ' || v->u.s[i] == '\n' || v->u.s[i] == '\t' || v->u.s[i] == '\r'))
		i++;
	if (i >= v->len || v->u.s[i] != '{')
		return NULL;
	const char *p = v->u.s;
	size_t n = v->len;
	if (has(p, n, "\"schemaType\"") && has(p, n, "\"ModelInvocationLog\""))
		return "model invocation log records";
	if (has(p, n, "\"eventVersion\"") && has(p, n, "\"eventSource\""))
		return "CloudTrail records";
	if (has(p, n, "\"event_timestamp\"") && has(p, n, "\"knowledge_base_arn\""))
		return "knowledge base log records";
	return NULL;
}

static size_t append(look *l, const char *piece)
{
	size_t at = l->plen, pn = strlen(piece);
	if (l->plen + pn < sizeof l->path) {
		memcpy(l->path + l->plen, piece, pn + 1);
		l->plen += pn;
	}
	return at;
}

static size_t push_index(look *l, size_t idx)
{
	char piece[32];
	snprintf(piece, sizeof piece, "[%zu]", idx);
	return append(l, piece);
}

static size_t push_key(look *l, const char *s, size_t n)
{
	char piece[KEY_SHOWN + 2];
	size_t k = 0;
	if (l->plen > 0)
		piece[k++] = '.';
	for (size_t i = 0; i < n && i < KEY_SHOWN; i++)
		piece[k++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	piece[k] = '\0';
	return append(l, piece);
}

static void pop(look *l, size_t at)
{
	l->plen = at;
	l->path[at] = '\0';
}

static void walk(look *l, const json_value *v, unsigned depth)
{
	if (l->kind != NULL || ++l->nodes > LOOKALIKE_MAX_NODES)
		return;
	if (depth > 0) {
		l->kind = v->type == JSON_OBJECT ? object_kind(v) : v->type == JSON_STRING ? string_kind(v) : NULL;
		if (l->kind != NULL || depth >= LOOKALIKE_MAX_DEPTH)
			return;
	}
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->len && l->kind == NULL; i++) {
			size_t at = push_index(l, i);
			walk(l, &v->u.items[i], depth + 1);
			if (l->kind == NULL)
				pop(l, at);
		}
	} else if (v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->len && l->kind == NULL; i++) {
			const json_member *m = &v->u.members[i];
			size_t at = push_key(l, m->key, m->key_len);
			walk(l, &m->value, depth + 1);
			if (l->kind == NULL)
				pop(l, at);
		}
	}
}

const char *lookalike_find(const json_value *doc, char *where, size_t cap)
{
	if (where != NULL && cap > 0)
		where[0] = '\0';
	if (doc == NULL)
		return NULL;
	look l;
	memset(&l, 0, sizeof l);
	walk(&l, doc, 0);
	if (l.kind != NULL && where != NULL && cap > 0)
		snprintf(where, cap, "%s", l.path);
	return l.kind;
}
