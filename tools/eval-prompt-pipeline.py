#!/usr/bin/env python3
"""What the whole product flags on the held-out split, not the model alone.

  tools/eval-prompt-pipeline.py DATA.jsonl WORKDIR [--llmtrail ./llmtrail]
                                [--split test] [--drop-sources RE]
                                [--list FILE]

eval-prompt-model.py measures the classifier's scores; an investigator sees
findings, from every rule: the classifier's, the known-template similarity,
the phrase regexes of the prompt-misuse pack and the rest. This writes each row
of the split as one Bedrock invocation record (Converse, standard S3 layout,
one principal per row and a minute apart, so that no correlation or baseline
ties rows together), runs `llmtrail analyze` on it with the shipped rules,
and counts per label the rows with a finding at medium or higher: from the
prompt-misuse pack, and from any pack. For benign rows it lists the rules that
flagged them, which is where a regex that fires on ordinary prompts shows.
--list FILE writes every flagged benign row and every missed attack row as
JSONL (label, source, rules, text) for reading them one by one.
The split is train-prompt-model.py's (by group hash).
"""
import argparse
import collections
import gzip
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

spec = importlib.util.spec_from_file_location(
    "trainer", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-prompt-model.py"))
trainer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(trainer)

ACCOUNT = "123456789012"
LEVELS = {"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def request_id(i):
    return "00000000-0000-4000-8000-%012d" % i


def record(i, text, when):
    return {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "accountId": ACCOUNT,
        "identity": {"arn": "arn:aws:sts::%s:assumed-role/eval-role/row-%d" % (ACCOUNT, i)},
        "region": "us-east-1", "requestId": request_id(i), "operation": "Converse",
        "modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "input": {"inputContentType": "application/json",
                  "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": text}]}]},
                  "inputTokenCount": max(1, len(text) // 4)},
        "output": {"outputContentType": "application/json",
                   "outputBodyJson": {"output": {"message": {"role": "assistant",
                                                             "content": [{"text": "OK."}]}},
                                      "stopReason": "end_turn"},
                   "outputTokenCount": 1},
    }


def write_evidence(rows, root):
    """One .json.gz per hour of the standard layout; returns request id -> row."""
    start = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)
    by_hour = collections.defaultdict(list)
    ids = {}
    for i, r in enumerate(rows):
        when = start + timedelta(minutes=i)
        by_hour[when.strftime("%Y/%m/%d/%H")].append(record(i, r["text"], when))
        ids[request_id(i)] = r
    for hour, recs in by_hour.items():
        d = os.path.join(root, "AWSLogs", ACCOUNT, "BedrockModelInvocationLogs", "us-east-1", hour)
        os.makedirs(d, exist_ok=True)
        name = hour.replace("/", "") + "0000Z_eval.json.gz"
        with gzip.open(os.path.join(d, name), "wt", encoding="utf-8") as f:
            for rec in recs:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return ids


def flagged_rows(findings_path):
    """request id -> set of (pack, rule title) at medium or higher."""
    out = collections.defaultdict(set)
    with open(findings_path, encoding="utf-8") as f:
        for line in f:
            fd = json.loads(line)
            rule = fd["rule"]
            if LEVELS.get(rule.get("level"), 0) < LEVELS["medium"]:
                continue
            for ev in fd.get("events", []):
                rid = ev.get("request_id") or ev.get("uid")
                out[rid].add((rule.get("pack", ""), rule["title"]))
    return out


def read_rows(path):
    """DATA's rows; a line that is not a JSON object with text, label, source and group is named
    by file and line, and the run stops (a measurement on part of a file would mislead)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError as e:
                sys.exit("%s:%d: not JSON: %s" % (path, no, e))
            if not isinstance(r, dict) or not all(isinstance(r.get(k), str)
                                                   for k in ("text", "label", "source", "group")):
                sys.exit("%s:%d: a row needs the strings text, label, source and group" % (path, no))
            rows.append(r)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("workdir")
    ap.add_argument("--llmtrail", default="./llmtrail")
    ap.add_argument("--split", default="test", choices=("train", "val", "test", "all"),
                    help="all: every row of DATA (for a file that is not the training set)")
    ap.add_argument("--drop-sources", default="^jbb-PAIR$")
    ap.add_argument("--list", help="write flagged benign and missed attack rows here (JSONL)")
    args = ap.parse_args()
    rows = read_rows(args.data)
    rows = [r for r in rows if not (args.drop_sources and re.search(args.drop_sources, r["source"]))
            and (args.split == "all" or trainer.split_of(r["group"]) == args.split)]
    shutil.rmtree(args.workdir, ignore_errors=True)
    ev, out = os.path.join(args.workdir, "evidence"), os.path.join(args.workdir, "out")
    ids = write_evidence(rows, ev)
    res = subprocess.run([args.llmtrail, "-q", "analyze", ev, "-o", out, "-f", "jsonl", "--fail-on", "none"])
    if res.returncode != 0:
        sys.exit("llmtrail analyze exited %d" % res.returncode)
    hits = flagged_rows(os.path.join(out, "findings.jsonl"))
    total = collections.Counter(r["label"] for r in rows)
    pm, anyp = collections.Counter(), collections.Counter()
    benign_rules, benign_src = collections.Counter(), collections.Counter()
    for rid, r in ids.items():
        h = hits.get(rid, set())
        if any(p == "prompt-misuse" for p, _ in h):
            pm[r["label"]] += 1
        if h:
            anyp[r["label"]] += 1
        if r["label"] == "benign" and h:
            benign_src[r["source"]] += 1
            for p, t in h:
                benign_rules["%s: %s" % (p, t)] += 1
    print("%s split, %d rows (%s), `llmtrail analyze` with the shipped rules" % (
        args.split, len(rows), ", ".join("%s %d" % kv for kv in sorted(total.items()))))
    print()
    print("| label | rows | flagged at medium+ by prompt-misuse rules | by any rule |")
    print("|---|---|---|---|")
    for label in trainer.CLASSES + ["benign"]:
        n = total[label]
        if n:
            print("| %s | %d | %d (%.1f %%) | %d (%.1f %%) |" % (
                label, n, pm[label], 100.0 * pm[label] / n, anyp[label], 100.0 * anyp[label] / n))
    print()
    nsrc = collections.Counter(r["source"] for r in rows if r["label"] == "benign")
    print("Benign rows flagged, by source: " + ", ".join(
        "%s %d/%d" % (s, benign_src[s], nsrc[s]) for s in sorted(nsrc) if benign_src[s]))
    print()
    print("Rules flagging benign rows (rows):")
    for rule, n in benign_rules.most_common():
        print("- %s: %d" % (rule, n))
    if args.list:
        write_list(args.list, ids, hits)


def write_list(path, ids, hits):
    """The rows to read by eye: benign ones flagged, attack ones missed."""
    with open(path, "w", encoding="utf-8") as f:
        for rid, r in ids.items():
            h = hits.get(rid, set())
            if (r["label"] == "benign") == bool(h):
                f.write(json.dumps({"label": r["label"], "source": r["source"],
                                    "rules": sorted(t for _, t in h), "text": r["text"]},
                                   ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
