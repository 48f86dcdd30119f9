/*
 * report_fixture.h — report models shared by the reports/ unit tests and the
 * HTML end-to-end test: a small ordinary case, and a hostile one whose every
 * string field carries an injection payload (HTML, CSS, Markdown, CSV
 * formulas, bidi overrides, control bytes, invalid UTF-8).
 */
#ifndef LLMTRAIL_TESTS_REPORT_FIXTURE_H
#define LLMTRAIL_TESTS_REPORT_FIXTURE_H

#include <stdio.h>

#include "model/report.h"

/* The payloads, in the order fixture_hostile uses them. */
extern const char *const fixture_payloads[];
extern const size_t fixture_npayloads;

/* Fixed run time used by the fixtures: 2024-05-01T12:00:00Z. */
#define FIXTURE_RUN_US (1714564800LL * 1000000LL)

/* A small case: two packs, rules with every outcome, three findings, evidence,
 * a problem, a chart, a table and integrity rows. NULL on failure. */
report *fixture_plain(void);

/* The same shape with payloads in every string. NULL on failure. */
report *fixture_hostile(void);

/* A case with n findings spread over nrules rules (for size tests). */
report *fixture_many(size_t n, size_t nrules);

/* A case whose every string is random bytes (any value 0..255, lengths
 * 0..80) from a fixed-seed generator: the same seed, the same report. */
report *fixture_random(uint32_t seed);

/* Runs a writer into memory: the output (NUL-terminated, free() it) or NULL
 * when the writer failed. *status receives the writer's status. */
typedef lt_status (*fixture_writer)(const report *r, FILE *out, lt_error *err);
char *fixture_render(fixture_writer fn, const report *r, lt_status *status);

/* Number of non-overlapping occurrences of needle in hay. */
size_t fixture_count(const char *hay, const char *needle);

#endif
