"""Trial records, cross-validated scoring, budgets and executors."""

from ._cv import EvalData, evaluate_candidate, fit_candidate
from ._executors import Job, TrialRunner
from ._search import SearchResult, best_trial, run_search
from ._trial import STATUSES, Trial

__all__ = [
    "STATUSES",
    "EvalData",
    "Job",
    "SearchResult",
    "Trial",
    "TrialRunner",
    "best_trial",
    "evaluate_candidate",
    "fit_candidate",
    "run_search",
]
