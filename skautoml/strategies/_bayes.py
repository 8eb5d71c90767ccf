"""Bayesian optimisation with scikit-optimize (the only skopt import)."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence

import numpy as np
from skopt import Optimizer
from skopt.learning import GaussianProcessRegressor
from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern
from skopt.space import Categorical as SkCategorical
from skopt.space import Integer as SkInteger
from skopt.space import Real as SkReal
from skopt.space.transformers import CategoricalEncoder
from threadpoolctl import ThreadpoolController

from ..records import Trial
from ..space import Categorical, Float, Integer
from ._base import Proposal, Strategy

__all__ = ["BayesStrategy"]


def _to_skopt(key, dim):
    if isinstance(dim, Float):
        return SkReal(dim.low, dim.high, prior="log-uniform" if dim.log else "uniform", name=key)
    if isinstance(dim, Integer):
        return SkInteger(dim.low, dim.high, prior="log-uniform" if dim.log else "uniform", name=key)
    if isinstance(dim, Categorical):
        # skopt compares categories as strings; keep indices and map back
        return _IndexCategorical(list(range(len(dim.choices))), name=key, transform="onehot")
    raise TypeError(f"unsupported dimension {dim!r} for {key!r}")


class _IndexOneHot(CategoricalEncoder):
    """skopt's one-hot encoding of the categories ``0 .. k-1``, in numpy.

    It gives exactly what :class:`skopt.space.transformers.CategoricalEncoder`
    gives (one column for two categories, ``k`` columns otherwise; back by
    ``> 0.5`` or by the first largest column), without a
    :class:`~sklearn.preprocessing.LabelBinarizer` call and its input
    validation per column and per transform. Alone, it cut the strategy's
    time to 0.62x at 25 trials, less as the Gaussian process's share grows
    (docs/benchmarks.md, "Bayesian search: cost against quality").
    """

    def fit(self, X):
        self.classes_ = np.arange(len(X))
        self.n_classes = len(X)
        return self

    def transform(self, X):
        idx = np.asarray(X, dtype=np.int64)
        if self.n_classes == 2:
            return idx.reshape(-1, 1)
        return np.eye(self.n_classes, dtype=np.int64)[idx]

    def inverse_transform(self, Xt):
        Xt = np.asarray(Xt, dtype=float)
        if self.n_classes == 2:
            idx = (Xt.reshape(-1) > 0.5).astype(np.int64)
        else:
            idx = Xt.reshape(len(Xt), -1).argmax(axis=1)
        return self.classes_.take(idx).tolist()


class _Surrogate(GaussianProcessRegressor):
    """skopt's Gaussian process, with its predictive variance through BLAS.

    skopt computes the variance's quadratic form with a three-operand
    ``np.einsum("ki,kj,ij->k", ...)``, a plain loop over the 1,000 sampled
    points times the told points squared: at 80 trials it was about half the
    strategy's time. Here it is ``(K @ K_inv) * K`` summed by row, the same
    quantity (the same proposals, ``tests/strategies/test_bayes_encoding.py``);
    the rest is skopt's.
    """

    def predict(self, X, return_std=False, return_cov=False, **grads):
        if not return_std or return_cov or any(grads.values()) or not hasattr(self, "X_train_"):
            return super().predict(X, return_std=return_std, return_cov=return_cov, **grads)
        X = np.asarray(X, dtype=float)
        K_trans = self.kernel_(X, self.X_train_)
        y_mean = self.y_train_std_ * K_trans.dot(self.alpha_) + self.y_train_mean_
        y_var = self.kernel_.diag(X)
        y_var -= np.einsum("ki,ki->k", K_trans @ self.K_inv_, K_trans)
        negative = y_var < 0
        if np.any(negative):  # as skopt does
            warnings.warn(
                "Predicted variances smaller than 0. Setting those variances to 0.", stacklevel=2
            )
            y_var[negative] = 0.0
        return y_mean, np.sqrt(y_var * self.y_train_std_**2)


@functools.cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries, read once, after scipy's and numpy's are loaded."""
    return ThreadpoolController()


def _one_blas_thread():
    """A context in which BLAS runs one thread (the surrogate's small products).

    The search's process only proposes while the workers use the cores.
    Left at the default, a product as large as the variance's starts
    OpenBLAS's threads, after which the kernel fit's small Cholesky solves
    slowed down more than the product gained (docs/benchmarks.md).
    """
    return _blas().limit(limits=1, user_api="blas")


class _IndexCategorical(SkCategorical):
    """A categorical over indices whose one-hot transform is :class:`_IndexOneHot`."""

    def set_transformer(self, transform="onehot"):
        super().set_transformer(transform)
        if transform == "onehot":
            self.transformer = _IndexOneHot().fit(self.categories)


#: restarts of the surrogate's kernel fit, and points sampled to optimise the
#: acquisition, per proposal. Measured (docs/benchmarks.md, "Bayesian search:
#: cost against quality"): 0 restarts and 1,000 points instead of 2 and 2,000
#: halve the strategy's time per trial, for the same best CV score in 4 of 6
#: seeded runs and 0.16 points lower on average.
N_RESTARTS = 0
N_POINTS = 1000


class BayesStrategy(Strategy):
    """``gp_minimize`` semantics through :class:`skopt.Optimizer` ask/tell.

    The space's portfolio of default candidates is proposed first and told
    like any other point, so it counts towards the ``n_initial_points``
    initial points; the rest of them are drawn at random (one after the
    7-candidate default tabular portfolio, none after a portfolio of 8 or
    more). Then a Gaussian-process surrogate (isotropic Matern 5/2) with
    skopt's ``gp_hedge`` acquisition proposes. The search loop asks
    whenever workers are free (``ask(n)`` for ``n`` free workers: all of
    them at the start, usually one afterwards); ``n > 1`` points come from
    skopt's constant-liar strategy. Points asked and not yet told (trials
    still running on other workers) are told to a copy of the optimizer
    with the same lie (the best loss so far) before it proposes, so an
    asynchronous search does not propose the same region twice; the
    surrogate is then fitted once per trial, on the copy.

    Parameters
    ----------
    space : SearchSpace
        What to search; its flat encoding gives the optimizer's dimensions.
    seed : int
        Seeds the optimizer and its surrogate.
    n_initial_points : int, default=8
        Points told before the surrogate proposes, portfolio included; those
        beyond the portfolio are drawn at random (a constructor setting, not
        an estimator option).
    **options
        The estimator forwards none: any option raises :class:`TypeError`.
    """

    name = "bayes"
    option_names = ()

    def __init__(self, space, seed, n_initial_points=8, **options):
        super().__init__(space, seed, **options)
        self._dims = space.flat_dimensions()
        # a single-choice categorical is not a dimension skopt can search
        self._searched = [(k, d) for k, d in self._dims if not _fixed(d)]
        # An isotropic Matern kernel: skopt's default learns one length scale
        # per transformed dimension (~50 here), which makes every tell cost
        # seconds; one shared length scale over the [0, 1]-scaled space costs
        # milliseconds and searches as well on these mixed spaces.
        kernel = ConstantKernel(1.0, (0.01, 1000.0)) * Matern(
            length_scale=1.0, length_scale_bounds=(0.01, 100.0), nu=2.5
        )
        surrogate = _Surrogate(
            kernel=kernel,
            normalize_y=True,
            noise="gaussian",
            n_restarts_optimizer=N_RESTARTS,
            random_state=self.seed,
        )
        self._optimizer = Optimizer(
            [_to_skopt(k, d) for k, d in self._searched],
            base_estimator=surrogate,
            n_initial_points=n_initial_points,
            acq_func="gp_hedge",
            acq_optimizer="sampling",
            acq_optimizer_kwargs={"n_points": N_POINTS},
            random_state=self.seed,
        )
        self._worst = math.inf
        self._best_seen = -math.inf
        #: candidates proposed and not told yet -> their encoded point
        self._pending: dict = {}

    def _decode(self, x):
        point = {k: d.choices[0] for k, d in self._dims if _fixed(d)}
        for (key, dim), value in zip(self._searched, x):
            if isinstance(dim, Categorical):
                value = dim.choices[int(value)]
            elif isinstance(dim, Integer):
                value = int(value)
            else:
                value = float(value)
            point[key] = value
        return point

    def _encode(self, candidate):
        point = self.space.encode(candidate)
        x = []
        for key, dim in self._searched:
            value = point[key]
            x.append(dim.choices.index(value) if isinstance(dim, Categorical) else dim.clip(value))
        return x

    def ask(self, n: int) -> list[Proposal]:
        with _one_blas_thread():
            return self._ask(n)

    def _ask(self, n: int) -> list[Proposal]:
        portfolio = self._take_portfolio(n)
        if portfolio:  # told like any point, they count towards the initial design
            proposals = portfolio
        else:
            opt = self._with_pending_lies()
            xs = opt.ask(n_points=n, strategy="cl_min") if n > 1 else [opt.ask()]
            proposals = [Proposal(self.space.decode(self._decode(x))) for x in xs]
        for proposal in proposals:
            self._pending[proposal.candidate] = self._encode(proposal.candidate)
        return proposals

    def _with_pending_lies(self):
        """The optimizer, or, while trials run, a copy told their points with the lie."""
        opt = self._optimizer
        if not self._pending:
            return opt
        pending = list(self._pending.values())
        lie = min(opt.yi) if opt.yi else 0.0
        seed = opt.rng.randint(0, np.iinfo(np.int32).max)
        told = opt.Xi, opt.yi
        # copy() refits the surrogate on Xi/yi: extend them first, so the
        # copy is fitted once, with the lies, instead of twice
        opt.Xi, opt.yi = told[0] + pending, told[1] + [lie] * len(pending)
        try:
            return opt.copy(random_state=seed)
        finally:
            opt.Xi, opt.yi = told

    def tell(self, trials: Sequence[Trial]) -> None:
        with _one_blas_thread():
            self._tell(trials)

    def _tell(self, trials: Sequence[Trial]) -> None:
        if not trials:
            return
        for t in trials:
            self._pending.pop(t.candidate, None)
            if t.ok:
                self._worst = min(self._worst, t.mean_score)
        worst = self._worst if math.isfinite(self._worst) else 0.0
        xs = [self._encode(t.candidate) for t in trials]
        ys = [self.loss(t, worst) for t in trials]
        # While other points still run, the next ask fits a copy told their
        # lies anyway; fitting the optimizer itself now would be wasted.
        self._optimizer.tell(xs, ys, fit=not self._pending)


def _fixed(dim) -> bool:
    return isinstance(dim, Categorical) and len(dim.choices) == 1
