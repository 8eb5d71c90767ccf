"""Cross-validated scoring, the budget, executors and the search loop."""

from ._cv import EvalData, evaluate_candidate, fit_candidate
from ._executors import Job, TrialRunner
from ._search import SearchResult, run_search

__all__ = [
    "EvalData",
    "Job",
    "SearchResult",
    "TrialRunner",
    "evaluate_candidate",
    "fit_candidate",
    "run_search",
]
