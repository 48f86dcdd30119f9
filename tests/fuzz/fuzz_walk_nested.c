/*
 * fuzz_walk_nested.c — libFuzzer target for ingest/walk over nested archives
 * (tar in tar in zip, gz in tar, cpio in 7-Zip ...). fuzz_walk mutates the
 * archive bytes, so it rarely gets past the outer header to a second level;
 * this target builds valid nesting from the input with libarchive's writer
 * and lets the fuzzer choose the shape: byte 0 gives the number of levels
 * (1..NEST_MAX), the next bytes each level's format and filter, the byte
 * after them where to cut the rest between a sibling member and the payload.
 * The payload is a JSON leaf ('{' then the rest of the input) at the bottom;
 * every level holds the level below as one member, plus the sibling. Half
 * the runs corrupt one byte of the outermost archive (position and value
 * from the input) to reach the error paths at depth.
 *
 * Checks, beyond sanitizers and the callback contract of fuzz_walk: on an
 * uncorrupted nest the leaf is delivered exactly once, byte for byte, with
 * its SHA-256, at a depth of at most the number of levels, and no problem is
 * reported but in the sibling (whose bytes may look like a damaged archive). The leaf is the payload, or, when bare gzip levels wrap it
 * directly, the outermost of those (a gzip leaf is delivered as found for
 * the indexer to inflate, walk.h); a bare bzip2/xz level is unwrapped by the
 * walker (a container of one member), so it leaves the leaf as it was (and
 * a walker that unwraps bare gzip too delivers the plain payload: either
 * counts as the leaf); and
 * compression around an archive leaves it an archive. A
 * 7-Zip archive inside bare compression cannot be read (libarchive's 7-Zip
 * reader seeks): there a reported problem is the expected outcome.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/sha256.h"
#include "ingest/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEST_MAX 5
#define CAP (1u << 20)

typedef struct nest_run {
	const unsigned char *payload;
	size_t payload_len;
	unsigned levels;
	unsigned found;
	unsigned problems;
	const unsigned char *plain; /* the uncompressed payload: a walker that unwraps */
	size_t plain_len;           /* bare compression delivers this instead */
} nest_run;

/* Each level: one of these formats, then (for all but raw, which needs one)
 * an optional filter. */
enum { F_TAR, F_ZIP, F_CPIO, F_7Z, F_RAW_GZ, F_RAW_BZ2, F_RAW_XZ, F_NFORMATS };
static const char *const ext[F_NFORMATS] = {"tar", "zip", "cpio", "7z", "gz", "bz2", "xz"};

static int set_format(struct archive *w, unsigned fmt, unsigned filter)
{
	int rc;
	switch (fmt) {
	case F_TAR:
		rc = archive_write_set_format_pax_restricted(w);
		break;
	case F_ZIP:
		rc = archive_write_set_format_zip(w);
		break;
	case F_CPIO:
		rc = archive_write_set_format_cpio_newc(w);
		break;
	case F_7Z:
		rc = archive_write_set_format_7zip(w);
		break;
	default:
		rc = archive_write_set_format_raw(w);
		break;
	}
	if (rc != ARCHIVE_OK)
		return rc;
	if (fmt == F_RAW_GZ || (fmt == F_TAR && filter == 1) || (fmt == F_CPIO && filter == 1))
		return archive_write_add_filter_gzip(w);
	if (fmt == F_RAW_BZ2 || (fmt == F_TAR && filter == 2))
		return archive_write_add_filter_bzip2(w);
	if (fmt == F_RAW_XZ || (fmt == F_CPIO && filter == 2))
		return archive_write_add_filter_xz(w);
	return ARCHIVE_OK;
}

static int add_entry(struct archive *w, const char *name, const void *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	if (e == NULL)
		return ARCHIVE_FATAL;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, 1714564800, 0);
	int rc = archive_write_header(w, e);
	if (rc == ARCHIVE_OK && n > 0 && archive_write_data(w, p, n) != (la_ssize_t)n)
		rc = ARCHIVE_FATAL;
	archive_entry_free(e);
	return rc;
}

/* Wraps inner (named inner_name) in one archive level; *out is malloc'd. */
static int wrap(unsigned fmt, unsigned filter, const char *inner_name, const void *inner, size_t inner_len,
                const void *sib, size_t sib_len, unsigned char **out, size_t *out_len)
{
	size_t cap = inner_len + sib_len + inner_len / 2 + 65536;
	unsigned char *buf = malloc(cap);
	struct archive *w = archive_write_new();
	size_t used = 0;
	int rc = buf != NULL && w != NULL ? set_format(w, fmt, filter) : ARCHIVE_FATAL;
	if (rc == ARCHIVE_OK) { /* fastest levels: the target is the reader, not the compressor */
		(void)archive_write_set_filter_option(w, NULL, "compression-level", "1");
		(void)archive_write_set_format_option(w, "7zip", "compression-level", "1");
		rc = archive_write_set_bytes_in_last_block(w, 1);
	}
	if (rc == ARCHIVE_OK)
		rc = archive_write_open_memory(w, buf, cap, &used);
	if (rc == ARCHIVE_OK && fmt < F_RAW_GZ)
		rc = add_entry(w, "sibling.txt", sib, sib_len);
	if (rc == ARCHIVE_OK)
		rc = add_entry(w, inner_name, inner, inner_len);
	if (w != NULL && archive_write_close(w) != ARCHIVE_OK)
		rc = ARCHIVE_FATAL;
	archive_write_free(w);
	if (rc != ARCHIVE_OK) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = used;
	return 0;
}

/* Whether a member chain names a sibling (or something inside one). The
 * sibling may hold the same bytes as the leaf ("{" and "{"), or an archive
 * of its own, damaged ("Rar!..." then junk): it is told apart by its name,
 * not its content. */
static bool in_sibling(const char *chain)
{
	for (const char *p = chain; (p = strstr(p, "sibling.txt")) != NULL; p++)
		if ((p == chain || p[-1] == '/') && (p[11] == '\0' || p[11] == '/'))
			return true;
	return false;
}

static lt_status on_member(void *ctx, walk_member *m)
{
	nest_run *r = ctx;
	if (m->data == NULL || m->len > CAP || strlen(m->sha256) != SHA256_HEX_LEN)
		abort();
	if (in_sibling(m->member))
		return LT_OK;
	bool as_found = r->payload != NULL && m->len == r->payload_len && memcmp(m->data, r->payload, m->len) == 0;
	bool unwrapped = r->plain != NULL && m->len == r->plain_len && memcmp(m->data, r->plain, m->len) == 0;
	if (!m->partial && (as_found || unwrapped)) {
		char hex[SHA256_HEX_LEN + 1];
		sha256_ctx *h = sha256_new();
		if (h == NULL)
			return LT_OK;
		sha256_update(h, m->data, m->len);
		lt_status st = sha256_final_hex(h, hex);
		sha256_free(h);
		if (st == LT_OK && strcmp(hex, m->sha256) != 0)
			abort(); /* the member's hash is not of its bytes */
		if (m->depth > r->levels)
			abort(); /* deeper than the nest that was built */
		r->found++;
	}
	return LT_OK;
}

static lt_status on_problem(void *ctx, const lt_error *e)
{
	nest_run *r = ctx;
	if (strcmp(e->file, "fuzz.tar") != 0 || e->status == LT_OK)
		abort();
	if (!in_sibling(e->member)) /* a damaged archive in the sibling is its own problem */
		r->problems++;
	return LT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 + NEST_MAX || size > 65536)
		return 0;
	unsigned levels = 1 + data[0] % NEST_MAX;
	const uint8_t *shape = data + 1;
	size_t rest_at = 1 + levels + 1;
	size_t cut = data[1 + levels];
	const uint8_t *rest = data + rest_at;
	size_t rest_len = size - rest_at;
	cut = rest_len ? cut % (rest_len + 1) : 0;
	bool corrupt = data[0] & 0x80;
	/* the payload: '{' then the input after the sibling's part */
	size_t plen = 1 + rest_len - cut;
	unsigned char *payload = malloc(plen);
	if (payload == NULL)
		return 0;
	payload[0] = '{';
	memcpy(payload + 1, rest + cut, rest_len - cut);

	unsigned char *cur = payload, *leaf = payload;
	size_t cur_len = plen, leaf_len = plen;
	bool cur_is_leaf = true, readable = true;
	unsigned prev_fmt = F_NFORMATS;
	char name[32] = "payload.json";
	for (unsigned l = 0; l < levels; l++) {
		unsigned fmt = shape[l] % F_NFORMATS, filter = (shape[l] / F_NFORMATS) % 3;
		unsigned char *next;
		size_t next_len;
		int rc = wrap(fmt, filter, name, cur, cur_len, rest, cut, &next, &next_len);
		if (cur != leaf)
			free(cur);
		if (rc != 0) {
			if (leaf != payload)
				free(leaf);
			free(payload);
			return 0;
		}
		cur = next;
		cur_len = next_len;
		if (fmt == F_RAW_GZ && cur_is_leaf) { /* a gzip leaf is delivered as found */
			if (leaf != payload)
				free(leaf);
			leaf = cur;
			leaf_len = cur_len;
		}
		cur_is_leaf = cur_is_leaf && fmt >= F_RAW_GZ;
		readable = readable && !(fmt >= F_RAW_GZ && prev_fmt == F_7Z);
		prev_fmt = fmt;
		snprintf(name, sizeof name, "level%u.%s", l + 1, ext[fmt]);
	}
	/* the outermost level is what the walk reads; corrupting it must not
	 * corrupt the expected leaf when they are the same buffer */
	if (cur == leaf && (leaf = malloc(leaf_len ? leaf_len : 1)) != NULL)
		memcpy(leaf, cur, leaf_len);
	if (leaf == NULL) {
		free(cur);
		free(payload);
		return 0;
	}
	if (corrupt && cur_len > 0 && rest_len > 0)
		cur[(cut * 131 + rest_len) % cur_len] ^= (unsigned char)(rest[0] | 1);

	nest_run run = {leaf, leaf_len, levels, 0, 0, payload, plen};
	walk_options o;
	walk_options_init(&o);
	o.max_member_bytes = CAP;
	o.max_depth = NEST_MAX + 1;
	walk_callbacks cb = {on_member, NULL, NULL, on_problem, &run};
	(void)walk_memory(cur, cur_len, "fuzz.tar", &o, &cb);
	if (!corrupt && readable && cur_len <= CAP && (run.found != 1 || run.problems != 0))
		abort(); /* a valid nest must deliver its leaf once, without problems */
	if (!corrupt && !readable && run.found + run.problems == 0)
		abort(); /* what cannot be read is reported */
	free(cur);
	if (leaf != payload)
		free(leaf);
	free(payload);
	return 0;
}
