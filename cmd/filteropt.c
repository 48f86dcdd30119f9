/*
 * filteropt.c — the command line's field filters (see filteropt.h): one
 * option table, stored by field, handed to the replay (timeline) or to the
 * report's scope (scan, analyze).
 */
#include "config.h"

#include "cmd/filteropt.h"

bool filteropt_take(const char *name, const char *value, const char *match[VM_NFIELDS])
{
	valmatch_field f = valmatch_field_of(name);
	if (f == VM_NFIELDS)
		return false;
	match[f] = value;
	return true;
}

bool filteropt_any(const char *const match[VM_NFIELDS])
{
	for (int i = 0; i < VM_NFIELDS; i++)
		if (match[i] != NULL)
			return true;
	return false;
}

void filteropt_to_replay(const char *const match[VM_NFIELDS], replay_filter *f)
{
	f->principal = match[VM_PRINCIPAL];
	f->access_key = match[VM_ACCESS_KEY];
	f->source_ip = match[VM_SOURCE_IP];
	f->account = match[VM_ACCOUNT];
	f->region = match[VM_REGION];
	f->model = match[VM_MODEL];
	f->action = match[VM_ACTION];
}
