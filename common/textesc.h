/*
 * textesc.h — the one set of rules for showing untrusted text: which
 * characters are invisible or reorder text, how they and invalid UTF-8 are
 * shown as visible escapes, and an escaper for terminal text built on them.
 *
 * Rules (the reports' rtext.h follows the same): invalid UTF-8 (bad bytes,
 * overlongs, surrogates, > U+10FFFF) is shown as "\xNN" per byte; C0/C1
 * controls, DEL, bidi embeddings/overrides/isolates/marks (U+202A–U+202E,
 * U+2066–U+2069, U+200E/F, U+061C), zero-width characters, U+2028/9, BOM,
 * soft hyphen, tag characters (U+E0000–U+E007F), variation selectors
 * supplement and U+FFFE/U+FFFF are shown as "\n", "\t", "\r", "\xNN" (below
 * U+0100), "\uXXXX" or "\u{XXXXX}". Everything else is kept as it is.
 *
 * Everything printed to a terminal (errors, progress, timeline, show's
 * provenance) goes through lt_escape; nothing here allocates but the buf.
 */
#ifndef LLMTRAIL_COMMON_TEXTESC_H
#define LLMTRAIL_COMMON_TEXTESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Decodes one strict UTF-8 character from p[0..n) (n > 0) into *cp; returns
 * its length (1..4), or 0 if the bytes at p are not valid UTF-8. */
size_t lt_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* True for the characters shown as visible escapes (see above). */
bool lt_is_invisible(uint32_t cp);

/* The visible escape of a character (invalid: c is a raw byte of invalid
 * UTF-8) into out; returns its length. */
size_t lt_visible_escape(uint32_t c, bool invalid, char out[16]);

#define LT_ESC_BACKSLASH 0x1u /* also show '\' as "\\", so escapes and text can be told apart */
#define LT_ESC_KEEP_TAB 0x2u  /* keep '\t' as it is */
#define LT_ESC_KEEP_NL 0x4u   /* keep '\n' as it is */

/* Escapes p[0..n) by the rules above, giving the pieces to put(ctx, s, len). */
void lt_escape(const char *p, size_t n, unsigned flags, void (*put)(void *ctx, const char *s, size_t len),
               void *ctx);

/* lt_escape appended to out. LT_EFATAL when out of memory. */
lt_status lt_escape_buf(buf *out, const char *p, size_t n, unsigned flags) LT_WUR;

/* One RFC 4180 CSV cell appended to out (reports' timeline.csv, `stats`
 * and metrics tables, `timeline --format csv`): invisible characters as
 * visible escapes by the rules above, '\n' and '\t' kept; quoted when it
 * holds , " or a newline, or starts or ends with a space, quotes doubled; a
 * cell starting with = + - @ TAB or CR is quoted and prefixed with ' so that
 * a spreadsheet does not run it as a formula. LT_CSV_QUOTE_SPACE: also
 * quoted when it holds a space anywhere (`timeline --format csv`, read with
 * line tools). LT_EFATAL out of memory. */
#define LT_CSV_QUOTE_SPACE 0x1u
lt_status lt_csv_cell(buf *out, const char *p, size_t n, unsigned flags) LT_WUR;

#endif
