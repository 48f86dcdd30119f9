#!/bin/sh
# incidents_gen.sh — every attack scenario of the generator's incident corpus
# (llmtrail-gen --attacks on, DIR/ground-truth.jsonl) becomes one incident, at
# most two; the best-ranked of them ranks above every benign incident (one
# holding no ground-truth event), starts and ends inside the scenario's
# stated span (merged scenarios: their union; 15 minutes of slack) and names
# its principal. An incident with no actor inside a scenario's span is its
# effect, not benign. Every check is a real pass (knowledge_base_dump, which
# only a low rule used to find, was a TODO: the retrieval burst is medium and
# llmtrail-gen is deterministic now). incidents.jsonl validates against
# docs/incidents.schema.json.
# Needs python3 (with jsonschema for the schema part). TAP output.
set -u
: "${LLMTRAIL:?}" "${LLMTRAIL_BUILDDIR:?}" "${LLMTRAIL_SRCDIR:?}"
gen="$LLMTRAIL_BUILDDIR/llmtrail-gen"
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmtrail-incidents.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cat >"$tmp/check.py" <<'PY'
import json, sys
from datetime import datetime, timedelta
def t(s): return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
gt = [json.loads(l) for l in open(sys.argv[1])]
inc = [json.loads(l) for l in open(sys.argv[2])]
uids = [set(i["event_uids"]) for i in inc]
attack_ids = set()
for g in gt:
    attack_ids |= set(g.get("event_ids", [])) | set(g.get("request_ids", []))
slack = timedelta(minutes=15)
spans = [(t(g["start"]) - slack, t(g["end"]) + slack) for g in gt]
def actorless_in_a_scenario(i):
    # no principal, key or IP, inside a scenario's span: an effect of it whose
    # records (e.g. knowledge-base logs) the ground truth does not list
    if i["principals"] or i["access_keys"] or i["source_ips"]:
        return False
    f, l = t(i["first_seen"]), t(i["last_seen"])
    return any(lo <= f and l <= hi for lo, hi in spans)
benign = [k for k, u in enumerate(uids) if not (u & attack_ids) and not actorless_in_a_scenario(inc[k])]
first_benign = min(benign) if benign else len(inc)
fs = {}
for l in open(sys.argv[3]):
    f = json.loads(l)
    fs[f["id"]] = f
LEVELS = ["informational", "low", "medium", "high", "critical"]
n = 0; fails = 0
def report(ok, what):
    global n, fails
    n += 1
    if not ok: fails += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
for g in gt:
    ids = set(g.get("event_ids", [])) | set(g.get("request_ids", []))
    holders = [k for k, u in enumerate(uids) if u & ids]
    name = g["incident"]
    report(1 <= len(holders) <= 2, "%s becomes 1 or 2 incidents (ranks %s)" % (name, [h + 1 for h in holders]))
    if not holders:
        continue
    best = holders[0]
    top = max(LEVELS.index(fs[x]["rule"]["level"]) for h in holders for x in inc[h]["findings"])
    report(best < first_benign,
           "%s ranks %d, above every benign incident (first at %d; its top finding is %s)"
           % (name, best + 1, first_benign + 1, LEVELS[top]))
    # scenarios merged into the same incident bound its span together
    merged = [x for x in gt if uids[best] & (set(x.get("event_ids", [])) | set(x.get("request_ids", [])))]
    lo = min(t(x["start"]) for x in merged) - slack
    # the end gets twice the slack: a low finding of the same principal within
    # the low grouping gap (30 min) may follow the scenario. llmtrail-gen is
    # byte-identical for a seed (it used to draw a fresh signing key per run,
    # which varied everything after the first digest), so this is a fixed
    # property of seed 11: the chatbot role's next unguarded call, +26 min
    hi = max(t(x["end"]) for x in merged) + 2 * slack
    f, l = t(inc[best]["first_seen"]), t(inc[best]["last_seen"])
    report(lo <= f <= l <= hi, "%s: incident %s..%s within %s..%s" % (name, f, l, lo, hi))
    report(g["principal"] in inc[best]["principals"] or any(g["principal"] in inc[h]["principals"] for h in holders),
           "%s: names principal %s" % (name, g["principal"]))
# the per-entity baseline (analyzers/baseline.c): the leaked key's night of
# calls from a new IP is unusual for its principal; no benign incident is
# ranked up for an unusual hour and source
for g in gt:
    if g["incident"] != "llmjacking":
        continue
    ids = set(g.get("event_ids", [])) | set(g.get("request_ids", []))
    holders = [k for k, u in enumerate(uids) if u & ids]
    report(bool(holders) and "at an hour unseen" in inc[holders[0]]["level_reason"],
           "llmjacking: the baseline finds its hour and source unusual for the key's principal")
ranked_up = [k + 1 for k in benign if "; at an hour " in inc[k]["level_reason"]]
report(not ranked_up, "no benign incident ranked up by the baseline (%s)" % ranked_up)
print("1..%d" % n)
sys.exit(1 if fails else 0)
PY
fails=0
"$gen" --out "$tmp/attack" --size 3M --seed 11 --attacks on >/dev/null 2>&1 || fails=1
"$LLMTRAIL" -q analyze "$tmp/attack" -o "$tmp/out" --fail-on none >"$tmp/out.txt" 2>"$tmp/err.txt"
if [ ! -s "$tmp/out/incidents.jsonl" ]; then
	echo "not ok 1 - analyze wrote incidents.jsonl"
	sed 's/^/# /' "$tmp/err.txt" | head -10
	echo "1..1"
	exit 1
fi
python3 "$tmp/check.py" "$tmp/attack/ground-truth.jsonl" "$tmp/out/incidents.jsonl" "$tmp/out/findings.jsonl" >"$tmp/tap" || fails=1
if python3 -c "import jsonschema" 2>/dev/null; then
	cat >"$tmp/schema.py" <<'PY'
import json, sys, jsonschema
for schema_path, data in zip(sys.argv[1::2], sys.argv[2::2]):
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for n, line in enumerate(open(data, encoding="utf-8"), 1):
        errors = sorted(v.iter_errors(json.loads(line)), key=str)
        if errors:
            print("# %s line %d: %s" % (data, n, errors[0].message[:200]))
            sys.exit(1)
PY
	if python3 "$tmp/schema.py" "$LLMTRAIL_SRCDIR/docs/incidents.schema.json" "$tmp/out/incidents.jsonl" \
		"$LLMTRAIL_SRCDIR/docs/findings.schema.json" "$tmp/out/findings.jsonl" >"$tmp/schema.out"; then
		schema="ok"
	else
		schema="not ok"
		fails=1
	fi
else
	schema="ok # SKIP python3 jsonschema not available:"
fi
n=$(sed -n 's/^1\.\.//p' "$tmp/tap")
sed '/^1\.\./d' "$tmp/tap"
cat "$tmp/schema.out" 2>/dev/null
echo "$schema $((n + 1)) - incidents.jsonl and findings.jsonl validate against their schemas"
echo "1..$((n + 1))"
[ "$fails" -eq 0 ]
