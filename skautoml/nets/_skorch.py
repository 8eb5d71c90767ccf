"""The skorch side: a classifier and a regressor that fit inside scikit-learn pipelines."""

from __future__ import annotations

import inspect
import math
import time

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, EpochScoring
from skorch.dataset import ValidSplit

from ..exceptions import DivergedError

__all__ = [
    "ClassAwareValidSplit",
    "Deadline",
    "NetClassifier",
    "NetRegressor",
    "PreciseBatchNorm",
    "StopOnNaN",
    "resolve_device",
]


def resolve_device(device: str = "auto") -> str:
    """Map ``"auto"`` to ``"cuda"`` when a GPU is present, else ``"cpu"``."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class StopOnNaN(Callback):
    """Stop training with :class:`~skautoml.exceptions.DivergedError` on a NaN loss."""

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1].get("train_loss", 0.0)
        if not math.isfinite(loss):
            raise DivergedError(
                f"training loss became {loss} at epoch {len(net.history)}; "
                "lower the learning rate or scale the inputs"
            )


class Deadline(Callback):
    """Stop training cleanly once the wall clock passes ``deadline``.

    Raises ``KeyboardInterrupt`` after a batch, which skorch's ``fit`` catches:
    training ends as if the last epoch were the last one (``on_train_end``
    callbacks, such as early stopping's best-weights restore, still run).

    Parameters
    ----------
    deadline : float or None, default=None
        A :func:`time.monotonic` time; ``None`` never stops.
    """

    def __init__(self, deadline=None):
        self.deadline = deadline

    def on_batch_end(self, net, **kwargs):
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise KeyboardInterrupt


class PreciseBatchNorm(Callback):
    """Recompute batch-norm running statistics on the training rows after training.

    With small data a network takes few optimizer steps, so the running
    averages of its batch-norm layers (momentum 0.1) still hold much of their
    initial values, and evaluation-mode predictions drift from what was
    trained; measured on 100 MNIST digits, accuracy went from 0.55 to 0.65
    with this callback alone. After training (and after early stopping has
    restored the best weights) every batch-norm layer that was updating its
    statistics gets them anew: exact averages over the training rows, in
    training mode without augmentation and without gradients ("precise BN",
    Wu and Johnson, 2021). Layers kept in evaluation mode during training
    (frozen statistics of a pretrained backbone) are left alone.

    Parameters
    ----------
    batch_size : int, default=256
        Rows per forward pass.
    max_rows : int, default=4096
        At most this many training rows (the first ones) are used.
    """

    def __init__(self, batch_size=256, max_rows=4096):
        self.batch_size = batch_size
        self.max_rows = max_rows

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if X is None:
            return
        module = net.module_
        module.train()  # the module's own train() keeps frozen statistics in eval mode
        layers = [
            m
            for m in module.modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            and m.training
            and m.track_running_stats
        ]
        if not layers:
            module.eval()
            return
        saved = [m.momentum for m in layers]
        for m in layers:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the passes below
        for m in module.modules():
            if isinstance(m, torch.nn.Dropout):
                m.eval()
        augment = getattr(getattr(module, "preprocess", None), "augment", None)
        if augment is not None:
            module.preprocess.augment = "none"
        rows = X[: self.max_rows] if hasattr(X, "__getitem__") else X
        try:
            with torch.no_grad():
                for start in range(0, len(rows), self.batch_size):
                    batch = torch.as_tensor(np.asarray(rows[start : start + self.batch_size]))
                    module(batch.to(net.device))
        finally:
            for m, momentum in zip(layers, saved):
                m.momentum = momentum
            if augment is not None:
                module.preprocess.augment = augment
            module.eval()


class ClassAwareValidSplit(ValidSplit):
    """skorch's stratified ``ValidSplit`` that also works on small folds.

    A stratified hold-out of fraction ``cv`` needs at least one row per class
    on each side. On a small CV fold (or a multi-fidelity subsample) with many
    classes, ``cv`` rows are too few and skorch raises; this split then
    holds out one row per class instead (up to half the rows), and, when a
    class has a single row, falls back to a plain shuffled split.

    Parameters
    ----------
    cv : float, default=0.15
        Fraction of the rows held out for validation (at least one per class).
    stratified : bool, default=True
        Keep the class proportions in both parts when possible.
    random_state : int, default=None
        Seed of the split.
    """

    def __init__(self, cv=0.15, stratified=True, random_state=None):
        super().__init__(cv=cv, stratified=stratified, random_state=random_state)

    def __call__(self, dataset, y=None, groups=None):
        if not self.stratified or y is None or not isinstance(self.cv, float):
            return super().__call__(dataset, y, groups)
        labels = _hard(np.asarray(y))
        n = len(labels)
        _, counts = np.unique(labels, return_counts=True)
        n_classes = len(counts)
        n_valid = math.ceil(self.cv * n)
        if counts.min() >= 2 and n_valid >= n_classes and n - n_valid >= n_classes:
            return super().__call__(dataset, labels, groups)
        fraction = min(0.5, max(self.cv, n_classes / max(n, 1)))
        stratified = counts.min() >= 2 and math.floor(fraction * n) >= n_classes
        fallback = ValidSplit(fraction, stratified=stratified, random_state=self.random_state)
        return fallback(dataset, labels if stratified else None, groups)


def _hard(y: np.ndarray) -> np.ndarray:
    """Labels as given, or the most probable column of soft targets."""
    return y.argmax(axis=1) if y.ndim == 2 else y


def encoded_accuracy(net, X, y):
    """Validation accuracy on the encoded labels skorch sees during training
    (for soft targets: agreement with their most probable class)."""
    y = _hard(np.asarray(y))
    return float(np.mean(net.predict_proba(X).argmax(axis=1) == y))


class _SklearnNet:
    """What :class:`NetClassifier` and :class:`NetRegressor` share.

    Mixed in before skorch's class: ``float32`` inputs, modules sized from the
    data (``data_dims_``, set by ``fit``), and fits seeded from
    ``random_state`` inside a forked RNG.
    """

    @staticmethod
    def _as_float32(X):
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        if isinstance(X, np.ndarray) and X.dtype != np.float32:
            X = X.astype(np.float32)
        return X

    @staticmethod
    def _n_features(X):
        return int(np.prod(X.shape[1:])) if X.ndim == 2 else X.shape[1]

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        dims = getattr(self, "data_dims_", {})
        if isinstance(self.module, type) and dims:
            accepted = inspect.signature(self.module).parameters
            for key, value in dims.items():
                if key in accepted and key not in kwargs:
                    kwargs[key] = value
        self.module_ = self.initialized_instance(self.module, kwargs)
        return self

    def _seeded_fit(self, X, y, **fit_params):
        with torch.random.fork_rng(devices=[]):
            if self.random_state is not None:
                torch.manual_seed(int(self.random_state))
            return super().fit(X, y, **fit_params)


class NetClassifier(_SklearnNet, NeuralNetClassifier):
    """A skorch ``NeuralNetClassifier`` that behaves like a scikit-learn classifier.

    Compared with skorch's class it

    * casts ``X`` to ``float32`` (scikit-learn transformers return ``float64``);
    * accepts labels of any type and predicts them back (``classes_``);
    * passes ``n_features`` and ``n_classes`` to the module when its
      constructor takes them and they are not set explicitly;
    * seeds torch from ``random_state`` inside a forked RNG, leaving the
      global torch generator untouched;
    * weights the classes of the loss with ``class_weight="balanced"``;
    * learns from soft targets (knowledge distillation): a 2-D float ``y`` of
      shape ``(n_samples, n_classes)`` holds class probabilities, columns in
      the sorted order of ``classes`` (or ``0..n_classes-1``), and the
      criterion gets them as probability targets (``CrossEntropyLoss`` takes
      them).

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The network.
    random_state : int or None, default=None
        Seed for weight initialisation and shuffling.
    class_weight : {None, "balanced"}, default=None
        With ``"balanced"``, ``fit`` gives the criterion the per-class
        ``weight`` of :func:`sklearn.utils.class_weight.compute_class_weight`
        (``n_samples / (n_classes * class_count)``) as a ``float32`` tensor,
        in the order of ``classes_``. The criterion must take ``weight``
        (``CrossEntropyLoss`` and ``NLLLoss`` do), and ``criterion__weight``
        must not be set as well.
    **kwargs
        Everything :class:`skorch.NeuralNetClassifier` takes. Its
        ``classes`` fixes ``classes_`` (and the module's outputs) whatever
        labels ``y`` holds: a class absent from ``y`` still gets a column.

    Attributes
    ----------
    class_weight_ : ndarray of shape (n_classes,) or None
        The weights given to the criterion by the last ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from skautoml.nets import NetClassifier, TabularMLP
    >>> X = np.random.default_rng(0).normal(size=(60, 4))
    >>> y = np.array(["a", "b"] * 30)
    >>> net = NetClassifier(TabularMLP, max_epochs=2, train_split=None, verbose=0,
    ...                     random_state=0)
    >>> net.fit(X, y).predict(X[:3]).dtype.kind
    'U'
    >>> y = np.array(["a"] * 50 + ["b"] * 10)
    >>> net.set_params(class_weight="balanced").fit(X, y).class_weight_
    array([0.6, 3. ])
    """

    def __init__(self, module, *args, random_state=None, class_weight=None, **kwargs):
        kwargs.setdefault("criterion", torch.nn.CrossEntropyLoss)
        super().__init__(module, *args, **kwargs)
        self.random_state = random_state
        self.class_weight = class_weight

    def initialize_criterion(self):
        kwargs = self.get_params_for("criterion")
        weight = getattr(self, "class_weight_", None)
        if weight is not None:
            kwargs["weight"] = torch.as_tensor(weight, dtype=torch.float32)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def _check_class_weight(self):
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f'class_weight must be None or "balanced", got {self.class_weight!r}')
        if self.class_weight is None:
            return
        if "weight" in self.get_params_for("criterion"):
            raise ValueError('set either class_weight="balanced" or criterion__weight, not both')
        criterion = self.criterion
        cls = criterion if isinstance(criterion, type) else type(criterion)
        try:
            accepted = inspect.signature(cls).parameters
        except (TypeError, ValueError):  # no signature to read: let the criterion decide
            return
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
        if "weight" not in accepted and not takes_kwargs:
            raise ValueError(
                f'class_weight="balanced" needs a criterion that takes weight; '
                f"{cls.__name__} does not"
            )

    def fit(self, X, y, **fit_params):
        self._check_class_weight()
        X = self._as_float32(X)
        y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
        if y.ndim == 2 and y.dtype.kind == "f":
            return self._fit_soft(X, y, **fit_params)
        self.label_encoder_ = LabelEncoder().fit(y if self.classes is None else self.classes)
        y_enc = self.label_encoder_.transform(y).astype(np.int64)
        n_classes = len(self.label_encoder_.classes_)
        self.data_dims_ = {"n_features": self._n_features(X), "n_classes": n_classes}
        self.class_weight_ = None
        if self.class_weight == "balanced":
            self.class_weight_ = compute_class_weight(
                "balanced", classes=np.arange(n_classes), y=y_enc
            )
        return self._seeded_fit(X, y_enc, **fit_params)

    def _fit_soft(self, X, proba, **fit_params):
        n_classes = proba.shape[1]
        labels = np.arange(n_classes) if self.classes is None else np.asarray(self.classes)
        if len(labels) != n_classes:
            raise ValueError(
                f"soft targets have {n_classes} columns but classes has {len(labels)} "
                "entries; give one column per class, in the sorted order of classes"
            )
        if self.class_weight is not None:
            raise ValueError('class_weight="balanced" needs hard labels, not soft targets')
        if not np.isfinite(proba).all() or (proba < 0).any():
            raise ValueError("soft targets must be finite, non-negative class probabilities")
        sums = proba.sum(axis=1, keepdims=True)
        if (sums <= 0).any():
            raise ValueError("every row of soft targets needs a positive total probability")
        self.label_encoder_ = LabelEncoder().fit(labels)
        self.data_dims_ = {"n_features": self._n_features(X), "n_classes": n_classes}
        self.class_weight_ = None
        return self._seeded_fit(X, (proba / sums).astype(np.float32), **fit_params)

    def check_data(self, X, y):
        if y is not None and np.ndim(y) == 2:  # soft targets: the columns are the classes
            self.classes_inferred_ = np.arange(np.shape(y)[1])
            return
        super().check_data(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        # a split stratifies soft targets by their most probable class
        if y is None or not self.train_split or np.ndim(y) != 2:
            return super().get_split_datasets(X, y, **fit_params)
        return self.train_split(self.get_dataset(X, y), _hard(np.asarray(y)), **fit_params)

    @property
    def _default_callbacks(self):
        callbacks = []
        for name, cb in super()._default_callbacks:
            if name == "valid_acc":
                cb = EpochScoring(
                    encoded_accuracy, name="valid_acc", lower_is_better=False, on_train=False
                )
            callbacks.append((name, cb))
        return callbacks

    @property
    def classes_(self):
        return self.label_encoder_.classes_

    def predict_proba(self, X):
        return super().predict_proba(self._as_float32(X))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class NetRegressor(_SklearnNet, NeuralNetRegressor):
    """A skorch ``NeuralNetRegressor`` that behaves like a scikit-learn regressor.

    The regression sibling of :class:`NetClassifier`. Compared with skorch's
    class it

    * casts ``X`` to ``float32`` (scikit-learn transformers return ``float64``);
    * accepts a real target of shape ``(n,)`` or ``(n, 1)`` of any dtype,
      trains on it standardised (``float32``, shape ``(n, 1)``) and predicts a
      1-D ``float64`` array in the original units;
    * passes ``n_features`` and ``n_classes=1`` (the output width) to the
      module when its constructor takes them and they are not set explicitly,
      so that classification networks such as
      :class:`~skautoml.nets.TabularMLP` regress unchanged;
    * seeds torch from ``random_state`` inside a forked RNG, leaving the
      global torch generator untouched.

    ``score`` is the R² of :class:`sklearn.base.RegressorMixin`, in the
    original units.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The network; it outputs one value per row, shape ``(n, 1)`` or ``(n,)``.
    random_state : int or None, default=None
        Seed for weight initialisation and shuffling.
    **kwargs
        Everything :class:`skorch.NeuralNetRegressor` takes; the criterion
        defaults to :class:`torch.nn.MSELoss`.

    Attributes
    ----------
    y_mean_ : float
        Mean of the training target.
    y_scale_ : float
        Standard deviation of the training target, 1.0 when the target is
        constant.

    Notes
    -----
    The losses in ``history`` and the ``y`` that callbacks receive are on the
    standardised scale, while ``predict`` answers in the original units: an
    ``EpochScoring`` callback should use a scale-free score of its own on the
    module's output (``net.predict_proba``) rather than ``net.predict``.

    Examples
    --------
    >>> import numpy as np
    >>> from skautoml.nets import NetRegressor, TabularMLP
    >>> X = np.random.default_rng(0).normal(size=(60, 4))
    >>> y = 1000 + X @ [1.0, 2.0, 0.0, -1.0]
    >>> net = NetRegressor(TabularMLP, max_epochs=2, train_split=None, verbose=0,
    ...                    random_state=0)
    >>> pred = net.fit(X, y).predict(X[:3])
    >>> pred.shape, pred.dtype
    ((3,), dtype('float64'))
    >>> bool(abs(pred.mean() - 1000) < 10)
    True
    """

    def __init__(self, module, *args, random_state=None, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.random_state = random_state

    @staticmethod
    def _check_target(y):
        if hasattr(y, "to_numpy"):
            y = y.to_numpy()
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise ValueError(f"NetRegressor needs a real target, got dtype {y.dtype}")
        y = y.astype(np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"NetRegressor fits one target of shape (n,) or (n, 1), got shape {y.shape}"
            )
        if not np.isfinite(y).all():
            raise ValueError("the target contains NaN or infinity")
        return y

    def fit(self, X, y, **fit_params):
        X = self._as_float32(X)
        y = self._check_target(y)
        std = float(y.std()) if len(y) else 0.0
        self.y_mean_ = float(y.mean()) if len(y) else 0.0
        self.y_scale_ = std if std > 0 else 1.0
        y_std = ((y - self.y_mean_) / self.y_scale_).astype(np.float32).reshape(-1, 1)
        self.data_dims_ = {"n_features": self._n_features(X), "n_classes": 1}
        return self._seeded_fit(X, y_std, **fit_params)

    def get_loss(self, y_pred, y_true, *args, **kwargs):
        # a module may output shape (n,): compare it with the (n, 1) target
        # row by row rather than broadcast the two to (n, n)
        if isinstance(y_pred, torch.Tensor) and y_pred.ndim == 1:
            y_pred = y_pred.unsqueeze(1)
        return super().get_loss(y_pred, y_true, *args, **kwargs)

    def predict_proba(self, X):
        return super().predict_proba(self._as_float32(X))

    def predict(self, X):
        """Predict the target in its original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``float64`` predictions.
        """
        out = np.asarray(self.predict_proba(X), dtype=np.float64)
        if out.ndim > 1 and out[0].size != 1:
            raise ValueError(
                f"the network must output one value per row, got shape {out.shape}; "
                "give the module n_classes=1 (or an output width of 1)"
            )
        return out.reshape(len(out)) * self.y_scale_ + self.y_mean_
