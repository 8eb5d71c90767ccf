"""Durable trial logs: one JSON record per line, appended as trials finish.

The first line is a header naming the skautoml version and a fingerprint of
the settings and data. Each further line is one :class:`Trial`. A record is
written with a single ``write`` of a full line, then flushed and fsynced, so a
killed process leaves at worst one truncated last line, which the reader
skips and reports.
"""

from __future__ import annotations

import json
import logging
import os
import warnings

from ..exceptions import SearchWarning
from ._trial import Trial

__all__ = ["CheckpointLog", "Journal", "open_checkpoint", "read_checkpoint"]

logger = logging.getLogger("skautoml")

FORMAT = 1


def read_checkpoint(path) -> tuple[dict | None, list[Trial]]:
    """Read a log; returns ``(header, trials)``. A truncated last line is skipped."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None, []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    complete = lines[:-1]  # every complete record ends with a newline
    if lines[-1].strip():
        warnings.warn(
            f"checkpoint {os.fspath(path)!r} ends with a truncated record (the writing "
            "process was probably killed); that trial will be run again",
            SearchWarning,
            stacklevel=3,
        )
    if not complete:
        return None, []
    try:
        header = json.loads(complete[0])
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{os.fspath(path)!r} is not a skautoml checkpoint (its first line is not a "
            "JSON header); pass another path or delete the file"
        ) from exc
    if not isinstance(header, dict) or header.get("kind") != "skautoml-checkpoint":
        raise ValueError(
            f"{os.fspath(path)!r} is not a skautoml checkpoint; pass another path or delete it"
        )
    trials = []
    for number, line in enumerate(complete[1:], start=2):
        if not line.strip():
            continue
        try:
            trials.append(Trial.from_dict(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"checkpoint {os.fspath(path)!r} line {number} is corrupt ({exc}); "
                "delete the file or pass resume=False to start over"
            ) from exc
    return header, trials


class CheckpointLog:
    """Append finished trials to ``path``.

    Parameters
    ----------
    path : str or path-like
        The log file.
    header : dict
        Written as the first line when the file is new (or overwritten).
    overwrite : bool
        Start a new file even when one exists.
    """

    def __init__(self, path, header: dict, *, overwrite: bool = False):
        self.path = os.fspath(path)
        exists = os.path.exists(self.path) and os.path.getsize(self.path) > 0
        if overwrite or not exists:
            with open(self.path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(header, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        else:
            self._drop_truncated_tail()

    def _drop_truncated_tail(self) -> None:
        with open(self.path, "rb+") as fh:
            data = fh.read()
            if data and not data.endswith(b"\n"):
                fh.truncate(data.rfind(b"\n") + 1)

    def append(self, trial: Trial) -> None:
        line = json.dumps(trial.to_dict(), sort_keys=True, default=str) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


def make_header(version: str, fingerprint: str) -> dict:
    return {
        "kind": "skautoml-checkpoint",
        "format": FORMAT,
        "version": version,
        "fingerprint": fingerprint,
    }


class Journal:
    """What a ``fit`` with a checkpoint starts from.

    ``replay`` maps candidates to trials of an earlier run with the same
    settings (they are not run again); ``known`` holds trials of a run with
    other settings that the user asked to reuse (``resume="force"``).
    """

    def __init__(self, log=None, replay=None, known=()):
        self.log = log
        self.replay = replay or {}
        self.known = list(known)

    def append(self, trial: Trial) -> None:
        if self.log is not None:
            self.log.append(trial)


def open_checkpoint(path, resume, version: str, fingerprint: str) -> Journal:
    """Open (or create) the checkpoint at ``path`` according to ``resume``.

    ``resume=True`` resumes a file made with the same settings, data and
    version, and refuses any other; ``"force"`` reuses the trials of any
    skautoml checkpoint; ``False`` starts the file afresh.
    """
    if path is None:
        return Journal()
    header = make_header(version, fingerprint)
    if resume is False:
        return Journal(CheckpointLog(path, header, overwrite=True))
    old_header, trials = read_checkpoint(path)
    if old_header is None:
        return Journal(CheckpointLog(path, header, overwrite=True))
    same = old_header.get("fingerprint") == fingerprint and old_header.get("version") == version
    if same:
        logger.info("resuming from %s: %d trials recorded", path, len(trials))
        return Journal(CheckpointLog(path, header), replay={t.candidate: t for t in trials})
    if resume == "force":
        log = CheckpointLog(path, header, overwrite=True)
        for trial in trials:
            log.append(trial)
        return Journal(log, known=trials)
    what = (
        f"skautoml {old_header.get('version')}"
        if old_header.get("version") != version
        else "other settings or data"
    )
    raise ValueError(
        f"checkpoint {os.fspath(path)!r} was made by {what}, so its trials may not apply; "
        "pass resume='force' to reuse them anyway, resume=False to start the file afresh, "
        "or another checkpoint path"
    )
