"""scikit-learn's estimator checks on a small configuration, once per strategy."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skautoml import AutoFineTuneClassifier
from skautoml.strategies import STRATEGIES


@parametrize_with_checks(
    [AutoFineTuneClassifier(max_trials=2, cv=2, random_state=0, search_space="fast")]
    + [
        AutoFineTuneClassifier(
            search=search, max_trials=2, cv=2, random_state=0, search_space="fast"
        )
        for search in sorted(STRATEGIES)
        if search != "bayes"  # the default, checked just above
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
