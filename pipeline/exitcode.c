/*
 * exitcode.c — combining the conditions of a run into one exit code
 * (precedence and meanings: exitcode.h).
 */
#include "pipeline/exitcode.h"

#include <stdio.h>

static const int precedence[] = {LT_EXIT_FATAL, LT_EXIT_USAGE, LT_EXIT_UNREADABLE,
                                 LT_EXIT_FINDINGS};

void exit_state_note(exit_state *s, int code)
{
	if (code > 0 && code <= LT_EXIT_FATAL)
		s->seen |= 1u << code;
}

int exit_state_code(const exit_state *s)
{
	int code = LT_EXIT_CLEAN, count = 0;
	for (size_t i = 0; i < sizeof precedence / sizeof precedence[0]; i++) {
		if (s->seen & (1u << precedence[i])) {
			if (code == LT_EXIT_CLEAN)
				code = precedence[i];
			count++;
		}
	}
	if (count > 1) {
		fprintf(stderr, "llmtrail: exit conditions:");
		for (int c = 1; c <= LT_EXIT_FATAL; c++)
			if (s->seen & (1u << c))
				fprintf(stderr, " %d (%s)", c, exit_code_meaning(c));
		fprintf(stderr, "; exiting %d\n", code);
	}
	return code;
}

const char *exit_code_meaning(int code)
{
	switch (code) {
	case LT_EXIT_CLEAN:
		return "clean";
	case LT_EXIT_FINDINGS:
		return "findings at or above --fail-on, or a failed control";
	case LT_EXIT_USAGE:
		return "usage or rule error";
	case LT_EXIT_UNREADABLE:
		return "some evidence unreadable";
	case LT_EXIT_FATAL:
		return "fatal error";
	default:
		return "unknown";
	}
}
