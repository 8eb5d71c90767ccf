"""A fitted estimator of one trial of one component: a quick teacher for distill and compress."""

from skautoml import AutoFineTuneClassifier, AutoFineTuneRegressor


def one_trial(X, y, final, *, regression=False):
    """``AutoFineTune*`` fitted with a single trial of ``final`` and no ensemble."""
    estimator = AutoFineTuneRegressor if regression else AutoFineTuneClassifier
    return estimator(
        search_space={"regressor" if regression else "classifier": [final]},
        max_trials=1,
        time_budget=None,
        ensemble_size=1,
        random_state=0,
    ).fit(X, y)
