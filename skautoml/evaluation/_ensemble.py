"""Ensemble selection over out-of-fold predictions (Caruana et al., 2004).

Greedy forward selection with replacement, as auto-sklearn's
``EnsembleSelection`` does: start from nothing; in each of ``size`` rounds
add the pool member (possibly one already in) whose addition gives the
averaged predictions the best score, and keep the best ensemble along the
rounds (Caruana et al.'s advice); the weights are how often each member was
picked. The score is the search's own scorer, averaged over the same CV
splits as the trials' scores, so that the ensemble's out-of-fold score is
comparable to :attr:`best_score_`.

``fit`` bags the selection (Caruana et al., 2006, "Getting the most out of
ensemble selection"): :data:`BAGS` greedy selections, each over a random
half of the pool, averaged. On small data a plain selection fits the noise
of the out-of-fold rows; on development splits bagging scored higher (see
``docs/benchmarks.md``, "Choosing the selection"). Ties and bags are drawn
with the fit's random generator: the selection is deterministic for a given
``random_state``.

The fitted ensemble is scikit-learn's soft-voting
:class:`~sklearn.ensemble.VotingClassifier` over the members, each wrapped in
:class:`~sklearn.frozen.FrozenEstimator` so that the voting ``fit`` refits
nothing; a member with no time to be refit on all rows is itself a soft vote
of its fold models (bagging).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import get_scorer

from ._bagging import FoldBag

__all__ = ["BAGS", "Selection", "export_form", "select_ensemble", "soft_vote"]

#: the scorers whose value selection computes directly from the predictions
_ACCURACY = repr(get_scorer("accuracy"))
_R2 = repr(get_scorer("r2"))
_FAST = (_ACCURACY, _R2)

#: bagged selection: bags, and the share of the pool in each (Caruana et al., 2006)
BAGS = 20
BAG_FRACTION = 0.5
#: with a scorer other than accuracy, at most this many scorer calls go to bags
GENERAL_SCORER_CALLS = 1500


@dataclass(frozen=True)
class Selection:
    """The result of :func:`select_ensemble`.

    ``weights`` has one entry per pool member (zero for members never
    picked) and sums to 1; ``score`` is the ensemble's out-of-fold score;
    ``rounds`` how many of the rounds make the ensemble: the prefix of the
    rounds with the best score; ``trajectory`` the score after each round
    that ran (fewer than asked only when ``until`` came first). Bagged
    selection (``bags`` > 1) reports the rounds asked and its final score as
    the trajectory.
    """

    weights: np.ndarray
    score: float
    rounds: int
    trajectory: tuple[float, ...]
    bags: int = 1


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


class _ScoredRegressor(RegressorMixin, BaseEstimator):
    """:class:`_Scored` for regression: fixed predictions (one column)."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return self.proba[np.asarray(X)[:, 0], 0]

    def __sklearn_is_fitted__(self):
        return True


def _fold_scorer(y, splits, scorer, classes, sample_weight=None):
    """``score(pred)``: the mean over ``splits`` of the (weighted) scorer on each
    fold's rows; ``classes`` is ``None`` for regression."""
    y = np.asarray(y)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if classes is not None and repr(scorer) == _ACCURACY:  # the default, 30 times faster
        codes = np.searchsorted(classes, y)

        def score(proba):
            hit = np.argmax(proba, axis=1) == codes
            return float(np.mean([np.average(hit[te], weights=w[te]) for _, te in splits]))

        return score
    if classes is None and repr(scorer) == _R2:  # the regressor's default
        parts = []
        for _, te in splits:
            mean = np.average(y[te], weights=w[te])
            parts.append((te, max(float(np.sum(w[te] * (y[te] - mean) ** 2)), 1e-300)))

        def score(pred):
            p = pred[:, 0]
            return float(
                np.mean([1 - np.sum(w[te] * (y[te] - p[te]) ** 2) / tot for te, tot in parts])
            )

        return score
    extra = (lambda te: {}) if sample_weight is None else (lambda te: {"sample_weight": w[te]})

    def score(pred):
        model = _ScoredRegressor(pred) if classes is None else _Scored(pred, classes)
        return float(
            np.mean([scorer(model, te.reshape(-1, 1), y[te], **extra(te)) for _, te in splits])
        )

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
    bags: int = 1,
    bag_fraction: float = BAG_FRACTION,
    regression: bool = False,
    sample_weight=None,
    costs=None,
    max_cost: float | None = None,
) -> Selection:
    """Caruana's greedy selection with replacement over ``predictions``.

    With ``bags > 1``, bagged ensemble selection (Caruana et al., 2006):
    the greedy selection runs on ``bags`` random subsets of ``bag_fraction``
    of the members, and the weights are the mean of the bags' weights. No
    single lucky member then dominates, which on small data keeps the
    selection from fitting the out-of-fold rows' noise. Scorers other than
    accuracy cost a scorer call per member and round, so they get as many
    bags as :data:`GENERAL_SCORER_CALLS` allows (at least one).

    Parameters
    ----------
    predictions : list of ndarray of shape (n_rows, n_classes)
        Each pool member's out-of-fold probabilities (regression: one column
        of predictions); only the rows of ``splits``' validation sets are read.
    y : array-like of shape (n_rows,)
        The labels (regression: the target).
    splits : list of (train, test) index arrays
        The splits the members' scores were averaged over.
    scorer : callable
        ``scorer(estimator, X, y)``, higher is better.
    size : int
        The number of rounds (``1`` picks the single best member).
    rng : numpy.random.RandomState
        Breaks ties and draws the bags.
    classes : ndarray, default=None
        The class labels in column order (``np.unique(y)`` when ``None``).
    until : float, default=None
        A ``time.monotonic()`` deadline after which no new round or bag starts.
    bags : int, default=1
        How many bags; ``1`` is plain selection over every member.
    bag_fraction : float, default=BAG_FRACTION
        The share of the members in each bag.
    regression : bool, default=False
        The members predict a number: their predictions are averaged.
    sample_weight : ndarray of shape (n_rows,), default=None
        Weights of the scorer (``fit``'s ``sample_weight``).
    costs : array-like of shape (n_members,), default=None
        Each member's cost (its prediction time, ms per row; NaN counts as 0).
    max_cost : float, default=None
        The most the summed cost of the distinct members picked (over every
        bag) may reach: a round adds no new member that would exceed it.
        ``None`` means no limit.

    Returns
    -------
    Selection
    """
    if regression:
        classes = None
    else:
        classes = np.unique(y) if classes is None else np.asarray(classes)
    score = _fold_scorer(y, splits, scorer, classes, sample_weight)
    preds = [np.nan_to_num(np.asarray(p, dtype=np.float64)) for p in predictions]
    n = len(preds)
    # a bag of one member would weigh members by chance, not by score
    per_bag = max(2, int(round(bag_fraction * n))) if bags > 1 else n
    if bags > 1 and repr(scorer) not in _FAST:
        bags = max(1, min(bags, GENERAL_SCORER_CALLS // (int(size) * per_bag * len(splits))))
    cost = np.zeros(n) if costs is None else np.nan_to_num(np.asarray(costs, dtype=float))
    cap = math.inf if max_cost is None else float(max_cost)
    if bags <= 1 or per_bag >= n:
        return _greedy(preds, score, size, rng, until, cost, cap)
    weights = np.zeros(n)
    done = 0
    for b in range(bags):
        if b and until is not None and time.monotonic() >= until:
            break
        members = np.sort(rng.choice(n, per_bag, replace=False))
        used = weights > 0  # members of earlier bags cost nothing more
        spare = cap - float(cost[used].sum())
        bag = [preds[i] for i in members]
        chosen = _greedy(bag, score, size, rng, until, cost[members], spare, used[members])
        if chosen.rounds:  # a bag whose every member is over the cost adds nothing
            weights[members] += chosen.weights
            done += 1
    if not done:
        return Selection(weights, -math.inf, 0, (), bags=0)
    weights /= done
    averaged = sum(w * p for w, p in zip(weights, preds) if w > 0)
    final = score(averaged)
    return Selection(weights, final, int(size), (final,), bags=done)


def _greedy(preds, score, size, rng, until, cost, spare=math.inf, free=None) -> Selection:
    """Plain greedy selection with replacement; the best prefix of the rounds.

    A member not yet ``free`` (picked, or paid for by an earlier bag) may be
    added only while its ``cost`` fits in what is ``spare``.
    """
    free = np.zeros(len(preds), dtype=bool) if free is None else free.copy()
    total = np.zeros_like(preds[0])
    picks: list[int] = []
    trajectory: list[float] = []
    for r in range(int(size)):
        if r and until is not None and time.monotonic() >= until:
            break
        allowed = free | (cost <= spare)
        if not allowed.any():
            break
        scores = np.array(
            [score((total + p) / (r + 1)) if ok else -np.inf for p, ok in zip(preds, allowed)]
        )
        ties = np.flatnonzero(scores == scores.max())
        pick = int(ties[rng.randint(len(ties))]) if len(ties) > 1 else int(ties[0])
        if not free[pick]:
            spare -= cost[pick]
            free[pick] = True
        picks.append(pick)
        total += preds[pick]
        trajectory.append(float(scores[pick]))
    if not picks:
        return Selection(np.zeros(len(preds)), -math.inf, 0, ())
    # the best ensemble along the way (the earliest on ties), as Caruana et al.
    # advise: later rounds may only add noise
    rounds = int(np.argmax(trajectory)) + 1
    counts = np.bincount(picks[:rounds], minlength=len(preds)).astype(float)
    return Selection(counts / rounds, trajectory[rounds - 1], rounds, tuple(trajectory))


def soft_vote(models, weights, X, y, *, regression: bool = False):
    """A fitted soft-voting ensemble of already fitted ``models`` (nothing is refit).

    ``models`` is a list of ``(name, fitted estimator)``; ``weights=None``
    gives every member one vote (the bagging of a member's fold models).
    ``X, y`` are only read for the class labels (the members see none of it).
    With ``regression``, a :class:`~sklearn.ensemble.VotingRegressor` (the
    weighted mean of the predictions).
    """
    frozen = [(name, FrozenEstimator(model)) for name, model in models]
    weights = None if weights is None else [float(w) for w in weights]
    if regression:
        return VotingRegressor(frozen, weights=weights).fit(X, y)
    return VotingClassifier(frozen, voting="soft", weights=weights).fit(X, y)


def export_form(model) -> object:
    """The unfitted estimator an exported script builds for ``model``.

    A soft vote of frozen members becomes a soft vote of their pipelines; a
    bagged member that is a :class:`FoldBag` stays one, unfitted (the script
    fits its pipeline on the same folds); a bagged member whose splits cannot
    be made again becomes its first fold's pipeline, whose parameters are the
    member's. Anything else is returned as it is.
    """
    if isinstance(model, FrozenEstimator):
        return export_form(model.estimator)
    if isinstance(model, FoldBag):
        return clone(model)
    if not isinstance(model, (VotingClassifier, VotingRegressor)):
        return model
    members = [(name, export_form(est)) for name, est in model.estimators]
    if (
        all(isinstance(est, FrozenEstimator) for _, est in model.estimators)
        and model.weights is None
    ):
        # a bagged member (equal votes of its fold models): one pipeline
        return clone(members[0][1])
    if isinstance(model, VotingRegressor):
        return VotingRegressor(members, weights=model.weights)
    return VotingClassifier(members, voting="soft", weights=model.weights)
