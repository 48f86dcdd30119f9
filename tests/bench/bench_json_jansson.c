/* bench_json_jansson.c — jansson's side of bench_json (see bench_other.h). */
#include <jansson.h>

#include "bench_other.h"

const char bench_other_name[] = "jansson json_loadb";

int bench_other_parse(const char *text, size_t len, size_t *sink)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, 0, &e);
	if (v == NULL)
		return -1;
	*sink += json_object_size(v);
	json_decref(v);
	return 0;
}
