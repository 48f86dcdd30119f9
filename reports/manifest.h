/*
 * manifest.h — a signed manifest of a report set (scan/analyze --sign
 * KEY.pem; `llmtrail verify-report DIR --public-key PUB.pem`).
 *
 * manifest.sha256 lists one file per line, "<64 hex>  <kind>/<name>":
 * first every report file written ("output/report.html", ...), then every
 * evidence member of the report's chain of custody, with the SHA-256 of its
 * bytes as stored ("evidence/<path> :: <member>"). Names are escaped so an
 * entry is one line: bytes below 0x20, 0x7f and '\' are written as \xNN.
 * manifest.sig is a detached signature of manifest.sha256's bytes: SHA-256
 * with the key's own scheme (RSA PKCS#1 v1.5, ECDSA) or Ed25519, exactly what
 * `openssl dgst -sha256 -sign KEY.pem -out manifest.sig manifest.sha256`
 * writes for RSA and EC keys, so a verifier needs nothing but OpenSSL.
 *
 * Verification checks the signature, then re-hashes every output file the
 * manifest lists (evidence lines are covered by the signature; the evidence
 * itself is elsewhere: `llmtrail verify` and the custody check re-read it).
 *
 * Ownership: manifest_key is opaque (manifest_key_free(NULL) is a no-op).
 * Limits: a manifest of at most MANIFEST_MAX_BYTES; a signature of at most
 * MANIFEST_MAX_SIG bytes.
 * Errors: LT_EFILE with the file named (unreadable key, file, signature),
 * LT_EFATAL out of memory.
 */
#ifndef LLMTRAIL_REPORTS_MANIFEST_H
#define LLMTRAIL_REPORTS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "model/report.h"

#define MANIFEST_NAME "manifest.sha256"
#define MANIFEST_SIG_NAME "manifest.sig"
#define MANIFEST_MAX_BYTES ((size_t)256 << 20)
#define MANIFEST_MAX_SIG 8192

typedef struct manifest_key manifest_key;

/* A private key (PEM, unencrypted) for signing, or a public key (PEM) for
 * verifying. */
lt_status manifest_key_load(const char *path, bool private_key, manifest_key **out, lt_error *err) LT_WUR;
void manifest_key_free(manifest_key *k);

/* Writes dir/manifest.sha256 over the files names[0..n) of dir that exist
 * and the report's evidence, and dir/manifest.sig signed with key. *digest
 * (65 bytes) receives the manifest's SHA-256 in hex. */
lt_status manifest_write(const report *r, const char *dir, const char *const *names, size_t n,
                         const manifest_key *key, char digest[65], lt_error *err) LT_WUR;

/* The SHA-256 (hex) of the evidence lines manifest_write writes for r, in
 * order, each with its newline: what report.html shows when signed (the HTML
 * is itself a line of the manifest, so it cannot show the whole manifest's
 * digest; it shows the digest of the custody it was signed over). */
lt_status manifest_evidence_digest(const report *r, char digest[65], lt_error *err) LT_WUR;

/* What report.html says of the evidence lines (manifest_check.html_evidence). */
typedef enum manifest_html {
	MANIFEST_HTML_NONE = 0,  /* no report.html in the set */
	MANIFEST_HTML_MATCHES,   /* it shows the digest of the manifest's evidence lines */
	MANIFEST_HTML_DIFFERS,   /* it shows another digest */
	MANIFEST_HTML_ABSENT     /* it shows none */
} manifest_html;

typedef struct manifest_check {
	bool signature_ok;
	size_t outputs, outputs_ok, altered, missing; /* output lines and their state */
	size_t evidence;                               /* evidence lines (signed, not re-read) */
	char digest[65];                               /* SHA-256 of manifest.sha256, hex */
	char evidence_digest[65];                      /* SHA-256 of its evidence lines, hex */
	manifest_html html_evidence;
} manifest_check;

/* The element of report.html that holds the evidence lines' digest. */
#define MANIFEST_HTML_MARK "<code id=\"evidence-manifest\">"

/* Checks dir's manifest against key; what differs is said in say, one line
 * each. LT_OK when it could be checked (see *out for the result). */
lt_status manifest_verify(const char *dir, const manifest_key *key, manifest_check *out, buf *say,
                          lt_error *err) LT_WUR;

#endif
