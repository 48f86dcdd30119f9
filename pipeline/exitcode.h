/*
 * exitcode.h — llmtrail's exit codes, in one place (also in docs/llmtrail.1
 * and README.md; tests/e2e/test_cli.sh holds the three together).
 *
 *   0  clean: everything read, no finding at or above --fail-on
 *   1  findings at or above --fail-on, or a failed control with --fail-on-control
 *   2  usage error or rule error (a rule file that does not load)
 *   3  some evidence was unreadable; the rest was analysed
 *   4  fatal: the run could not complete (case index unwritable, out of memory)
 *
 * When several apply, the precedence is 4 > 2 > 3 > 1 > 0: the code names the
 * most fundamental problem (an incomplete analysis outranks its findings), and
 * every condition that applied is also said on stderr.
 */
#ifndef LLMTRAIL_PIPELINE_EXITCODE_H
#define LLMTRAIL_PIPELINE_EXITCODE_H

enum {
	LT_EXIT_CLEAN = 0,
	LT_EXIT_FINDINGS = 1,
	LT_EXIT_USAGE = 2,
	LT_EXIT_UNREADABLE = 3,
	LT_EXIT_FATAL = 4
};

/* Conditions seen during a run, combined into one exit code at the end. */
typedef struct exit_state {
	unsigned seen; /* bit (1 << code) for each code that applied */
} exit_state;

void exit_state_note(exit_state *s, int code);
/* The code by precedence; prints "exit conditions: ..." on stderr when more than one applied. */
int exit_state_code(const exit_state *s);
/* One-line description of a code, as in the man page. */
const char *exit_code_meaning(int code);

#endif
