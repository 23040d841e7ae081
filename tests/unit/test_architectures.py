"""The base pipeline's own model architecture (klantfocus.ContextualListener.v1)."""

from __future__ import annotations

import numpy
import pytest
import spacy
from spacy.training import Example

from klantfocus.pipeline.architectures import CONTEXTUAL_LISTENER, build_contextual_listener

WIDTH = 32


def _tiny_parser_nlp() -> spacy.language.Language:
    nlp = spacy.blank("nl")
    nlp.add_pipe(
        "tok2vec",
        config={
            "model": {
                "@architectures": "spacy.HashEmbedCNN.v2",
                "width": WIDTH,
                "depth": 1,
                "embed_size": 500,
                "window_size": 1,
                "maxout_pieces": 2,
                "subword_features": True,
                "pretrained_vectors": None,
            }
        },
    )
    nlp.add_pipe(
        "parser",
        config={
            # one tiny example: keep every label (the default merges rare ones into "dep")
            "min_action_freq": 1,
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "parser",
                "extra_state_tokens": False,
                "hidden_width": 16,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": {
                    "@architectures": CONTEXTUAL_LISTENER,
                    "width": WIDTH,
                    "upstream": "tok2vec",
                },
            },
        },
    )
    return nlp


def _examples(nlp: spacy.language.Language) -> list[Example]:
    words = ["Kunt", "u", "het", "nummer", "noemen", "?"]
    heads = [4, 4, 3, 4, 4, 4]
    deps = ["aux", "nsubj", "det", "obj", "ROOT", "punct"]
    doc = nlp.make_doc(" ".join(words))
    return [Example.from_dict(doc, {"words": words, "heads": heads, "deps": deps})]


def test_registered_under_its_versioned_name() -> None:
    assert spacy.registry.architectures.get(CONTEXTUAL_LISTENER) is build_contextual_listener


def test_declared_as_an_entry_point_so_spacy_finds_it_without_klantfocus() -> None:
    from importlib.metadata import entry_points

    declared = {ep.name: ep.value for ep in entry_points(group="spacy_architectures")}
    assert declared.get(CONTEXTUAL_LISTENER) == (
        "klantfocus.pipeline.architectures:build_contextual_listener"
    )


def test_odd_width_is_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        build_contextual_listener(width=33)


def test_keeps_the_width_and_the_shared_tok2vec_finds_the_listener() -> None:
    model = build_contextual_listener(width=WIDTH, upstream="tok2vec")
    assert model.get_dim("nO") == WIDTH
    nlp = _tiny_parser_nlp()
    # The tok2vec component must see the listener inside the parser's model, or the
    # parser would never receive the shared encodings.
    assert "parser" in nlp.get_pipe("tok2vec").listening_components


def test_trains_and_round_trips_through_bytes() -> None:
    nlp = _tiny_parser_nlp()
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = nlp.create_optimizer()
    losses: dict[str, float] = {}
    for _ in range(20):
        nlp.update(examples, sgd=optimizer, losses=losses)
    assert numpy.isfinite(losses["parser"])
    text = "Kunt u het nummer noemen ?"
    heads = [t.head.i for t in nlp(text)]

    restored = spacy.blank("nl").from_config(nlp.config)
    restored.from_bytes(nlp.to_bytes())
    assert [t.head.i for t in restored(text)] == heads
