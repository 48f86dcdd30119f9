/*
 * detectrun.c — rule detection in the index workers (see detectrun.h).
 *
 * One sigma_detector and one output buffer per thread number; the indexer
 * copies the bytes before the thread's next call. A record whose body is
 * external is stored "deferred": its derived text exists only once the
 * replay has joined the body to it, so only the replay can judge it.
 */
#include "config.h"

#include "pipeline/detectrun.h"

#include <stdlib.h>

#include "common/buf.h"

typedef struct det_thread {
	sigma_detector *det;
	buf out;
} det_thread;

struct detectrun {
	det_thread *t;
	unsigned n;
};

detectrun *detectrun_new(const sigma_ruleset *rs, unsigned threads)
{
	detectrun *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	d->t = calloc(threads ? threads : 1, sizeof *d->t);
	if (d->t == NULL) {
		free(d);
		return NULL;
	}
	d->n = threads;
	for (unsigned i = 0; i < threads; i++) {
		buf_init(&d->t[i].out, 0);
		if ((d->t[i].det = sigma_detector_new(rs)) == NULL) {
			detectrun_free(d);
			return NULL;
		}
	}
	return d;
}

void detectrun_free(detectrun *d)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; i < d->n; i++) {
		sigma_detector_free(d->t[i].det);
		buf_free(&d->t[i].out);
	}
	free(d->t);
	free(d);
}

lt_status detectrun_detect(void *ctx, unsigned thread, const event *ev, detblock_entry *out, lt_error *err)
{
	detectrun *d = ctx;
	*out = (detblock_entry){NULL, 0, false};
	if (thread >= d->n)
		return lt_error_set(err, LT_EFATAL, "detection: thread %u of %u", thread, d->n);
	if (ev->flags & EV_F_BODY_EXTERNAL) {
		out->deferred = true;
		return LT_OK;
	}
	det_thread *t = &d->t[thread];
	const sigma_detection *det = NULL;
	if (sigma_detect(t->det, ev, &det) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory while matching");
	if (sigma_detection_empty(det))
		return LT_OK;
	buf_reset(&t->out);
	if (sigma_detection_encode(det, &t->out) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory storing a detection");
	out->bytes = t->out.data;
	out->n = t->out.len;
	return LT_OK;
}

lt_status detectrun_stored(const sigma_ruleset *rs, const detblock_entry *stored, arena *a,
                           const sigma_detection **det, lt_error *err)
{
	*det = NULL;
	if (stored == NULL || stored->deferred)
		return LT_OK;
	return sigma_detection_decode(rs, stored->bytes, stored->n, a, det, err);
}
