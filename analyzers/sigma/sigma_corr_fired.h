/*
 * sigma_corr_fired.h — what a correlation rule hands out when it fires: the
 * places of the events of its window (sigma_corr_event) and the window's
 * group, span and value (sigma_corr_fired), and the limits of the windows.
 *
 * Plain types and constants shared by the engine's public API (sigma.h,
 * whose sigma_hit carries a fired correlation) and the correlation state
 * machine (sigma_corr.h, which fills them). Kept apart so that sigma_corr,
 * which sigma.c drives, does not include sigma.h back (the sigma.h <->
 * sigma_corr.h back-edge of issue 15). Ownership: a sigma_corr_fired borrows
 * its group and events from the correlation until its next feed, expire or
 * reset.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_CORR_FIRED_H
#define LLMTRAIL_ANALYZERS_SIGMA_CORR_FIRED_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/event.h"

/* Correlation windows keep at most this many events of one group, and all
 * of a ruleset's windows together at most SIGMA_CORR_MAX_EVENTS (by
 * default; ruleset_set_corr_budget), 32 bytes each. */
#define SIGMA_CORR_MAX_WINDOW 10000u
#define SIGMA_CORR_MAX_EVENTS 8000000u

/* An event that took part in a correlation: where it is in the replay, not
 * what it holds (a window keeps thousands of events, a finding shows a few).
 * (source, time_us, tie) finds it again in the case (store/replay.h); seq is
 * its position in the replay that was matched. */
typedef struct sigma_corr_event sigma_corr_event;
struct sigma_corr_event {
	int64_t time_us;
	ev_source source;
	uint32_t tie; /* event.tie */
	uint64_t seq; /* event.seq */
};

/* A correlation rule that fired on this event (the last one it needed). */
typedef struct sigma_corr_fired {
	const char *group;   /* "field=value, field=value" ("" without group-by) */
	int64_t first_us, last_us;
	double value;        /* the count, sum or average that met the condition */
	const sigma_corr_event *events; /* the matched events of the window, oldest first */
	size_t nevents;
} sigma_corr_fired;

#endif
