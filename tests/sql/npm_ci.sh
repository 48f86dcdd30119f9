# npm_ci.sh — sourced by the tests of tests/sql/: npm_ci WHAT PKGDIR DEST MODULE
# skips (TAP plan 1..0, exit 0) when node or npm is absent, and otherwise
# installs PKGDIR's package.json and lockfile into DEST with `npm ci` once per
# build tree (the source tree stays read-only), unless DEST/node_modules/MODULE
# is there; an install that fails is a failure (TAP, exit 1). WHAT names the
# tool in the messages.
npm_ci() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		echo "1..0 # SKIP node and npm are needed to run $1"
		exit 0
	fi
	[ -d "$3/node_modules/$4" ] && return 0
	mkdir -p "$3" && cp "$2/package.json" "$2/package-lock.json" "$3/" &&
		chmod u+w "$3/package.json" "$3/package-lock.json" &&
		(cd "$3" && npm ci --no-audit --no-fund >npm.log 2>&1)
	if [ $? -ne 0 ]; then
		echo "1..1"
		echo "not ok 1 - npm ci of $4 in $3 failed:"
		sed 's/^/# /' "$3/npm.log" 2>/dev/null | tail -20
		exit 1
	fi
}
