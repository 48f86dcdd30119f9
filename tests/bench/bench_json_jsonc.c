/* bench_json_jsonc.c — json-c's side of bench_json (see bench_other.h). */
#include <json-c/json.h>
#include <limits.h>

#include "bench_other.h"

const char bench_other_name[] = "json-c json_tokener_parse_ex";

int bench_other_parse(const char *text, size_t len, size_t *sink)
{
	static struct json_tokener *tok;
	if (tok == NULL && (tok = json_tokener_new()) == NULL)
		return -1;
	if (len > INT_MAX)
		return -1;
	json_tokener_reset(tok);
	struct json_object *v = json_tokener_parse_ex(tok, text, (int)len);
	if (v == NULL)
		return -1;
	*sink += (size_t)json_object_object_length(v);
	json_object_put(v);
	return 0;
}
