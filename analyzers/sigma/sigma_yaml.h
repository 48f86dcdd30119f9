/*
 * sigma_yaml.h — YAML files as small trees, for the Sigma rule loader.
 *
 * libyaml parses; this module copies each document into a tree of
 * sigma_ynode that knows the line and column of every node (1-based), whether
 * a scalar was quoted, and that can be merged (Sigma rule collections merge a
 * global document into the documents after it).
 *
 * Ownership: every node and string lives in the arena passed to
 * sigma_yaml_load; they stay valid until that arena is reset or freed.
 *
 * Limits: a file larger than SIGMA_YAML_MAX_BYTES, nesting deeper than
 * SIGMA_YAML_MAX_DEPTH or more than SIGMA_YAML_MAX_NODES nodes (aliases
 * expanded) is an error, not an out-of-memory kill.
 *
 * Errors: LT_EFILE with err->line set and a message saying what is wrong
 * (libyaml's problem text, or which limit was exceeded).
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_YAML_H
#define LLMTRAIL_ANALYZERS_SIGMA_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/error.h"

#define SIGMA_YAML_MAX_BYTES (4u * 1024u * 1024u)
#define SIGMA_YAML_MAX_DEPTH 64
#define SIGMA_YAML_MAX_NODES 200000u
#define SIGMA_YAML_MAX_DOCS 10000u

typedef enum sigma_ytype { SIGMA_Y_SCALAR = 0, SIGMA_Y_SEQ, SIGMA_Y_MAP } sigma_ytype;

typedef struct sigma_ynode sigma_ynode;
typedef struct sigma_ypair {
	sigma_ynode *key; /* always a scalar */
	sigma_ynode *value;
} sigma_ypair;

struct sigma_ynode {
	sigma_ytype type;
	unsigned line; /* 1-based */
	unsigned col;  /* 1-based */
	bool quoted;   /* scalar written in quotes or as a block scalar */
	const char *s; /* scalar text, NUL-terminated (may hold NULs: use n) */
	size_t n;
	size_t len; /* SEQ: items; MAP: pairs */
	sigma_ynode **items;
	sigma_ypair *pairs;
};

/* Parses every document of text[0..len). *docs receives an arena array of
 * *ndocs roots (an empty document gives no root). */
lt_status sigma_yaml_load(arena *a, const char *text, size_t len, sigma_ynode ***docs,
                          size_t *ndocs, lt_error *err) LT_WUR;

/* Map member by key (the last one if repeated); NULL if absent or n is not a map. */
const sigma_ynode *sigma_yaml_get(const sigma_ynode *n, const char *key);
/* A scalar's text, or NULL if n is NULL or not a scalar. */
const char *sigma_yaml_str(const sigma_ynode *n);
/* True for an unquoted null scalar: empty, "~", "null", "Null", "NULL". */
bool sigma_yaml_is_null(const sigma_ynode *n);
/* True for an unquoted true/false scalar; *value receives it. */
bool sigma_yaml_bool(const sigma_ynode *n, bool *value);

/* Deep merge of two maps (for rule collections): members of over replace or
 * are merged into those of base; a new map in a (NULL if out of memory).
 * Non-map arguments: over wins. */
sigma_ynode *sigma_yaml_merge(arena *a, const sigma_ynode *base, const sigma_ynode *over);

#endif
