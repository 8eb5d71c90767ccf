"""What a notebook shows of a fitted search: its HTML repr and a readable leaderboard."""

import numpy as np
import support.components  # noqa: F401  (registers the test_* components)
from sklearn.datasets import load_iris

from skautoml import AutoFineTuneClassifier
from skautoml.records import hyperparameters
from skautoml.space import Candidate

SPACE = {
    "scaler": ["standard_scaler"],
    "transformer": ["passthrough"],
    "classifier": ["test_logreg"],
}


def _fit(**params):
    X, y = load_iris(return_X_y=True)
    settings = {"time_budget": None, "random_state": 0, "search": "random", **params}
    return AutoFineTuneClassifier(search_space=SPACE, max_trials=3, **settings).fit(X, y)


def test_leaderboard_tells_trials_of_one_pipeline_apart():
    board = _fit(ensemble_size=1).leaderboard()
    trials = board[board["status"] == "ok"]
    assert set(trials["pipeline"]) == {"standard_scaler -> test_logreg"}
    # the same pipeline three times: the hyperparameters column tells them apart
    assert sorted(trials["hyperparameters"]) == [
        "test_logreg: C=0.1",
        "test_logreg: C=1",
        "test_logreg: C=10",
    ]
    assert list(board.columns[:4]) == ["trial", "rank", "pipeline", "hyperparameters"]


def test_hyperparameters_are_one_readable_line():
    nested = Candidate.of(("logistic_regression", {"C": 0.123456}))
    candidate = Candidate.of(
        ("pca", {"n_components": 0.95}),
        ("stacking", {"estimators": (nested,), "passthrough": False}),
    )
    assert hyperparameters(candidate) == (
        "pca: n_components=0.95; stacking: estimators=([logistic_regression]), passthrough=False"
    )
    assert hyperparameters(Candidate.of(("standard_scaler", {}))) == ""


def test_trials_record_when_they_finished():
    finished = np.array(_fit(ensemble_size=1).cv_results_["finished"], dtype=float)
    assert (finished > 0).all()
    assert (np.diff(finished) >= 0).all()  # numbered in the order they finished


def test_html_repr_shows_the_winning_pipeline_and_the_ensemble():
    clf = AutoFineTuneClassifier(time_budget=30)
    assert "Winning pipeline" not in clf._repr_mimebundle_()["text/html"]
    clf = _fit()
    html = clf._repr_mimebundle_()["text/html"]
    best = clf.best_candidate_
    assert f"Winning pipeline: trial {best.number}, standard_scaler -&gt; test_logreg" in html
    assert f"CV score {clf.best_score_:.4f}" in html
    # scikit-learn's diagram of the fitted pipeline, below the estimator's own
    assert html.count("sk-estimator") > 2 and "StandardScaler" in html
    assert len(clf.ensemble_) > 1  # deterministic: max_trials=3, no time budget, seed 0
    assert f"an ensemble of {len(clf.ensemble_)} trials" in html
    assert "Winning pipeline" in clf._repr_html_()


def test_progress_bar_is_tqdm_auto_a_widget_in_notebooks():
    import tqdm.auto

    from skautoml import _progress

    assert _progress.tqdm is tqdm.auto.tqdm
