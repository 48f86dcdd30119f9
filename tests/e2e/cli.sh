#!/bin/sh
# cli.sh — holds the command line, the man page, the README and the exit-code
# table together: every command and every option that `llmtrail CMD --help`
# lists must be documented in docs/llmtrail.1 (in that command's section),
# and the exit codes printed by --help must match the man page and README.
# TAP output (the plan comes last).
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_SRCDIR:?}"
man="$LLMTRAIL_SRCDIR/docs/llmtrail.1"
readme="$LLMTRAIL_SRCDIR/README.md"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

# man text with roff escapes for '-' undone
plain=$(sed 's/\\-/-/g; s/\\fI//g; s/\\fR//g; s/\\fB//g' "$man")
section() { # the man section of command $1 (from .SS "cmd" to the next .SS/.SH)
	printf '%s\n' "$plain" | awk -v c="$1" '
		/^\.S[SH] / { on = ($0 ~ "^\\.SS \"" c "( |\")") }
		on { print }'
}

commands=$("$LLMTRAIL" --help | awk '/^commands:/{on=1; next} /^$/{on=0} on {print $1}')

for c in $commands; do
	sec=$(section "$c")
	check "man page has a section for '$c'" '[ -n "$sec" ]'
	missing=""
	opts=$("$LLMTRAIL" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u | grep -v -- '^--help$')
	for o in $opts; do
		if ! printf '%s\n' "$sec" | grep -q -- "$o"; then
			# analyze documents "every option of scan"
			if [ "$c" = analyze ] && section scan | grep -q -- "$o"; then continue; fi
			missing="$missing $o"
		fi
	done
	check "every option of '$c' is in its man section${missing:+ (missing:$missing)}" '[ -z "$missing" ]'
done

for o in --quiet --verbose --color --version; do
	check "global option $o in man page" 'printf "%s\n" "$plain" | grep -q -- "$o"'
done

# exit codes: --help, man page, README agree
help_codes=$("$LLMTRAIL" --help | awk '/^exit codes:/{on=1; next} on && /^  [0-9] /{print $1}' | tr '\n' ' ')
man_codes=$(printf '%s\n' "$plain" | awk '/^\.SH EXIT STATUS/{on=1; next} /^\.SH/{on=0} on && /^\.B [0-9]$/{print $2}' | tr '\n' ' ')
check "exit codes in --help ($help_codes) match man page ($man_codes)" '[ "$help_codes" = "$man_codes" ]'
check "precedence 4 > 2 > 3 > 1 > 0 stated in --help, man page and README" \
	'"$LLMTRAIL" --help | grep -q "4 > 2 > 3 > 1 > 0" && grep -q "4 > 2 > 3 > 1 > 0" "$man" && grep -q "4 > 2 > 3 > 1 > 0" "$readme"'
check "--version names every linked library" \
	'v=$("$LLMTRAIL" --version); for l in libarchive pcre2 libxml2 zlib libdeflate sqlite openssl libyaml; do printf "%s\n" "$v" | grep -q "^  $l " || exit 1; done'
echo "1..$n"
[ "$fails" -eq 0 ]
