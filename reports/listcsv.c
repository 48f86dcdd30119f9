/*
 * listcsv.c — integrity.csv and custody.csv (see listcsv.h).
 *
 * One row is built in a buffer (cells through lt_csv_cell, numbers in
 * decimal) and written at once; nothing else is kept, so a custody of any
 * length streams. The first write error is reported once, naming the file.
 */
#include "reports/listcsv.h"

#include <inttypes.h>

#include "common/buf.h"
#include "common/textesc.h"

typedef struct row {
	buf b;
	size_t cells; /* in the row being built */
	lt_status st;
} row;

static void text(row *w, rpt_str s)
{
	if (w->st == LT_OK && w->cells++)
		w->st = buf_putc(&w->b, ',');
	if (w->st == LT_OK)
		w->st = lt_csv_cell(&w->b, s.p, s.n, 0);
}

static void number(row *w, uint64_t v)
{
	char d[24];
	snprintf(d, sizeof d, "%" PRIu64, v);
	text(w, rpt_s(d));
}

/* Ends the row and writes it; false when out of memory (err set). */
static bool flush_row(row *w, FILE *out, const char *name, lt_error *err)
{
	if (w->st == LT_OK)
		w->st = buf_puts(&w->b, "\r\n");
	if (w->st != LT_OK) {
		lt_error_set(err, LT_EFATAL, "%s: out of memory", name);
		return false;
	}
	fwrite(w->b.data, 1, w->b.len, out);
	buf_reset(&w->b);
	w->cells = 0;
	return true;
}

static lt_status finish(row *w, FILE *out, const char *name, bool ok, lt_error *err)
{
	buf_free(&w->b);
	if (!ok)
		return err->status;
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, name);
	return LT_OK;
}

lt_status report_write_integrity_csv(const report *r, FILE *out, lt_error *err)
{
	row w = {.st = LT_OK};
	buf_init(&w.b, 0);
	fputs("object,check,status,detail\r\n", out);
	bool ok = true;
	for (size_t i = 0; ok && i < report_nintegrity(r); i++) {
		const rpt_integrity *g = report_integrity(r, i);
		text(&w, g->object);
		text(&w, g->check);
		text(&w, rpt_s(rpt_check_name(g->status)));
		text(&w, g->detail);
		ok = flush_row(&w, out, LISTCSV_INTEGRITY, err);
	}
	return finish(&w, out, LISTCSV_INTEGRITY, ok, err);
}

lt_status report_write_custody_csv(const report *r, FILE *out, lt_error *err)
{
	row w = {.st = LT_OK};
	buf_init(&w.b, 0);
	fputs("evidence,member,format,bytes,sha256,sha256_decompressed,events,duplicates,problems\r\n", out);
	bool ok = true;
	for (size_t i = 0; ok && i < report_nevidence(r); i++) {
		const rpt_evidence *e = report_evidence(r, i);
		text(&w, e->path);
		text(&w, e->member);
		text(&w, e->format);
		number(&w, e->size);
		text(&w, e->sha256);
		text(&w, e->sha256_decompressed);
		number(&w, e->events);
		number(&w, e->duplicates);
		number(&w, e->problems);
		ok = flush_row(&w, out, LISTCSV_CUSTODY, err);
	}
	return finish(&w, out, LISTCSV_CUSTODY, ok, err);
}
