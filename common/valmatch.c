/*
 * valmatch.c — filter values against field values (see valmatch.h).
 *
 * fnmatch(3) with FNM_CASEFOLD does the glob over a NUL-terminated copy on
 * the stack (VALMATCH_MAX_VALUE bytes at most: evidence cannot make it
 * grow); the last-segment rule applies only to a pattern without glob
 * characters, so "*" never means "anything after a slash" by accident.
 */
#include "config.h"

#include "common/valmatch.h"

#include <fnmatch.h>
#include <string.h>
#include <strings.h>

const char *const valmatch_option_names[VM_NFIELDS] = {"principal", "access-key", "source-ip", "account",
                                                       "region",    "model",      "action"};

valmatch_field valmatch_field_of(const char *option_name)
{
	for (int i = 0; i < VM_NFIELDS; i++)
		if (strcmp(valmatch_option_names[i], option_name) == 0)
			return (valmatch_field)i;
	return VM_NFIELDS;
}

bool valmatch_value(const char *pat, const char *s, size_t n)
{
	char v[VALMATCH_MAX_VALUE];
	if (n == 0 || n >= sizeof v)
		return false;
	memcpy(v, s, n);
	v[n] = '\0';
	if (fnmatch(pat, v, FNM_CASEFOLD) == 0)
		return true;
	if (strpbrk(pat, "*?[") != NULL)
		return false;
	const char *last = strrchr(v, '/');
	return last != NULL && strcasecmp(last + 1, pat) == 0;
}
