"""Compress the networks of a fitted model: int8 quantisation and magnitude pruning.

Every function takes a fitted scikit-learn estimator (a bare net, a
:class:`~sklearn.pipeline.Pipeline` ending in one, an ensemble holding some),
finds its fitted skorch nets (:func:`torch_nets`) and returns a compressed
deep copy that predicts, pickles and unpickles like the original:

* :func:`quantize_dynamic`: ``nn.Linear`` layers in int8 with dynamic
  activation scales (no calibration data);
* :func:`quantize_static`: post-training static int8 quantisation of the conv
  (and, where the graph allows, linear) layers, calibrated on rows given to
  the model. torch.fx traces the whole module when it can; a module it cannot
  trace (shape-dependent Python control flow, as in ``ImagePreprocess`` or the
  pooling test of ``SmallCNN``'s stages) is split into its children, down to
  single layers. Batch norms that directly follow a convolution are folded
  into it first (kept only if the outputs do not change). This covers
  ``TabularMLP`` (whole), ``SmallCNN`` (each conv, batch norm folded; the
  head whole); EfficientNet-Lite's same-padding convs compute their padding
  from the input's shape and are refused with a ``ValueError``;
* :func:`prune_magnitude`: global L1 magnitude pruning of the conv and linear
  weights, an optional short recovery fine-tune with the masks applied, and
  weights that pickle sparsely (a bit mask and the float32 values of the
  non-zeros, exact; dense when that is smaller).

The quantised modules come from ``torch.ao.quantization``, which PyTorch has
deprecated in favour of torchao; its deprecation warnings are silenced here.
Quantised modules run on the CPU only. torch is imported only when a net is
found, so :func:`torch_nets` and :func:`pickled_size` need no torch.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import pickle
import sys
import warnings

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

__all__ = [
    "pickled_size",
    "prune_magnitude",
    "quantize_dynamic",
    "quantize_static",
    "torch_nets",
    "weight_sparsity",
]

_UNKNOWN = object()  # the rows reaching a net cannot be derived from the model's input


def _is_net(obj) -> bool:
    """Whether ``obj`` is a fitted skorch net (cheap: no torch import)."""
    torch = sys.modules.get("torch")
    module = getattr(obj, "__dict__", {}).get("module_")
    return torch is not None and isinstance(module, torch.nn.Module)


def _walk(obj, path, data, seen):
    """Yield ``(path, net, data)``; ``data`` is ``(X, y)`` as the net sees it or unknown."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if _is_net(obj):
        yield path, obj, data
        return
    prefix = f"{path}." if path else ""
    if isinstance(obj, Pipeline):
        steps = [(n, s) for n, s in obj.steps if s is not None and s != "passthrough"]
        for i, (name, step) in enumerate(steps):
            yield from _walk(step, prefix + name, data, seen)
            if data not in (None, _UNKNOWN) and i < len(steps) - 1:
                data = (step.transform(data[0]), data[1])
        return
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]", data, seen)
        return
    if isinstance(obj, dict):
        for key, item in obj.items():
            yield from _walk(item, f"{path}[{key!r}]", data, seen)
        return
    if not hasattr(obj, "get_params"):
        return
    attrs = vars(obj)
    for key in ("named_estimators_", *attrs):  # names first: nicer paths
        value = attrs.get(key)
        if not isinstance(value, (list, tuple, dict)) and not hasattr(value, "get_params"):
            continue
        child = _UNKNOWN if data is not None else None
        if data not in (None, _UNKNOWN):
            X, y = data
            if key in ("named_estimators_", "estimators_") and hasattr(obj, "voting"):
                # members the vote fitted saw its encoded labels; frozen ones
                # were fitted before it, on the labels as they are
                encode = hasattr(obj, "le_") and not all(
                    isinstance(m, FrozenEstimator) for m in obj.estimators_
                )
                child = (X, y if y is None or not encode else obj.le_.transform(y))
            elif _passes_input_through(obj, key):
                child = data
            elif key == "regressor_" and hasattr(obj, "transformer_"):
                yt = None if y is None else np.asarray(y, dtype=float).reshape(-1, 1)
                yt = None if yt is None else obj.transformer_.transform(yt).reshape(len(yt))
                child = (X, yt)
        yield from _walk(value, prefix + key, child, seen)


def _passes_input_through(obj, key: str) -> bool:
    """Whether ``obj`` hands its own input, unchanged, to what ``key`` holds: a
    FrozenEstimator's model, or the fold models of a bag of folds (any object
    whose class sets ``_passes_input_through``, such as
    ``skautoml.evaluation.FoldBag``)."""
    if isinstance(obj, FrozenEstimator):
        return key == "estimator"
    return getattr(type(obj), "_passes_input_through", False) and key == "estimators_"


def _nets(model, X=None, y=None):
    """:func:`_walk` from the top, ``ValueError`` when the model holds no fitted net."""
    data = None if X is None else (X, y)
    found = list(_walk(model, "", data, set()))
    if not found:
        raise ValueError(
            f"{type(model).__name__} holds no fitted torch network (a skorch net with a "
            "module_): there is nothing to compress"
        )
    return found


def _where(path):
    return f"the net at {path!r}" if path else "the net"


def _known(path, data):
    if data is _UNKNOWN:
        raise ValueError(
            f"cannot tell which rows reach {_where(path)}: it sits in a "
            "meta-estimator that transforms or resamples its input"
        )
    X, y = data
    X = X.to_numpy() if hasattr(X, "to_numpy") else X
    return (X.astype(np.float32) if isinstance(X, np.ndarray) else X), y


def torch_nets(model):
    """The fitted skorch nets inside a fitted scikit-learn estimator.

    Parameters
    ----------
    model : estimator
        A fitted net, or a fitted estimator that holds nets: pipeline steps,
        ensemble members (``estimators_``, ``named_estimators_``), a
        ``TransformedTargetRegressor``'s ``regressor_``, any attribute that is
        an estimator or a list or dict of them.

    Returns
    -------
    nets : list of (str, net)
        Each net (an object with a ``module_`` that is a ``torch.nn.Module``)
        and its path, e.g. ``"net"`` for a pipeline step or
        ``"voting.named_estimators_['mlp'].net"``; ``""`` for ``model`` itself.
        Empty when torch is not even imported.
    """
    return [(path, net) for path, net, _ in _walk(model, "", None, set())]


def pickled_size(model) -> int:
    """Bytes of ``pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)``.

    Parameters
    ----------
    model : object

    Returns
    -------
    size : int
    """
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


@contextlib.contextmanager
def _quiet():
    """Silence the deprecation warnings of ``torch.ao.quantization``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings(
            "ignore", message=".*(quantiz|TypedStorage|quant_min).*", category=UserWarning
        )
        yield


def _reset_optimizer(net):
    """A fresh optimizer over the new parameters (the old one holds the old weights)."""
    try:
        net.initialize_optimizer()
    except ValueError:  # no learnable parameter left
        net.optimizer_ = None


def quantize_dynamic(model):
    """A copy whose nets run their ``nn.Linear`` layers in int8 (dynamic quantisation).

    Weights are stored in int8; activations are quantised on the fly with
    per-batch scales, so no calibration data is needed.

    Parameters
    ----------
    model : estimator
        A fitted estimator that holds at least one net (see :func:`torch_nets`).

    Returns
    -------
    model : estimator
        A deep copy; ``model`` is unchanged.

    Raises
    ------
    ValueError
        If the model holds no net, or a net has no ``nn.Linear`` layer.
    """
    import torch

    model = copy.deepcopy(model)
    for path, net, _ in _nets(model):
        if not any(isinstance(m, torch.nn.Linear) for m in net.module_.modules()):
            raise ValueError(f"{_where(path)} has no nn.Linear layer to quantise")
        with _quiet():
            net.module_ = torch.ao.quantization.quantize_dynamic(
                net.module_.cpu().eval(), {torch.nn.Linear}, dtype=torch.qint8, inplace=True
            )
        _reset_optimizer(net)
    return model


def _engine():
    import torch

    supported = torch.backends.quantized.supported_engines
    for engine in (torch.backends.quantized.engine, "x86", "fbgemm", "qnnpack", "onednn"):
        if engine in supported and engine != "none":
            torch.backends.quantized.engine = engine
            return engine
    raise ValueError(f"this torch has no quantised engine (supported: {supported})")


def _fold_batch_norms(module, x, run):
    """Fold every batch norm that follows a conv among siblings; undo if outputs move."""
    import torch
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    before = copy.deepcopy(module)
    reference = run(x)
    convs = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
    for parent in list(module.modules()):
        children = list(parent.named_children())
        for (cname, conv), (bname, bn) in zip(children, children[1:]):
            if (
                type(conv) in convs
                and isinstance(bn, nn.modules.batchnorm._BatchNorm)
                and bn.num_features == conv.out_channels
                and bn.running_mean is not None
            ):
                setattr(parent, cname, fuse_conv_bn_eval(conv, bn))
                setattr(parent, bname, nn.Identity())
    scale = reference.abs().max().item() + 1e-6
    if not torch.allclose(run(x), reference, atol=1e-4 * scale, rtol=1e-3):
        return before  # a batch norm was not applied right after its conv
    return module


def _static_module(net, path, Xt):
    """Quantise ``net.module_`` in place, statically, calibrated on ``Xt``."""
    import torch
    from torch import nn
    from torch.ao.nn.quantized.modules.conv import _ConvNd as QuantConv
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    qmap = get_default_qconfig_mapping(_engine())
    kinds = (nn.modules.conv._ConvNd, nn.Linear)

    def run(rows):
        with torch.no_grad():
            return net.forward(rows, training=False)

    net.module_ = net.module_.cpu().eval()
    n_example = min(len(Xt), max(2, int(getattr(net, "batch_size", 32) or 32)))
    net.module_ = _fold_batch_norms(net.module_, Xt[:n_example], run)
    inputs = {}

    def record(module, args):
        inputs.setdefault(module, args)

    hooks = [m.register_forward_pre_hook(record) for m in net.module_.modules()]
    run(Xt[:n_example])
    for hook in hooks:
        hook.remove()
    observed, reasons = [], {}

    def visit(module, name, parent, attr):
        if not any(isinstance(m, kinds) for m in module.modules()):
            return
        if module in inputs:
            try:
                graph = prepare_fx(nn.Sequential(module).eval(), qmap, inputs[module])
            except Exception as exc:  # noqa: BLE001 - any tracing failure: split the module
                reasons[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            else:
                observed.append((parent, attr, graph))
                if parent is None:
                    net.module_ = graph
                else:
                    setattr(parent, attr, graph)
                return
        for child_name, child in module.named_children():
            visit(child, f"{name}.{child_name}" if name else child_name, module, child_name)

    visit(net.module_, "", None, None)
    run(Xt)  # calibration: the observers record the activation ranges
    for parent, attr, graph in observed:
        quantised = convert_fx(graph)
        if parent is None:
            net.module_ = quantised
        else:
            setattr(parent, attr, quantised)
    for module in net.module_.modules():
        if isinstance(module, QuantConv):  # torch's own pickling of these loses the module
            module.__class__ = _picklable_conv(type(module))
    left = [n for n, m in net.module_.named_modules() if isinstance(m, kinds[0]) and m in inputs]
    if left:
        first = left[0]
        owner = max(
            (n for n in reasons if first == n or first.startswith(f"{n}.")), key=len, default=""
        )
        more = f" and {len(left) - 1} more" if len(left) > 1 else ""
        raise ValueError(
            f"could not quantise the conv layer {first!r}{more} of "
            f"{_where(path)}: torch.fx cannot trace {owner or 'the module'!r} "
            f"({reasons.get(owner, 'unknown error')}) nor any part of it holding the layer"
        )
    if not observed:
        raise ValueError(f"{_where(path)} has no conv or linear layer to quantise")


@functools.cache
def _picklable_conv(base):
    """``base`` (a quantised conv class), with a ``__reduce_ex__`` that rebuilds it whole.

    torch's quantised convs pickle their ``__getstate__`` tuple, and their
    ``__setstate__`` never runs ``Module.__init__``: an unpickled one has no
    ``_modules`` and breaks every traversal (and a ``GraphModule``'s unpickling).
    """

    def __reduce_ex__(self, protocol):
        return _rebuild_conv, (base, self.__getstate__())

    return type(base.__name__, (base,), {"__reduce_ex__": __reduce_ex__, "__module__": __name__})


def _rebuild_conv(base, state):
    """Unpickle a quantised conv of :func:`_picklable_conv`."""
    import torch

    cls = _picklable_conv(base)
    module = cls.__new__(cls)
    torch.nn.Module.__init__(module)
    module.__setstate__(state)
    return module


def quantize_static(model, X_calibration):
    """A copy whose nets run their conv (and traceable linear) layers in int8.

    Post-training static quantisation with torch.fx (``prepare_fx`` /
    ``convert_fx``, the default qconfig mapping of the quantised engine: x86,
    else fbgemm, qnnpack or onednn). A module that torch.fx cannot trace is
    split into its children, down to single layers; each traced part takes
    float input and gives float output. Batch norms that directly follow a
    conv are folded into it first.

    Parameters
    ----------
    model : estimator
        A fitted estimator that holds at least one net.
    X_calibration : array-like of shape (n_samples, ...)
        Rows as the *model* takes them (a pipeline's earlier steps transform
        them for its net); a few hundred representative rows are plenty.

    Returns
    -------
    model : estimator
        A deep copy; ``model`` is unchanged.

    Raises
    ------
    ValueError
        If the model holds no net, a net has no conv or linear layer, a conv
        layer that runs could not be quantised (the message names it and the
        tracing error), or the rows reaching a net cannot be derived.
    """
    model = copy.deepcopy(model)
    for path, net, data in _nets(model, X_calibration):
        Xt, _ = _known(path, data)
        with _quiet():
            _static_module(net, path, Xt)
        _reset_optimizer(net)
    return model


def _prunable(module):
    from torch import nn

    kinds = (nn.modules.conv._ConvNd, nn.Linear)
    return [m for m in module.modules() if isinstance(m, kinds) and hasattr(m, "weight")]


@functools.cache
def _sparse_parameter_class():
    import torch

    class SparseParameter(torch.nn.Parameter):
        """A parameter that pickles as a bit mask and its non-zero values."""

        def __reduce_ex__(self, protocol):
            dense = self.detach().cpu()
            if dense.dtype not in (torch.float16, torch.float32, torch.float64):
                return super().__reduce_ex__(protocol)
            flat = dense.numpy().ravel()
            nonzero = flat != 0
            if nonzero.sum() * flat.itemsize + flat.size // 8 + 1 < flat.nbytes:
                payload = (np.packbits(nonzero), flat[nonzero].copy())
            else:
                payload = (None, flat.copy())
            args = (tuple(dense.shape), *payload, self.requires_grad, str(self.device))
            return _rebuild_sparse, args

    return SparseParameter


def _rebuild_sparse(shape, bits, values, requires_grad, device):
    """Unpickle a parameter of :func:`_sparse_parameter_class`."""
    import torch

    if bits is None:
        flat = values
    else:
        flat = np.zeros(int(np.prod(shape)), dtype=values.dtype)
        flat[np.unpackbits(bits, count=flat.size).astype(bool)] = values
    data = torch.from_numpy(flat.reshape(shape))
    if device != "cpu" and (not device.startswith("cuda") or torch.cuda.is_available()):
        data = data.to(device)
    return _sparse_parameter_class()(data, requires_grad)


def _encode_target(net, y):
    """``y`` as the net's criterion sees it during ``fit``."""
    if hasattr(net, "label_encoder_"):
        return net.label_encoder_.transform(y).astype(np.int64)
    if hasattr(net, "y_scale_"):
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        return ((y - net.y_mean_) / net.y_scale_).astype(np.float32)
    return np.asarray(y)


def _recover(net, Xt, y, epochs):
    """A few epochs of the net's own optimizer and loss, without its callbacks."""
    dataset = net.get_dataset(Xt, _encode_target(net, y))
    net.module_.train()
    for _ in range(epochs):
        for Xb, yb in net.get_iterator(dataset, training=True):
            net.optimizer_.zero_grad()
            loss = net.get_loss(net.infer(Xb), yb, X=Xb, training=True)
            loss.backward()
            net.optimizer_.step()
    net.module_.eval()


def prune_magnitude(model, sparsity, *, X=None, y=None, recovery_epochs=1):
    """A copy whose nets' conv and linear weights are magnitude-pruned to ``sparsity``.

    ``torch.nn.utils.prune.global_unstructured`` with ``L1Unstructured``
    zeroes the smallest ``sparsity`` of all conv and linear weights of each
    net (one threshold per net). With ``X`` and ``y``, the net then trains
    ``recovery_epochs`` epochs with the masks applied (its optimizer, loss and
    batches, none of its callbacks), before the zeros are made permanent.

    The weights pickle sparsely: a bit mask and the float32 values of the
    non-zeros (lossless; dense when that would be smaller), so the pickled
    size falls with sparsity (to about ``1 - sparsity + 1/32`` of dense).
    In memory and at inference the weights stay dense.

    Parameters
    ----------
    model : estimator
        A fitted estimator that holds at least one net.
    sparsity : float in [0, 1)
        Fraction of the weights to zero.
    X, y : array-like or None, default=None
        Rows and targets as the *model* takes them, for the recovery fine-tune.
    recovery_epochs : int, default=1

    Returns
    -------
    model : estimator
        A deep copy; ``model`` is unchanged.

    Raises
    ------
    ValueError
        If ``sparsity`` is out of range, the model holds no net, or a net has
        no conv or linear weight.
    """
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    if (X is None) != (y is None):
        raise ValueError("give both X and y for the recovery fine-tune, or neither")
    from torch.nn.utils import prune

    model = copy.deepcopy(model)
    for path, net, data in _nets(model, X, y):
        layers = _prunable(net.module_)
        if not layers:
            raise ValueError(f"{_where(path)} has no conv or linear weight")
        targets = [(m, "weight") for m in layers]
        prune.global_unstructured(targets, prune.L1Unstructured, amount=float(sparsity))
        if X is not None and recovery_epochs > 0:
            Xt, yt = _known(path, data)
            _recover(net, Xt, yt, int(recovery_epochs))
        for module, name in targets:
            prune.remove(module, name)
            weight = module.weight
            module.weight = _sparse_parameter_class()(weight.data, weight.requires_grad)
        _reset_optimizer(net)
    return model


def weight_sparsity(model) -> float:
    """Fraction of exactly-zero conv and linear weights over all nets of ``model``.

    Parameters
    ----------
    model : estimator
        A fitted estimator that holds at least one net.

    Returns
    -------
    sparsity : float
    """
    zeros = total = 0
    for _, net, _ in _nets(model):
        for module in _prunable(net.module_):
            zeros += int((module.weight == 0).sum())
            total += module.weight.numel()
    if not total:
        raise ValueError("the model's nets have no conv or linear weight")
    return zeros / total
