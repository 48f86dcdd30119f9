/*
 * term.h — what the terminal gets: colour or not, and the colour of a level.
 *
 * Colour is decided once, in main, from --color=auto|always|never (default
 * auto), the NO_COLOR convention (https://no-color.org: set and non-empty
 * means no colour unless --color=always) and whether the stream is a
 * terminal. Only cmd/ prints to the terminal, so only cmd/ includes this.
 * Evidence text is never coloured by its own bytes: callers escape it first
 * (case_escape_text) and colour only what they write themselves.
 */
#ifndef LLMTRAIL_PIPELINE_TERM_H
#define LLMTRAIL_PIPELINE_TERM_H

#include <stdbool.h>
#include <stdio.h>

typedef enum term_color_mode { TERM_COLOR_AUTO = 0, TERM_COLOR_ALWAYS, TERM_COLOR_NEVER } term_color_mode;

/* Parses "auto", "always", "never" (also "yes"/"no"); returns false otherwise. */
bool term_color_parse(const char *s, term_color_mode *out);
/* Sets the mode for the rest of the run (main calls it once). */
void term_set_color(term_color_mode m);

/* The SGR sequence that starts text of a level ("informational" .. "critical",
 * "pass", "fail", "not gated", "incomplete", "no evidence", any case) and the one
 * that ends it; both "" when f gets no colour or the name is unknown. */
const char *term_level_on(FILE *f, const char *level);
const char *term_off(FILE *f);

#endif
