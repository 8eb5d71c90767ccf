"""Ensemble selection over out-of-fold predictions (Caruana et al., 2004).

Greedy forward selection with replacement, as auto-sklearn's
``EnsembleSelection`` does: start from nothing; in each of ``size`` rounds
add the pool member (possibly one already in) whose addition gives the
averaged predictions the best score. The ensemble is the best one along the
way (Caruana et al.'s advice), so it never scores below the best single
member; the weights are how often each member was picked in its rounds.
The score is the search's own scorer, averaged over the same CV splits as
the trials' scores, so that ``ensemble_size=1`` picks the best single trial
of the pool and the ensemble's out-of-fold score is comparable to
:attr:`best_score_`. Ties go to a member drawn with the fit's random
generator: the selection is deterministic for a given ``random_state``.

The fitted ensemble is scikit-learn's soft-voting
:class:`~sklearn.ensemble.VotingClassifier` over the members, each wrapped in
:class:`~sklearn.frozen.FrozenEstimator` so that the voting ``fit`` refits
nothing; a member with no time to be refit on all rows is itself a soft vote
of its fold models (bagging).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator

__all__ = ["Selection", "export_form", "select_ensemble", "soft_vote"]

#: the scorer whose value selection computes directly from the probabilities
_ACCURACY = "make_scorer(accuracy_score, response_method='predict')"


@dataclass(frozen=True)
class Selection:
    """The result of :func:`select_ensemble`.

    ``weights`` has one entry per pool member (zero for members never
    picked) and sums to 1; ``score`` is the ensemble's out-of-fold score;
    ``rounds`` how many of the rounds make the ensemble: the prefix of the
    rounds with the best score; ``trajectory`` the score after each round
    that ran (fewer than asked only when ``until`` came first).
    """

    weights: np.ndarray
    score: float
    rounds: int
    trajectory: tuple[float, ...]


class _Scored(ClassifierMixin, BaseEstimator):
    """An estimator that answers with fixed probabilities, for a scorer to score.

    ``X`` is a column of row numbers into :attr:`proba`.
    """

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0]]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def classes_(self):
        return self.classes

    def __sklearn_is_fitted__(self):
        return True


def _fold_scorer(y, splits, scorer, classes):
    """``score(proba)``: the mean over ``splits`` of the scorer on each fold's rows."""
    y = np.asarray(y)
    if repr(scorer) == _ACCURACY:  # the default scorer, 30 times faster this way
        codes = np.searchsorted(classes, y)

        def score(proba):
            picked = np.argmax(proba, axis=1)
            return float(np.mean([np.mean(picked[te] == codes[te]) for _, te in splits]))

        return score

    def score(proba):
        model = _Scored(proba, classes)
        return float(np.mean([scorer(model, te.reshape(-1, 1), y[te]) for _, te in splits]))

    return score


def select_ensemble(
    predictions,
    y,
    splits,
    scorer,
    size: int,
    rng: np.random.RandomState,
    *,
    classes=None,
    until: float | None = None,
) -> Selection:
    """Caruana's greedy selection with replacement over ``predictions``.

    Parameters
    ----------
    predictions : list of ndarray of shape (n_rows, n_classes)
        Each pool member's out-of-fold probabilities; only the rows of
        ``splits``' validation sets are read.
    y : array-like of shape (n_rows,)
        The labels.
    splits : list of (train, test) index arrays
        The splits the members' scores were averaged over.
    scorer : callable
        ``scorer(estimator, X, y)``, higher is better.
    size : int
        The number of rounds (``1`` picks the single best member).
    rng : numpy.random.RandomState
        Breaks ties.
    classes : ndarray, default=None
        The class labels in column order (``np.unique(y)`` when ``None``).
    until : float, default=None
        A ``time.monotonic()`` deadline after which no new round starts.

    Returns
    -------
    Selection
    """
    classes = np.unique(y) if classes is None else np.asarray(classes)
    score = _fold_scorer(y, splits, scorer, classes)
    preds = [np.nan_to_num(np.asarray(p, dtype=np.float64)) for p in predictions]
    total = np.zeros_like(preds[0])
    picks: list[int] = []
    trajectory: list[float] = []
    for r in range(int(size)):
        if r and until is not None and time.monotonic() >= until:
            break
        scores = np.array([score((total + p) / (r + 1)) for p in preds])
        ties = np.flatnonzero(scores == scores.max())
        pick = int(ties[rng.randint(len(ties))]) if len(ties) > 1 else int(ties[0])
        picks.append(pick)
        total += preds[pick]
        trajectory.append(float(scores[pick]))
    # the best ensemble along the way (the earliest on ties), as Caruana et al.
    # advise: later rounds may only add noise
    rounds = int(np.argmax(trajectory)) + 1
    counts = np.bincount(picks[:rounds], minlength=len(preds)).astype(float)
    return Selection(counts / rounds, trajectory[rounds - 1], rounds, tuple(trajectory))


def soft_vote(models, weights, X, y) -> VotingClassifier:
    """A fitted soft-voting ensemble of already fitted ``models`` (nothing is refit).

    ``models`` is a list of ``(name, fitted estimator)``; ``weights=None``
    gives every member one vote (the bagging of a member's fold models).
    ``X, y`` are only read for the class labels (the members see none of it).
    """
    return VotingClassifier(
        [(name, FrozenEstimator(model)) for name, model in models],
        voting="soft",
        weights=None if weights is None else [float(w) for w in weights],
    ).fit(X, y)


def export_form(model) -> object:
    """The unfitted estimator an exported script builds for ``model``.

    A soft vote of frozen members becomes a soft vote of their pipelines
    (a bagged member: its first fold's pipeline, whose parameters are the
    member's); anything else is returned as it is.
    """
    if isinstance(model, FrozenEstimator):
        return export_form(model.estimator)
    if not isinstance(model, VotingClassifier):
        return model
    members = [(name, export_form(est)) for name, est in model.estimators]
    if (
        all(isinstance(est, FrozenEstimator) for _, est in model.estimators)
        and model.weights is None
    ):
        # a bagged member (equal votes of its fold models): one pipeline
        return clone(members[0][1])
    return VotingClassifier(members, voting="soft", weights=model.weights)
