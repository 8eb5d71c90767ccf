"""scikit-learn's estimator checks on a small configuration, once per strategy."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skautoml import AutoFineTuneClassifier
from skautoml.strategies import STRATEGIES

# No time budget: several checks fit twice and compare the predictions, and
# with the default budget (60 s, so 20 s per trial) a trial slowed down by a
# loaded machine timed out in one fit and not the other, and the two fits
# picked different pipelines. max_trials bounds the work instead.
SETTINGS = {"max_trials": 2, "time_budget": None, "cv": 2, "random_state": 0}


@parametrize_with_checks(
    [AutoFineTuneClassifier(**SETTINGS, search_space="fast")]
    + [
        AutoFineTuneClassifier(search=search, **SETTINGS, search_space="fast")
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
