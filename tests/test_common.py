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
    # No check is skipped by us. scikit-learn itself skips
    # check_array_api_input unless SCIPY_ARRAY_API=1 is set before scipy is
    # imported: the estimator does not claim array-API support (it converts
    # inputs to numpy/pandas for its scikit-learn pipelines), so that check
    # does not apply.
    check(estimator)
