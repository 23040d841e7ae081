"""Linear models over hashed string features, stored as plain arrays.

The weights are saved with ``numpy.savez_compressed`` and read with
``allow_pickle=False``, plus a JSON header: loading a model never executes code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import FeatureHasher

WEIGHTS_FILE = "weights.npz"
HEADER_FILE = "model.json"


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


class HashedLinearModel:
    """One logistic scorer per label over hashed features, each with its own threshold."""

    def __init__(
        self,
        labels: Sequence[str],
        weights: np.ndarray,
        bias: np.ndarray,
        thresholds: Sequence[float],
        n_features: int,
    ) -> None:
        if weights.shape != (len(labels), n_features):
            raise ValueError(
                f"weights have shape {weights.shape}, expected {(len(labels), n_features)}"
            )
        self.labels = list(labels)
        # Stored as (n_features, n_labels) in C order, the layout the sparse-dense product
        # reads as is; from (n_labels, n_features) scipy would copy the matrix every call.
        self._columns = np.ascontiguousarray(weights.astype(np.float32).T)
        self.bias = bias.astype(np.float32)
        self.thresholds = np.asarray(thresholds, dtype=np.float32)
        self.n_features = n_features
        self.hasher = FeatureHasher(
            n_features=n_features, input_type="string", alternate_sign=False
        )

    @property
    def weights(self) -> np.ndarray:
        """(n_labels, n_features) weights (a view of the stored matrix)."""
        return self._columns.T

    def transform(self, feature_lists: Sequence[Sequence[str]]) -> Any:
        return self.hasher.transform(feature_lists)

    def logits(self, feature_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """(n, n_labels) log-odds."""
        if not feature_lists:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        X = self.transform(feature_lists)
        return np.asarray(X @ self._columns) + self.bias

    def probabilities(self, feature_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """(n, n_labels) probabilities."""
        return sigmoid(self.logits(feature_lists))

    def feature_weights(self, feature: str) -> np.ndarray:
        """The weight of one feature per label (what adding it to a list adds to the log-odds)."""
        X = self.transform([[feature]])
        return np.asarray(X @ self._columns)[0]

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        return probabilities >= self.thresholds

    def to_disk(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / WEIGHTS_FILE, weights=np.ascontiguousarray(self.weights), bias=self.bias
        )
        header = {
            "labels": self.labels,
            "thresholds": [float(t) for t in self.thresholds],
            "n_features": self.n_features,
        }
        (directory / HEADER_FILE).write_text(json.dumps(header, indent=1) + "\n", "utf-8")

    @classmethod
    def from_disk(cls, directory: str | Path) -> HashedLinearModel:
        directory = Path(directory)
        header = json.loads((directory / HEADER_FILE).read_text("utf-8"))
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
            weights, bias = arrays["weights"], arrays["bias"]
        return cls(header["labels"], weights, bias, header["thresholds"], int(header["n_features"]))
