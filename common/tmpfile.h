/*
 * tmpfile.h — scratch files for data too large to hold: unlinked at once
 * (gone with the descriptor, also after a crash), in $TMPDIR (else /tmp).
 *
 * Errors name the folder (lt_tmpfile) or say why a write failed; the caller
 * prefixes what the file was for (what, e.g. "hit log"). Both LT_EFATAL:
 * without scratch space the run cannot go on.
 */
#ifndef LLMTRAIL_COMMON_TMPFILE_H
#define LLMTRAIL_COMMON_TMPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A new unlinked file "<dir>/llmtrail-<tag>-XXXXXX": its descriptor, or -1
 * with err set ("<what>: cannot create a file in <dir>: <reason>"). */
int lt_tmpfile(const char *tag, const char *what, lt_error *err);

/* Writes p[0..n) at offset off, retrying short writes and EINTR. */
lt_status lt_write_at(int fd, const void *p, size_t n, uint64_t off, const char *what, lt_error *err) LT_WUR;

/* Reads exactly n bytes at offset off into p, retrying short reads and EINTR;
 * a file shorter than off + n is an error ("cut short"). */
lt_status lt_read_at(int fd, void *p, size_t n, uint64_t off, const char *what, lt_error *err) LT_WUR;

#endif
