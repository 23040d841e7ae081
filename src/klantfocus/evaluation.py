"""Evaluation against gold transcripts: per-tag, jargon spans, mindset.

Gold and predicted transcripts are matched by id and utterance position; the texts must
agree (a prediction is always made on the gold file's own utterances).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .constants import KLANTGERICHT, TAGS
from .errors import EvaluationError
from .transcript import Transcript


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _pairs(
    gold: Sequence[Transcript], predicted: Sequence[Transcript]
) -> list[tuple[Transcript, Transcript]]:
    by_id = {t.id: t for t in predicted}
    pairs = []
    for g in gold:
        p = by_id.get(g.id)
        if p is None:
            raise EvaluationError("no prediction for this gold transcript", g.id)
        if len(p.utterances) != len(g.utterances):
            raise EvaluationError(
                f"the prediction has {len(p.utterances)} utterances, the gold transcript "
                f"{len(g.utterances)}",
                g.id,
            )
        for i, (gu, pu) in enumerate(zip(g.utterances, p.utterances, strict=True)):
            if gu.text != pu.text:
                raise EvaluationError(
                    f"utterance {i}: the texts of prediction and gold transcript differ", g.id
                )
        pairs.append((g, p))
    return pairs


def check_gold(gold: Sequence[Transcript]) -> None:
    """Refuse gold transcripts without annotations: every metric would be a meaningless 0."""
    if not gold:
        raise EvaluationError("no gold transcripts", in_predictions=False)
    labelled = any(u.labels is not None for g in gold for u in g.agent_utterances)
    if not labelled and not any(g.mindset is not None for g in gold):
        raise EvaluationError(
            "no gold annotations found: no agent utterance has 'labels' and no transcript "
            "has a 'mindset'",
            in_predictions=False,
        )


def tag_metrics(pairs: Sequence[tuple[Transcript, Transcript]]) -> dict[str, Any]:
    counts = {tag: [0, 0, 0] for tag in TAGS}  # tp, fp, fn
    support = dict.fromkeys(TAGS, 0)
    span_counts = [0, 0, 0]
    for g, p in pairs:
        for index, (gu, pu) in enumerate(zip(g.utterances, p.utterances, strict=True)):
            if not gu.is_agent:
                continue
            gold_labels, pred_labels = set(gu.labels or []), set(pu.labels or [])
            for tag in TAGS:
                support[tag] += tag in gold_labels
                if tag in gold_labels and tag in pred_labels:
                    counts[tag][0] += 1
                elif tag in pred_labels:
                    counts[tag][1] += 1
                elif tag in gold_labels:
                    counts[tag][2] += 1
            gold_spans = {(s.start, s.end) for s in gu.spans if s.label == "jargon"}
            pred_spans = {(s.start, s.end) for s in pu.spans if s.label == "jargon"}
            span_counts[0] += len(gold_spans & pred_spans)
            span_counts[1] += len(pred_spans - gold_spans)
            span_counts[2] += len(gold_spans - pred_spans)
            del index
    per_tag = {tag: {**_prf(*counts[tag]), "support": support[tag]} for tag in TAGS}
    return {
        "per_tag": per_tag,
        "macro_f1": round(float(np.mean([per_tag[t]["f1"] for t in TAGS])), 4),
        "jargon_span": {**_prf(*span_counts), "support": span_counts[0] + span_counts[2]},
        "agent_utterances": sum(sum(u.is_agent for u in g.utterances) for g, _ in pairs),
    }


def mindset_metrics(pairs: Sequence[tuple[Transcript, Transcript]]) -> dict[str, Any]:
    from scipy.stats import spearmanr
    from sklearn.metrics import brier_score_loss, roc_auc_score

    scored = [(g, p) for g, p in pairs if g.mindset is not None and p.mindset_score is not None]
    if not scored:
        return {"n": 0}
    y = np.array([g.mindset == KLANTGERICHT for g, _ in scored], dtype=int)
    prob = np.array([(p.mindset_score or 0.0) / 100 for _, p in scored])
    pred = np.array([p.mindset == KLANTGERICHT for _, p in scored], dtype=int)
    out: dict[str, Any] = {
        "n": len(scored),
        "accuracy": round(float(np.mean(pred == y)), 4),
        "brier": round(float(brier_score_loss(y, prob)), 4),
    }
    out["roc_auc"] = round(float(roc_auc_score(y, prob)), 4) if len(set(y)) == 2 else None
    rated = [(g.mindset_rating, p.mindset_score) for g, p in scored if g.mindset_rating is not None]
    if len(rated) > 2:
        rho = spearmanr([r for r, _ in rated], [s for _, s in rated]).statistic
        out["spearman_rating"] = round(float(rho), 4)
    return out


def reliability_table(
    pairs: Sequence[tuple[Transcript, Transcript]], bins: int = 5
) -> list[dict[str, Any]]:
    rows = []
    data = [
        (p.mindset_score / 100, g.mindset == KLANTGERICHT)
        for g, p in pairs
        if g.mindset and p.mindset_score is not None
    ]
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in itertools.pairwise(edges):
        inside = [(s, y) for s, y in data if lo <= s < hi or (hi == 1.0 and s == 1.0)]
        if inside:
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": len(inside),
                    "mean_score": round(float(np.mean([s for s, _ in inside])), 3),
                    "fraction_klantgericht": round(float(np.mean([y for _, y in inside])), 3),
                }
            )
    return rows


def _group(gold: Transcript, key: str) -> str:
    if key == "domain":
        return gold.domain or "(none)"
    value = gold.extra.get(key, (gold.meta or {}).get(key))
    return "(none)" if value is None else str(value)


def evaluate(
    gold: Sequence[Transcript],
    predicted: Sequence[Transcript],
    *,
    by: Sequence[str] = ("style", "domain"),
) -> dict[str, Any]:
    """All metrics of a prediction against gold transcripts.

    Raises :class:`EvaluationError` (a ``ValueError``) if the gold transcripts hold no
    annotations at all, or a gold transcript has no matching prediction.
    """
    check_gold(gold)
    pairs = _pairs(gold, predicted)
    report: dict[str, Any] = {"transcripts": len(pairs), **tag_metrics(pairs)}
    report["mindset"] = mindset_metrics(pairs)
    if report["mindset"].get("n"):
        report["mindset"]["reliability"] = reliability_table(pairs)
    for key in by:
        groups: dict[str, list[tuple[Transcript, Transcript]]] = defaultdict(list)
        for pair in pairs:
            groups[_group(pair[0], key)].append(pair)
        if len(groups) > 1 or "(none)" not in groups:
            report[f"by_{key}"] = {
                name: {
                    "transcripts": len(group),
                    "macro_f1": tag_metrics(group)["macro_f1"],
                    "per_tag_f1": {t: m["f1"] for t, m in tag_metrics(group)["per_tag"].items()},
                }
                for name, group in sorted(groups.items())
            }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of an evaluation report."""
    lines = [
        f"transcripts: {report['transcripts']}, agent utterances: {report['agent_utterances']}",
        "",
    ]
    lines.append(f"{'tag':<20}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for tag, m in report["per_tag"].items():
        lines.append(
            f"{tag:<20}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10}"
        )
    lines.append(f"{'macro':<20}{'':>10}{'':>10}{report['macro_f1']:>10.3f}")
    js = report["jargon_span"]
    lines.append(
        f"{'jargon spans':<20}{js['precision']:>10.3f}{js['recall']:>10.3f}{js['f1']:>10.3f}{js['support']:>10}"
    )
    mindset = report.get("mindset", {})
    if mindset.get("n"):
        lines.append("")
        lines.append(
            f"mindset (n={mindset['n']}): accuracy {mindset['accuracy']:.3f}, ROC AUC "
            f"{mindset.get('roc_auc') or float('nan'):.3f}, Brier {mindset['brier']:.3f}, Spearman vs rating "
            f"{mindset.get('spearman_rating', float('nan')):.3f}"
        )
    for key in ("by_style", "by_domain"):
        if key in report:
            lines.append("")
            lines.append(f"{key.replace('by_', 'macro-F1 per '):}")
            for name, m in report[key].items():
                lines.append(f"  {name:<28}{m['macro_f1']:>8.3f}  (n={m['transcripts']})")
    return "\n".join(lines)


Predictor = Callable[[Sequence[Transcript]], Sequence[Transcript]]
