/*
 * rtext.h — escaping of untrusted text for each output sink of the writers.
 *
 * Every string a report shows may come from evidence or from a rule file, so
 * every writer sends every string through exactly one of these functions,
 * chosen by the context the bytes land in. The functions never fail; they
 * write to a FILE* and the writer checks ferror() once at the end.
 *
 * Common rules, for every sink:
 *  - invalid UTF-8 (bad bytes, overlongs, surrogates, > U+10FFFF) is shown
 *    as the visible text "\xNN" per byte;
 *  - characters that are invisible or reorder text — C0/C1 controls, DEL,
 *    bidi embeddings/overrides/isolates/marks (U+202A–U+202E, U+2066–U+2069,
 *    U+200E/F, U+061C), zero-width characters, U+2028/9, BOM, soft hyphen,
 *    Unicode tag characters (U+E0000–U+E007F, used to smuggle text to LLMs),
 *    variation selectors supplement, U+FFFE/U+FFFF — are shown as visible
 *    escapes: "\n", "\t", "\r", "\xNN" for bytes below U+0100, "\uXXXX"
 *    or "\u{XXXXX}" above. RTEXT_KEEP_NL keeps '\n' and '\t' as they are.
 * In HTML element text the visible escapes are wrapped in
 * <span class="esc">…</span> so that a reader can tell them from literal
 * backslashes; everywhere else they are plain text.
 */
#ifndef LLMTRAIL_REPORTS_RTEXT_H
#define LLMTRAIL_REPORTS_RTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"

#define RTEXT_KEEP_NL 0x1u /* keep '\n' and '\t' instead of escaping them */
#define RTEXT_ATTR 0x2u    /* XML: attribute value (also escape \n \t as char refs) */

/* Decodes one strict UTF-8 character from p[0..n) into *cp; returns its
 * length (1..4), or 0 if the bytes at p are not valid UTF-8. n must be > 0. */
size_t rtext_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* True for the characters shown as visible escapes (see above). */
bool rtext_is_invisible(uint32_t cp);

/* HTML element text (also safe inside a double-quoted attribute, minus the spans:
 * use rtext_html_attr there). */
void rtext_html(FILE *out, const char *p, size_t n, unsigned flags);
/* HTML double-quoted attribute value: visible escapes as plain text. */
void rtext_html_attr(FILE *out, const char *p, size_t n);

/* XML 1.0 text (flags 0 / RTEXT_KEEP_NL) or attribute value (RTEXT_ATTR).
 * Characters illegal in XML 1.0 never reach the output. */
void rtext_xml(FILE *out, const char *p, size_t n, unsigned flags);

/* A JSON string literal with its quotes (json_write_string: RFC 8259 escapes,
 * U+2028/9 escaped, invalid UTF-8 as \ufffd; other characters kept as they
 * are — JSON is data, the value must round-trip). The one exception to the
 * common rules above. */
void rtext_json(FILE *out, const char *p, size_t n);

/* One RFC 4180 CSV cell (lt_csv_cell, common/textesc.h, which appends it to
 * a buf): quoted when it holds , " CR LF or starts or ends with a space; a
 * cell starting with = + - @ TAB or CR is prefixed with ' so that a
 * spreadsheet does not run it as a formula. */
void rtext_csv(FILE *out, const char *p, size_t n);

/* Inline CommonMark/GFM text: every ASCII punctuation character is
 * backslash-escaped (no link, image, autolink, HTML, emphasis or table cell
 * break can form), newlines become visible "\n". */
void rtext_md(FILE *out, const char *p, size_t n);

#endif
