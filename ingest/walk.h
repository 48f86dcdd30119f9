/*
 * walk.h — the evidence walker: folders and archives in, whole members out.
 *
 * One evidence path as given on the command line is a folder (walked
 * recursively, entries sorted bytewise within each folder, depth first), a
 * single file, or an archive libarchive reads (tar, cpio, ar, zip, 7z, rar,
 * cab, lha, xar, iso9660; bare or inside gzip/bzip2/xz/lzma/lzip/zstd/lz4/
 * compress), nested to any depth up to walk_options.max_depth. Archives are
 * recognised by content, never by name. Nothing is extracted by name: each
 * member is read into memory, nested archives are opened from memory, except
 * that a plain file larger than walk_options.map_threshold that is a leaf is
 * mapped read-only (mmap) instead of read, and an archive entry larger than
 * WALK_SPILL_BYTES goes to an unlinked scratch file in $TMPDIR (mapped when it
 * is a leaf, streamed when it is a nested archive): memory for nested archives
 * stays under WALK_SPILL_BYTES per level, whatever their size (issue 22).
 *
 * A leaf is any member (or plain file) that is not itself an archive: a
 * .json.gz that holds JSON is a leaf, delivered compressed, as found. Every
 * leaf goes to on_member with its bytes, size, SHA-256 (computed while the
 * bytes were read) and mtime. Every evidence file (the path itself, or each
 * regular file under a folder) goes to on_evidence with the size and SHA-256
 * of its bytes as stored on disk, hashed while streaming it to libarchive.
 *
 * Names are data: member names are kept as '/'-joined provenance strings
 * (walk_member.member), never used to open anything. Symlinks, hardlinks,
 * devices and fifos, in folders or archives, are not followed or read: each
 * is reported to on_problem as an LT_EITEM note. Symlinked folders are never
 * entered (no loops). A path given on the command line is followed.
 *
 * Problems (unreadable file, corrupt archive, member over the size cap,
 * nesting too deep) go to on_problem with status, file and member chain set;
 * the walk goes on with the next member when libarchive can, else with the
 * next file. Members delivered before a failure stay delivered.
 *
 * Threading and ownership: callbacks run on the walker's thread, one at a
 * time, in a deterministic order. Every pointer in a walk_member or
 * walk_file is valid only during the callback. To keep a member's bytes
 * without copying (e.g. to hand them to a worker thread), call
 * walk_member_steal() inside on_member: it returns the malloc'd buffer that
 * holds data[0..len) and the caller free()s it later; walk_member_take does
 * the same for any member, mapped or not, and walk_buffer_release lets it
 * go. The strings must be copied if they are needed after the callback.
 *
 * Return values: walk_evidence and walk_memory return the worst status seen
 * (reported problems and callback returns); LT_EFATAL when a callback returned
 * LT_EFATAL (the walk stops at once) or memory ran out.
 */
#ifndef LLMTRAIL_INGEST_WALK_H
#define LLMTRAIL_INGEST_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/budget.h"
#include "common/error.h"
#include "ingest/sha256.h"

#define WALK_DEFAULT_MAX_MEMBER_BYTES ((uint64_t)1 << 30) /* 1 GiB */
#define WALK_DEFAULT_MAX_DEPTH 16u
#define WALK_DEFAULT_STREAM_THRESHOLD ((uint64_t)16 << 20) /* 16 MiB */
#define WALK_SPILL_BYTES ((size_t)64 << 20) /* larger archive entries go to a scratch file */
#define WALK_CHAIN_MAX 8192 /* longest member chain, bytes */

typedef struct walk_options {
	/* A member (or plain file) larger than this is not loaded: LT_EFILE
	 * "member too large: N bytes (limit M)". 0 = the default, 1 GiB. */
	uint64_t max_member_bytes;
	/* Most archive levels opened inside the evidence: a member at depth d
	 * (d archives above it) is opened as an archive only if d < max_depth;
	 * deeper archives are reported (LT_EFILE) and not opened. 0 = 16. */
	unsigned max_depth;
	/* Evidence files up to this size are read whole into memory in one pass
	 * (hashed as read) and classified there; larger ones are streamed through
	 * libarchive, hashed as they pass. Results are the same. 0 = 16 MiB. */
	uint64_t stream_threshold;
	/* A plain file that is one leaf and larger than this (and than
	 * stream_threshold) is mapped, not read: its member's data is a
	 * read-only mapping (walk_member.mapped). Take such members with
	 * walk_member_take. The file must not shrink while it is mapped (reading
	 * past its new end would raise SIGBUS). 0 = never map. */
	uint64_t map_threshold;
	/* The run's decompressed-bytes budget (common/budget.h), charged with
	 * every byte read out of an archive or a compressed stream; once spent,
	 * the member being read is refused (LT_EFILE, naming the cap) and no
	 * further entry of that archive is read. NULL = no budget. */
	lt_budget *budget;
} walk_options;

/* One leaf member. See the ownership note above. */
typedef struct walk_member {
	const char *evidence;      /* the evidence path as given (or walk_memory's name) */
	const char *member;        /* '/'-joined chain inside it; "" when the evidence is
	                              this plain file; for a folder, starts with the
	                              relative path of the file inside the folder */
	const unsigned char *data; /* the bytes exactly as found; never NULL */
	size_t len;                /* the member's size in bytes */
	char sha256[SHA256_HEX_LEN + 1]; /* of data[0..len), lowercase hex */
	int64_t mtime;             /* seconds since the epoch, if has_mtime */
	bool has_mtime;
	unsigned depth;            /* archives above this member: 0 for a plain file */
	bool partial;              /* the member could not be read to its end: data is
	                              the prefix that was read; a problem was reported */
	bool mapped;               /* data is a read-only file mapping (see map_threshold and
	                              WALK_SPILL_BYTES); its reader may let pages it has read go
	                              (madvise MADV_DONTNEED): they fault in again from the file,
	                              the same bytes (store/indexer.c keeps a window resident) */
	void *owned;               /* internal: the buffer walk_member_take hands over */
} walk_member;

/* A member's buffer once taken: malloc'd, or a mapping of len bytes. */
typedef struct walk_buffer {
	void *p;
	size_t len;
	bool mapped;
} walk_buffer;

/* One evidence file as stored on disk (or the walk_memory buffer). */
typedef struct walk_file {
	const char *evidence; /* the path as given */
	const char *member;   /* relative path inside a folder given as evidence; "" otherwise */
	const char *path;     /* the filesystem path that was read; "" for walk_memory */
	uint64_t size;        /* bytes hashed */
	char sha256[SHA256_HEX_LEN + 1];
	int64_t mtime;
	bool has_mtime;
	bool is_archive;      /* opened as an archive (else delivered as one leaf) */
	bool complete;        /* false if a read error stopped hashing before the end */
} walk_file;

/* Every callback may be NULL (then nothing is called). Each returns LT_OK to
 * go on; LT_EFATAL stops the walk; LT_EITEM/LT_EFILE are folded into the
 * walk's return value and the walk goes on. */
typedef struct walk_callbacks {
	/* A leaf member. m is writable only so that walk_member_steal can be called. */
	lt_status (*on_member)(void *ctx, walk_member *m);
	/* A nested archive member (custody of the container), before its members.
	 * Its data cannot be stolen. */
	lt_status (*on_container)(void *ctx, const walk_member *m);
	/* An evidence file, after all its members (its hash needs the whole stream). */
	lt_status (*on_evidence)(void *ctx, const walk_file *f);
	/* A problem: status, file (evidence as given) and member set. */
	lt_status (*on_problem)(void *ctx, const lt_error *err);
	void *ctx; /* passed to every callback */
} walk_callbacks;

/* Sets the defaults (1 GiB per member, depth 16, stream above 16 MiB, never map). */
void walk_options_init(walk_options *o);

/* Walks one evidence path: a folder, a file or an archive. opt may be NULL. */
lt_status walk_evidence(const char *path, const walk_options *opt, const walk_callbacks *cb) LT_WUR;

/* Walks an in-memory evidence file called name (an archive or a plain leaf),
 * exactly as walk_evidence walks a file. data is only read. */
lt_status walk_memory(const void *data, size_t len, const char *name, const walk_options *opt,
	const walk_callbacks *cb) LT_WUR;

/* Inside on_member: takes ownership of the member's buffer, which holds
 * m->data[0..m->len) (m->data stays valid: it points into it). The caller
 * free()s it. Returns NULL if it was already stolen, or if the member is
 * mapped (use walk_member_take). */
void *walk_member_steal(walk_member *m) LT_WUR;

/* Inside on_member: takes ownership of the member's buffer, malloc'd or
 * mapped, into *out; release it with walk_buffer_release. false (and *out
 * empty) if it was already taken. */
bool walk_member_take(walk_member *m, walk_buffer *out) LT_WUR;

/* Frees or unmaps a taken buffer and empties it. b may be NULL or empty. */
void walk_buffer_release(walk_buffer *b);

#endif
