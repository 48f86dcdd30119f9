/*
 * rulesdir.h — where the shipped rule packs are, found without configuration.
 *
 * In order: $LLMTRAIL_RULES_DIR when set; the source tree's rules/ when the
 * running binary is the one in this build tree (so a developer's build never
 * picks up an older installed copy, and `make distcheck` finds the packs of the
 * tree it builds); the installed data dir ($(pkgdatadir)/rules); rules/ beside
 * the binary or in its parent folder.
 */
#ifndef LLMTRAIL_PIPELINE_RULESDIR_H
#define LLMTRAIL_PIPELINE_RULESDIR_H

#include <stddef.h>

/* Writes the folder into out and returns out, or NULL if none exists. */
const char *rulesdir_find(char *out, size_t n);

#endif
