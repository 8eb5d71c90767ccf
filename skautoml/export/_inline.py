"""skautoml classes that an exported script defines itself instead of importing.

Two are written into scripts: :class:`skautoml.space.StackingTransformer`
and :class:`skautoml.evaluation.FoldBag` (an ensemble member kept as its
fold models).

The genetic search stacks out-of-fold predictions with
:class:`skautoml.space.StackingTransformer`. scikit-learn has no public
transformer that does the same: ``StackingClassifier`` is a final estimator,
and its ``transform`` appends in-sample predictions. So the script carries a
short, readable copy of the class, and a pipeline of classical components still
needs only scikit-learn, numpy and pandas at run time.

Each copy is a template whose ``{placeholders}`` are the local names of what it
uses (``{np}``, ``{clone}``...), filled in once the script's imports are known.
``tests/export/test_export_inline.py`` checks that every copy has the same
``__init__`` signature as the library's class and the same outputs, fold for
fold.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

__all__ = ["InlineClass", "inline_class_for"]


@dataclass(frozen=True)
class InlineClass:
    """A class the script defines: where it lives in skautoml and its source.

    Parameters
    ----------
    module, name : str
        Where the library's class lives (``skautoml.space._composite``,
        ``StackingTransformer``). The script's class gets the same name.
    public : str
        The public name of the library's class, quoted in the script.
    uses : tuple of (str, str, str or None)
        ``(placeholder, module, name)`` for ``from module import name``, or
        ``(placeholder, module, None)`` for ``import module``.
    source : str
        The class definition, with ``{name}`` for the class name and one
        placeholder per entry of ``uses``.
    """

    module: str
    name: str
    public: str
    uses: tuple[tuple[str, str, str | None], ...]
    source: str

    def library_class(self):
        """The library's class, if its module is imported (else None)."""
        module = sys.modules.get(self.module)
        return None if module is None else getattr(module, self.name, None)


_STACKING_SOURCE = '''\
class {name}({TransformerMixin}, {BaseEstimator}):
    """Append a classifier's class probabilities to the features, out of fold.

    A copy of skautoml.space.StackingTransformer, so that this script does not need
    skautoml. While the pipeline fits, fit_transform appends out-of-fold
    probabilities (cross_val_predict over a shuffled StratifiedKFold), so the next
    step never sees predictions made on the rows the classifier was trained on.
    The classifier is then refit on all rows; transform appends its probabilities.
    """

    def __init__(self, estimator, *, cv=3, random_state=None):
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state

    def _splitter(self, y):
        _, counts = {np}.unique(y, return_counts=True)
        n_splits = int(max(2, min(self.cv, counts.min())))
        return {StratifiedKFold}(
            n_splits=n_splits, shuffle=True, random_state=self.random_state
        )

    @staticmethod
    def _dense(X):
        if hasattr(X, "toarray"):
            X = X.toarray()
        return {np}.asarray(X, dtype=float)

    def fit(self, X, y):
        self.estimator_ = {clone}(self.estimator).fit(X, y)
        self.classes_ = {np}.unique(y)
        self.n_features_in_ = {np}.shape(X)[1]
        return self

    def fit_transform(self, X, y=None, **fit_params):
        if y is None:
            raise ValueError("StackingTransformer needs y to fit")
        oof = {cross_val_predict}(
            {clone}(self.estimator), X, y, cv=self._splitter(y), method="predict_proba"
        )
        self.fit(X, y)
        return {np}.hstack([self._dense(X), oof])

    def transform(self, X):
        {check_is_fitted}(self, "estimator_")
        return {np}.hstack([self._dense(X), self.estimator_.predict_proba(X)])
'''

STACKING = InlineClass(
    module="skautoml.space._composite",
    name="StackingTransformer",
    public="skautoml.space.StackingTransformer",
    uses=(
        ("np", "numpy", None),
        ("BaseEstimator", "sklearn.base", "BaseEstimator"),
        ("TransformerMixin", "sklearn.base", "TransformerMixin"),
        ("clone", "sklearn.base", "clone"),
        ("StratifiedKFold", "sklearn.model_selection", "StratifiedKFold"),
        ("cross_val_predict", "sklearn.model_selection", "cross_val_predict"),
        ("check_is_fitted", "sklearn.utils.validation", "check_is_fitted"),
    ),
    source=_STACKING_SOURCE,
)

_FOLD_BAG_SOURCE = '''\
class {name}({BaseEstimator}):
    """One pipeline fitted on each cross-validation fold, its models averaged.

    A copy of skautoml.evaluation.FoldBag, so that this script does not need
    skautoml. The search kept this model as the models it fitted on its folds
    (there was no time to refit it on all rows; n_folds=1: the first fold's
    model alone); fitted on the same rows, this class makes the same folds (cv)
    and so the same models. predict_proba is the mean of the fold models'
    probabilities.
    """

    def __init__(self, estimator, *, cv, n_folds=None):
        self.estimator = estimator
        self.cv = cv
        self.n_folds = n_folds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = {get_tags}(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        return tags

    def fit(self, X, y):
        if not hasattr(self.cv, "split"):
            raise ValueError(
                f"FoldBag needs a cross-validation splitter with split(X, y) as cv, "
                f"got {{self.cv!r}}; pass for example StratifiedKFold(3, shuffle=True, "
                "random_state=0)"
            )
        splits = list(self.cv.split(X, y))[: self.n_folds]
        self.estimators_ = [
            {clone}(self.estimator).fit(
                {_safe_indexing}(X, train), {_safe_indexing}(y, train)
            )
            for train, _ in splits
        ]
        first = self.estimators_[0]
        if hasattr(first, "classes_"):
            self.classes_ = first.classes_
        return self

    def predict_proba(self, X):
        {check_is_fitted}(self, "estimators_")
        return {np}.mean([model.predict_proba(X) for model in self.estimators_], axis=0)

    def predict(self, X):
        {check_is_fitted}(self, "estimators_")
        if len(self.estimators_) == 1:
            return self.estimators_[0].predict(X)
        if hasattr(self, "classes_"):
            return self.classes_[{np}.argmax(self.predict_proba(X), axis=1)]
        return {np}.mean([model.predict(X) for model in self.estimators_], axis=0)
'''

FOLD_BAG = InlineClass(
    module="skautoml.evaluation._bagging",
    name="FoldBag",
    public="skautoml.evaluation.FoldBag",
    uses=(
        ("np", "numpy", None),
        ("BaseEstimator", "sklearn.base", "BaseEstimator"),
        ("clone", "sklearn.base", "clone"),
        ("_safe_indexing", "sklearn.utils", "_safe_indexing"),
        ("get_tags", "sklearn.utils", "get_tags"),
        ("check_is_fitted", "sklearn.utils.validation", "check_is_fitted"),
    ),
    source=_FOLD_BAG_SOURCE,
)

#: every class the exporter writes into the script instead of importing it
INLINE_CLASSES = (STACKING, FOLD_BAG)


def inline_class_for(cls) -> InlineClass | None:
    """The inline copy that stands for ``cls``, or None if ``cls`` is imported."""
    for inline in INLINE_CLASSES:
        if getattr(cls, "__module__", None) == inline.module and cls is inline.library_class():
            return inline
    return None
