"""Components as data: name -> (role, factory, hyperparameter ranges).

Every factory is a module-level function ``factory(ctx, **params)`` that
returns a fresh scikit-learn estimator, so that candidates build into
pipelines by calling factories and everything pickles. The network factories
import torch and the network classes when they are called, not at import.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.feature_selection import SelectPercentile, f_classif, f_regression
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    PolynomialFeatures,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import SVC
from sklearn.utils.validation import has_fit_parameter

from ._context import BuildContext
from ._dimensions import Categorical, Float, Integer
from ._training import NET_TRAINING_RANGES, custom_backbone, finetune_classifier, net_classifier

__all__ = [
    "CLASS_WEIGHT",
    "COMPONENTS",
    "FINAL_ROLES",
    "Component",
    "accepts_weights",
    "class_weight_of",
    "register",
    "takes_weights",
]

ROLES = ("encoder", "imputer", "scaler", "transformer", "classifier", "regressor")
#: the roles of a pipeline's last step: what the classifier and the regressor search
FINAL_ROLES = ("classifier", "regressor")
#: class_weight choices of the classifiers that take one ("none" is None)
CLASS_WEIGHT = Categorical(("none", "balanced"))


@dataclass(frozen=True)
class Component:
    """A registered pipeline component.

    Parameters
    ----------
    name : str
        Unique name, used in candidates.
    role : str
        One of ``encoder``, ``imputer``, ``scaler``, ``transformer``,
        ``classifier``, ``regressor``.
    factory : callable
        ``factory(ctx, **params) -> estimator``; module-level so it pickles.
    hyperparams : mapping of str to Float, Integer or Categorical
        The searched ranges.
    kinds : frozenset of str
        Data kinds the component applies to (``tabular``, ``image``).
    cost : float
        Rough relative cost, used to order cheap components first.
    is_net : bool
        Whether the estimator is a network (trained with skorch).
    sample_weight : bool or None
        Whether its ``fit`` takes ``sample_weight``; ``None`` finds out by
        building it (see :func:`accepts_weights`).
    """

    name: str
    role: str
    factory: Callable[..., Any]
    hyperparams: Mapping[str, Any] = field(default_factory=dict)
    kinds: frozenset = frozenset({"tabular"})
    cost: float = 1.0
    is_net: bool = False
    sample_weight: bool | None = None

    def build(self, ctx: BuildContext, params: Mapping[str, Any]):
        """A fresh estimator from the factory.

        Parameters
        ----------
        ctx : BuildContext
        params : mapping
            Values of (some of) the searched hyperparameters.

        Returns
        -------
        estimator : object
        """
        unknown = set(params) - set(self.hyperparams)
        if unknown:
            raise ValueError(
                f"component {self.name!r} got unknown parameters {sorted(unknown)}; "
                f"it takes {sorted(self.hyperparams)}"
            )
        return self.factory(ctx, **params)

    def default_params(self) -> dict[str, Any]:
        """The default of every searched range.

        Returns
        -------
        params : dict
        """
        return {name: dim.default for name, dim in self.hyperparams.items()}


COMPONENTS: dict[str, Component] = {}


def register(component: Component) -> Component:
    """Add a component to the registry (a later entry with the same name replaces it).

    Parameters
    ----------
    component : Component

    Returns
    -------
    component : Component
        The same component.
    """
    if component.role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {component.role!r}")
    COMPONENTS[component.name] = component
    return component


def takes_weights(estimator) -> bool:
    """Whether ``estimator.fit`` takes ``sample_weight`` (a target-transformed
    regressor passes them to its regressor).

    Parameters
    ----------
    estimator : object

    Returns
    -------
    bool
    """
    if isinstance(estimator, TransformedTargetRegressor):
        return takes_weights(estimator.regressor)
    return has_fit_parameter(estimator, "sample_weight")


def accepts_weights(component: Component, ctx: BuildContext) -> bool:
    """Whether the component's estimator can be fitted with ``sample_weight``.

    Its declared ``sample_weight`` when set (networks: ``False``), else read
    from the signature of the ``fit`` of an estimator built with the
    defaults.

    Parameters
    ----------
    component : Component
    ctx : BuildContext

    Returns
    -------
    bool
    """
    if component.sample_weight is not None:
        return component.sample_weight
    if component.is_net:
        return False
    return takes_weights(component.build(ctx, {}))


# -- factories ---------------------------------------------------------------
#: the category a missing value of a text column becomes before one-hot encoding
MISSING_CATEGORY = "missing"


def _one_hot(ctx: BuildContext):
    # a missing category is a category of its own: in real tables it often
    # means "none" (no garage, no second owner), which the most frequent value
    # would erase
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [("categorical", categorical, list(ctx.categorical_columns))],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )


def _simple_imputer(ctx, strategy="median", add_indicator=False):
    return SimpleImputer(strategy=strategy, add_indicator=add_indicator, keep_empty_features=True)


def _standard_scaler(ctx):
    return StandardScaler()


def _robust_scaler(ctx):
    return RobustScaler()


def _quantile(ctx, output_distribution="uniform"):
    n_quantiles = int(max(10, min(1000, ctx.n_samples // 2)))
    return QuantileTransformer(
        n_quantiles=n_quantiles, output_distribution=output_distribution, random_state=ctx.seed
    )


def _pca(ctx, variance=0.95):
    return PCA(n_components=variance, svd_solver="full", random_state=ctx.seed)


def _select_percentile(ctx, percentile=50):
    # keep at least one feature
    percentile = int(max(percentile, math.ceil(100 / max(1, ctx.n_features))))
    score = f_regression if ctx.task == "regression" else f_classif
    return SelectPercentile(score, percentile=percentile)


def _polynomial(ctx, interaction_only=True):
    return PolynomialFeatures(degree=2, interaction_only=interaction_only, include_bias=False)


def class_weight_of(choice: str):
    """The ``class_weight`` argument of a searched choice (``"none"`` is ``None``)."""
    return None if choice == "none" else choice


def _logistic_regression(ctx, C=1.0, class_weight="none"):
    return LogisticRegression(
        C=C, max_iter=2000, class_weight=class_weight_of(class_weight), random_state=ctx.seed
    )


def _random_forest(
    ctx, n_estimators=100, max_features=0.5, min_samples_leaf=1, class_weight="none"
):
    return RandomForestClassifier(
        n_estimators=n_estimators,
        max_features=max_features,
        min_samples_leaf=min_samples_leaf,
        class_weight=class_weight_of(class_weight),
        random_state=ctx.seed,
    )


def _extra_trees(ctx, n_estimators=100, max_features=0.5, min_samples_leaf=1, class_weight="none"):
    return ExtraTreesClassifier(
        n_estimators=n_estimators,
        max_features=max_features,
        min_samples_leaf=min_samples_leaf,
        class_weight=class_weight_of(class_weight),
        random_state=ctx.seed,
    )


def _hist_gradient_boosting(
    ctx,
    learning_rate=0.1,
    max_iter=100,
    max_leaf_nodes=31,
    l2_regularization=1e-6,
    class_weight="none",
):
    return HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_iter=max_iter,
        max_leaf_nodes=max_leaf_nodes,
        l2_regularization=l2_regularization,
        class_weight=class_weight_of(class_weight),
        random_state=ctx.seed,
    )


def _knn(ctx, n_neighbors=5, weights="uniform"):
    # a CV fold may train on half the rows: never ask for more neighbours than that
    n_neighbors = int(min(n_neighbors, max(1, ctx.n_samples // 2 - 1)))
    return KNeighborsClassifier(n_neighbors=n_neighbors, weights=weights)


def _svc(ctx, C=1.0, gamma="scale", class_weight="none"):
    return SVC(
        C=C,
        gamma=gamma,
        probability=True,
        class_weight=class_weight_of(class_weight),
        random_state=ctx.seed,
    )


def _tabular_net(
    ctx,
    lr=1e-3,
    optimizer="adamw",
    weight_decay=1e-4,
    batch_size=64,
    hidden_units=128,
    n_layers=2,
    dropout=0.1,
    max_epochs=60,
    class_weight="none",
):
    from ..nets import TabularMLP  # torch: only when a network is built

    return net_classifier(
        ctx,
        TabularMLP,
        {"hidden_units": hidden_units, "n_layers": n_layers, "dropout": dropout},
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        class_weight=class_weight_of(class_weight),
    )


def _finetune_tabular_custom(
    ctx,
    strategy="all",
    k_blocks=1,
    lr=1e-3,
    lr_decay=1.0,
    l2sp=0.0,
    optimizer="adamw",
    weight_decay=1e-4,
    head="linear",
    head_dropout=0.1,
    label_smoothing=0.0,
    batch_size=64,
    max_epochs=30,
):
    """The user's pretrained body (``ctx.backbones``) with a new head, fine-tuned."""
    from ..nets import PretrainedTabularNet, tabular_block_groups

    body = custom_backbone(
        ctx,
        "finetune_tabular_custom fine-tunes a network you supply: pass backbone=<a "
        "torch.nn.Module instance or class, a CustomBackbone or a checkpoint path>",
    )
    return finetune_classifier(
        ctx,
        PretrainedTabularNet,
        {"body": body, "head": head, "head_dropout": head_dropout},
        tabular_block_groups(body, ctx.n_features),
        strategy=strategy,
        k_blocks=k_blocks,
        lr=lr,
        lr_decay=lr_decay,
        l2sp=l2sp,
        l2sp_patterns=("body.*",),
        optimizer=optimizer,
        weight_decay=weight_decay,
        label_smoothing=label_smoothing,
        batch_size=batch_size,
        max_epochs=max_epochs,
    )


_TREE_RANGES = {
    "n_estimators": Integer(50, 300),
    # fraction of the features drawn per split; log scale reaches sqrt(d)/d on wide data
    "max_features": Float(0.02, 1.0, log=True),
    "min_samples_leaf": Integer(1, 10),
}

register(Component("one_hot_encoder", "encoder", _one_hot, kinds=frozenset({"tabular"})))
register(
    Component(
        "simple_imputer",
        "imputer",
        _simple_imputer,
        {
            "strategy": Categorical(("median", "mean", "most_frequent")),
            "add_indicator": Categorical((False, True)),
        },
    )
)
register(Component("standard_scaler", "scaler", _standard_scaler))
register(Component("robust_scaler", "scaler", _robust_scaler))
register(
    Component(
        "quantile_transformer",
        "scaler",
        _quantile,
        {"output_distribution": Categorical(("uniform", "normal"))},
    )
)
register(Component("pca", "transformer", _pca, {"variance": Float(0.5, 0.99)}))
register(
    Component(
        "select_percentile",
        "transformer",
        _select_percentile,
        {"percentile": Integer(10, 100)},
    )
)
register(
    Component(
        "polynomial_features",
        "transformer",
        _polynomial,
        {"interaction_only": Categorical((True, False))},
        cost=2.0,
    )
)
register(
    Component(
        "logistic_regression",
        "classifier",
        _logistic_regression,
        {"C": Float(1e-3, 1e3, log=True), "class_weight": CLASS_WEIGHT},
        kinds=frozenset({"tabular", "image"}),
        cost=0.5,
    )
)
_CLASSIFIER_TREES = {**_TREE_RANGES, "class_weight": CLASS_WEIGHT}
register(Component("random_forest", "classifier", _random_forest, _CLASSIFIER_TREES, cost=2.0))
register(Component("extra_trees", "classifier", _extra_trees, _CLASSIFIER_TREES, cost=1.5))
register(
    Component(
        "hist_gradient_boosting",
        "classifier",
        _hist_gradient_boosting,
        {
            "learning_rate": Float(0.01, 0.5, log=True),
            "max_iter": Integer(50, 400, log=True),
            "max_leaf_nodes": Integer(8, 64, log=True),
            "l2_regularization": Float(1e-6, 1.0, log=True),
            "class_weight": CLASS_WEIGHT,
        },
        cost=2.0,
    )
)
register(
    Component(
        "k_neighbors",
        "classifier",
        _knn,
        {"n_neighbors": Integer(1, 30), "weights": Categorical(("uniform", "distance"))},
        kinds=frozenset({"tabular", "image"}),
        cost=0.5,
    )
)
register(
    Component(
        "svc",
        "classifier",
        _svc,
        {
            "C": Float(1e-2, 1e3, log=True),
            "gamma": Categorical(("scale", "auto")),
            "class_weight": CLASS_WEIGHT,
        },
        kinds=frozenset({"tabular", "image"}),
        cost=1.5,
    )
)
register(
    Component(
        "tabular_net",
        "classifier",
        _tabular_net,
        {
            **NET_TRAINING_RANGES,
            "hidden_units": Integer(32, 512, log=True),
            "n_layers": Integer(1, 3),
            "dropout": Float(0.0, 0.5),
            "max_epochs": Integer(10, 100, log=True),
            "class_weight": CLASS_WEIGHT,
        },
        cost=4.0,
        is_net=True,
    )
)
register(
    Component(
        "finetune_tabular_custom",
        "classifier",
        _finetune_tabular_custom,
        {
            **NET_TRAINING_RANGES,
            "strategy": Categorical(("all", "linear_probe", "last_blocks", "gradual")),
            "k_blocks": Integer(1, 3),
            "lr": Float(1e-4, 1e-2, log=True),
            "lr_decay": Float(0.5, 1.0),
            "l2sp": Categorical((0.0, 1e-3, 1e-2, 1e-1)),
            "head": Categorical(("linear", "mlp")),
            "head_dropout": Float(0.0, 0.5),
            "label_smoothing": Categorical((0.0, 0.1)),
            "max_epochs": Integer(10, 60, log=True),
        },
        cost=4.0,
        is_net=True,
    )
)
