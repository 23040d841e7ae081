"""The mindset classifier: scaled logistic regression with probability calibration."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class MindsetClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier whose contributions are readable per feature.

    A logistic regression on standardised features gives the explanation (coefficient
    times standardised value); the probabilities come from a cross-validated calibrated
    copy of the same model (``calibration="sigmoid"`` or ``"isotonic"``; ``None`` uses
    the plain logistic regression).

    Parameters:
        C: inverse regularisation strength of the logistic regression.
        calibration: ``"sigmoid"``, ``"isotonic"`` or ``None``.
        cv: folds for calibration (reduced when a class has fewer examples).
        class_weight: passed to the logistic regression.
    """

    def __init__(
        self,
        C: float = 1.0,
        calibration: str | None = "sigmoid",
        cv: int = 5,
        class_weight: str | dict[Any, float] | None = None,
    ) -> None:
        self.C = C
        self.calibration = calibration
        self.cv = cv
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any) -> MindsetClassifier:
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"need examples of two classes, got {self.classes_.tolist()}")
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        self.linear_ = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=1000)
        self.linear_.fit(Z, y)
        smallest = min(np.sum(y == c) for c in self.classes_)
        folds = min(self.cv, int(smallest))
        if self.calibration is not None and folds >= 2 and len(self.classes_) == 2:
            self.calibrated_ = CalibratedClassifierCV(
                LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=1000),
                method=self.calibration,
                cv=folds,
            ).fit(Z, y)
        else:
            self.calibrated_ = None
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        Z = self.scaler_.transform(X)
        model = self.calibrated_ if self.calibrated_ is not None else self.linear_
        return np.asarray(model.predict_proba(Z))

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)])

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.linear_.decision_function(self.scaler_.transform(X)))

    def contributions(self, X: Any) -> np.ndarray:
        """Per-feature contributions to the log-odds of the second class (n, n_features)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        Z = self.scaler_.transform(X)
        coef = self.linear_.coef_[0] if self.linear_.coef_.shape[0] == 1 else self.linear_.coef_[-1]
        return np.asarray(Z * coef)
