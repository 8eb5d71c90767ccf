"""Fine-tune on an image folder, end to end.

Writes a small folder of images laid out one sub-folder per class (crops of
scikit-image's sample photos, so that it runs offline), loads it with
:func:`skautoml.data.load_image_folder`, lets ``AutoFineTuneClassifier``
choose between logistic regression on the pixels, a small CNN trained from
scratch, and EfficientNet-Lite0 (a linear probe on its frozen features, and
fine-tuning of the whole network with searched strategy, learning rate,
resolution...) under a time budget of 150 seconds, and reports the
leaderboard and the test accuracy. The first four trials are each model with
its default settings; the remaining ones are random draws from the space.

The same works from the command line (``--search-space nets`` for the
networks only; ``--image-size 48x48`` when the images differ in size)::

    skautoml fit path/to/images/ --time-budget 120

Run::

    python examples/image_folder.py
"""

import os
import tempfile

import numpy as np
from PIL import Image
from skimage import data as skdata
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier
from skautoml.data import load_image_folder


def write_folder(root, per_class=16, size=48, seed=0):
    """Random crops of three photos, one class each, saved as PNG files."""
    rng = np.random.default_rng(seed)
    photos = {
        "astronaut": skdata.astronaut(),
        "coffee": skdata.coffee(),
        "chelsea": skdata.chelsea(),
    }
    for label, photo in photos.items():
        os.makedirs(os.path.join(root, label))
        h, w = photo.shape[:2]
        for i in range(per_class):
            side = int(rng.integers(min(h, w) // 3, min(h, w) // 2))
            top, left = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
            crop = Image.fromarray(photo[top : top + side, left : left + side])
            crop.resize((size, size)).save(os.path.join(root, label, f"{i}.png"))


def main():
    with tempfile.TemporaryDirectory() as root:
        write_folder(root)
        X, y = load_image_folder(root)  # (n, H, W, 3) uint8, class-name labels
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = AutoFineTuneClassifier(
        search="random",
        search_space={
            # each is first tried with its defaults, in this order (after the cheap
            # logistic regression): the slow fine-tuning early, while budget is left
            "classifier": [
                "logistic_regression",  # pixels as features
                "finetune_efficientnet_lite0",  # the pretrained network fine-tuned
                "small_cnn",  # a small CNN from scratch
                "probe_efficientnet_lite0",  # frozen pretrained features + a head
            ]
        },
        backbone=["small_cnn", "efficientnet_lite0"],
        max_trials=6,
        time_budget=150,  # seconds for the whole fit, refit included
        trial_time_limit=100,  # fine-tuning on a CPU needs more than the default budget / 3
        cv=2,
        random_state=0,
    )
    clf.fit(X_train, y_train)
    board = clf.leaderboard()[["pipeline", "score", "mean_fit_time", "status"]]
    print(board.to_string(index=False))
    print(f"best: {clf.best_candidate_.candidate.describe()}")
    print(f"test accuracy: {clf.score(X_test, y_test):.3f}")


if __name__ == "__main__":
    main()
