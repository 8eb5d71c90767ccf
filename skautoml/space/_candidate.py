"""Candidates: the one plain-data description of a pipeline.

A :class:`Candidate` is an immutable, hashable, JSON-serialisable tuple of
:class:`Step`. Each step names a registered component and carries its
hyperparameters as a sorted tuple of ``(name, value)`` pairs. A value is a
plain literal (``str``, ``int``, ``float``, ``bool``, ``None``), a tuple of
literals, or, for composite components (feature unions, stacking), a nested
:class:`Candidate`.

Strategies translate their own representation (skopt points, DEAP trees) to
candidates; the evaluator builds pipelines only from candidates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Candidate", "Step", "candidate_from_json", "candidate_to_json"]


@dataclass(frozen=True, order=True)
class Step:
    """One pipeline step: a registered component name and its parameters."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def make(cls, name: str, params: dict[str, Any] | None = None) -> Step:
        """Build a step from a ``dict`` of parameters (sorted, values frozen)."""
        items = tuple(sorted((k, _freeze(v)) for k, v in (params or {}).items()))
        return cls(name, items)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True, order=True)
class Candidate:
    """An ordered, immutable description of a pipeline."""

    steps: tuple[Step, ...]

    @classmethod
    def of(cls, *steps: Step | tuple[str, dict]) -> Candidate:
        out = []
        for s in steps:
            out.append(s if isinstance(s, Step) else Step.make(s[0], s[1]))
        return cls(tuple(out))

    @property
    def final(self) -> Step:
        return self.steps[-1]

    def complexity(self) -> int:
        """Number of steps, counting nested candidates (used by NSGA-II)."""
        total = 0
        for step in self.steps:
            if step.name == "passthrough":
                continue
            total += 1
            for _, value in step.params:
                for sub in _nested(value):
                    total += sub.complexity()
        return total

    def describe(self) -> str:
        """A short human-readable form, e.g. ``standard_scaler -> logistic_regression``."""
        parts = []
        for step in self.steps:
            if step.name == "passthrough":
                continue
            nested = [c for _, v in step.params for c in _nested(v)]
            if nested:
                parts.append(f"{step.name}[{' | '.join(c.describe() for c in nested)}]")
            else:
                parts.append(step.name)
        return " -> ".join(parts)

    def to_dict(self) -> list:
        return [[s.name, {k: _to_jsonable(v) for k, v in s.params}] for s in self.steps]

    @classmethod
    def from_dict(cls, data: list) -> Candidate:
        return cls(
            tuple(
                Step(name, tuple(sorted((k, _from_jsonable(v)) for k, v in params.items())))
                for name, params in data
            )
        )


def _nested(value: Any):
    if isinstance(value, Candidate):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            if isinstance(v, Candidate):
                yield v


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, Candidate):  # numpy scalars
        return value.item()
    return value


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, Candidate):
        return {"__candidate__": value.to_dict()}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_jsonable(v) for v in value]}
    return value


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict) and "__candidate__" in value:
        return Candidate.from_dict(value["__candidate__"])
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(_from_jsonable(v) for v in value["__tuple__"])
    return value


def candidate_to_json(candidate: Candidate) -> str:
    return json.dumps(candidate.to_dict(), sort_keys=True)


def candidate_from_json(text: str) -> Candidate:
    return Candidate.from_dict(json.loads(text))
