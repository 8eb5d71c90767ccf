"""The ensemble pool: the out-of-fold predictions and fold models of the best trials.

While the search runs, every successful full-fidelity trial whose mean score
is among the best :data:`POOL_SIZE` so far is kept here (cheap-fidelity,
pruned and failed trials take no part):

- its out-of-fold class probabilities, float32, in memory:
  ``POOL_SIZE x n_rows x n_classes x 4`` bytes at most (20 trials of 3,750
  rows and 10 classes: 3 MB);
- its fold models, pickled, on disk in the pool's folder (never in memory
  until an ensemble member needs them when there is no time to refit it).

A trial that falls out of the best :data:`POOL_SIZE` is evicted and its files
removed. With a checkpoint the folder sits beside it (``<checkpoint>.pool``)
and survives the ``fit``, so that a resumed search rebuilds the same ensemble;
otherwise it is a temporary folder removed when ``fit`` ends.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass

import cloudpickle
import numpy as np

from ..space import Candidate
from ._result import TrialResult

__all__ = ["POOL_SIZE", "EnsemblePool", "PoolEntry"]

#: the number of best trials whose predictions are kept for ensemble selection
POOL_SIZE = 20

_INDEX = "index.json"


def _key(candidate: Candidate) -> str:
    text = json.dumps(candidate.to_dict(), sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class PoolEntry:
    """One kept trial: its candidate, mean score, scored folds and predictions."""

    candidate: Candidate
    score: float
    #: how many splits were scored (all of them for CV, 1 for a hold-out)
    n_folds: int
    oof: np.ndarray
    #: the file holding the pickled list of fold models
    models_path: str

    def fold_models(self) -> list:
        """The fitted pipeline of every scored fold, in split order."""
        with open(self.models_path, "rb") as fh:
            return cloudpickle.load(fh)


class EnsemblePool:
    """The best :data:`POOL_SIZE` trials' predictions (see the module docstring).

    Parameters
    ----------
    folder : str or None
        Where the fold models (and, for resuming, the predictions) are kept;
        ``None`` makes a temporary folder that :meth:`close` removes.
    size : int, default=POOL_SIZE
        How many trials are kept.
    fresh : bool, default=False
        Empty ``folder`` first (a checkpoint started afresh).
    """

    def __init__(self, folder: str | None = None, size: int = POOL_SIZE, fresh: bool = False):
        self.size = int(size)
        self.persistent = folder is not None
        self.folder = (
            os.fspath(folder) if folder is not None else tempfile.mkdtemp(prefix="skautoml-pool-")
        )
        if fresh:
            shutil.rmtree(self.folder, ignore_errors=True)
        os.makedirs(self.folder, exist_ok=True)
        self._entries: dict[Candidate, PoolEntry] = {}
        self._load()

    @classmethod
    def for_fit(cls, ensemble_size: int, checkpoint, resume) -> EnsemblePool | None:
        """The pool of a ``fit``: ``None`` with ensembles off; beside a
        ``checkpoint`` (``<checkpoint>.pool``), kept when that checkpoint is
        resumed, else emptied; otherwise temporary. Call before the checkpoint
        is opened (which creates its file)."""
        if ensemble_size <= 1:
            return None
        if checkpoint is None:
            return cls(None)
        resumed = bool(resume) and os.path.exists(checkpoint)
        return cls(os.fspath(checkpoint) + ".pool", fresh=not resumed)

    # -- keeping -----------------------------------------------------------------
    def threshold(self) -> float:
        """The mean score a trial must beat to be kept (``-inf`` while not full)."""
        if len(self._entries) < self.size:
            return -math.inf
        return min(e.score for e in self._entries.values())

    def offer(self, candidate: Candidate, result: TrialResult) -> bool:
        """Keep ``result``'s predictions if it is among the best; return whether."""
        if result.oof is None or result.fold_models is None or not result.ok:
            return False
        score = result.mean_score
        if not math.isfinite(score) or score <= self.threshold():
            return False
        key = _key(candidate)
        path = os.path.join(self.folder, f"{key}.models")
        blob = result.fold_models
        with open(path, "wb") as fh:
            fh.write(blob if isinstance(blob, bytes) else cloudpickle.dumps(blob))
        oof = np.asarray(result.oof, dtype=np.float32)
        if self.persistent:
            np.save(os.path.join(self.folder, f"{key}.npy"), oof)
        entry = PoolEntry(candidate, score, len(result.test_scores), oof, path)
        self._entries[candidate] = entry
        while len(self._entries) > self.size:
            worst = min(self._entries.values(), key=lambda e: e.score)
            self._evict(worst)
        self._save_index()
        return candidate in self._entries

    def _evict(self, entry: PoolEntry) -> None:
        del self._entries[entry.candidate]
        key = _key(entry.candidate)
        for suffix in (".models", ".npy"):
            path = os.path.join(self.folder, key + suffix)
            if os.path.exists(path):
                os.remove(path)

    # -- reading -----------------------------------------------------------------
    def entries(self) -> list[PoolEntry]:
        """The kept trials, best first (the earliest kept first on ties)."""
        return sorted(self._entries.values(), key=lambda e: -e.score)

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        """Remove a temporary folder (a checkpoint's stays for resuming)."""
        if not self.persistent:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- resuming ----------------------------------------------------------------
    def _save_index(self) -> None:
        if not self.persistent:
            return
        index = [
            {
                "candidate": e.candidate.to_dict(),
                "score": e.score,
                "n_folds": e.n_folds,
                "key": _key(e.candidate),
            }
            for e in self._entries.values()
        ]
        tmp = os.path.join(self.folder, _INDEX + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(index, fh)
        os.replace(tmp, os.path.join(self.folder, _INDEX))

    def _load(self) -> None:
        """The entries a checkpointed search kept before it stopped."""
        path = os.path.join(self.folder, _INDEX)
        if not self.persistent or not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as fh:
            index = json.load(fh)
        for item in index:
            oof_path = os.path.join(self.folder, item["key"] + ".npy")
            models_path = os.path.join(self.folder, item["key"] + ".models")
            if not (os.path.exists(oof_path) and os.path.exists(models_path)):
                continue  # a file lost: the entry cannot serve
            candidate = Candidate.from_dict(item["candidate"])
            self._entries[candidate] = PoolEntry(
                candidate,
                float(item["score"]),
                int(item["n_folds"]),
                np.load(oof_path),
                models_path,
            )
