"""Trial records: what every layer of the search writes and reads.

The records layer sits below both the strategies and evaluation: a
:class:`Trial` is what the loop builds from a worker's result, what a
strategy is told, what the checkpoint journal stores, and what
``cv_results_`` and the leaderboard are made from.
"""

from ._journal import CheckpointLog, Journal, open_checkpoint, read_checkpoint
from ._results import (
    all_failed_message,
    candidate_params,
    cv_results,
    hyperparameters,
    leaderboard_frame,
    warn_failures,
    within_latency,
)
from ._trial import (
    BUDGET_RAN_OUT,
    STATUSES,
    StopCause,
    Trial,
    TrialStatus,
    best_trial,
    protocol_of,
)

__all__ = [
    "BUDGET_RAN_OUT",
    "STATUSES",
    "CheckpointLog",
    "Journal",
    "StopCause",
    "Trial",
    "TrialStatus",
    "all_failed_message",
    "best_trial",
    "protocol_of",
    "candidate_params",
    "cv_results",
    "hyperparameters",
    "leaderboard_frame",
    "open_checkpoint",
    "read_checkpoint",
    "warn_failures",
    "within_latency",
]
