"""How well the cost model predicts an image network's training time per image.

For each backbone and image size, every resolution is timed directly (the
fastest of 3 training steps of 16 random images after a warm-up, 2 threads),
and compared with two predictions made from fewer timings:

- ``by FLOPs``: the earlier model, one timing at the reference resolution
  (64 px for a pretrained backbone, the images' size for the small CNN)
  scaled in proportion to forward FLOPs;
- ``line``: the current model (:func:`skautoml.nets.image_step_seconds`),
  two timings 4 times apart in side, and the line through them in FLOPs.

Then one search trial of the small CNN on 600 digits (3-fold CV, no time
budget) compares the cost model's predicted seconds with the trial's.

Writes ``benchmarks/results/cost_model.md``.

Usage::

    python benchmarks/bench_cost_model.py
"""

from __future__ import annotations

import math
import platform
import time
import warnings
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier
from skautoml.nets import image_flops, image_step_seconds
from skautoml.nets._throughput import _shared_module

RESULTS = Path(__file__).resolve().parent / "results" / "cost_model.md"
THREADS = 2
CASES = [
    ("small_cnn", (1, 8, 8), [None, 16, 32, 64], None),
    ("small_cnn", (1, 28, 28), [None, 56, 112], None),
    ("efficientnet_lite0", (3, 32, 32), [32, 48, 64, 96, 128], 64),
]


def _direct(backbone, shape, resolution, batch=16, steps=3) -> float:
    """Seconds per image of the fastest of ``steps`` training steps at ``resolution``."""
    module = _shared_module(backbone, shape, ())
    module.preprocess.resolution = resolution or module.native_resolution
    torch.set_num_threads(THREADS)
    module.train()
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4)
    x, y = torch.rand(batch, math.prod(shape)), torch.randint(0, 10, (batch,))
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - t0)
    module.eval()
    return min(times[1:]) / batch


def _table() -> list[str]:
    lines = [
        "| backbone | images | resolution | measured ms/image | by FLOPs | line | "
        "by FLOPs / measured | line / measured |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for backbone, shape, resolutions, reference in CASES:
        ref = _direct(backbone, shape, reference)
        ref_flops = image_flops(backbone, shape, reference, ())
        for r in resolutions:
            measured = _direct(backbone, shape, r)
            flops = image_flops(backbone, shape, r, ())
            by_flops = ref * flops / ref_flops
            line = image_step_seconds(backbone, shape, r, threads=THREADS)
            lines.append(
                f"| {backbone} | {'x'.join(map(str, shape))} | {r or shape[1]} px | "
                f"{1e3 * measured:.2f} | {1e3 * by_flops:.2f} | {1e3 * line:.2f} | "
                f"{by_flops / measured:.2f} | {line / measured:.2f} |"
            )
    return lines


def _trial() -> str:
    digits = load_digits()
    X, _, y, _ = train_test_split(
        digits.images, digits.target, train_size=600, stratify=digits.target, random_state=0
    )
    clf = AutoFineTuneClassifier(
        backbone="small_cnn",
        search_space={"classifier": ["small_cnn"]},
        max_trials=1,
        time_budget=None,
        ensemble_size=1,
        random_state=0,
    ).fit(X, y)
    r = clf.cv_results_
    predicted, actual = float(r["predicted_seconds"][0]), float(r["duration"][0])
    return (
        f"One small-CNN trial on 600 digits (3-fold CV, `{r['pipeline'][0]}`, "
        f"{r['epochs'][0]} epochs): predicted {predicted:.1f} s, took {actual:.1f} s "
        f"(predicted / actual {predicted / actual:.2f})."
    )


def main() -> None:
    warnings.simplefilter("ignore")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Cost model: predicted against measured training time per image",
        "",
        "Command: `python benchmarks/bench_cost_model.py`",
        f"Run: {started}, {platform.machine()}, 2 cores, no GPU, {THREADS} threads.",
        "",
        *_table(),
        "",
        _trial(),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
