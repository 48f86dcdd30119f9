/*
 * walk.c — walking folders and archives into whole in-memory members (walk.h).
 *
 * Folders: entries are read with openat() relative to an O_NOFOLLOW folder
 * descriptor, sorted bytewise, and classified with fstatat(AT_SYMLINK_NOFOLLOW):
 * folders recurse, regular files are evidence files, anything else is a note.
 *
 * Files: a file up to stream_threshold (16 MiB) is read whole in one pass,
 * hashed as read, and then treated like any member. A larger one is streamed
 * to libarchive through our own read/seek callbacks, which hash bytes in file
 * order as they pass (a cursor tracks how far the hash has got, so formats
 * that seek, like zip and 7z, still hash each byte once, in order); any gap
 * left by a seek is read at the end. If no format bids, or the archive has no
 * entries, the file is one leaf and is read whole from offset 0, or, above
 * map_threshold, mapped read-only and hashed through the mapping, dropping
 * each hashed slice's pages so the walk holds none of it in memory.
 *
 * Members: archive_read_data into one buffer per member, hashed as chunks
 * arrive, capped by max_member_bytes; past WALK_SPILL_BYTES the member goes
 * on into an unlinked scratch file instead, mapped once read, and when it is
 * an archive it is read from that file (unmapped), so nested levels do not
 * each hold a member in memory. Every byte read out of an archive is charged
 * to the run's budget (walk_options.budget). Bytes that plainly are JSON text (bare
 * or gzip'd, and no tar header) are leaves at once; other bytes are offered
 * to a fresh reader over memory: if a format bids and an entry follows they
 * are a nested archive (recursed, up to max_depth), else a leaf. When a
 * member's data kills the reader (a damaged deflate stream in a zip), an
 * archive held in memory is reopened past that member, so the rest is read.
 * Only non-executing filters/formats are enabled: no "raw" (every file would
 * be an archive), no "empty", no mtree (it opens files named in its text), no
 * external programs (lrzip/lzop/grzip), no uudecode.
 */
#include "config.h"
#include "common/sort.h"

#include "ingest/walk.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "common/tmpfile.h"
#include "ingest/gunzip.h"

#define IO_CHUNK ((size_t)1 << 20)
#define MAX_DIR_DEPTH 256u
#define MAX_HEADER_RETRIES 64u
#define MAX_HEADER_FAILURES 16u
#define MAX_RESUMES 64u /* fresh readers per archive after members that killed one */
#define UNKNOWN_SIZE_START ((size_t)64 << 10)
#define FIRST_ALLOC_MAX ((size_t)64 << 20) /* larger members grow (realloc) as they arrive */
#define SNIFF_BYTES 512                     /* one tar header */
#define ZIP_EOCD_SEARCH (65535 + 22)        /* end-of-central-directory record + comment */
#define ISO9660_MAGIC_AT 32769              /* "CD001" of the first volume descriptor */

typedef struct walker {
	walk_options opt;
	size_t max_member;        /* opt.max_member_bytes as a size_t */
	const walk_callbacks *cb;
	const char *evidence;     /* as given */
	char chain[WALK_CHAIN_MAX + 1];
	size_t chain_len;
	sha256_ctx *sha;          /* member hashing; free while a member is not being read */
	unsigned char *io;        /* IO_CHUNK bytes for file reads */
	lt_status worst;
	bool stop;                /* a callback or the walker hit LT_EFATAL */
	bool spent;               /* the run's decompressed-bytes budget is spent */
} walker;

/* A member's bytes while they are loaded. */
typedef struct mbuf {
	unsigned char *data; /* malloc'd, at least 1 byte; or mapped */
	size_t len;
	size_t alloc;
	bool partial;
	bool mapped;         /* data is a read-only mapping of len bytes */
	bool spilled;        /* the bytes are in the unlinked scratch file fd (data maps it, or NULL) */
	int fd;
	char sha[SHA256_HEX_LEN + 1];
} mbuf;

/* An evidence file being streamed to libarchive. */
typedef struct fsource {
	int fd;
	walker *w;
	uint64_t size;   /* from fstat, for SEEK_END */
	uint64_t pos;    /* next read offset */
	uint64_t hashed; /* bytes [0, hashed) are in sha */
	sha256_ctx *sha;
	int io_errno;    /* first read error, 0 if none */
} fsource;

/* ---- status and problems ---------------------------------------------- */

static void fold(walker *w, lt_status st)
{
	w->worst = lt_status_worst(w->worst, st);
	if (st == LT_EFATAL)
		w->stop = true;
}

static void problem(walker *w, lt_status st, const char *fmt, ...) LT_PRINTF(3, 4);

static void problem(walker *w, lt_status st, const char *fmt, ...)
{
	lt_error e;
	lt_error_clear(&e);
	lt_error_where(&e, w->evidence, w->chain, 0);
	e.status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	fold(w, st);
	if (w->cb->on_problem != NULL)
		fold(w, w->cb->on_problem(w->cb->ctx, &e));
}

static void out_of_memory(walker *w)
{
	problem(w, LT_EFATAL, "out of memory");
}

static const char *archive_msg(struct archive *a)
{
	const char *s = archive_error_string(a);
	return s != NULL ? s : "unknown libarchive error";
}

/* ---- the member chain ------------------------------------------------- */

static bool chain_push(walker *w, const char *name, size_t *saved)
{
	*saved = w->chain_len;
	size_t n = strlen(name), sep = w->chain_len > 0 ? 1 : 0;
	if (n + sep > WALK_CHAIN_MAX - w->chain_len) {
		problem(w, LT_EFILE, "member chain longer than %d bytes: member skipped", WALK_CHAIN_MAX);
		return false;
	}
	if (sep)
		w->chain[w->chain_len++] = '/';
	memcpy(w->chain + w->chain_len, name, n);
	w->chain_len += n;
	w->chain[w->chain_len] = '\0';
	return true;
}

static void chain_pop(walker *w, size_t saved)
{
	w->chain_len = saved;
	w->chain[saved] = '\0';
}

/* ---- libarchive readers ----------------------------------------------- */

/* RAR5's bidder is costly on every input (it made opening a small gzip'd
 * JSON member four times slower), so it is offered only bytes that start like
 * RAR5 or like a self-extracting executable. head may be NULL (unknown). */
static bool maybe_rar5(const unsigned char *head, size_t n)
{
	static const unsigned char sig[] = {'R', 'a', 'r', '!', 0x1a, 0x07, 0x01, 0x00};
	if (head == NULL)
		return true;
	return (n >= sizeof sig && memcmp(head, sig, sizeof sig) == 0) ||
		(n >= 2 && head[0] == 'M' && head[1] == 'Z') ||
		(n >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0);
}

/* Filters only when the library is linked in: otherwise libarchive would
 * run an external program on evidence. */
/* The compression a stream's magic names. Where the magic decides, only that
 * filter is offered: libarchive's bidding also offers the legacy .lzma filter,
 * which has no magic and can outbid bzip2 on a valid .bz2 (the stream was then
 * not opened and delivered still compressed). The archive reader keeps every
 * filter, so that libarchive stacks them (a .tar.xz.gz); when its bidding
 * fails on a stream, the stream is unwrapped with its own filter, one layer at
 * a time. gzip as a single stream is left to the decoder. */
typedef enum stream_kind { SK_NONE, SK_GZIP, SK_XZ, SK_ZSTD, SK_BZIP2, SK_LZ4, SK_LZIP, SK_COMPRESS } stream_kind;

static stream_kind stream_magic(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return SK_GZIP;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return SK_XZ;
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return SK_ZSTD;
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return SK_BZIP2;
	if (n >= 4 && memcmp(p, "\x04\x22\x4d\x18", 4) == 0)
		return SK_LZ4;
	if (n >= 5 && memcmp(p, "LZIP", 4) == 0)
		return SK_LZIP;
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x9d)
		return SK_COMPRESS;
	return SK_NONE;
}

/* The decompression filters a reader may use: the one the magic names, or
 * (SK_NONE) every one this libarchive has. */
static void add_filters(struct archive *a, stream_kind only)
{
	bool any = only == SK_NONE;
	if (archive_zlib_version() != NULL && (any || only == SK_GZIP))
		(void)archive_read_support_filter_gzip(a);
	if (archive_bzlib_version() != NULL && (any || only == SK_BZIP2))
		(void)archive_read_support_filter_bzip2(a);
	if (archive_liblzma_version() != NULL) {
		if (any || only == SK_XZ)
			(void)archive_read_support_filter_xz(a);
		if (any)
			(void)archive_read_support_filter_lzma(a);
		if (any || only == SK_LZIP)
			(void)archive_read_support_filter_lzip(a);
	}
	if (archive_libzstd_version() != NULL && (any || only == SK_ZSTD))
		(void)archive_read_support_filter_zstd(a);
	if (archive_liblz4_version() != NULL && (any || only == SK_LZ4))
		(void)archive_read_support_filter_lz4(a);
	if (any || only == SK_COMPRESS)
		(void)archive_read_support_filter_compress(a);
}

static struct archive *reader_new(const unsigned char *head, size_t n)
{
	struct archive *a = archive_read_new();
	if (a == NULL)
		return NULL;
	add_filters(a, SK_NONE); /* every filter: libarchive stacks them (a .tar.xz.gz) */
	(void)archive_read_support_format_tar(a);
	(void)archive_read_support_format_cpio(a);
	(void)archive_read_support_format_ar(a);
	(void)archive_read_support_format_zip(a);
	(void)archive_read_support_format_7zip(a);
	(void)archive_read_support_format_rar(a);
	if (maybe_rar5(head, n))
		(void)archive_read_support_format_rar5(a);
	(void)archive_read_support_format_cab(a);
	(void)archive_read_support_format_lha(a);
	(void)archive_read_support_format_xar(a);
	(void)archive_read_support_format_iso9660(a);
	return a;
}

static la_ssize_t src_read(struct archive *a, void *ud, const void **out)
{
	fsource *s = ud;
	ssize_t n;
	do
		n = pread(s->fd, s->w->io, IO_CHUNK, (off_t)s->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		s->io_errno = errno;
		archive_set_error(a, errno, "read error: %s", strerror(errno));
		return -1;
	}
	uint64_t end = s->pos + (uint64_t)n;
	if (s->pos <= s->hashed && end > s->hashed) {
		sha256_update(s->sha, s->w->io + (s->hashed - s->pos), (size_t)(end - s->hashed));
		s->hashed = end;
	}
	s->pos = end;
	*out = s->w->io;
	return (la_ssize_t)n;
}

static la_int64_t src_seek(struct archive *a, void *ud, la_int64_t offset, int whence)
{
	fsource *s = ud;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)s->pos
		: (int64_t)s->size;
	if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) {
		archive_set_error(a, EINVAL, "seek outside the file");
		return ARCHIVE_FATAL;
	}
	s->pos = (uint64_t)(base + offset);
	return (la_int64_t)s->pos;
}

/* Hashes fd from offset *at to its end, advancing *at. false on a read
 * error (errno is kept). */
static bool hash_rest(walker *w, int fd, sha256_ctx *sha, uint64_t *at)
{
	for (;;) {
		ssize_t n = pread(fd, w->io, IO_CHUNK, (off_t)*at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;
		sha256_update(sha, w->io, (size_t)n);
		*at += (uint64_t)n;
	}
}

/* Hashes the stream's file from s->hashed to its end. false on a read error. */
static bool src_finish_hash(fsource *s)
{
	if (hash_rest(s->w, s->fd, s->sha, &s->hashed))
		return true;
	s->io_errno = errno;
	return false;
}

/* ---- members ---------------------------------------------------------- */

static void mbuf_release(mbuf *m);

static bool mbuf_init(walker *w, mbuf *m, size_t want)
{
	memset(m, 0, sizeof *m);
	m->alloc = want > 0 ? want : 1;
	m->data = malloc(m->alloc);
	if (m->data == NULL || sha256_reset(w->sha) != LT_OK) {
		free(m->data);
		m->data = NULL;
		out_of_memory(w);
		return false;
	}
	return true;
}

/* Makes room for more bytes, up to max_member + 1 (one past the cap, to see it). */
static bool mbuf_grow(walker *w, mbuf *m)
{
	size_t limit = w->max_member + 1;
	size_t want = m->alloc > limit / 2 ? limit : m->alloc * 2;
	if (want < UNKNOWN_SIZE_START && limit > UNKNOWN_SIZE_START)
		want = UNKNOWN_SIZE_START;
	unsigned char *p = realloc(m->data, want);
	if (p == NULL) {
		out_of_memory(w);
		return false;
	}
	m->data = p;
	m->alloc = want;
	return true;
}

static bool mbuf_finish(walker *w, mbuf *m)
{
	if (sha256_final_hex(w->sha, m->sha) != LT_OK) {
		problem(w, LT_EFATAL, "SHA-256 failed");
		return false;
	}
	return true;
}

static void too_large(walker *w, uint64_t n, bool exact)
{
	problem(w, LT_EFILE, "member too large: %s%llu bytes (limit %llu)", exact ? "" : "over ",
		(unsigned long long)n, (unsigned long long)w->opt.max_member_bytes);
}

/* Charges n bytes read out of an archive to the run's budget; false (reported
 * once for the member, and the walk of archives stops) when it is spent. */
static bool charge(walker *w, size_t n)
{
	if (lt_budget_charge(w->opt.budget, n))
		return true;
	w->spent = true;
	problem(w, LT_EFILE, "member not read: the run's decompressed-bytes budget of %llu bytes is spent"
		" (--max-total-bytes)", (unsigned long long)lt_budget_max(w->opt.budget));
	return false;
}

/* Maps a spilled member's file read-only into m->data (for sniffing and for
 * delivering it as a leaf). false (reported) if it cannot be mapped. */
static bool spill_map(walker *w, mbuf *m)
{
	void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, m->fd, 0);
	if (p == MAP_FAILED) {
		problem(w, LT_EFILE, "cannot map the scratch file of a %zu-byte member: %s", m->len, strerror(errno));
		return false;
	}
	(void)madvise(p, m->len, MADV_SEQUENTIAL);
	m->data = p;
	m->alloc = m->len;
	m->mapped = true;
	return true;
}

static void spill_close(mbuf *m)
{
	if (m->spilled && m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->spilled = false;
}

/* The rest of an entry that reached WALK_SPILL_BYTES: its bytes so far and the
 * rest go to an unlinked scratch file in $TMPDIR, which m then maps, so that
 * the levels of nested archives do not each hold a member in memory (a
 * spilled archive is read from the file; see handle_bytes). A scratch file
 * that cannot be written skips the member (reported), the walk goes on. */
static bool read_entry_spilled(walker *w, struct archive *a, mbuf *m, bool *dead)
{
	lt_error e;
	int fd = lt_tmpfile("entry", "archive member", &e);
	bool ok = fd >= 0 && lt_write_at(fd, m->data, m->len, 0, "archive member", &e) == LT_OK;
	free(m->data);
	m->data = NULL;
	m->fd = fd;
	m->spilled = fd >= 0;
	while (ok) {
		la_ssize_t n = archive_read_data(a, w->io, IO_CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			problem(w, LT_EFILE, "cannot read member to its end (%zu bytes read): %s", m->len, archive_msg(a));
			*dead = n == ARCHIVE_FATAL;
			m->partial = true;
			break;
		}
		if ((uint64_t)m->len + (uint64_t)n > w->opt.max_member_bytes || !charge(w, (size_t)n)) {
			if (!w->spent)
				too_large(w, w->max_member, false);
			*dead = archive_read_data_skip(a) == ARCHIVE_FATAL;
			spill_close(m);
			return false;
		}
		sha256_update(w->sha, w->io, (size_t)n);
		ok = lt_write_at(fd, w->io, (size_t)n, m->len, "archive member", &e) == LT_OK;
		m->len += (size_t)n;
	}
	if (!ok) {
		problem(w, LT_EFILE, "member not read (%zu bytes so far): %s", m->len, e.msg);
		*dead = archive_read_data_skip(a) == ARCHIVE_FATAL;
		spill_close(m);
		return false;
	}
	if (!spill_map(w, m) || !mbuf_finish(w, m)) {
		mbuf_release(m);
		return false;
	}
	return true;
}

/* Loads the current entry's data. true with m filled (maybe partial) when
 * there are bytes to use; false when the member was skipped (reported).
 * *dead is set when the archive cannot go on. */
static bool read_entry(walker *w, struct archive *a, struct archive_entry *e, mbuf *m, bool *dead)
{
	size_t want = UNKNOWN_SIZE_START;
	if (archive_entry_size_is_set(e)) {
		la_int64_t sz = archive_entry_size(e);
		if (sz > 0 && (uint64_t)sz > w->opt.max_member_bytes) {
			too_large(w, (uint64_t)sz, true);
			*dead = archive_read_data_skip(a) == ARCHIVE_FATAL;
			return false;
		}
		/* One spare byte, so the end is seen without growing. */
		want = sz > 0 ? (size_t)sz + 1 : 1;
		if (want > FIRST_ALLOC_MAX)
			want = FIRST_ALLOC_MAX;
	} else if (want > w->max_member) {
		want = w->max_member;
	}
	if (!mbuf_init(w, m, want))
		return false;
	for (;;) {
		if (m->len == m->alloc) {
			if (m->len > w->max_member) {
				too_large(w, w->max_member, false);
				*dead = archive_read_data_skip(a) == ARCHIVE_FATAL;
				break;
			}
			if (m->len >= WALK_SPILL_BYTES)
				return read_entry_spilled(w, a, m, dead);
			if (!mbuf_grow(w, m))
				break;
		}
		la_ssize_t n = archive_read_data(a, m->data + m->len, m->alloc - m->len);
		if (n == 0)
			return mbuf_finish(w, m);
		if (n < 0) {
			problem(w, LT_EFILE, "cannot read member to its end (%zu bytes read): %s",
				m->len, archive_msg(a));
			*dead = n == ARCHIVE_FATAL;
			m->partial = true;
			if (m->len > 0)
				return mbuf_finish(w, m);
			break;
		}
		if (!charge(w, (size_t)n)) {
			*dead = archive_read_data_skip(a) == ARCHIVE_FATAL;
			break;
		}
		sha256_update(w->sha, m->data + m->len, (size_t)n);
		m->len += (size_t)n;
	}
	free(m->data);
	m->data = NULL;
	return false;
}

static walk_member member_view(walker *w, const mbuf *m, int64_t mtime, bool has_mtime,
	unsigned depth)
{
	walk_member v;
	memset(&v, 0, sizeof v);
	v.evidence = w->evidence;
	v.member = w->chain;
	v.data = m->data;
	v.len = m->len;
	memcpy(v.sha256, m->sha, sizeof v.sha256);
	v.mtime = mtime;
	v.has_mtime = has_mtime;
	v.depth = depth;
	v.partial = m->partial;
	v.mapped = m->mapped;
	v.owned = m->data;
	return v;
}

void *walk_member_steal(walk_member *m)
{
	if (m->mapped)
		return NULL;
	void *p = m->owned;
	m->owned = NULL;
	return p;
}

bool walk_member_take(walk_member *m, walk_buffer *out)
{
	out->p = m->owned;
	out->len = m->len;
	out->mapped = m->mapped;
	m->owned = NULL;
	return out->p != NULL;
}

void walk_buffer_release(walk_buffer *b)
{
	if (b == NULL || b->p == NULL)
		return;
	if (b->mapped)
		munmap(b->p, b->len);
	else
		free(b->p);
	b->p = NULL;
	b->len = 0;
	b->mapped = false;
}

static void mbuf_release(mbuf *m)
{
	walk_buffer b = {m->data, m->len, m->mapped};
	walk_buffer_release(&b);
	m->data = NULL;
	spill_close(m);
}

/* Frees or unmaps a member's bytes unless a callback took them. */
static void release_owned(walk_member *v)
{
	walk_buffer b = {v->owned, v->len, v->mapped};
	walk_buffer_release(&b);
	v->owned = NULL;
}

static void walk_entries(walker *w, struct archive *a, int r, struct archive_entry *e,
	unsigned depth, const unsigned char *buf, size_t len);

/* ---- telling archives from leaves quickly ------------------------------ */

/* Up to SNIFF_BYTES of a gzip member's decompressed start. *complete: that is
 * all of it (the stream ended and nothing follows). */
static size_t gzip_head(const unsigned char *p, size_t n, unsigned char *out, bool *complete)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	*complete = false;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
	z.next_out = out;
	z.avail_out = SNIFF_BYTES;
	int rc = inflate(&z, Z_NO_FLUSH);
	*complete = rc == Z_STREAM_END && z.avail_in == 0 && n <= UINT_MAX;
	size_t got = SNIFF_BYTES - z.avail_out;
	inflateEnd(&z);
	return got;
}

/* Could this 512-byte block be a tar header? The same test as libarchive's
 * tar bidder (the checksum, as unsigned or signed sum), conservative on any
 * byte that it might read as base-256. */
static bool tar_maybe(const unsigned char *h)
{
	unsigned long usum = 0;
	long ssum = 0;
	for (size_t i = 0; i < SNIFF_BYTES; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
		usum += c;
		ssum += (signed char)c;
	}
	size_t i = 148;
	while (i < 156 && (h[i] == ' ' || h[i] == '\t'))
		i++;
	if (i < 156 && (h[i] & 0x80))
		return true;
	unsigned long v = 0;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		v = v * 8 + (unsigned long)(h[i] - '0');
	return v == usum || (long)v == ssum;
}

/* JSON-looking text: '{' or '[' after blanks, no control bytes early on. */
static bool json_text_start(const unsigned char *h, size_t n)
{
	size_t i = 0;
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r'))
		i++;
	if (i == n || (h[i] != '{' && h[i] != '['))
		return false;
	for (size_t k = 0; k < n && k < 64; k++)
		if (h[k] < 0x20 && h[k] != '\t' && h[k] != '\n' && h[k] != '\r')
			return false;
	return true;
}

/* True when bytes are certainly no archive that the reader would open: JSON
 * text, bare or gzip'd, that is no tar header and no LHA header, holds no
 * zip end record (the seekable zip reader finds archives after any prefix)
 * and no ISO 9660 descriptor (other formats start with binary magic). This spares the libarchive bidding round (~30 us) on every
 * CloudTrail .json.gz. Not detected through gzip, as libarchive would: an
 * ISO 9660 image whose first byte is '{' or '['. */
static bool plainly_not_archive(const unsigned char *p, size_t n)
{
	unsigned char head[SNIFF_BYTES];
	const unsigned char *h = p;
	size_t hn = n < SNIFF_BYTES ? n : SNIFF_BYTES;
	if (gunzip_is_gzip(p, n)) {
		bool complete;
		hn = gzip_head(p, n, head, &complete);
		h = head;
		if (hn < SNIFF_BYTES && !complete)
			return false;
	} else {
		size_t tail = n < ZIP_EOCD_SEARCH ? n : ZIP_EOCD_SEARCH;
		if (memmem(p + n - tail, tail, "PK\005\006", 4) != NULL)
			return false;
		if (n >= ISO9660_MAGIC_AT + 5 && memcmp(p + ISO9660_MAGIC_AT, "CD001", 5) == 0)
			return false;
	}
	if (hn >= 7 && h[2] == '-' && h[3] == 'l' && (h[4] == 'h' || h[4] == 'z'))
		return false; /* an LHA header: "-lh" or "-lz" at offset 2 */
	return json_text_start(h, hn) && !(hn >= SNIFF_BYTES && tar_maybe(h));
}

/* ---- members and archives -------------------------------------------- */

/* Magic of a single compressed stream that a filter, not a format, opens:
 * xz, zstd, bzip2, lz4 (frame), lzip, compress (.Z). gzip is left to the
 * decoder (gunzip.h), which also recovers damaged gzip. */
static bool compressed_stream(const unsigned char *p, size_t n)
{
	stream_kind k = stream_magic(p, n);
	return k != SK_NONE && k != SK_GZIP;
}

/* The name of what a compressed stream holds: the last part of the chain
 * (or of the evidence path) without its compression suffix. */
static void stream_inner_name(const walker *w, char *out, size_t cap)
{
	static const char *const sfx[] = {".xz", ".zst", ".zstd", ".bz2", ".lz4", ".lz", ".Z"};
	const char *full = w->chain_len > 0 ? w->chain : w->evidence;
	const char *base = strrchr(full, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : full;
	size_t n = strlen(base);
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		size_t k = strlen(sfx[i]);
		if (n > k && strcmp(base + n - k, sfx[i]) == 0) {
			n -= k;
			break;
		}
	}
	snprintf(out, cap, "%.*s", (int)(n == strlen(base) ? 4 : n), n == strlen(base) ? "data" : base);
}

static bool handle_bytes(walker *w, mbuf *m, int64_t mtime, bool has_mtime, unsigned depth,
	bool try_archive);

/* Bytes that are one compressed stream (a .json.xz) are a container of one
 * member, their decompressed text (within the member cap), which is handled
 * like any member (it may be an archive, or compressed again). false when no
 * filter opens them: they are a leaf. Consumes m when true. */
static bool unwrap_stream(walker *w, mbuf *m, walk_member *v, unsigned depth)
{
	struct archive *a = archive_read_new();
	if (a == NULL) {
		out_of_memory(w);
		return false;
	}
	add_filters(a, stream_magic(m->data, m->len));
	(void)archive_read_support_format_raw(a);
	struct archive_entry *e = NULL;
	if (archive_read_open_memory(a, m->data, m->len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK || archive_filter_count(a) < 2) {
		archive_read_free(a);
		return false;
	}
	if (depth > 0 && w->cb->on_container != NULL)
		fold(w, w->cb->on_container(w->cb->ctx, v));
	char name[256];
	stream_inner_name(w, name, sizeof name);
	size_t saved;
	if (depth >= w->opt.max_depth) {
		problem(w, LT_EFILE, "archive nested deeper than %u levels: not opened", w->opt.max_depth);
	} else if (!w->stop && chain_push(w, name, &saved)) {
		mbuf inner;
		bool dead = false;
		if (read_entry(w, a, e, &inner, &dead))
			handle_bytes(w, &inner, v->mtime, v->has_mtime, depth + 1, true);
		chain_pop(w, saved);
	}
	archive_read_free(a);
	mbuf_release(m);
	return true;
}

/* Opens a reader on loaded bytes: from memory, or a spilled member from its file. */
static int open_loaded(struct archive *a, const mbuf *m)
{
	if (!m->spilled)
		return archive_read_open_memory(a, m->data, m->len);
	if (lseek(m->fd, 0, SEEK_SET) != 0)
		return ARCHIVE_FATAL;
	return archive_read_open_fd(a, m->fd, IO_CHUNK);
}

/* Loaded bytes: a nested archive (recursed) or a leaf (delivered). depth 0
 * is an evidence file itself (no on_container). Consumes m->data. Returns
 * true if the bytes were an archive. */
static bool handle_bytes(walker *w, mbuf *m, int64_t mtime, bool has_mtime, unsigned depth,
	bool try_archive)
{
	walk_member v = member_view(w, m, mtime, has_mtime, depth);
	if (try_archive && m->len > 0 && !plainly_not_archive(m->data, m->len)) {
		struct archive *a = reader_new(m->data, m->len);
		if (a == NULL) {
			out_of_memory(w);
			mbuf_release(m);
			return false;
		}
		struct archive_entry *e = NULL;
		int r = ARCHIVE_EOF;
		if (open_loaded(a, m) == ARCHIVE_OK)
			r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_EOF) {
			bool too_deep = depth >= w->opt.max_depth;
			if (too_deep)
				problem(w, LT_EFILE, "archive nested deeper than %u levels: not opened",
					w->opt.max_depth);
			if (depth > 0 && w->cb->on_container != NULL)
				fold(w, w->cb->on_container(w->cb->ctx, &v));
			if (m->spilled) { /* read from the file: its pages need not stay mapped */
				munmap(m->data, m->len);
				m->data = NULL;
			}
			if (!too_deep && !w->stop)
				walk_entries(w, a, r, e, depth + 1, m->data, m->data != NULL ? m->len : 0);
			archive_read_free(a);
			mbuf_release(m);
			return true;
		}
		archive_read_free(a);
	}
	spill_close(m); /* a leaf: the mapping is all it needs */
	if (m->len > 0 && compressed_stream(m->data, m->len) && unwrap_stream(w, m, &v, depth))
		return true;
	if (w->cb->on_member != NULL)
		fold(w, w->cb->on_member(w->cb->ctx, &v));
	release_owned(&v);
	return false;
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "fifo";
	case AE_IFSOCK: return "socket";
	default: return "unknown type";
	}
}

/* One archive entry; *dead when the archive cannot go on. */
static void handle_entry(walker *w, struct archive *a, struct archive_entry *e, int hdr_rc,
	uint64_t ordinal, unsigned depth, bool *dead)
{
	char unnamed[64];
	const char *name = archive_entry_pathname(e);
	if (name == NULL)
		name = archive_entry_pathname_utf8(e);
	if (name == NULL) {
		snprintf(unnamed, sizeof unnamed, "(unnamed member %llu)", (unsigned long long)ordinal);
		name = unnamed;
	}
	size_t saved;
	if (!chain_push(w, name, &saved))
		return;
	if (hdr_rc == ARCHIVE_WARN)
		problem(w, LT_EITEM, "archive warning: %s", archive_msg(a));
	mode_t type = archive_entry_filetype(e);
	const char *link = archive_entry_hardlink(e);
	if (link != NULL) {
		problem(w, LT_EITEM, "hardlink not followed (-> %s)", link);
	} else if (type == AE_IFLNK) {
		link = archive_entry_symlink(e);
		problem(w, LT_EITEM, "symlink not followed (-> %s)", link != NULL ? link : "?");
	} else if (type == AE_IFDIR) {
		/* folders carry no bytes; their files come as their own entries */
	} else if (type != AE_IFREG && type != 0) {
		problem(w, LT_EITEM, "%s not read", type_name(type));
	} else {
		mbuf m;
		if (read_entry(w, a, e, &m, dead))
			handle_bytes(w, &m, (int64_t)archive_entry_mtime(e),
				archive_entry_mtime_is_set(e) != 0, depth, true);
	}
	chain_pop(w, saved);
}

/* A fresh reader over buf[0..len) whose next header is entry skip + 1 (*r, *e
 * set from it), or NULL when the first skip entries cannot be passed again. */
static struct archive *reopen_after(const unsigned char *buf, size_t len, uint64_t skip, int *r,
	struct archive_entry **e)
{
	struct archive *a = reader_new(buf, len);
	if (a == NULL)
		return NULL;
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		goto fail;
	for (uint64_t i = 0; i <= skip; i++) {
		*r = archive_read_next_header(a, e);
		if (i == skip && (*r == ARCHIVE_EOF || *r == ARCHIVE_OK || *r == ARCHIVE_WARN))
			return a;
		if ((*r != ARCHIVE_OK && *r != ARCHIVE_WARN) || archive_read_data_skip(a) != ARCHIVE_OK)
			goto fail;
	}
fail:
	archive_read_free(a);
	return NULL;
}

/* The entries of an open archive, starting from the first header result r.
 * When a member's data kills the reader (a damaged deflate stream in a zip)
 * and the archive is in memory (buf), a fresh reader skips the members seen
 * so far and the walk goes on: zip and other indexed formats skip without
 * decoding, so the members after the damaged one are still read. */
static void walk_entries(walker *w, struct archive *a, int r, struct archive_entry *e,
	unsigned depth, const unsigned char *buf, size_t len)
{
	unsigned retries = 0, failures = 0, resumes = 0;
	uint64_t ordinal = 0;
	struct archive *own = NULL; /* a reader opened here by a resume */
	while (!w->stop && !w->spent && r != ARCHIVE_EOF) {
		if (r == ARCHIVE_RETRY) {
			if (++retries > MAX_HEADER_RETRIES) {
				problem(w, LT_EFILE, "corrupt archive: giving up after %u retries: %s",
					MAX_HEADER_RETRIES, archive_msg(a));
				break;
			}
		} else if (r == ARCHIVE_FATAL) {
			problem(w, LT_EFILE, "corrupt archive: %s", archive_msg(a));
			break;
		} else if (r == ARCHIVE_FAILED) {
			ordinal++;
			problem(w, LT_EFILE, "unreadable member header #%llu: %s",
				(unsigned long long)ordinal, archive_msg(a));
			if (++failures > MAX_HEADER_FAILURES)
				break;
		} else {
			bool dead = false;
			handle_entry(w, a, e, r, ++ordinal, depth, &dead);
			if (dead) {
				/* ordinal counts entries only while no header failed or retried */
				struct archive *n = NULL;
				if (buf != NULL && failures == 0 && retries == 0 && resumes < MAX_RESUMES) {
					resumes++;
					n = reopen_after(buf, len, ordinal, &r, &e);
				}
				if (n == NULL) {
					problem(w, LT_EFILE, "corrupt archive: cannot go on after member #%llu",
						(unsigned long long)ordinal);
					break;
				}
				archive_read_free(own);
				own = a = n;
				continue;
			}
		}
		r = archive_read_next_header(a, &e);
	}
	archive_read_free(own);
}

/* ---- evidence files --------------------------------------------------- */

static void report_file(walker *w, const char *path, uint64_t size, const char *hex,
	const struct stat *st, bool is_archive, bool complete)
{
	walk_file f;
	memset(&f, 0, sizeof f);
	f.evidence = w->evidence;
	f.member = w->chain;
	f.path = path;
	f.size = size;
	f.mtime = (int64_t)st->st_mtime;
	f.has_mtime = true;
	f.is_archive = is_archive;
	f.complete = complete;
	memcpy(f.sha256, hex, sizeof f.sha256);
	if (w->cb->on_evidence != NULL)
		fold(w, w->cb->on_evidence(w->cb->ctx, &f));
}

typedef enum read_result { READ_DONE, READ_FAILED, READ_TOO_LARGE } read_result;

/* Reads fd from offset 0 to its end into m, hashing into sha, within the
 * member cap. READ_FAILED: a read error (reported; m->partial). READ_TOO_LARGE:
 * past the cap (reported; m->data freed, m->len is how far it was hashed). */
static read_result read_fd_whole(walker *w, int fd, sha256_ctx *sha, mbuf *m)
{
	for (;;) {
		if (m->len == m->alloc) {
			if (m->len > w->max_member) {
				too_large(w, w->max_member, false);
				free(m->data);
				m->data = NULL;
				return READ_TOO_LARGE;
			}
			if (!mbuf_grow(w, m)) {
				free(m->data);
				m->data = NULL;
				return READ_FAILED;
			}
		}
		ssize_t n = pread(fd, m->data + m->len, m->alloc - m->len, (off_t)m->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			problem(w, LT_EFILE, "read error after %zu bytes: %s", m->len, strerror(errno));
			m->partial = true;
			return READ_FAILED;
		}
		if (n == 0)
			return READ_DONE;
		sha256_update(sha, m->data + m->len, (size_t)n);
		m->len += (size_t)n;
	}
}

/* Delivers file bytes read whole (depth 0) unless nothing was read; frees them. */
static bool deliver_file_bytes(walker *w, mbuf *m, const struct stat *st, bool try_archive)
{
	if (m->data == NULL || (m->len == 0 && m->partial)) {
		mbuf_release(m);
		return false;
	}
	return handle_bytes(w, m, (int64_t)st->st_mtime, true, 0, try_archive);
}

/* A small file: read whole (one pass, hashed as read), then classified in
 * memory like any member. Closes nothing. */
static void small_file(walker *w, int fd, const char *path, const struct stat *st)
{
	mbuf m;
	if (!mbuf_init(w, &m, (size_t)st->st_size + 1))
		return;
	read_result r = read_fd_whole(w, fd, w->sha, &m);
	if (w->stop) {
		free(m.data);
		return;
	}
	bool complete = r == READ_DONE;
	uint64_t size = m.len;
	if (r == READ_TOO_LARGE) /* the file grew past the cap: hash it all the same */
		complete = hash_rest(w, fd, w->sha, &size);
	if (!mbuf_finish(w, &m)) {
		free(m.data);
		return;
	}
	char hex[SHA256_HEX_LEN + 1];
	memcpy(hex, m.sha, sizeof hex);
	bool is_archive = deliver_file_bytes(w, &m, st, true);
	if (!w->stop)
		report_file(w, path, size, hex, st, is_archive, complete);
}

/* Maps fd's size bytes into m and hashes them into sha, slice by slice,
 * letting each slice's pages go once hashed. false (nothing reported) if
 * the file cannot be mapped: the caller reads it instead. */
static bool map_fd_whole(int fd, size_t size, sha256_ctx *sha, mbuf *m)
{
	memset(m, 0, sizeof *m);
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return false;
	(void)madvise(p, size, MADV_SEQUENTIAL);
	for (size_t off = 0; off < size; off += IO_CHUNK) {
		size_t n = size - off < IO_CHUNK ? size - off : IO_CHUNK;
		sha256_update(sha, (unsigned char *)p + off, n);
		(void)madvise((unsigned char *)p + off, n, MADV_DONTNEED);
	}
	m->data = p;
	m->len = m->alloc = size;
	m->mapped = true;
	return true;
}

/* A plain file as one leaf: read whole from offset 0 (or mapped, above
 * map_threshold), hashing as it goes; that hash is also the evidence file's
 * (hex). false if hex is not usable. */
static bool file_as_leaf(walker *w, fsource *s, const struct stat *st, char *hex, bool *complete)
{
	s->hashed = 0;
	if (sha256_reset(s->sha) != LT_OK) {
		out_of_memory(w);
		return false;
	}
	mbuf m;
	if ((uint64_t)st->st_size > w->opt.max_member_bytes) {
		too_large(w, (uint64_t)st->st_size, true);
		*complete = src_finish_hash(s);
		return sha256_final_hex(s->sha, hex) == LT_OK;
	}
	read_result r = READ_DONE;
	if (w->opt.map_threshold == 0 || (uint64_t)st->st_size <= w->opt.map_threshold || st->st_size <= 0 ||
	    !map_fd_whole(s->fd, (size_t)st->st_size, s->sha, &m)) {
		if (!mbuf_init(w, &m, (size_t)st->st_size + 1))
			return false;
		r = read_fd_whole(w, s->fd, s->sha, &m);
	}
	s->hashed = m.len;
	*complete = r == READ_DONE;
	if (r == READ_TOO_LARGE || w->stop) {
		mbuf_release(&m);
		*complete = r == READ_TOO_LARGE && src_finish_hash(s);
		return sha256_final_hex(s->sha, hex) == LT_OK;
	}
	if (sha256_final_hex(s->sha, m.sha) != LT_OK) {
		mbuf_release(&m);
		return false;
	}
	memcpy(hex, m.sha, sizeof m.sha);
	(void)deliver_file_bytes(w, &m, st, false);
	return true;
}

/* A regular file: small ones are read whole, larger ones streamed through
 * libarchive (or read as a leaf), then reported to on_evidence. Closes fd. */
static void walk_file_fd(walker *w, int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		problem(w, LT_EFILE, "not a regular file: %s", path);
		close(fd);
		return;
	}
	if ((uint64_t)st.st_size <= w->opt.stream_threshold &&
	    (uint64_t)st.st_size <= w->opt.max_member_bytes) {
		small_file(w, fd, path, &st);
		close(fd);
		return;
	}
	unsigned char head[8];
	ssize_t hn = pread(fd, head, sizeof head, 0);
	fsource s = {.fd = fd, .w = w, .size = (uint64_t)st.st_size};
	s.sha = sha256_new();
	struct archive *a = reader_new(head, hn > 0 ? (size_t)hn : 0);
	if (s.sha == NULL || a == NULL) {
		out_of_memory(w);
		goto done;
	}
	(void)archive_read_set_callback_data(a, &s);
	(void)archive_read_set_read_callback(a, src_read);
	(void)archive_read_set_seek_callback(a, src_seek);
	bool is_archive = false, complete = true, hex_ok = false;
	char hex[SHA256_HEX_LEN + 1];
	if (archive_read_open1(a) == ARCHIVE_OK) {
		struct archive_entry *e = NULL;
		int r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_EOF) {
			is_archive = true;
			walk_entries(w, a, r, e, 1, NULL, 0);
		}
	}
	archive_read_free(a);
	a = NULL;
	if (w->stop)
		goto done;
	if (s.io_errno != 0) {
		problem(w, LT_EFILE, "read error: %s", strerror(s.io_errno));
		complete = false;
		hex_ok = sha256_final_hex(s.sha, hex) == LT_OK;
	} else if (is_archive) {
		complete = src_finish_hash(&s);
		if (!complete)
			problem(w, LT_EFILE, "read error while hashing: %s", strerror(s.io_errno));
		hex_ok = sha256_final_hex(s.sha, hex) == LT_OK;
	} else {
		hex_ok = file_as_leaf(w, &s, &st, hex, &complete);
	}
	if (hex_ok && !w->stop)
		report_file(w, path, s.hashed, hex, &st, is_archive, complete);
	else if (!hex_ok && !w->stop)
		problem(w, LT_EFATAL, "SHA-256 failed");
done:
	archive_read_free(a);
	sha256_free(s.sha);
	close(fd);
}

/* ---- folders ---------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a folder, sorted bytewise; NULL on error (reported). */
static char **list_folder(walker *w, DIR *d, size_t *count)
{
	size_t n = 0, alloc = 16;
	char **names = malloc(alloc * sizeof *names);
	if (names == NULL) {
		out_of_memory(w);
		return NULL;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				problem(w, LT_EFILE, "cannot list folder: %s", strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			char **p = realloc(names, 2 * alloc * sizeof *names);
			if (p == NULL)
				goto oom;
			names = p;
			alloc *= 2;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto oom;
		n++;
	}
	lt_sort(names, n, sizeof *names, cmp_names);
	*count = n;
	return names;
oom:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	out_of_memory(w);
	return NULL;
}

static char *join_path(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	bool slash = a > 0 && dir[a - 1] != '/';
	char *p = malloc(a + slash + b + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, dir, a);
	if (slash)
		p[a] = '/';
	memcpy(p + a + slash, name, b + 1);
	return p;
}

static void walk_folder_fd(walker *w, int dfd, const char *path, unsigned level);

static void walk_folder_entry(walker *w, int dfd, const char *dirpath, const char *name,
	unsigned level)
{
	struct stat st;
	char *full = join_path(dirpath, name);
	if (full == NULL) {
		out_of_memory(w);
		return;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		problem(w, LT_EFILE, "cannot stat: %s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (level + 1 >= MAX_DIR_DEPTH)
			problem(w, LT_EFILE, "folders nested deeper than %u levels: not entered",
				MAX_DIR_DEPTH);
		else if (fd < 0)
			problem(w, LT_EFILE, "cannot open folder: %s", strerror(errno));
		else
			walk_folder_fd(w, fd, full, level + 1);
		if (fd >= 0 && level + 1 >= MAX_DIR_DEPTH)
			close(fd);
	} else if (S_ISREG(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			problem(w, LT_EFILE, "cannot open: %s", strerror(errno));
		else
			walk_file_fd(w, fd, full);
	} else if (S_ISLNK(st.st_mode)) {
		problem(w, LT_EITEM, "symlink not followed");
	} else {
		problem(w, LT_EITEM, "%s not read",
			S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "socket" : "device");
	}
	free(full);
}

/* Walks an open folder (closes dfd); entries sorted bytewise, depth first. */
static void walk_folder_fd(walker *w, int dfd, const char *path, unsigned level)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		problem(w, LT_EFILE, "cannot read folder: %s", strerror(errno));
		close(dfd);
		return;
	}
	size_t n = 0;
	char **names = list_folder(w, d, &n);
	for (size_t i = 0; names != NULL && i < n; i++) {
		size_t saved;
		if (!w->stop && chain_push(w, names[i], &saved)) {
			walk_folder_entry(w, dirfd(d), path, names[i], level);
			chain_pop(w, saved);
		}
		free(names[i]);
	}
	free(names);
	closedir(d);
}

/* ---- entry points ----------------------------------------------------- */

void walk_options_init(walk_options *o)
{
	o->max_member_bytes = WALK_DEFAULT_MAX_MEMBER_BYTES;
	o->max_depth = WALK_DEFAULT_MAX_DEPTH;
	o->stream_threshold = WALK_DEFAULT_STREAM_THRESHOLD;
	o->map_threshold = 0;
	o->budget = NULL;
}

static bool walker_init(walker *w, const char *evidence, const walk_options *opt,
	const walk_callbacks *cb)
{
	memset(w, 0, sizeof *w);
	walk_options_init(&w->opt);
	if (opt != NULL) {
		w->opt.map_threshold = opt->map_threshold;
		w->opt.budget = opt->budget;
		if (opt->max_member_bytes != 0)
			w->opt.max_member_bytes = opt->max_member_bytes;
		if (opt->max_depth != 0)
			w->opt.max_depth = opt->max_depth;
		if (opt->stream_threshold != 0)
			w->opt.stream_threshold = opt->stream_threshold;
	}
	w->max_member = w->opt.max_member_bytes >= SIZE_MAX ? SIZE_MAX - 1
		: (size_t)w->opt.max_member_bytes;
	w->cb = cb;
	w->evidence = evidence;
	w->sha = sha256_new();
	w->io = malloc(IO_CHUNK);
	return w->sha != NULL && w->io != NULL;
}

static void walker_done(walker *w)
{
	sha256_free(w->sha);
	free(w->io);
}

lt_status walk_evidence(const char *path, const walk_options *opt, const walk_callbacks *cb)
{
	static const walk_callbacks none;
	walker w;
	if (!walker_init(&w, path, opt, cb != NULL ? cb : &none)) {
		out_of_memory(&w);
		walker_done(&w);
		return LT_EFATAL;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		problem(&w, LT_EFILE, "cannot open: %s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			problem(&w, LT_EFILE, "cannot open folder: %s", strerror(errno));
		else
			walk_folder_fd(&w, fd, path, 0);
	} else if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			problem(&w, LT_EFILE, "cannot open: %s", strerror(errno));
		else
			walk_file_fd(&w, fd, path);
	} else {
		problem(&w, LT_EFILE, "not a regular file or folder");
	}
	walker_done(&w);
	return w.worst;
}

lt_status walk_memory(const void *data, size_t len, const char *name, const walk_options *opt,
	const walk_callbacks *cb)
{
	static const walk_callbacks none;
	walker w;
	if (!walker_init(&w, name, opt, cb != NULL ? cb : &none)) {
		out_of_memory(&w);
		walker_done(&w);
		return LT_EFATAL;
	}
	walk_file f;
	memset(&f, 0, sizeof f);
	f.evidence = name;
	f.member = "";
	f.path = "";
	f.size = len;
	f.complete = true;
	mbuf m;
	if (len <= w.max_member) {
		if (mbuf_init(&w, &m, len)) {
			if (len > 0)
				memcpy(m.data, data, len);
			m.len = len;
			sha256_update(w.sha, data, len);
			if (mbuf_finish(&w, &m)) {
				memcpy(f.sha256, m.sha, sizeof f.sha256);
				f.is_archive = handle_bytes(&w, &m, 0, false, 0, true);
			} else {
				free(m.data);
			}
		}
	} else if (sha256_hex(data, len, f.sha256) != LT_OK) {
		problem(&w, LT_EFATAL, "SHA-256 failed");
	} else {
		/* Too big to be one leaf, but it may be an archive of small members. */
		struct archive *a = reader_new(data, len);
		struct archive_entry *e = NULL;
		int r = ARCHIVE_EOF;
		if (a == NULL)
			out_of_memory(&w);
		else if (archive_read_open_memory(a, data, len) == ARCHIVE_OK)
			r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_EOF) {
			f.is_archive = true;
			walk_entries(&w, a, r, e, 1, data, len);
		} else if (a != NULL) {
			too_large(&w, len, true);
		}
		archive_read_free(a);
	}
	if (!w.stop && w.cb->on_evidence != NULL)
		fold(&w, w.cb->on_evidence(w.cb->ctx, &f));
	walker_done(&w);
	return w.worst;
}
