"""Test-only components: one that fails, one that hangs, one whose loss is NaN,
one that predicts slowly, one that checks its worker's threads.

Registered under names starting with ``test_`` so they never clash with the
library's own components.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from torch import nn

from skautoml.nets import NetClassifier, StopOnNaN
from skautoml.space import Categorical, Component, register


class Boom(ClassifierMixin, BaseEstimator):
    """A classifier whose fit always raises."""

    def fit(self, X, y):
        raise RuntimeError("boom: this component always fails")


class Sleeper(ClassifierMixin, BaseEstimator):
    """A classifier whose fit takes ``seconds`` (a hung fit, in practice)."""

    def __init__(self, seconds=1000.0):
        self.seconds = seconds

    def fit(self, X, y):
        time.sleep(self.seconds)
        self.classes_ = np.unique(y)
        return self


class Spinner(ClassifierMixin, BaseEstimator):
    """A classifier that never returns from fit: a busy loop."""

    def fit(self, X, y):
        x = 0
        while True:
            x += 1


class NaNModule(nn.Module):
    """A module whose output, and so whose loss, is NaN."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.linear(x) * torch.tensor(float("nan"))


class Hog(ClassifierMixin, BaseEstimator):
    """A classifier that allocates ``megabytes`` of memory in fit."""

    def __init__(self, megabytes=4096):
        self.megabytes = megabytes

    def fit(self, X, y):
        block = np.ones(int(self.megabytes * 1024 * 1024 // 8))
        self.classes_ = np.unique(y)
        self.total_ = float(block.sum())
        return self


def _boom(ctx):
    return Boom()


def _sleeper(ctx, seconds=1000.0):
    return Sleeper(seconds=seconds)


def _spinner(ctx):
    return Spinner()


def _hog(ctx, megabytes=4096):
    return Hog(megabytes=megabytes)


def _nan_net(ctx):
    return NetClassifier(
        NaNModule, max_epochs=3, train_split=None, verbose=0, callbacks=[StopOnNaN()]
    )


def _fast_logreg(ctx, C=1.0):
    return LogisticRegression(C=C, max_iter=500)


register(Component("test_boom", "classifier", _boom))
register(Component("test_sleeper", "classifier", _sleeper, {"seconds": Categorical((1000.0,))}))
register(Component("test_spinner", "classifier", _spinner))
register(Component("test_hog", "classifier", _hog, {"megabytes": Categorical((4096,))}))
register(Component("test_nan_net", "classifier", _nan_net, is_net=True))
register(Component("test_logreg", "classifier", _fast_logreg, {"C": Categorical((0.1, 1.0, 10.0))}))


class OneThread(ClassifierMixin, BaseEstimator):
    """Fails unless its worker runs OpenMP and BLAS with one thread."""

    def fit(self, X, y):
        import os

        from threadpoolctl import threadpool_info

        seen = {os.environ.get("OMP_NUM_THREADS")} | {
            str(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"
        }
        if seen != {"1"}:
            raise RuntimeError(f"the worker runs {sorted(seen)} threads, not 1")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def _one_thread(ctx):
    return OneThread()


register(Component("test_one_thread", "classifier", _one_thread))


class Suicide(ClassifierMixin, BaseEstimator):
    """A classifier whose fit kills its own process (a segfault, in effect)."""

    def fit(self, X, y):
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _suicide(ctx):
    return Suicide()


register(Component("test_suicide", "classifier", _suicide))


class SlowOnAllRows(LogisticRegression):
    """Logistic regression that hangs when trained on all ``n_rows`` rows: a CV
    fold fits fast, the refit overruns any budget."""

    def __init__(self, n_rows=0, C=1.0, max_iter=500):
        super().__init__(C=C, max_iter=max_iter)
        self.n_rows = n_rows

    def fit(self, X, y, sample_weight=None):
        if len(X) >= self.n_rows:
            time.sleep(1000.0)
        return super().fit(X, y, sample_weight=sample_weight)


def _slow_refit(ctx):
    return SlowOnAllRows(n_rows=ctx.n_samples)


register(Component("test_slow_refit", "classifier", _slow_refit))


class Nap(LogisticRegression):
    """Logistic regression whose fit first sleeps ``seconds``: slow, but it finishes."""

    def __init__(self, seconds=4.0, C=1.0, max_iter=500):
        super().__init__(C=C, max_iter=max_iter)
        self.seconds = seconds

    def fit(self, X, y, sample_weight=None):
        time.sleep(self.seconds)
        return super().fit(X, y, sample_weight=sample_weight)


def _nap(ctx, seconds=4.0):
    return Nap(seconds=seconds)


#: a classifier that fits in ``seconds`` per fold: a slow trial that finishes
register(Component("test_nap", "classifier", _nap, {"seconds": Categorical((4.0,))}))


class SlowPredictor(LogisticRegression):
    """Logistic regression whose every prediction first sleeps ``seconds``: a
    good model that predicts slowly (its latency is at least the sleep)."""

    def __init__(self, seconds=0.1, C=1.0, max_iter=500):
        super().__init__(C=C, max_iter=max_iter)
        self.seconds = seconds

    def predict(self, X):
        time.sleep(self.seconds)
        return super().predict(X)

    def predict_proba(self, X):
        time.sleep(self.seconds)
        return super().predict_proba(X)


def _slow_predict(ctx):
    return SlowPredictor()


def _prior(ctx):
    return DummyClassifier(strategy="prior")


#: a good classifier that predicts slowly, and a poor one that predicts fast
register(Component("test_slow_predict", "classifier", _slow_predict))
register(Component("test_prior", "classifier", _prior))


def _ridge(ctx, alpha=1.0):
    from sklearn.linear_model import RidgeClassifier

    return RidgeClassifier(alpha=alpha, random_state=ctx.seed)


#: a classifier without predict_proba (the user guide's custom-component example)
register(Component("test_ridge", "classifier", _ridge, {"alpha": Categorical((0.1, 1.0))}))
