"""The student families distillation tries, as candidates of the search space.

A student is a :class:`~skautoml.space.Candidate` built by the same
components as the search's trials, with small settings: the small CNN at a
quarter or a sixteenth of its default convolution weights, a one-layer
tabular net, shallow gradient boosting, a linear model. How a student learns
from soft targets depends on its last step (:func:`fit_soft`).
"""

from __future__ import annotations

import numpy as np

from ..space import COMPONENTS, BuildContext, Candidate, Step

__all__ = ["STUDENTS", "fit_soft", "is_network", "student_candidates"]

_PREP_SCALED = ("standard_scaler", {})

#: every student name -> (data kind, task, final step, share of the time left)
STUDENTS: dict[str, tuple[str, str, tuple[str, dict], float]] = {
    # images: the small CNN, narrow (width 16: a quarter of the default's conv weights);
    # first, because on images it is the student worth the time (a linear model
    # first cost MNIST's CNN student 10-15 s of its 60 s and 3 points)
    "small_cnn_16": (
        "image",
        "classification",
        ("small_cnn", {"width": 16, "depth": 2, "dropout": 0.1, "lr": 2e-3, "max_epochs": 30}),
        0.8,
    ),
    "small_cnn_8": (
        "image",
        "classification",
        ("small_cnn", {"width": 8, "depth": 2, "dropout": 0.0, "lr": 3e-3, "max_epochs": 30}),
        1.0,
    ),
    "small_cnn_regressor_16": (
        "image",
        "regression",
        ("small_cnn_regressor", {"width": 16, "depth": 2, "dropout": 0.1, "max_epochs": 30}),
        0.8,
    ),
    # a linear model (tables first; images last, on the pixels)
    "linear": ("any", "classification", ("logistic_regression", {"C": 1.0}), 1.0),
    "ridge": ("any", "regression", ("ridge", {"alpha": 1.0}), 1.0),
    # tables
    "shallow_trees": (
        "tabular",
        "classification",
        ("hist_gradient_boosting", {"max_iter": 50, "max_leaf_nodes": 8}),
        1.0,
    ),
    "shallow_trees_regressor": (
        "tabular",
        "regression",
        ("hist_gradient_boosting_regressor", {"max_iter": 50, "max_leaf_nodes": 8}),
        1.0,
    ),
    "compact_net": (
        "tabular",
        "classification",
        ("tabular_net", {"hidden_units": 32, "n_layers": 1, "dropout": 0.0, "max_epochs": 60}),
        1.0,
    ),
    "compact_net_regressor": (
        "tabular",
        "regression",
        ("tabular_net_regressor", {"hidden_units": 32, "n_layers": 1, "max_epochs": 60}),
        1.0,
    ),
}

#: final steps that need no scaled input
_UNSCALED = {"hist_gradient_boosting", "hist_gradient_boosting_regressor", "small_cnn"}


def _prefix(ctx: BuildContext, final: str) -> list[tuple[str, dict]]:
    if ctx.kind == "image":
        return [] if final.startswith("small_cnn") else [_PREP_SCALED]
    steps: list[tuple[str, dict]] = []
    if ctx.categorical_columns:
        steps.append(("one_hot_encoder", {}))
    steps.append(("simple_imputer", {"strategy": "median", "add_indicator": False}))
    if final not in _UNSCALED:
        steps.append(_PREP_SCALED)
    return steps


def student_candidates(ctx: BuildContext, student="auto") -> list[tuple[str, Candidate, float]]:
    """The students to try, in order, with their share of the time left.

    Parameters
    ----------
    ctx : BuildContext
        The data (kind, task, columns).
    student : str or list of str, default="auto"
        ``"auto"``: every student of :data:`STUDENTS` for the data kind and
        task; else the names to try.

    Returns
    -------
    students : list of (name, Candidate, share)

    Raises
    ------
    ValueError
        For a name that is not a student, or not one for this data and task.
    """
    fitting = [n for n, s in STUDENTS.items() if s[0] in (ctx.kind, "any") and s[1] == ctx.task]
    names = [student] if isinstance(student, str) else list(student)
    if names == ["auto"]:
        names = fitting
    out = []
    for name in names:
        if name not in STUDENTS:
            raise ValueError(
                f"student={name!r} is not a student; choose 'auto' or {list(STUDENTS)}"
            )
        kind, task, (final, params), share = STUDENTS[name]
        if kind not in (ctx.kind, "any") or task != ctx.task:
            raise ValueError(
                f"student {name!r} is for {kind} {task}, but the teacher does "
                f"{ctx.kind} {ctx.task}; choose one of {fitting}"
            )
        steps = [Step.make(n, p) for n, p in (*_prefix(ctx, final), (final, params))]
        out.append((name, Candidate.of(*steps), share))
    return out


def is_network(candidate: Candidate) -> bool:
    """Whether the student's last step is a network (which stops at a deadline)."""
    return bool(COMPONENTS[candidate.final.name].is_net)


def _expand(proba: np.ndarray, classes: np.ndarray, min_weight: float = 0.01):
    """Rows repeated once per likely class: soft targets as weighted hard labels.

    Minimising a weighted log-loss over these rows is minimising the
    cross-entropy to the soft targets. Classes below ``min_weight`` in a row
    are dropped from it; every class keeps at least its most probable row,
    so that the student knows all the teacher's classes.
    """
    keep = proba >= min_weight
    keep[np.argmax(proba, axis=0), np.arange(proba.shape[1])] = True
    rows, cols = np.nonzero(keep)
    return rows, classes[cols], proba[rows, cols]


def fit_soft(pipeline, X, targets, classes=None):
    """Fit a student pipeline on the teacher's soft targets.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Built from a student candidate.
    X : ndarray or DataFrame
        Rows (canonical image rows for images).
    targets : ndarray
        Classification: probabilities ``(n, n_classes)``, columns in the
        order of ``classes``; regression: the teacher's predictions ``(n,)``.
    classes : ndarray, default=None
        The teacher's ``classes_`` (classification).

    Returns
    -------
    pipeline : the fitted pipeline

    Notes
    -----
    A network learns from the probabilities directly (cross-entropy with
    probability targets, :class:`~skautoml.nets.NetClassifier`); any other
    classifier gets each row once per likely class, weighted by its
    probability (``sample_weight``).
    """
    if classes is None:
        return pipeline.fit(X, targets)
    name, final = pipeline.steps[-1]
    if hasattr(final, "module"):  # a skorch network: probability targets
        final.set_params(classes=[c.item() if hasattr(c, "item") else c for c in classes])
        return pipeline.fit(X, targets.astype(np.float32))
    rows, labels, weights = _expand(targets, np.asarray(classes))
    X_rows = X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
    return pipeline.fit(X_rows, labels, **{f"{name}__sample_weight": weights})
