"""The mindset classifier: scaled logistic regression with probability calibration."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class MindsetClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier whose contributions are readable per feature.

    A logistic regression on standardised features gives the explanation (coefficient
    times standardised value). Its decision values are calibrated into probabilities by a
    monotone map fitted on out-of-fold decision values (``calibration="sigmoid"``: Platt
    scaling, ``"isotonic"``: isotonic regression; ``None``: the logistic regression's own
    probabilities). Because the map is monotone, the ranking of the calibrated score is
    the ranking of the explained model.

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
            raise ValueError(
                f"needs samples of at least 2 classes in the data, but the data contains only one class: {self.classes_.tolist()}"
            )
        self.scaler_ = StandardScaler().fit(X)
        Z = self.scaler_.transform(X)
        self.linear_ = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=1000)
        self.linear_.fit(Z, y)
        if self.calibration not in (None, "sigmoid", "isotonic"):
            raise ValueError(
                f"calibration must be 'sigmoid', 'isotonic' or None, not {self.calibration!r}"
            )
        smallest = min(np.sum(y == c) for c in self.classes_)
        folds = min(self.cv, int(smallest))
        self.calibrator_: LogisticRegression | IsotonicRegression | None = None
        if self.calibration is not None and folds >= 2 and len(self.classes_) == 2:
            target = (y == self.classes_[1]).astype(int)
            scores = cross_val_predict(
                LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=1000),
                Z,
                y,
                cv=StratifiedKFold(folds, shuffle=True, random_state=0),
                method="decision_function",
            )
            if self.calibration == "sigmoid":
                self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(
                    scores.reshape(-1, 1), target
                )
            else:
                self.calibrator_ = IsotonicRegression(
                    out_of_bounds="clip", y_min=0.0, y_max=1.0
                ).fit(scores, target)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        Z = self.scaler_.transform(X)
        if self.calibrator_ is None:
            return np.asarray(self.linear_.predict_proba(Z))
        decision = self.linear_.decision_function(Z)
        if isinstance(self.calibrator_, IsotonicRegression):
            positive = self.calibrator_.predict(decision)
        else:
            positive = self.calibrator_.predict_proba(decision.reshape(-1, 1))[:, 1]
        return np.column_stack([1.0 - positive, positive])

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
