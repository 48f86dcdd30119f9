/*
 * lookalike.h — does a JSON document that no format took hold records we
 * would have read in a shape we do not know? (DESIGN.md §3: nothing lost,
 * nothing hidden.)
 *
 * A wrapper we have never seen ({"results":[<CloudTrail record>,..]}, a log
 * shipper's {"log":"<invocation record JSON>"}) would otherwise be filed as a
 * body object or "not evidence" in silence. lookalike_find looks, near the
 * top of the document only (depth <= LOOKALIKE_MAX_DEPTH, at most
 * LOOKALIKE_MAX_NODES values), for an object that classifies as a CloudTrail,
 * invocation or knowledge base log record, or a string holding one (judged by
 * its keys, without parsing it). Deeper values are not looked at, so the
 * text of a prompt inside a request body is never taken for a record.
 *
 * Ownership: nothing is kept; where is written into the caller's buffer.
 */
#ifndef LLMTRAIL_INGEST_LOOKALIKE_H
#define LLMTRAIL_INGEST_LOOKALIKE_H

#include <stddef.h>

#include "ingest/json.h"

#define LOOKALIKE_MAX_DEPTH 4
#define LOOKALIKE_MAX_NODES 100000

/* NULL if nothing looks like a record; else what it looks like ("CloudTrail
 * records", "model invocation log records", "knowledge base log records")
 * and, in where (cap bytes, NUL-terminated, keys cut and made printable), the
 * path of the first one found ("results[0]", "items[2].log"). The document
 * itself is not judged (depth 0): a record there was already taken. */
const char *lookalike_find(const json_value *doc, char *where, size_t cap);

#endif
