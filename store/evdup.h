/*
 * evdup.h — telling a re-delivered copy of an event from a conflicting one
 * (docs/case-schema.md "De-duplication", docs/integrity.md "Conflicting
 * copies").
 *
 * The merge (store/evmerge.h) puts the rows with the same (time, source, uid)
 * next to each other and flags every row after the first as a duplicate.
 * evdup_judge looks at the content of such rows: a row whose canonical
 * content (the record parsed as JSON, object keys sorted, spacing and string
 * escapes normalised, hashed with SHA-256) equals that of a row already kept
 * in its group is a true re-delivery (EVDUP_COPY, dropped); any other row is
 * EVDUP_CONFLICT: kept, and described against the group's first row (the
 * top-level fields that differ and whether they touch identity, action,
 * parameters or outcome). Content is read only for groups with more than one
 * row, through a replay's chunk cache (store/replay.h), so a case without
 * duplicates costs nothing and memory is bounded by that cache, one record
 * pair and EVDUP_KEPT_MAX hashes. A row whose content cannot be read is a
 * conflict (never dropped unseen); past EVDUP_KEPT_MAX distinct contents in
 * one group, further rows are conflicts without being compared.
 *
 * The indexer records the conflicts in the case's `conflicts` table
 * (writer_dedup); evdup_each_conflict reads them back with both locations
 * for messages and findings.
 *
 * Ownership: an evdup borrows the case_db (it must outlive it). Strings of an
 * evdup_conflict_row are valid during the callback only.
 * Failures: LT_EFATAL on SQL errors or out of memory.
 */
#ifndef LLMTRAIL_STORE_EVDUP_H
#define LLMTRAIL_STORE_EVDUP_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ingest/json.h"
#include "store/case.h"
#include "store/evmerge.h"

#define EVDUP_KEPT_MAX 16      /* distinct contents remembered per group */
#define EVDUP_FIELDS_MAX 256   /* bytes of the differing-fields list */

typedef enum evdup_verdict {
	EVDUP_FIRST = 0, /* the first row of its (time, source, uid) group */
	EVDUP_COPY,      /* same content as a row kept: a re-delivery, dropped */
	EVDUP_CONFLICT   /* same id, other content: kept */
} evdup_verdict;

typedef struct evdup_conflict {
	int64_t first_member_id; /* the group's first row, the one it differs from */
	uint64_t first_line, first_offset;
	int high; /* a differing field touches identity, action, parameters or outcome */
	char fields[EVDUP_FIELDS_MAX]; /* ", "-joined top-level keys that differ */
} evdup_conflict;

typedef struct evdup evdup;

lt_status evdup_new(case_db *c, evdup **out, lt_error *err) LT_WUR;
/* Every item of one merge, in order. *cf is filled when the verdict is EVDUP_CONFLICT. */
lt_status evdup_judge(evdup *d, const evmerge_item *it, evdup_verdict *verdict, evdup_conflict *cf,
                      lt_error *err) LT_WUR;
void evdup_free(evdup *d);

/* The canonical hash of a JSON value (see above); 0 or LT_EFATAL (out of memory in a). */
lt_status evdup_json_hash(const json_value *v, arena *a, unsigned char out[32]) LT_WUR;
/* The top-level keys whose values differ between a and b (objects; otherwise
 * "(record)"), sorted, ", "-joined into fields (cut with "..." at cap bytes).
 * Returns 1 when one of them touches identity, action, parameters or outcome
 * (userIdentity, eventName, eventSource, requestParameters, sourceIPAddress,
 * identity, operation, modelId, input, output, ...), else 0; -1 out of memory. */
int evdup_diff(const json_value *a, const json_value *b, arena *ar, char *fields, size_t cap);

/* One recorded conflict with both locations resolved. */
typedef struct evdup_conflict_row {
	const char *source;   /* "cloudtrail", "invocation" */
	const char *uid;
	int64_t time_us;
	const char *evidence, *member; /* the conflicting copy */
	uint64_t line, offset;
	const char *first_evidence, *first_member; /* the copy kept first */
	uint64_t first_line, first_offset;
	const char *level;  /* "high" or "medium" */
	const char *fields;
} evdup_conflict_row;

typedef lt_status (*evdup_conflict_fn)(void *ctx, const evdup_conflict_row *row, lt_error *err);
/* Calls fn for every conflict of the case in (time, source, uid) order; stops at
 * fn's first failure. A case without the table has none. */
lt_status evdup_each_conflict(case_db *c, evdup_conflict_fn fn, void *ctx, lt_error *err) LT_WUR;
/* One line: "cloudtrail ct-0001 at TIME: same id, other content: differs in F1, F2 (high) from WHERE: line N"
 * (escaped), WHERE being the first copy's evidence path and member, or with
 * short set, its member (the evidence file's name for a plain file), which
 * keeps absolute paths out of report excerpts. */
lt_status evdup_describe(const evdup_conflict_row *row, int short_where, buf *out) LT_WUR;

#endif
