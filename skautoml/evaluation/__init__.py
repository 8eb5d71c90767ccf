"""Cross-validated scoring, the budget, executors, the search loop and the refit."""

from ._budget import Budget
from ._cost import CostModel, Plan, worker_threads
from ._cv import EvalData, evaluate_candidate, fit_candidate
from ._executors import KeptModel, TrialRunner, start_worker_server
from ._fidelity import SuccessiveHalving
from ._jobs import Job
from ._refit import make_splits, refit_best
from ._result import TrialResult
from ._search import SearchResult, run_search

__all__ = [
    "Budget",
    "CostModel",
    "EvalData",
    "Job",
    "KeptModel",
    "Plan",
    "SearchResult",
    "SuccessiveHalving",
    "TrialResult",
    "TrialRunner",
    "evaluate_candidate",
    "fit_candidate",
    "make_splits",
    "refit_best",
    "run_search",
    "start_worker_server",
    "worker_threads",
]
