#!/bin/sh
# parse_check.sh — every statement `llmtrail sql` writes for Athena, Trino and
# Spark, over the shipped packs and tests/sql/rules, is parsed by a grammar of
# that dialect (and over tests/sql/corr: correlations of every type and
# window kind): dt-sql-parser's ANTLR grammars from npm (TrinoSQL for Athena
# engine 3 and Trino, SparkSQL for Spark), pinned by parse/package-lock.json
# and installed once per build tree into $LLMTRAIL_BUILDDIR/tests/sql-parse-node.
# A script with a syntax error the parser must reject, first, shows the check
# can fail. TAP; skipped, saying so, only when node or npm is absent.
set -u
S="${LLMTRAIL_SRCDIR:-.}"
B="${LLMTRAIL_BUILDDIR:-.}"
. "$S/tests/sql/npm_ci.sh"
N="$B/tests/sql-parse-node"
npm_ci "the dialect parsers (dt-sql-parser)" "$S/tests/sql/parse" "$N" dt-sql-parser
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
P="$S/tests/sql/parse"
parse() { # N DIALECT FILE
	DT_SQL_PARSER_DIR="$N" node --import "$P/register.mjs" "$P/parse.mjs" "$@"
}
echo "1..10"
fail=0
printf 'CREATE OR REPLACE VIEW v AS\nSELECT a FROM t WHERE (a = 1;\n' >"$T/broken.sql"
if parse 1 trino "$T/broken.sql" >"$T/neg.out" 2>&1; then
	echo "not ok 1 - a statement with an unclosed parenthesis was accepted"
	fail=1
else
	echo "ok 1 - a statement with an unclosed parenthesis is rejected ($(sed -n 2p "$T/neg.out" | cut -c1-80))"
fi
n=1
for set in shipped rules corr; do
	for d in athena trino spark; do
		n=$((n + 1))
		label="the shipped packs"
		[ "$set" = shipped ] || label="tests/sql/$set"
		if [ "$set" = shipped ]; then
			"$LLMTRAIL" sql --dialect "$d" -o "$T/$d.sql" 2>"$T/err"
		else
			"$LLMTRAIL" sql --dialect "$d" --no-default-rules -r "$S/tests/sql/$set" -o "$T/$d.sql" 2>"$T/err"
		fi
		if [ $? -ne 0 ]; then
			echo "not ok $n - llmtrail sql --dialect $d ($label) failed"
			sed 's/^/# /' "$T/err"
			fail=1
			continue
		fi
		parse "$n" "$d" "$T/$d.sql" >"$T/p.out" 2>"$T/perr" || fail=1
		sed "s| parsed\$| parsed ($label)|" "$T/p.out"
		[ -s "$T/p.out" ] || { echo "not ok $n - $d ($label): the parser printed nothing"; sed 's/^/# /' "$T/perr"; fail=1; }
	done
done
exit $fail
