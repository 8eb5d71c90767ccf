"""Networks for tabular data.

:class:`TabularMLP` trains from scratch. :class:`PretrainedTabularNet` starts
from a user-supplied network (a module instance or class, a
:class:`~skautoml.nets.CustomBackbone`, or a checkpoint path), the same
mechanism as custom image backbones: the network is the body, its output
features feed a new head for this task's classes, and the fine-tuning
callbacks of :mod:`skautoml.nets._finetune` choose what trains.
"""

from __future__ import annotations

import copy
import inspect
import os
import re
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ._backbones import CustomBackbone, TimmBackbone, TorchvisionBackbone
from ._checkpoint import load_checkpoint, read_state_dict
from ._image_net import make_head
from ._registry import BACKBONES, BackboneSpec

__all__ = [
    "PretrainedTabularNet",
    "TabularMLP",
    "load_tabular_body",
    "resolve_tabular_backbones",
    "resolve_tabular_body",
    "tabular_block_groups",
]


class TabularMLP(nn.Module):
    """A multi-layer perceptron for tabular features.

    Parameters
    ----------
    n_features : int
        Number of input features (set by :class:`NetClassifier` at fit time).
    n_classes : int
        Number of classes (set by :class:`NetClassifier` at fit time).
    hidden_units : int, default=128
        Width of every hidden layer.
    n_layers : int, default=2
        Number of hidden layers.
    dropout : float, default=0.1
        Dropout after every hidden layer.
    batch_norm : bool, default=True
        Whether to normalise every hidden layer.

    Examples
    --------
    >>> import torch
    >>> net = TabularMLP(n_features=4, n_classes=3)
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_units: int = 128,
        n_layers: int = 2,
        dropout: float = 0.1,
        batch_norm: bool = True,
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for _ in range(n_layers):
            layers.append(nn.Linear(width, hidden_units))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden_units))
            layers.append(nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = hidden_units
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


# -- a user's pretrained network as the body ------------------------------------
#: file endings that make an unknown string look like a checkpoint path
_CHECKPOINT_ENDINGS = (".pt", ".pth", ".bin", ".ckpt")


@dataclass(frozen=True)
class _TabularMLPFactory:
    """Rebuilds the :class:`TabularMLP` a checkpoint was saved from (picklable)."""

    n_features: int
    n_classes: int
    hidden_units: int
    n_layers: int
    dropout: float
    batch_norm: bool

    def __call__(self):
        return TabularMLP(
            self.n_features,
            self.n_classes,
            self.hidden_units,
            self.n_layers,
            self.dropout,
            self.batch_norm,
        )


def _mlp_factory(state) -> _TabularMLPFactory | None:
    """The :class:`TabularMLP` layout of a state dict, or ``None`` if it is not one."""
    if "head.weight" not in state:
        return None
    linear = sorted(
        int(m.group(1))
        for k, v in state.items()
        if (m := re.fullmatch(r"body\.(\d+)\.weight", k)) and v.ndim == 2
    )
    if not linear:
        return None
    batch_norm = any(k.endswith(".running_mean") for k in state)
    # a hidden layer is Linear, [BatchNorm], ReLU, [Dropout]: the stride shows the dropout
    stride = linear[1] - linear[0] if len(linear) > 1 else 2 + batch_norm
    first = state[f"body.{linear[0]}.weight"]
    factory = _TabularMLPFactory(
        n_features=int(first.shape[1]),
        n_classes=int(state["head.weight"].shape[0]),
        hidden_units=int(first.shape[0]),
        n_layers=len(linear),
        dropout=0.1 if stride == 3 + batch_norm else 0.0,
        batch_norm=batch_norm,
    )
    expected = factory().state_dict()
    if set(expected) != set(state) or any(expected[k].shape != state[k].shape for k in state):
        return None
    return factory


def resolve_tabular_body(body) -> CustomBackbone:
    """Turn a tabular body argument into a :class:`CustomBackbone`.

    Parameters
    ----------
    body : CustomBackbone, torch.nn.Module, type, str or os.PathLike
        A spec, a module instance or subclass, or the path of a state dict
        saved from a :class:`TabularMLP` (its layout is read from the keys).

    Returns
    -------
    spec : CustomBackbone

    Examples
    --------
    >>> import torch
    >>> resolve_tabular_body(torch.nn.Linear(4, 8)).name
    'custom'
    """
    if isinstance(body, CustomBackbone):
        return body
    if isinstance(body, nn.Module) or (isinstance(body, type) and issubclass(body, nn.Module)):
        return CustomBackbone(body)
    if isinstance(body, str | os.PathLike):
        path = os.fspath(body)
        factory = _mlp_factory(read_state_dict(path))  # weights_only=True; raises if unsafe
        if factory is None:
            raise ValueError(
                f"cannot tell which network the checkpoint {path!r} is for (it is not a "
                "skautoml TabularMLP state dict); pass CustomBackbone(YourModule, "
                "checkpoint=path) as backbone"
            )
        return CustomBackbone(
            factory, checkpoint=path, name=f"tabular_mlp@{os.path.basename(path)}"
        )
    raise TypeError(
        "a tabular body must be a torch.nn.Module (instance or class), a CustomBackbone or "
        f"a checkpoint path; got {type(body).__name__}"
    )


def load_tabular_body(spec: CustomBackbone, n_features: int | None = None, *, weights=True):
    """A fresh copy of the body of ``spec``, with its checkpoint loaded.

    A class (or factory) is called with ``n_features`` (or ``in_features``)
    when its constructor takes it, else with no argument; an instance is
    deep-copied. The checkpoint is read with ``torch.load(weights_only=True)``
    (strict names and shapes). A :class:`TabularMLP` loses its old head.
    """
    module = spec.module
    if isinstance(module, type) or (callable(module) and not isinstance(module, nn.Module)):
        takes = inspect.signature(module).parameters
        name = next((n for n in ("n_features", "in_features") if n in takes), None)
        module = module(**{name: n_features}) if name and n_features is not None else module()
    else:
        module = copy.deepcopy(module)
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"a tabular body must be a torch.nn.Module or subclass; got {type(module).__name__}"
        )
    if weights and spec.checkpoint is not None:
        load_checkpoint(module, spec.checkpoint)
    if isinstance(module, TabularMLP):  # its head classified the pretraining task
        module = module.body
    return module


def _first_linear_width(module: nn.Module) -> int | None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            return int(m.in_features)
    return None


def _features(body: nn.Module, x):
    out = body.forward_features(x) if hasattr(body, "forward_features") else body(x)
    return out.flatten(1) if out.ndim > 2 else out


def _has_params(module: nn.Module) -> bool:
    return any(True for _ in module.parameters())


def _body_groups(module: nn.Module, prefix: str = "body.") -> list[tuple[str, ...]]:
    """Parameter-name glob patterns of the body's blocks, from the input up."""
    if hasattr(module, "block_groups"):
        return [
            tuple(f"{prefix}{p}" for p in patterns)
            for patterns, modules in module.block_groups()
            if any(_has_params(m) for m in modules)
        ]
    children = [(n, c) for n, c in module.named_children() if _has_params(c)]
    own = tuple(f"{prefix}{n}" for n, _ in module.named_parameters(recurse=False))
    if not own and len(children) == 1 and any(True for _ in children[0][1].children()):
        name, child = children[0]  # a wrapper around one block: look inside it
        return _body_groups(child, f"{prefix}{name}.")
    groups = [own] if own else []
    for name, child in children:
        if groups and isinstance(child, _BatchNorm | nn.LayerNorm):
            groups[-1] = (*groups[-1], f"{prefix}{name}.*")  # a norm joins its layer
        else:
            groups.append((f"{prefix}{name}.*",))
    return groups


def tabular_block_groups(body, n_features: int | None = None) -> list[tuple[str, ...]]:
    """Parameter groups of a :class:`PretrainedTabularNet`, from the input to the head.

    Parameters
    ----------
    body : anything :func:`resolve_tabular_body` accepts
    n_features : int or None, default=None
        Passed to a body class that takes it (names do not depend on it).

    Returns
    -------
    groups : list of tuple of str
        The body's blocks (``body.<child>.*``; a norm layer joins the layer
        before it), then ``("head.*",)``. No weights are loaded.

    Examples
    --------
    >>> import torch
    >>> body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8))
    >>> tabular_block_groups(body)
    [('body.0.*',), ('body.2.*',), ('head.*',)]
    """
    spec = resolve_tabular_body(body)
    if isinstance(spec.module, nn.Module):  # read only: no copy needed
        module = spec.module.body if isinstance(spec.module, TabularMLP) else spec.module
    else:
        module = load_tabular_body(spec, n_features, weights=False)
    return [*_body_groups(module), ("head.*",)]


class PretrainedTabularNet(nn.Module):
    """A user's (pretrained) network as the body, and a new head for this task.

    Parameters
    ----------
    body : CustomBackbone, torch.nn.Module, type, str or os.PathLike
        The pretrained network (anything :func:`resolve_tabular_body`
        accepts). Its output (``forward_features(x)`` when it has it, else
        ``forward(x)``, flattened) feeds the head; it must take
        ``n_features`` inputs.
    n_features, n_classes : int
        Set by :class:`~skautoml.nets.NetClassifier` at fit time.
    head : {"linear", "mlp"}, default="linear"
    head_dropout : float, default=0.0
    head_hidden : int, default=128
    bn_stats : {"auto", "frozen", "train"}, default="auto"
        Whether the body's batch-norm running statistics update during
        training; ``"auto"`` freezes them when the body is pretrained. A
        batch-norm layer whose parameters are all frozen never updates them.

    Examples
    --------
    >>> import torch
    >>> body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
    >>> net = PretrainedTabularNet(body, n_features=4, n_classes=3)
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        body,
        n_features,
        n_classes,
        head="linear",
        head_dropout=0.0,
        head_hidden=128,
        bn_stats="auto",
    ):
        super().__init__()
        if bn_stats not in ("auto", "frozen", "train"):
            raise ValueError(f"bn_stats must be 'auto', 'frozen' or 'train'; got {bn_stats!r}")
        spec = resolve_tabular_body(body)
        self.freeze_bn_stats = spec.pretrained if bn_stats == "auto" else bn_stats == "frozen"
        self.body = load_tabular_body(spec, n_features)
        width = _first_linear_width(self.body)
        if width is not None and n_features is not None and width != n_features:
            raise ValueError(
                f"the pretrained body ({spec.name}) takes {width} input features but the "
                f"pipeline gives it {n_features}. Feed it the columns it was trained on: "
                "no feature transformer that changes the width (pca, select_percentile, "
                "polynomial_features) before it, and categorical columns one-hot encoded "
                "as in pretraining"
            )
        self.body.eval()
        try:
            with torch.no_grad():
                dim = _features(self.body, torch.zeros(2, n_features)).shape[1]
        except Exception as exc:
            raise ValueError(
                f"the pretrained body ({spec.name}) fails on a batch of {n_features} "
                f"features: {exc}"
            ) from exc
        self.body.train()
        self.head = make_head(int(dim), n_classes, head, head_dropout, head_hidden)

    def forward(self, x):
        return self.head(_features(self.body, x))

    def train(self, mode: bool = True):
        super().train(mode)
        if mode:
            body_frozen = not any(p.requires_grad for p in self.body.parameters())
            for module in self.body.modules():
                if not isinstance(module, _BatchNorm):
                    continue
                params = list(module.parameters(recurse=False))
                frozen = not any(p.requires_grad for p in params) if params else body_frozen
                if self.freeze_bn_stats or frozen:
                    module.eval()
        return self

    def block_groups(self):
        """Glob patterns of the parameter groups, from the input to the head."""
        return [*_body_groups(self.body), ("head.*",)]


def resolve_tabular_backbones(backbone) -> tuple:
    """The estimator's ``backbone`` parameter for tabular data.

    Registered image backbones (``"auto"``, ``"small_cnn"``,
    ``"efficientnet_lite0"``, ...) and ``"torchvision:"``/``"timm:"`` names
    are ignored. A module (instance or class) becomes a
    :class:`CustomBackbone`; a checkpoint path stays a path (so that export
    writes it as a literal). Checkpoints are read at once (with
    ``weights_only=True``), so unsafe or broken files fail before the search.

    Parameters
    ----------
    backbone : "auto", str, module, path, spec, or a list of them

    Returns
    -------
    bodies : tuple
        Empty, or the one custom body.

    Examples
    --------
    >>> resolve_tabular_backbones(["auto", "small_cnn"])
    ()
    """
    items = list(backbone) if isinstance(backbone, list | tuple) else [backbone]
    out = []
    for item in items:
        if isinstance(item, BackboneSpec | TorchvisionBackbone | TimmBackbone):
            continue
        if isinstance(item, str | os.PathLike):
            text = os.fspath(item)
            if text == "auto" or text in BACKBONES or text.startswith(("torchvision:", "timm:")):
                continue
            if not os.path.isfile(text):
                if text.endswith(_CHECKPOINT_ENDINGS):
                    raise FileNotFoundError(f"backbone checkpoint {text!r} does not exist")
                raise ValueError(
                    f"unknown backbone {text!r}; for tabular data pass a torch.nn.Module "
                    "(instance or class), a CustomBackbone or a checkpoint path"
                )
            item = text
        spec = resolve_tabular_body(item)  # reads a path's keys (weights_only=True)
        if spec.checkpoint is not None:
            if isinstance(spec.module, nn.Module):  # names and shapes checked now
                load_checkpoint(copy.deepcopy(spec.module), spec.checkpoint)
            else:
                read_state_dict(spec.checkpoint)
        out.append(item if isinstance(item, str) else spec)
    if len(out) > 1:
        raise ValueError(
            "at most one custom backbone (module, CustomBackbone or checkpoint path) can be "
            "fine-tuned at a time"
        )
    return tuple(out)
