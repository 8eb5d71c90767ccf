"""Bayesian optimisation with scikit-optimize (the only skopt import)."""

from __future__ import annotations

import functools
import math
import warnings
import weakref
from collections.abc import Sequence

import numpy as np
from scipy.linalg import cho_solve, cholesky
from scipy.spatial.distance import pdist, squareform
from sklearn.gaussian_process.kernels import Product, Sum
from sklearn.utils import check_random_state
from skopt import Optimizer
from skopt.learning import GaussianProcessRegressor
from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from skopt.space import Categorical as SkCategorical
from skopt.space import Integer as SkInteger
from skopt.space import Real as SkReal
from skopt.space import Space
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


#: the smallest normal float64; a kernel value under it is subnormal
_TINY = np.finfo(np.float64).tiny


class _Surrogate(GaussianProcessRegressor):
    """skopt's Gaussian process, with three of its costs cut, for the same proposals.

    - The predictive variance: skopt computes its quadratic form with a
      three-operand ``np.einsum("ki,kj,ij->k", ...)``, a plain loop over the
      1,000 sampled points times the told points squared (at 80 trials about
      half the strategy's time). Here it is ``(K @ K_inv) * K`` summed by row,
      with the cross-kernel's subnormal values (under the smallest normal
      float) set to zero: a short length scale makes many, and they send
      the matrix product down the processor's slow path (at 200 trials it
      took 82 ms instead of 8, profiled). As zeros they change no result:
      each ends in a sum with a normal term (the prior mean, the prior
      variance) far larger than they are.
    - One prediction per set of points: ``gp_hedge`` scores the sampled points
      with three acquisition functions, which each asked for the same mean
      and deviation.
    - The log-marginal likelihood of the kernel fit, in numpy
      (:meth:`log_marginal_likelihood`).

    Each gives the same values (``tests/strategies/test_bayes_encoding.py``);
    the rest is skopt's.
    """

    def fit(self, X, y):
        self._last = None
        return super().fit(*_subset(X, y, GP_MAX_POINTS))

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_last", None)  # a weak reference does not pickle
        return state

    def predict(self, X, return_std=False, return_cov=False, **grads):
        if not return_std or return_cov or any(grads.values()) or not hasattr(self, "X_train_"):
            return super().predict(X, return_std=return_std, return_cov=return_cov, **grads)
        # gp_hedge scores the same sampled points with three acquisition
        # functions, each asking for the same mean and deviation
        last = getattr(self, "_last", None)
        if last is not None and last[0]() is X:
            return last[1]
        result = self._predict_std(X)
        if isinstance(X, np.ndarray):
            self._last = (weakref.ref(X), result)
        return result

    def _predict_std(self, X):
        X = np.asarray(X, dtype=float)
        K_trans = self.kernel_(X, self.X_train_)
        K_trans[K_trans < _TINY] = 0.0  # subnormal: slow in BLAS (see the class docstring)
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

    def log_marginal_likelihood(self, theta=None, eval_gradient=False, clone_kernel=True):
        """scikit-learn's log-marginal likelihood, for this strategy's kernel in numpy.

        A cold kernel fit evaluates it about 43 times per tell; through
        scikit-learn's kernel objects (their ``theta`` and ``get_params``
        machinery) one evaluation took 0.59 ms at 50 points of 26
        dimensions, here 0.30 ms, and the kernel fit was about 60 % of the
        strategy's time (profiled). For the kernel ``C * Matern(nu=2.5) + White`` with
        one length scale it computes the same operations in the same order
        (so the same values and the same proposals,
        ``tests/strategies/test_bayes_encoding.py``); any other kernel goes
        to scikit-learn. The kernel object is not modified.
        """
        if theta is None or not _ours(getattr(self, "kernel_", None)):
            return super().log_marginal_likelihood(theta, eval_gradient, clone_kernel)
        c, length, noise = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
        X = self.X_train_
        n = X.shape[0]
        dists = pdist(X / length, metric="euclidean")
        scaled = dists * math.sqrt(5)
        M = squareform((1.0 + scaled + scaled**2 / 3.0) * np.exp(-scaled))
        np.fill_diagonal(M, 1)
        const = np.full((n, n), c)
        K = const * M + noise * np.eye(n)
        K[np.diag_indices_from(K)] += self.alpha
        try:
            L = cholesky(K, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return (-np.inf, np.zeros_like(theta)) if eval_gradient else -np.inf
        y_train = self.y_train_
        if y_train.ndim == 1:
            y_train = y_train[:, np.newaxis]
        alpha = cho_solve((L, True), y_train, check_finite=False)
        dims = -0.5 * np.einsum("ik,ik->k", y_train, alpha)
        dims -= np.log(np.diag(L)).sum()
        dims -= K.shape[0] / 2 * np.log(2 * np.pi)
        log_likelihood = dims.sum(axis=-1)
        if not eval_gradient:
            return log_likelihood
        D = squareform(dists**2)[:, :, np.newaxis]
        tmp = np.sqrt(5 * D.sum(-1))[..., np.newaxis]
        M_gradient = (5.0 / 3.0 * D * (tmp + 1) * np.exp(-tmp)).sum(-1)[:, :, np.newaxis]
        K_gradient = np.dstack(
            (
                np.full((n, n, 1), c) * M[:, :, np.newaxis],
                M_gradient * const[:, :, np.newaxis],
                noise * np.eye(n)[:, :, np.newaxis],
            )
        )
        inner_term = np.einsum("ik,jk->ijk", alpha, alpha)
        inner_term -= cho_solve((L, True), np.eye(n), check_finite=False)[..., np.newaxis]
        gradient = 0.5 * np.einsum("ijl,jik->kl", inner_term, K_gradient)
        return log_likelihood, gradient.sum(axis=-1)


def _subset(X, y, cap):
    """The rows the surrogate is fitted on: all of them up to ``cap``, else
    the best half by loss and the most recent of the others, in told order."""
    if cap is None or len(y) <= cap:
        return X, y
    y = np.asarray(y)
    best = np.argsort(y, kind="stable")[: cap // 2]
    others = np.setdiff1d(np.arange(len(y)), best)
    keep = np.union1d(best, others[len(others) - (cap - len(best)) :])
    return np.asarray(X)[keep], y[keep]


def _warm_kernel(model):
    """The strategy's kernel, at the hyperparameters ``model`` fitted (None if not ours).

    skopt sets the fitted noise to zero in ``kernel_`` (for predictions)
    and keeps it in ``noise_``; the warm kernel carries it again, so that
    skopt's ``fit`` adds no second noise term.
    """
    kernel = getattr(model, "kernel_", None)
    if not _ours(kernel) or getattr(model, "noise_", None) is None:
        return None
    const, matern, white = kernel.k1.k1, kernel.k1.k2, kernel.k2

    def inside(value, bounds):
        return float(np.clip(value, *bounds))

    return ConstantKernel(
        inside(const.constant_value, const.constant_value_bounds), const.constant_value_bounds
    ) * Matern(
        length_scale=inside(matern.length_scale, matern.length_scale_bounds),
        length_scale_bounds=matern.length_scale_bounds,
        nu=2.5,
    ) + WhiteKernel(
        noise_level=inside(model.noise_, white.noise_level_bounds),
        noise_level_bounds=white.noise_level_bounds,
    )


def _ours(kernel) -> bool:
    """Whether ``kernel`` is ``C * Matern(nu=2.5) + White``, one length scale, none fixed."""
    if not (isinstance(kernel, Sum) and isinstance(kernel.k1, Product)):
        return False
    const, matern, white = kernel.k1.k1, kernel.k1.k2, kernel.k2
    return (
        isinstance(const, ConstantKernel)
        and isinstance(matern, Matern)
        and isinstance(white, WhiteKernel)
        and matern.nu == 2.5
        and np.ndim(matern.length_scale) == 0
        and not any(
            isinstance(bounds, str)
            for bounds in (
                const.constant_value_bounds,
                matern.length_scale_bounds,
                white.noise_level_bounds,
            )
        )
    )


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
#: start each kernel fit from the hyperparameters of the last one (a warm
#: start) instead of from the kernel's initial values
WARM_START = True
#: past this many told points, the surrogate is fitted on that many (the
#: best half and the most recent others, :func:`_subset`); ``None``: all
GP_MAX_POINTS = None
#: fitted surrogates the optimizer keeps. skopt keeps every one by default
#: (``None``), each with its n x n matrices: 48 MB after 200 tells, growing
#: with the cube of the trials; only the last is read (the warm start)
MODEL_QUEUE = 1


class _Space(Space):
    """skopt's :class:`~skopt.space.Space`, with its rows and columns transposed by ``zip``.

    Each tell samples 1,000 points, which skopt turns from columns into rows
    and back into columns with Python loops over every value; ``zip`` makes
    the same lists of the same values. With a constraint, skopt's own code.
    :meth:`distance` gives skopt's value without its per-value checks.
    """

    def rvs(self, n_samples=1, random_state=None):
        if self.constraint is not None:
            return super().rvs(n_samples, random_state)
        rng = check_random_state(random_state)
        columns = [dim.rvs(n_samples=n_samples, random_state=rng) for dim in self.dimensions]
        return [list(row) for row in zip(*columns)]

    def transform(self, X):
        if len(X) == 0:
            return super().transform(X)
        columns = [dim.transform(list(column)) for dim, column in zip(self.dimensions, zip(*X))]
        return np.hstack([np.asarray(c).reshape((len(X), -1)) for c in columns])

    def distance(self, point_a, point_b):
        # skopt's sum of per-dimension distances, without checking every
        # value of both points against its dimension: each ask measures the
        # new point against every told one (a warning's test); skopt's
        # checks made that 1.0 s over 200 trials (profiled)
        total = 0.0
        for a, b, dim in zip(point_a, point_b, self.dimensions):
            total += (1 if a != b else 0) if isinstance(dim, SkCategorical) else abs(a - b)
        return total


class _Optimizer(Optimizer):
    """skopt's :class:`~skopt.Optimizer` over a :class:`_Space`, copies included."""

    def __init__(self, dimensions, *args, **kwargs):
        super().__init__(dimensions, *args, **kwargs)
        self.space = _Space(self.space.dimensions, constraint=self.space.constraint)

    def copy(self, random_state=None):
        # skopt's copy, building this class instead of Optimizer
        optimizer = type(self)(
            dimensions=self.space.dimensions,
            base_estimator=self.base_estimator_,
            n_initial_points=self.n_initial_points_,
            initial_point_generator=self._initial_point_generator,
            acq_func=self.acq_func,
            acq_optimizer=self.acq_optimizer,
            acq_func_kwargs=self.acq_func_kwargs,
            acq_optimizer_kwargs=self.acq_optimizer_kwargs,
            space_constraint=self.space.constraint,
            random_state=random_state,
            model_queue_size=self.max_model_queue_size,
        )
        optimizer._initial_samples = self._initial_samples
        if hasattr(self, "gains_"):
            optimizer.gains_ = np.copy(self.gains_)
        if self.Xi:
            optimizer._tell(self.Xi, self.yi)
        return optimizer


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
    surrogate is then fitted once per trial, on the copy. Each fit of the
    surrogate's kernel starts from the hyperparameters the last one found
    (``WARM_START``), not from the initial ones.

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
        self._optimizer = _Optimizer(
            [_to_skopt(k, d) for k, d in self._searched],
            base_estimator=surrogate,
            n_initial_points=n_initial_points,
            acq_func="gp_hedge",
            acq_optimizer="sampling",
            acq_optimizer_kwargs={"n_points": N_POINTS},
            random_state=self.seed,
            model_queue_size=MODEL_QUEUE,
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
        if WARM_START and self._optimizer.models:
            warm = _warm_kernel(self._optimizer.models[-1])
            if warm is not None:
                self._optimizer.base_estimator_.kernel = warm


def _fixed(dim) -> bool:
    return isinstance(dim, Categorical) and len(dim.choices) == 1
