/* Unit tests for common/valmatch: case, globs, the ARN's last segment, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/valmatch.h"

static bool m(const char *pat, const char *value)
{
	return valmatch_value(pat, value, strlen(value));
}

static void valmatch__any_case__matches(void **state)
{
	(void)state;
	assert_true(m("invokemodel", "InvokeModel"));
	assert_true(m("AKIAEXAMPLE", "akiaexample"));
	assert_false(m("invoke", "InvokeModel"));
}

static void valmatch__glob__whole_value(void **state)
{
	(void)state;
	assert_true(m("203.0.113.*", "203.0.113.47"));
	assert_true(m("*ci-deploy", "arn:aws:iam::1:user/svc-ci-deploy"));
	assert_false(m("203.0.113.*", "198.51.100.1"));
	assert_false(m("us-*", "eu-west-1"));
}

static void valmatch__last_segment__without_glob_only(void **state)
{
	(void)state;
	assert_true(m("svc-ci-deploy", "arn:aws:iam::1:user/svc-ci-deploy"));
	assert_true(m("CLAUDE-3-haiku-20240307-v1:0",
	              "arn:aws:bedrock:us-east-1:1:inference-profile/anthropic.claude-3-haiku-20240307-v1:0") ==
	            false); /* the segment is the whole id after the slash */
	assert_true(m("anthropic.claude-3-haiku-20240307-v1:0",
	              "arn:aws:bedrock:us-east-1:1:inference-profile/anthropic.claude-3-haiku-20240307-v1:0"));
	assert_false(m("user", "arn:aws:iam::1:user/svc-ci-deploy"));
}

static void valmatch__empty_or_oversized__never(void **state)
{
	(void)state;
	assert_false(m("*", ""));
	char *big = malloc(VALMATCH_MAX_VALUE + 1);
	assert_non_null(big);
	memset(big, 'a', VALMATCH_MAX_VALUE);
	big[VALMATCH_MAX_VALUE] = '\0';
	assert_false(m("*", big));
	free(big);
}

static void valmatch__field_of__option_names(void **state)
{
	(void)state;
	assert_int_equal(valmatch_field_of("source-ip"), VM_SOURCE_IP);
	assert_int_equal(valmatch_field_of("access-key"), VM_ACCESS_KEY);
	assert_int_equal(valmatch_field_of("since"), VM_NFIELDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valmatch__any_case__matches),
		cmocka_unit_test(valmatch__glob__whole_value),
		cmocka_unit_test(valmatch__last_segment__without_glob_only),
		cmocka_unit_test(valmatch__empty_or_oversized__never),
		cmocka_unit_test(valmatch__field_of__option_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
