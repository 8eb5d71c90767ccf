"""The regression components: what :class:`~skautoml.AutoFineTuneRegressor` searches.

Every regressor may predict a transformed target: its ``target``
hyperparameter wraps it in scikit-learn's
:class:`~sklearn.compose.TransformedTargetRegressor` with a standard scaler
or a quantile transform to a normal distribution (which tames a skewed
target, such as prices, as a log would), or leaves the target as it is. A
Yeo-Johnson power transform is left out on purpose: its inverse is undefined
beyond a bound, so a model that extrapolates past it predicts NaN.
Scale-sensitive models (SVR, elastic net) start from a standardised target;
the search decides where a transform helps. The tabular network standardises its target itself
(:class:`~skautoml.nets.NetRegressor`) and searches its loss instead.
"""

from __future__ import annotations

from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from sklearn.svm import SVR

from ._components import _TREE_RANGES, COMPONENTS, Component, register
from ._context import BuildContext
from ._dimensions import Categorical, Float, Integer
from ._training import net_regressor

__all__ = ["IMAGE_REGRESSORS", "LOSS", "TARGET_TRANSFORMS", "with_target", "without"]

#: classical regressors that read image rows as pixel features
IMAGE_REGRESSORS = ("ridge", "svr", "k_neighbors_regressor")

#: the searched target transforms ("none" leaves the target as it is)
TARGET_TRANSFORMS = ("none", "standard", "quantile")
_TARGET = Categorical(TARGET_TRANSFORMS)
#: the regression networks' searched losses
LOSS = Categorical(("mse", "huber"))


def without(ranges, name: str) -> dict:
    """``ranges`` (a component's hyperparameters) less ``name``, in order."""
    return {key: dim for key, dim in ranges.items() if key != name}


def with_target(ctx: BuildContext, regressor, target: str):
    """``regressor`` predicting the ``target``-transformed target.

    Parameters
    ----------
    ctx : BuildContext
    regressor : estimator
    target : {"none", "standard", "quantile"}

    Returns
    -------
    estimator
        ``regressor`` itself for ``"none"``, else a
        :class:`~sklearn.compose.TransformedTargetRegressor` around it.
    """
    if target == "none":
        return regressor
    if target == "standard":
        transformer = StandardScaler()
    elif target == "quantile":
        transformer = QuantileTransformer(
            n_quantiles=int(max(10, min(1000, ctx.n_samples // 2))),
            output_distribution="normal",
            random_state=ctx.seed,
        )
    else:
        raise ValueError(f"target must be one of {TARGET_TRANSFORMS}, got {target!r}")
    return TransformedTargetRegressor(
        regressor=regressor, transformer=transformer, check_inverse=False
    )


def _ridge(ctx, alpha=1.0, target="none"):
    return with_target(ctx, Ridge(alpha=alpha), target)


def _elastic_net(ctx, alpha=0.01, l1_ratio=0.5, target="standard"):
    return with_target(
        ctx,
        ElasticNet(alpha=alpha, l1_ratio=l1_ratio, max_iter=5000, random_state=ctx.seed),
        target,
    )


def _hist_gradient_boosting(
    ctx,
    learning_rate=0.1,
    max_iter=100,
    max_leaf_nodes=31,
    l2_regularization=1e-6,
    loss="squared_error",
    target="none",
):
    return with_target(
        ctx,
        HistGradientBoostingRegressor(
            loss=loss,
            learning_rate=learning_rate,
            max_iter=max_iter,
            max_leaf_nodes=max_leaf_nodes,
            l2_regularization=l2_regularization,
            random_state=ctx.seed,
        ),
        target,
    )


def _random_forest(ctx, n_estimators=100, max_features=1.0, min_samples_leaf=1, target="none"):
    return with_target(
        ctx,
        RandomForestRegressor(
            n_estimators=n_estimators,
            max_features=max_features,
            min_samples_leaf=min_samples_leaf,
            random_state=ctx.seed,
        ),
        target,
    )


def _extra_trees(ctx, n_estimators=100, max_features=1.0, min_samples_leaf=1, target="none"):
    return with_target(
        ctx,
        ExtraTreesRegressor(
            n_estimators=n_estimators,
            max_features=max_features,
            min_samples_leaf=min_samples_leaf,
            random_state=ctx.seed,
        ),
        target,
    )


def _svr(ctx, C=1.0, gamma="scale", epsilon=0.1, target="standard"):
    return with_target(ctx, SVR(C=C, gamma=gamma, epsilon=epsilon), target)


def _knn(ctx, n_neighbors=5, weights="uniform", target="none"):
    # a CV fold may train on half the rows: never ask for more neighbours than that
    n_neighbors = int(min(n_neighbors, max(1, ctx.n_samples // 2 - 1)))
    return with_target(ctx, KNeighborsRegressor(n_neighbors=n_neighbors, weights=weights), target)


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
    loss="mse",
):
    from ..nets import TabularMLP  # torch: only when a network is built

    return net_regressor(
        ctx,
        TabularMLP,
        {"hidden_units": hidden_units, "n_layers": n_layers, "dropout": dropout},
        loss=loss,
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
    )


#: the factories' max_features=1.0 (scikit-learn's default for regression
#: forests) is where the portfolio starts
_REGRESSOR_TREES = {**_TREE_RANGES, "target": _TARGET}

register(
    Component(
        "ridge",
        "regressor",
        _ridge,
        {"alpha": Float(1e-3, 1e3, log=True), "target": _TARGET},
        kinds=frozenset({"tabular", "image"}),
        cost=0.3,
    )
)
register(
    Component(
        "elastic_net",
        "regressor",
        _elastic_net,
        {
            "alpha": Float(1e-4, 10.0, log=True),
            "l1_ratio": Float(0.05, 1.0),
            "target": _TARGET,
        },
        cost=0.5,
    )
)
register(
    Component(
        "hist_gradient_boosting_regressor",
        "regressor",
        _hist_gradient_boosting,
        {
            "learning_rate": Float(0.01, 0.5, log=True),
            "max_iter": Integer(50, 400, log=True),
            "max_leaf_nodes": Integer(8, 64, log=True),
            "l2_regularization": Float(1e-6, 1.0, log=True),
            "loss": Categorical(("squared_error", "absolute_error")),
            "target": _TARGET,
        },
        cost=2.0,
    )
)
register(
    Component("random_forest_regressor", "regressor", _random_forest, _REGRESSOR_TREES, cost=2.0)
)
register(Component("extra_trees_regressor", "regressor", _extra_trees, _REGRESSOR_TREES, cost=1.5))
register(
    Component(
        "svr",
        "regressor",
        _svr,
        {
            "C": Float(1e-2, 1e3, log=True),
            "gamma": Categorical(("scale", "auto")),
            "epsilon": Float(1e-3, 1.0, log=True),
            "target": _TARGET,
        },
        kinds=frozenset({"tabular", "image"}),
        cost=1.5,
    )
)
register(
    Component(
        "k_neighbors_regressor",
        "regressor",
        _knn,
        {
            "n_neighbors": Integer(1, 30),
            "weights": Categorical(("uniform", "distance")),
            "target": _TARGET,
        },
        kinds=frozenset({"tabular", "image"}),
        cost=0.5,
    )
)
register(
    Component(
        "tabular_net_regressor",
        "regressor",
        _tabular_net,
        # the classifier's network ranges, with a searched loss for class_weight
        {**without(COMPONENTS["tabular_net"].hyperparams, "class_weight"), "loss": LOSS},
        cost=4.0,
        is_net=True,
    )
)
