/*
 * status.h — lt_status, the result of every fallible call (its meaning is
 * in error.h, with the lt_error record that explains a failure), and the
 * attribute macros LT_WUR and LT_PRINTF.
 *
 * Apart from error.h so that the bounded buffer (buf.h) and the escaping
 * rules (textesc.h), which error.c uses to format messages, need not
 * include error.h back: common/error -> textesc -> buf was a cycle
 * (issue 15). Include error.h, not this, unless you are one of those.
 */
#ifndef LLMTRAIL_COMMON_STATUS_H
#define LLMTRAIL_COMMON_STATUS_H

/* The text of a macro's value, as a string literal: LT_STR(RECONCILE_GAP_DAYS) is "40". */
#define LT_STR_(x) #x
#define LT_STR(x) LT_STR_(x)

#if defined(__GNUC__)
#define LT_WUR __attribute__((warn_unused_result))
#define LT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LT_WUR
#define LT_PRINTF(fmt, args)
#endif

typedef enum lt_status {
	LT_OK = 0,
	LT_EITEM = 1,
	LT_EFILE = 2,
	LT_EFATAL = 3
} lt_status;

#endif
