#!/bin/sh
# test_packs.sh — every shipped rule loads, and its example events match (pos)
# or do not match (neg): `llmtrail rules test` over rules/ (TAP from llmtrail).
set -u
if [ ! -d "${LLMTRAIL_SRCDIR:-.}/rules" ]; then
	echo "1..0 # SKIP no rules folder"
	exit 0
fi
exec "$LLMTRAIL" rules test "${LLMTRAIL_SRCDIR:-.}/rules"
