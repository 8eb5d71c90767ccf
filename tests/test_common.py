"""scikit-learn's estimator checks on a small configuration."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skautoml import AutoFineTuneClassifier


@parametrize_with_checks(
    [AutoFineTuneClassifier(max_trials=2, cv=2, random_state=0, search_space="fast")]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
