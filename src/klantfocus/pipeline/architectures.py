"""Model architectures for the Dutch base pipeline, registered with spaCy.

Declared as ``spacy_architectures`` entry points, so a pipeline whose config names one
of them loads with ``spacy.load`` without importing klantfocus first (the config refers
to them by name; loading never runs code from the model folder).
"""

from __future__ import annotations

from spacy.ml.models.tok2vec import tok2vec_listener_v1
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import LSTM, Model, chain, residual, with_padded
from thinc.types import Floats2d

CONTEXTUAL_LISTENER = "klantfocus.ContextualListener.v1"


@registry.architectures(CONTEXTUAL_LISTENER)
def build_contextual_listener(
    width: int, *, upstream: str = "*", depth: int = 1, dropout: float = 0.0
) -> Model[list[Doc], list[Floats2d]]:
    """A tok2vec listener followed by a residual bidirectional LSTM of its own.

    The shared CNN encoder sees each word with a window of a few words on either side,
    which is enough for tagging but short for attachment decisions (a prepositional
    phrase at the end of a long Dutch sentence, the subject of a verb-final clause).
    The LSTM gives the component listening through it the whole sentence as context; the
    residual connection adds its output to the shared features rather than replacing
    them, so the component keeps direct access to what the (pretrained) tok2vec learned.
    The LSTM's weights belong to the listening component, not to the shared tok2vec, so
    a pretrained tok2vec loads as before.

    width: the upstream tok2vec's output width (the LSTM keeps it: ``width // 2`` per
    direction); upstream: the tok2vec component's name ("*" for any); depth: stacked
    LSTM layers; dropout: dropout between them.
    """
    if width % 2:
        raise ValueError(f"{CONTEXTUAL_LISTENER}: width must be even for a BiLSTM, got {width}")
    listener = tok2vec_listener_v1(width=width, upstream=upstream)
    lstm = LSTM(nO=width, nI=width, bi=True, depth=depth, dropout=dropout)
    return chain(listener, residual(with_padded(lstm)))
