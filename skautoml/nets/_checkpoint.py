"""Load weight files safely into any torch module.

Every checkpoint is read with ``torch.load(..., weights_only=True)``: a file that
contains anything other than tensors and plain containers (for example a pickled
object whose ``__reduce__`` runs code) is refused before anything in it runs.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["load_checkpoint", "read_state_dict"]

logger = logging.getLogger(__name__)

_MAX_LISTED = 10


def _listing(names) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        shown += f", ... ({len(names) - _MAX_LISTED} more)"
    return shown


def read_state_dict(path) -> dict[str, torch.Tensor]:
    """Read a state dict file with ``weights_only=True`` and check its shape.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by ``torch.save(module.state_dict(), path)``.

    Returns
    -------
    state_dict : dict of str to torch.Tensor
        The tensors, on the CPU.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a plain state dict: it holds arbitrary Python objects
        (refused and not loaded), it is not a torch file at all, or it holds
        something other than a mapping of names to tensors.

    Examples
    --------
    >>> import tempfile, os, torch
    >>> path = os.path.join(tempfile.mkdtemp(), "w.pt")
    >>> torch.save(torch.nn.Linear(2, 1).state_dict(), path)
    >>> sorted(read_state_dict(path))
    ['bias', 'weight']
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file {path!r} does not exist")
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        raise ValueError(
            f"checkpoint {path!r} is not a plain state dict: it contains Python objects "
            "that torch.load(weights_only=True) refuses, so it was not loaded and none of "
            "its code ran. Save weights with torch.save(module.state_dict(), path). "
            f"Details: {exc}"
        ) from exc
    except Exception as exc:
        # A damaged or foreign file can make the reader raise nearly anything
        # (RuntimeError, EOFError, IndexError, ...); none of its content ran.
        raise ValueError(
            f"checkpoint {path!r} could not be read as a torch file (truncated or not "
            f"written by torch.save): {exc}"
        ) from exc

    if not isinstance(obj, Mapping):
        raise ValueError(
            f"checkpoint {path!r} holds a {type(obj).__name__}, expected a state dict "
            "(a mapping of parameter names to tensors, as written by "
            "torch.save(module.state_dict(), path))"
        )
    bad = [k for k, v in obj.items() if not (isinstance(k, str) and torch.is_tensor(v))]
    if bad:
        hint = ""
        nested = [k for k in bad if isinstance(obj[k], Mapping)]
        if nested:
            hint = (
                f"; it looks like a training checkpoint (nested entries {_listing(nested)}): "
                "save module.state_dict() on its own"
            )
        raise ValueError(
            f"checkpoint {path!r} is not a state dict: entries {_listing(bad)} are not "
            f"tensors keyed by parameter name{hint}"
        )
    return dict(obj)


def load_checkpoint(module: nn.Module, path, *, strict: bool = True) -> nn.Module:
    """Load a state dict file into ``module`` in place, safely.

    Parameters
    ----------
    module : torch.nn.Module
        The module whose parameters and buffers are overwritten.
    path : str or os.PathLike
        A file written by ``torch.save(module.state_dict(), path)``.
    strict : bool, default=True
        If True, the file's names must match the module's exactly. If False,
        missing and unexpected names are logged and skipped. Shapes must match
        in both cases.

    Returns
    -------
    module : torch.nn.Module
        The same module, for chaining.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a plain state dict (see :func:`read_state_dict`), or
        its names (when ``strict``) or shapes do not match the module; the
        message lists the offending names.

    Examples
    --------
    >>> import tempfile, os, torch
    >>> path = os.path.join(tempfile.mkdtemp(), "w.pt")
    >>> torch.save(torch.nn.Linear(2, 1).state_dict(), path)
    >>> load_checkpoint(torch.nn.Linear(2, 1), path)
    Linear(in_features=2, out_features=1, bias=True)
    """
    state = read_state_dict(path)
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [
        f"{k}: file {tuple(state[k].shape)} vs module {tuple(expected[k].shape)}"
        for k in expected
        if k in state and state[k].shape != expected[k].shape
    ]
    problems = []
    if strict and missing:
        problems.append(f"missing keys ({len(missing)}): {_listing(missing)}")
    if strict and unexpected:
        problems.append(f"unexpected keys ({len(unexpected)}): {_listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches ({len(mismatched)}): {_listing(mismatched)}")
    if problems:
        raise ValueError(
            f"checkpoint {os.fspath(path)!r} does not fit {type(module).__name__}: "
            + "; ".join(problems)
        )
    if missing or unexpected:
        logger.warning(
            "checkpoint %r: %d missing and %d unexpected keys skipped (strict=False)",
            os.fspath(path),
            len(missing),
            len(unexpected),
        )
    module.load_state_dict(state, strict=strict)
    return module
