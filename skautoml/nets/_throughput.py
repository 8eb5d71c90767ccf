"""How fast this machine trains and runs an image network: measured, then scaled.

The cost model of the search (:mod:`skautoml.evaluation._cost`) needs the
seconds one image costs per training epoch for every network candidate:
each backbone, resolution and width. Timing every configuration would cost
more than it saves, so :func:`image_step_seconds` times a few real training
steps once per backbone at two resolutions (with the thread count a worker
will use) and places other configurations on the line through the two
points by their forward FLOPs, counted by
:class:`torch.utils.flop_counter.FlopCounterMode` on a single image. Both are
cached for the life of the process.
"""

from __future__ import annotations

import math
import time
import warnings
from functools import lru_cache

import torch
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["image_flops", "image_step_seconds"]

#: images per timed batch, and timed batches after one warm-up batch (the
#: fastest counts: a busy machine slows some steps, never speeds one up)
_BATCH = 16
_STEPS = 3


@lru_cache(maxsize=8)
def _shared_module(backbone: str, image_shape: tuple, backbone_params: tuple):
    """One module per backbone and shape (weights load once, quietly): FLOPs
    are counted, and training steps timed, at any resolution by setting its
    preprocessing's resolution."""
    from ._image_net import ImageClassifier

    with warnings.catch_warnings(action="ignore"):
        module = ImageClassifier(
            backbone,
            image_shape=image_shape,
            n_classes=10,
            backbone_params=dict(backbone_params) or None,
        ).eval()
    module.native_resolution = module.preprocess.resolution
    return module


@lru_cache(maxsize=256)
def image_flops(
    backbone: str, image_shape: tuple, resolution: int | None, backbone_params: tuple = ()
) -> float:
    """Forward FLOPs of one image through preprocessing, backbone and head.

    Parameters
    ----------
    backbone : str
        A registered backbone name.
    image_shape : tuple of int
        ``(C, H, W)`` of the input rows.
    resolution : int or None
        The searched input resolution (``None`` or 0: the backbone's default).
    backbone_params : tuple of (str, object), default=()
        Loader arguments (``(("width", 32), ("depth", 2))`` for the small CNN).

    Returns
    -------
    flops : float
    """
    module = _shared_module(backbone, tuple(image_shape), tuple(backbone_params)).eval()
    module.preprocess.resolution = int(resolution) if resolution else module.native_resolution
    x = torch.zeros(1, math.prod(image_shape))
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return float(max(counter.get_total_flops(), 1))


def _time_training(module, image_shape: tuple, resolution) -> float:
    """Seconds per image of the fastest of :data:`_STEPS` training steps."""
    module.preprocess.resolution = resolution or module.native_resolution
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4)
    x = torch.rand(_BATCH, math.prod(image_shape))
    y = torch.randint(0, 10, (_BATCH,))
    times = []
    for _ in range(_STEPS + 1):  # the first step warms up allocators and kernels
        t0 = time.perf_counter()
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - t0)
    return min(times[1:]) / _BATCH


@lru_cache(maxsize=64)
def _training_costs(backbone: str, image_shape: tuple, threads: int) -> tuple[float, float]:
    """``(seconds per image, seconds per forward FLOP)``: one image of ``backbone``
    trains here, with ``threads``, in ``fixed + per_flop * flops`` seconds.

    Timed at two resolutions, 4 times apart in side (16 times in FLOPs): a
    backbone with a native resolution at 32 and 128 px, others at the
    images' size and 4 times it. The cost is far from proportional to FLOPs
    on a CPU: EfficientNet-Lite0 took 6.4, 10.8 and 24.2 ms per image at 32,
    64 and 128 px, where one timing at 64 px scaled by FLOPs gives 2.5, 10.0
    and 39.8; the line through the two points predicted 0.70 to 1.67 times
    the measured time over 12 configurations, one timing scaled by FLOPs
    0.39 to 4.2 times (``benchmarks/bench_cost_model.py``,
    ``benchmarks/results/cost_model.md``).
    """
    module = _shared_module(backbone, tuple(image_shape), ())
    if module.native_resolution:
        low, high = 32, 128
    else:
        low, high = None, 4 * max(int(image_shape[1]), int(image_shape[2]))
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    module.train()  # its weights change: only its shape matters here
    try:
        seconds = [_time_training(module, image_shape, r) for r in (low, high)]
    finally:
        torch.set_num_threads(old)
        module.eval()
    flops = [image_flops(backbone, tuple(image_shape), r, ()) for r in (low, high)]
    per_flop = (seconds[1] - seconds[0]) / max(flops[1] - flops[0], 1.0)
    if per_flop <= 0:  # timing noise: proportional to FLOPs, through the larger point
        return 0.0, seconds[1] / flops[1]
    return max(0.0, seconds[0] - per_flop * flops[0]), per_flop


def image_step_seconds(
    backbone: str,
    image_shape: tuple,
    resolution: int | None = None,
    backbone_params: tuple = (),
    *,
    threads: int = 1,
) -> float:
    """Seconds to train on one image (forward, backward, update) with ``threads``.

    Measured once per backbone and thread count (the fastest of a few
    batches of :data:`_BATCH` random images at two resolutions), then
    placed on the line through the two points by the configuration's
    forward FLOPs (see :func:`_training_costs`).

    Parameters
    ----------
    backbone : str
        A registered backbone name.
    image_shape : tuple of int
        ``(C, H, W)`` of the input rows.
    resolution : int or None, default=None
        Input resolution; ``None`` or 0 is the backbone's default.
    backbone_params : tuple of (str, object), default=()
        Loader arguments, as sorted pairs.
    threads : int, default=1
        Torch threads of the worker that will train.

    Returns
    -------
    seconds : float
    """
    shape = tuple(int(s) for s in image_shape)
    fixed, per_flop = _training_costs(backbone, shape, int(threads))
    return fixed + per_flop * image_flops(
        backbone, shape, resolution or None, tuple(backbone_params)
    )
