#!/bin/sh
# gen_nest.sh OUT LEVELS MIB — a .tar.gz holding LEVELS tars nested in each
# other, the innermost holding one MIB MiB JSON file (blanks, then a record):
# about 1 MB of evidence whose levels are each as large as the member.
set -eu
out=$1 levels=$2 mib=$3
t=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-nest.XXXXXX")
trap 'rm -rf "$t"' EXIT INT TERM
mkdir "$t/n"
head -c $((mib * 1048576)) /dev/zero | tr '\0' ' ' >"$t/n/pad.json"
printf '{"x":1}\n' >>"$t/n/pad.json"
i=0
while [ "$i" -lt "$levels" ]; do
	tar -C "$t/n" -cf "$t/l$i.tar" .
	rm -rf "$t/n"
	mkdir "$t/n"
	mv "$t/l$i.tar" "$t/n/"
	i=$((i + 1))
done
tar -C "$t/n" -cf - . | gzip -1 >"$out"
