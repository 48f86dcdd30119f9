/*
 * version.c — versions of llmtrail and of the libraries it runs with (the
 * run-time versions, which are what matters in a forensic record).
 */
#include "config.h"

#include "cmd/version.h"

#include <archive.h>
#include <libdeflate.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include <zlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "store/caseq.h"

void version_print(FILE *out)
{
	char pcre2[64] = "?";
	pcre2_config(PCRE2_CONFIG_VERSION, pcre2);
	fprintf(out, "llmtrail %s\n", PACKAGE_VERSION);
	fprintf(out, "  %-10s %s\n", "libarchive", archive_version_details());
	fprintf(out, "  %-10s %s\n", "pcre2", pcre2);
	fprintf(out, "  %-10s %s\n", "libxml2", xmlParserVersion);
	fprintf(out, "  %-10s %s\n", "zlib", zlibVersion());
	fprintf(out, "  %-10s %s\n", "libdeflate", LIBDEFLATE_VERSION_STRING);
	fprintf(out, "  %-10s %s\n", "sqlite", caseq_sqlite_version());
	fprintf(out, "  %-10s %s\n", "openssl", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  %-10s %s\n", "libyaml", yaml_get_version_string());
}
