"""Quick start: search pipelines for breast_cancer in a minute, print the leaderboard.

Run with ``make demo`` (or ``python examples/quickstart.py`` in the environment).
"""

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

clf = AutoFineTuneClassifier(search="bayes", time_budget=60, random_state=0, verbose=1)
clf.fit(X_train, y_train)

columns = ["rank", "pipeline", "hyperparameters", "score", "mean_fit_time", "status"]
board = clf.leaderboard()[[*columns, "ensemble_weight"]]
# the searched values tell trials of the same pipeline apart (shortened to fit a terminal)
board["hyperparameters"] = board["hyperparameters"].str.slice(0, 48)
print(board.head(15).to_string(index=False))
print()
print(f"best pipeline : {clf.best_candidate_.candidate.describe()}")
print(f"cv accuracy   : {clf.best_score_:.4f}")
print(f"ensemble      : {len(clf.ensemble_)} pipeline(s), out-of-fold {clf.ensemble_score_:.4f}")
print(f"test accuracy : {clf.score(X_test, y_test):.4f}")
print(f"trials        : {clf.n_trials_} ({clf.search_report_['stop_reason']})")
print(f"fit wall time : {clf.search_report_['total_seconds']:.1f} s")
