"""Training the trained tag models from annotated transcripts.

Used by ``scripts/train_tagger.py``. Everything here reads only the splits it is given;
the recipe passes train for fitting and dev for choosing C and thresholds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from spacy.language import Language
from spacy.tokens import Doc

from ..constants import AGENT
from ..pipeline.components import customer_words_before
from ..pipeline.context import conversation_context
from ..pipeline.conversation import transcript_to_doc
from ..pipeline.extensions import utterance_spans
from ..pipeline.features import JARGON_SIGNAL_KEY, premature_features, utterance_features
from ..pipeline.jargon import JargonFinder, JargonTokenModel
from ..pipeline.linear import HashedLinearModel
from ..pipeline.rules import DutchCueRules
from ..pipeline.tagger import UTTERANCE_TAGS, TrainedTagModel
from ..transcript import Transcript

N_FEATURES = 1 << 18
GRID_C = (0.1, 0.3, 1.0, 3.0)


def feature_matrix(feature_lists: Sequence[Sequence[str]]) -> Any:
    """The hashed feature matrix the shipped linear models read (N_FEATURES columns)."""
    return HashedLinearModel(
        ["_"], np.zeros((1, N_FEATURES)), np.zeros(1), [0.5], N_FEATURES
    ).transform(feature_lists)


def transcript_folds(
    items: Sequence[Prepared], folds: int, shuffle_seed: int | None = None
) -> Iterator[tuple[list[Prepared], list[Prepared]]]:
    """(fitting items, held-out items) per fold. A transcript and its speech-to-text twin
    (id suffix ``#stt``) share a fold; transcripts go to folds in id order, or in a
    seeded random order with ``shuffle_seed``."""
    groups = sorted({item.transcript.id.split("#")[0] for item in items})
    if shuffle_seed is not None:
        groups = [
            groups[int(i)] for i in np.random.default_rng(shuffle_seed).permutation(len(groups))
        ]
    fold_of = {group: k % folds for k, group in enumerate(groups)}
    for fold in range(folds):
        yield (
            [it for it in items if fold_of[it.transcript.id.split("#")[0]] != fold],
            [it for it in items if fold_of[it.transcript.id.split("#")[0]] == fold],
        )


@dataclass
class Prepared:
    """A transcript run through the base pipeline, with its context."""

    transcript: Transcript
    doc: Doc
    contexts: list


def prepare(
    nlp: Language, transcripts: Sequence[Transcript], rules: DutchCueRules
) -> list[Prepared]:
    """Run the base pipeline (without the klantfocus tag components) once per transcript."""
    disabled = [
        n for n in ("klantfocus_jargon", "klantfocus_utterance_tagger") if n in nlp.pipe_names
    ]
    with nlp.select_pipes(disable=disabled):
        docs = list(nlp.pipe((transcript_to_doc(nlp, t) for t in transcripts), batch_size=32))
    return [
        Prepared(t, d, conversation_context(d, rules))
        for t, d in zip(transcripts, docs, strict=True)
    ]


def utterance_rows(
    items: Sequence[Prepared],
    rules: DutchCueRules,
    state_model: HashedLinearModel | None = None,
):
    """Features and gold labels of every agent utterance, plus the premature features.

    The premature features carry the open issue's state (explored or not). It comes from
    the gold labels of earlier turns (teacher forcing) or, with ``state_model``, from that
    model's open_question/summary decisions on them, as at inference time.
    """
    feats, gold, premature_feats, premature_gold = [], [], [], []
    for item in items:
        turns = [
            (span, context, utterance)
            for span, context, utterance in zip(
                utterance_spans(item.doc), item.contexts, item.transcript.utterances, strict=True
            )
            if span.label_ == AGENT
        ]
        bases = [utterance_features(span, context, rules) for span, context, _ in turns]
        if state_model is not None and bases:
            columns = [state_model.labels.index(t) for t in ("open_question", "summary")]
            decided = state_model.decide(state_model.probabilities(bases))
            explores = [bool(row[columns].any()) for row in decided]
        else:
            explores = [
                bool(set(utterance.labels or []) & {"open_question", "summary"})
                for _, _, utterance in turns
            ]
        explored: set[int | None] = set()
        previous_solution = False
        for k, ((span, context, utterance), base) in enumerate(zip(turns, bases, strict=True)):
            labels = set(utterance.labels or [])
            feats.append(base)
            gold.append([tag in labels for tag in UTTERANCE_TAGS])
            premature_feats.append(
                premature_features(
                    base, context.issue in explored, previous_solution, bool(explored)
                )
            )
            premature_gold.append("premature_solution" in labels)
            previous_solution = "premature_solution" in labels or bool(
                rules.find_solutions(span.text)
            )
            if explores[k]:
                explored.add(context.issue)
    return feats, np.array(gold, dtype=bool), premature_feats, np.array(premature_gold, dtype=bool)


def predicted_state_rows(
    items: Sequence[Prepared],
    rules: DutchCueRules,
    C: Sequence[float],
    thresholds: Sequence[float],
    folds: int = 5,
    seed: int = 0,
) -> tuple[list[list[str]], np.ndarray]:
    """Premature features of ``items`` with the issue state predicted out of fold: each
    transcript's open_question/summary decisions come from utterance models fitted on the
    other folds (a transcript and its speech-to-text twin share a fold)."""
    pfeats: list[list[str]] = []
    pgold: list[np.ndarray] = []
    for inside, held in transcript_folds(items, folds, shuffle_seed=seed):
        feats, Y, _, _ = utterance_rows(inside, rules)
        model = fit_linear(feature_matrix(feats), Y, list(UTTERANCE_TAGS), list(C))
        model.thresholds = np.asarray(thresholds, dtype=np.float32)
        _, _, held_feats, held_gold = utterance_rows(held, rules, state_model=model)
        pfeats += held_feats
        pgold.append(held_gold)
    return pfeats, np.concatenate(pgold)


def fit_linear(
    X, Y: np.ndarray, labels: Sequence[str], C: Sequence[float] | float
) -> HashedLinearModel:
    Cs = [C] * len(labels) if isinstance(C, float) else list(C)
    weights = np.zeros((len(labels), X.shape[1]), dtype=np.float32)
    bias = np.zeros(len(labels), dtype=np.float32)
    for j in range(len(labels)):
        model = LogisticRegression(
            C=Cs[j], max_iter=3000, class_weight="balanced", solver="liblinear"
        )
        model.fit(X, Y[:, j])
        weights[j], bias[j] = model.coef_[0], model.intercept_[0]
    return HashedLinearModel(labels, weights, bias, [0.5] * len(labels), X.shape[1])


def best_threshold(probabilities: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    best = (0.5, -1.0)
    for threshold in np.arange(0.2, 0.91, 0.025):
        predicted = probabilities >= threshold
        tp = np.sum(predicted & gold)
        f1 = 2 * tp / max(np.sum(predicted) + np.sum(gold), 1)
        if f1 > best[1] + 1e-9:
            best = (float(threshold), float(f1))
    return best


def f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = np.sum(predicted & gold)
    return float(2 * tp / max(np.sum(predicted) + np.sum(gold), 1))


def agent_turns(item: Prepared) -> list[tuple[Any, Any, frozenset[str]]]:
    """The agent utterances of a prepared transcript: the span, the gold utterance and the
    words the customer said before it."""
    pairs = [
        (span, utterance)
        for span, utterance in zip(
            utterance_spans(item.doc), item.transcript.utterances, strict=True
        )
        if span.label_ == AGENT
    ]
    before = customer_words_before(item.doc, [span for span, _ in pairs])
    return [
        (span, utterance, words) for (span, utterance), words in zip(pairs, before, strict=True)
    ]


def token_rows(items: Sequence[Prepared], finder: JargonFinder, frequencies: dict[str, float]):
    helper = JargonTokenModel(finder, None, frequencies)
    feats, gold = [], []
    for item in items:
        for span, utterance, words in agent_turns(item):
            gold_chars: set[int] = set()
            for s in utterance.spans:
                if s.label == "jargon":
                    gold_chars.update(range(s.start, s.end))
            feats.extend(helper.token_feature_lists(span, words))
            for token in span:
                start = token.idx - span.start_char
                gold.append(any(i in gold_chars for i in range(start, start + len(token.text))))
    return feats, np.array(gold, dtype=bool)


def jargon_span_f1(model: JargonTokenModel, items: Sequence[Prepared]) -> tuple[float, float]:
    """(utterance-level jargon F1, exact span F1) of a jargon model on prepared items."""
    tp = fp = fn = 0
    utt_pred, utt_gold = [], []
    for item in items:
        turns = agent_turns(item)
        found = model.find_many([span for span, _, _ in turns], [words for _, _, words in turns])
        for (_, utterance, _), spans_found in zip(turns, found, strict=True):
            predicted = set(spans_found)
            gold = {(s.start, s.end) for s in utterance.spans if s.label == "jargon"}
            tp += len(predicted & gold)
            fp += len(predicted - gold)
            fn += len(gold - predicted)
            utt_pred.append(bool(predicted))
            utt_gold.append("jargon" in (utterance.labels or []))
    span_f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    return f1(np.array(utt_pred), np.array(utt_gold)), span_f1


def train_utterance_models(
    train: Sequence[Prepared], dev: Sequence[Prepared], rules: DutchCueRules, log=print
) -> TrainedTagModel:
    feats, Y, pfeats, py = utterance_rows(train, rules)
    dfeats, dY, _, _ = utterance_rows(dev, rules)
    X = feature_matrix(feats)
    chosen_C, thresholds = [], []
    for j, tag in enumerate(UTTERANCE_TAGS):
        best = None
        for C in GRID_C:
            candidate = fit_linear(X, Y[:, j : j + 1], [tag], float(C))
            proba = candidate.probabilities(dfeats)[:, 0]
            threshold, score = best_threshold(proba, dY[:, j])
            log(f"  {tag:<16} C={C:<5} dev F1 {score:.3f} (threshold {threshold:.2f})")
            if best is None or score > best[0]:
                best = (score, C, threshold)
        assert best is not None
        chosen_C.append(best[1])
        thresholds.append(best[2])
    utterance_model = fit_linear(X, Y, list(UTTERANCE_TAGS), chosen_C)
    utterance_model.thresholds = np.asarray(thresholds, dtype=np.float32)

    # The premature model learns the issue state either from gold labels (teacher
    # forcing) or as the tagger will predict it; dev decides, like C.
    sources = {
        "gold": (pfeats, py),
        "predicted": predicted_state_rows(train, rules, chosen_C, thresholds),
    }
    best_p = None
    for source, (source_feats, source_gold) in sources.items():
        PX = feature_matrix(source_feats)
        for C in GRID_C:
            premature_model = fit_linear(
                PX, source_gold.reshape(-1, 1), ["premature_solution"], float(C)
            )
            proba, gold = _premature_probabilities(
                TrainedTagModel(rules, utterance_model, premature_model), dev
            )
            threshold, score = best_threshold(proba, gold)
            log(
                f"  {'premature':<16} state from {source:<9} C={C:<5} dev F1 {score:.3f} "
                f"(threshold {threshold:.2f}, predicted issue state)"
            )
            if best_p is None or score > best_p[0]:
                best_p = (score, premature_model, threshold)
    assert best_p is not None
    best_p[1].thresholds = np.asarray([best_p[2]], dtype=np.float32)
    return TrainedTagModel(rules, utterance_model, best_p[1])


def _premature_probabilities(
    model: TrainedTagModel, items: Sequence[Prepared]
) -> tuple[np.ndarray, np.ndarray]:
    """Premature probabilities with the issue state from the model's own predictions."""
    probabilities, gold = [], []
    for item in items:
        spans = utterance_spans(item.doc)
        agent = [i for i, s in enumerate(spans) if s.label_ == AGENT]
        base = {i: utterance_features(spans[i], item.contexts[i], model.rules) for i in agent}
        decided = model.utterance_model.decide(
            model.utterance_model.probabilities([base[i] for i in agent])
        )
        explored: set[int | None] = set()
        previous_solution = False
        labels_index = {tag: j for j, tag in enumerate(model.utterance_model.labels)}
        for row, i in enumerate(agent):
            context = item.contexts[i]
            feats = premature_features(
                base[i], context.issue in explored, previous_solution, bool(explored)
            )
            p = float(model.premature_model.probabilities([feats])[0, 0])
            probabilities.append(p)
            gold.append("premature_solution" in (item.transcript.utterances[i].labels or []))
            previous_solution = p >= 0.5 or bool(model.rules.find_solutions(spans[i].text))
            if decided[row, labels_index["open_question"]] or decided[row, labels_index["summary"]]:
                explored.add(context.issue)
    return np.array(probabilities), np.array(gold, dtype=bool)


def train_jargon_model(
    train: Sequence[Prepared],
    dev: Sequence[Prepared],
    finder: JargonFinder,
    frequencies: dict[str, float],
    log=print,
) -> JargonTokenModel:
    feats, y = token_rows(train, finder, frequencies)
    X = feature_matrix(feats)
    best: tuple[float, float, float, float, float] | None = None
    for C in GRID_C:
        linear = fit_linear(X, y.reshape(-1, 1), ["jargon"], float(C))
        for threshold in (0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
            linear.thresholds = np.asarray([threshold], dtype=np.float32)
            model = JargonTokenModel(finder, linear, frequencies)
            utt_f1, span_f1 = jargon_span_f1(model, dev)
            # The utterance-level jargon tag is decided by the utterance model, which
            # uses this model's scores as a feature; here the spans themselves count.
            if best is None or span_f1 > best[0]:
                best = (span_f1, float(C), threshold, utt_f1, span_f1)
        assert best is not None
        log(
            f"  {'jargon spans':<16} C={C:<5} best so far: C={best[1]} threshold {best[2]} dev span F1 {best[4]:.3f} (tag F1 {best[3]:.3f} from spans alone)"
        )
    assert best is not None
    linear = fit_linear(X, y.reshape(-1, 1), ["jargon"], float(best[1]))
    linear.thresholds = np.asarray([best[2]], dtype=np.float32)
    return JargonTokenModel(finder, linear, frequencies)


def set_jargon_signals(items: Sequence[Prepared], model: JargonTokenModel) -> None:
    """Store the jargon model's strongest token per agent utterance, as the component does."""
    for item in items:
        agent = [s for s in utterance_spans(item.doc) if s.label_ == AGENT]
        scored = model.score_many(agent, customer_words_before(item.doc, agent))
        item.doc.user_data[JARGON_SIGNAL_KEY] = {
            u.start: [top, *(best or (0, 0))]
            for u, (_, top, best) in zip(agent, scored, strict=True)
        }


def crossfit_jargon_signals(
    items: Sequence[Prepared], shipped: JargonTokenModel, folds: int = 5
) -> None:
    """Jargon signals on training items from token models that did not see them."""
    for inside, held in transcript_folds(items, folds):
        feats, y = token_rows(inside, shipped.finder, shipped.frequencies)
        linear = fit_linear(feature_matrix(feats), y.reshape(-1, 1), ["jargon"], 1.0)
        linear.thresholds = shipped.model.thresholds
        set_jargon_signals(held, JargonTokenModel(shipped.finder, linear, shipped.frequencies))
