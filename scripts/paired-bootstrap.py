#!/usr/bin/env python3
"""Paired bootstrap of two concept LMs' next-sentence figures.

docs/default-model.md, "Is CE's lead over MSE real?".

Reads the per-pair files `./sonarllm eval-next --pairs FILE` writes for two bundles evaluated on the same pairs
(same corpus, --max-docs and --seed), recomputes corpus chrF, corpus BLEU-4 and mean ROUGE-L F1 as
TextMetrics.java defines them (and checks them against each file's own summary when given), then resamples the
pairs with replacement and reports, per metric, A's figure, B's figure, the difference A - B with its 95 %
interval, and the share of resamples in which A is ahead.

    scripts/paired-bootstrap.py A.jsonl B.jsonl [--summary-a A.json --summary-b B.json] [--resamples 2000]

Standard library only; a tool for the docs, not a dependency of the SDK.
"""
import argparse
import json
import math
import random
import re
import sys
from collections import Counter

TOKEN = re.compile(r"[^\W_]+|\S", re.UNICODE)


def tokens(text):
    # TextMetrics.tokens: runs of letters or digits, every other non-space character alone
    return TOKEN.findall(text)


def ngrams(seq, n):
    return Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))


def bleu_stats(h, r):
    ht, rt = tokens(h), tokens(r)
    out = [len(ht), len(rt)]
    for n in range(1, 5):
        hc, rc = ngrams(ht, n), ngrams(rt, n)
        out.append(sum(min(c, rc.get(g, 0)) for g, c in hc.items()))
        out.append(max(0, len(ht) - n + 1))
    return out


def bleu(stats):
    hyp_len, ref_len = stats[0], stats[1]
    log_sum = 0.0
    for n in range(4):
        match, total = stats[2 + 2 * n], stats[3 + 2 * n]
        if match == 0 or total == 0:
            return 0.0
        log_sum += math.log(match / total)
    bp = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(log_sum / 4)


def chrf_stats(h, r):
    hc, rc = list(re.sub(r"\s+", "", h)), list(re.sub(r"\s+", "", r))
    out = []
    for n in range(1, 7):
        hn, rn = ngrams(hc, n), ngrams(rc, n)
        out += [sum(hn.values()), sum(rn.values()), sum(min(c, rn.get(g, 0)) for g, c in hn.items())]
    return out


def chrf(stats):
    total, effective = 0.0, 0
    for n in range(6):
        hyp, ref, match = stats[3 * n], stats[3 * n + 1], stats[3 * n + 2]
        p = match / hyp if hyp > 0 else 1e-16
        r = match / ref if ref > 0 else 1e-16
        denom = 4 * p + r
        total += 5 * p * r / denom if denom > 0 else 1e-16
        effective += 1 if hyp > 0 and ref > 0 else 0
    return 0.0 if effective == 0 else 100 * total / effective


def rouge_l(h, r):
    ht, rt = tokens(h), tokens(r)
    if not ht and not rt:
        return 1.0
    if not ht or not rt:
        return 0.0
    prev = [0] * (len(rt) + 1)
    for a in ht:
        cur = [0] * (len(rt) + 1)
        for j, b in enumerate(rt, 1):
            cur[j] = prev[j - 1] + 1 if a == b else max(prev[j], cur[j - 1])
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, rec = lcs / len(ht), lcs / len(rt)
    return 2 * p * rec / (p + rec)


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def per_pair(rows):
    return ([bleu_stats(x["hypothesis"], x["reference"]) for x in rows],
            [chrf_stats(x["hypothesis"], x["reference"]) for x in rows],
            [rouge_l(x["hypothesis"], x["reference"]) for x in rows])


def summed(stats, idx):
    out = [0] * len(stats[0])
    for i in idx:
        for k, v in enumerate(stats[i]):
            out[k] += v
    return out


def figures(pp, idx):
    b, c, r = pp
    return {"bleu": 100 * bleu(summed(b, idx)), "chrF": chrf(summed(c, idx)),
            "rougeL": sum(r[i] for i in idx) / len(idx)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--summary-a")
    ap.add_argument("--summary-b")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    a, b = read(args.a), read(args.b)
    if len(a) != len(b) or any(x["reference"] != y["reference"] for x, y in zip(a, b)):
        sys.exit("the two files are not the same pairs (same corpus, --max-docs and --seed?)")
    pa, pb = per_pair(a), per_pair(b)
    idx = list(range(len(a)))
    fa, fb = figures(pa, idx), figures(pb, idx)
    for fig, summary in ((fa, args.summary_a), (fb, args.summary_b)):
        if summary:
            with open(summary, encoding="utf-8") as f:
                s = json.load(f)
            for k, java in (("bleu", s["bleu"]), ("chrF", s["chrF"]), ("rougeL", s["rougeL"])):
                if abs(fig[k] - java) > 1e-6 * max(1.0, abs(java)):
                    sys.exit(f"{k} recomputed {fig[k]} but {summary} says {java}")
    rng = random.Random(args.seed)
    diffs = {k: [] for k in fa}
    for _ in range(args.resamples):
        s = [rng.randrange(len(a)) for _ in idx]
        ra, rb = figures(pa, s), figures(pb, s)
        for k in fa:
            diffs[k].append(ra[k] - rb[k])
    out = {"pairs": len(a), "resamples": args.resamples}
    for k in fa:
        d = sorted(diffs[k])
        out[k] = {"a": round(fa[k], 4), "b": round(fb[k], 4), "a_minus_b": round(fa[k] - fb[k], 4),
                  "interval95": [round(d[int(0.025 * len(d))], 4), round(d[int(0.975 * len(d)) - 1], 4)],
                  "a_ahead_share": round(sum(1 for x in d if x > 0) / len(d), 4)}
    wins = sum(1 for x, y in zip(pa[2], pb[2]) if x > y)
    losses = sum(1 for x, y in zip(pa[2], pb[2]) if x < y)
    out["rougeL_pairs_a_better_worse"] = [wins, losses]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
