"""Cross-validated scoring, the budget, executors, the search loop and the refit."""

from ._bagging import FoldBag, first_fold_form
from ._budget import Budget
from ._cost import CostModel, Plan, n_workers, usable_cores, worker_threads
from ._cv import EvalData, evaluate_candidate, fit_candidate
from ._ensemble import export_form, select_ensemble
from ._executors import KeptModel, TrialRunner, start_worker_server
from ._fidelity import SuccessiveHalving
from ._jobs import Job, Packed, unpacked
from ._pool import POOL_SIZE, EnsemblePool
from ._refit import (
    EnsembleFit,
    Selected,
    build_ensemble,
    make_splits,
    refit_best,
    select_members,
)
from ._result import TrialResult
from ._search import SearchResult, run_search

__all__ = [
    "Budget",
    "EnsembleFit",
    "EnsemblePool",
    "POOL_SIZE",
    "CostModel",
    "EvalData",
    "FoldBag",
    "Job",
    "KeptModel",
    "Packed",
    "Plan",
    "SearchResult",
    "Selected",
    "SuccessiveHalving",
    "TrialResult",
    "TrialRunner",
    "build_ensemble",
    "evaluate_candidate",
    "export_form",
    "fit_candidate",
    "first_fold_form",
    "make_splits",
    "n_workers",
    "refit_best",
    "run_search",
    "select_ensemble",
    "select_members",
    "start_worker_server",
    "unpacked",
    "usable_cores",
    "worker_threads",
]
