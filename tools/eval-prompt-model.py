#!/usr/bin/env python3
"""Score the held-out test split of a labelled set with one or more model files.

  tools/eval-prompt-model.py DATA.jsonl MODEL.bin [MODEL.bin ...] [--feat tools/prompt-feat]
                             [--rules rules/prompt-misuse] [--drop-sources RE] [--sweep Q,Q,...]

The split is train-prompt-model.py's (by group hash), so models trained at
different times are compared on the same rows, through the C scorer
(tools/prompt-feat --score), at the thresholds of the shipped rules: per class
the ROC AUC, the recall at 1 % benign FPR and at the medium and high
thresholds, recall per source, and the benign rows flagged by any class, per
benign source.  --sweep instead chooses an operating point: for each quantile
Q, the medium thresholds are Q of the validation split's benign scores per
class, and it prints the recall per class and the benign rows flagged by any
class on validation (what the choice may read) and on test (read after).
Needs numpy and scikit-learn.
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess

import numpy as np
from sklearn.metrics import roc_auc_score

spec = importlib.util.spec_from_file_location(
    "trainer", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-prompt-model.py"))
trainer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(trainer)


def scores(feat, model, texts):
    data = b"\0".join(t.encode("utf-8", "surrogatepass") for t in texts)
    out = subprocess.run([feat, "--score", model], input=data, capture_output=True, check=True).stdout.decode()
    res = []
    for line in out.split("\n"):
        m = re.match(r"jailbreak=([0-9.]+) injection=([0-9.]+) extraction=([0-9.]+)", line)
        if m:
            res.append([float(x) for x in m.groups()])
    if len(res) != len(texts):
        raise SystemExit("prompt-feat gave %d scores for %d texts" % (len(res), len(texts)))
    return np.array(res)


def flagged(p, lab, thr):
    """At thresholds thr ({class: medium}): the recall per class (percent)
    and the mask of rows flagged by any class."""
    anyflag = np.zeros(len(lab), bool)
    rec = []
    for k, c in enumerate(trainer.CLASSES):
        anyflag |= p[:, k] >= thr[c]
        rec.append(100 * np.mean(p[lab == c, k] >= thr[c]))
    return rec, anyflag


def sweep(feat, model, rows, quantiles):
    part = {s: [r for r in rows if trainer.split_of(r["group"]) == s] for s in ("val", "test")}
    p = {s: scores(feat, model, [r["text"] for r in part[s]]) for s in part}
    lab = {s: np.array([r["label"] for r in part[s]]) for s in part}
    vb = lab["val"] == "benign"
    print("| quantile | medium thresholds | validation recall | validation benign flagged | test recall | test benign flagged |")
    print("|---|---|---|---|---|---|")
    for q in quantiles:
        thr = {c: float(np.quantile(p["val"][vb, k], q)) for k, c in enumerate(trainer.CLASSES)}
        cells = []
        for s in ("val", "test"):
            rec, anyflag = flagged(p[s], lab[s], thr)
            isb = lab[s] == "benign"
            nb, tb = int(np.sum(anyflag & isb)), int(isb.sum())
            cells += [" / ".join("%.1f" % x for x in rec), "%d of %d (%.2f %%)" % (nb, tb, 100.0 * nb / tb)]
        print("| %g | %s | %s |" % (q, " / ".join("%.3f" % thr[c] for c in trainer.CLASSES), " | ".join(cells)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--feat", default="tools/prompt-feat")
    ap.add_argument("--rules", default="rules/prompt-misuse")
    ap.add_argument("--drop-sources", default="^jbb-PAIR$")
    ap.add_argument("--sweep", help="comma list of validation benign quantiles to try as medium thresholds")
    args = ap.parse_args()
    rows = [json.loads(l) for l in open(args.data, encoding="utf-8") if l.strip()]
    rows = [r for r in rows if not (args.drop_sources and re.search(args.drop_sources, r["source"]))]
    if args.sweep:
        for model in args.models:
            sweep(args.feat, model, rows, [float(x) for x in args.sweep.split(",")])
        return
    test = [r for r in rows if trainer.split_of(r["group"]) == "test"]
    thr = trainer.rule_thresholds(args.rules)
    lab = np.array([r["label"] for r in test])
    src = np.array([r["source"] for r in test])
    for model in args.models:
        p = scores(args.feat, model, [r["text"] for r in test])
        print("## %s (%d test rows; thresholds of %s)" % (model, len(test), args.rules))
        print()
        print("| class | positives | ROC AUC | recall at 1 % benign FPR | recall at medium | recall at high |")
        print("|---|---|---|---|---|---|")
        rec_med, anyflag = flagged(p, lab, {c: thr[c][0] for c in trainer.CLASSES})
        per = []
        for k, c in enumerate(trainer.CLASSES):
            pos, neg = p[lab == c, k], p[lab == "benign", k]
            mask = (lab == c) | (lab == "benign")
            auc = roc_auc_score((lab[mask] == c).astype(int), p[mask, k])
            rec1, _ = trainer.recall_at_fpr(pos, neg)
            med, high = thr[c]
            print("| %s | %d | %.3f | %.1f %% | %.1f %% | %.1f %% |" % (
                c, len(pos), auc, 100 * rec1, rec_med[k], 100 * np.mean(pos >= high)))
            per.append("%s at medium by source: %s" % (c, ", ".join(
                "%s %d/%d" % (s, np.sum((src == s) & (lab == c) & (p[:, k] >= med)), np.sum((src == s) & (lab == c)))
                for s in sorted(set(src[lab == c])))))
        print()
        for line in per:
            print(line)
            print()
        isb = lab == "benign"
        print("benign flagged at medium by any class: %d of %d (%.2f %%): %s" % (
            np.sum(anyflag & isb), isb.sum(), 100 * np.mean(anyflag[isb]), ", ".join(
                "%s %d/%d" % (s, np.sum(anyflag & isb & (src == s)), np.sum(isb & (src == s)))
                for s in sorted(set(src[isb])))))
        print()


if __name__ == "__main__":
    main()
