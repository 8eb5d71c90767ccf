"""Hyperparameter ranges as plain data, free of any optimiser library."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Categorical", "Float", "Integer"]


@dataclass(frozen=True)
class Float:
    """A real range; ``log=True`` samples on a log scale."""

    low: float
    high: float
    log: bool = False

    def sample(self, rng) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def clip(self, value: float) -> float:
        return float(min(max(value, self.low), self.high))

    @property
    def default(self) -> float:
        if self.log:
            return float(math.sqrt(self.low * self.high))
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class Integer:
    """An integer range, both ends included."""

    low: int
    high: int
    log: bool = False

    def sample(self, rng) -> int:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return int(min(max(int(value), self.low), self.high))
        return int(rng.integers(self.low, self.high + 1))

    def clip(self, value: float) -> int:
        return int(min(max(round(value), self.low), self.high))

    @property
    def default(self) -> int:
        return (
            int(round(math.sqrt(self.low * self.high))) if self.log else (self.low + self.high) // 2
        )


@dataclass(frozen=True)
class Categorical:
    """A choice among literal values (str, int, float, bool, None or tuples)."""

    choices: tuple[Any, ...]

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(self.choices))
        if not self.choices:
            raise ValueError("Categorical needs at least one choice.")

    def sample(self, rng) -> Any:
        return self.choices[int(rng.integers(len(self.choices)))]

    def clip(self, value: Any) -> Any:
        return value if value in self.choices else self.choices[0]

    @property
    def default(self) -> Any:
        return self.choices[0]
