"""The command line: fit a CSV, print the leaderboard, save the model; clear errors."""

import importlib.util
import pickle

import numpy as np
import pandas as pd
import pytest

from skautoml.cli import main


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "city": rng.choice(["Oslo", "Lima", "Pune"], size=n),
        }
    )
    frame["label"] = np.where(frame["a"] + (frame["city"] == "Oslo") > 0.3, "hi", "lo")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_fit_prints_leaderboard_and_saves(csv_path, tmp_path, capsys):
    model = tmp_path / "model.pkl"
    code = main(
        [
            "fit",
            str(csv_path),
            "--target",
            "label",
            "--max-trials",
            "2",
            "--cv",
            "2",
            "--search",
            "random",
            "--search-space",
            "fast",
            "--output",
            str(model),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "rank" in out and "pipeline" in out and "best:" in out
    with open(model, "rb") as fh:
        clf = pickle.load(fh)
    frame = pd.read_csv(csv_path)
    assert clf.score(frame.drop(columns="label"), frame["label"]) > 0.6


def test_export_writes_a_runnable_script(csv_path, tmp_path, capsys):
    script = tmp_path / "best_pipeline.py"
    args = ["fit", str(csv_path), "--target", "label", "--max-trials", "2", "--cv", "2"]
    args += ["--search", "random", "--search-space", "fast", "--quiet"]
    args += ["--output", str(tmp_path / "model.pkl"), "--export", str(script)]
    assert main(args) == 0
    assert f"pipeline exported to {script}" in capsys.readouterr().out
    with open(tmp_path / "model.pkl", "rb") as fh:
        clf = pickle.load(fh)
    assert script.read_text(encoding="utf-8") == clf.export()  # the winner, as a script
    assert "--target label" in script.read_text(encoding="utf-8").split("\nimport ")[0]
    spec = importlib.util.spec_from_file_location("cli_exported", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the script is importable: main() is guarded
    model = module.make_pipeline()
    if clf.ensemble_model_ is None:
        assert [name for name, _ in model.steps] == [name for name, _ in clf.best_pipeline_.steps]
    else:  # an ensemble: a soft vote with one pipeline per member
        assert [name for name, _ in model.estimators] == [
            f"trial{m['trial']}" for m in clf.ensemble_
        ]


def test_ensemble_size_reaches_the_estimator(csv_path, tmp_path, capsys):
    args = ["fit", str(csv_path), "--target", "label", "--max-trials", "2", "--cv", "2"]
    args += ["--search", "random", "--search-space", "fast", "--quiet", "--ensemble-size", "1"]
    args += ["--output", str(tmp_path / "model.pkl")]
    assert main(args) == 0
    with open(tmp_path / "model.pkl", "rb") as fh:
        clf = pickle.load(fh)
    assert clf.ensemble_size == 1 and clf.ensemble_model_ is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "missing.csv", "--target", "y"], "does not exist"),
        (["fit", "{csv}"], "--target is required"),
        (["fit", "{csv}", "--target", "nope"], "is not a column"),
        (["fit", "{csv}", "--target", "label", "--search", "grid"], "search"),
        (["fit", "{csv}", "--target", "label", "--export", "/no/such/dir/x.py"], "does not exist"),
        (["fit", "{csv}", "--target", "label", "--output", "/no/such/dir/m.pkl"], "create it"),
        # every trial failed: one line, not AllTrialsFailedError's traceback
        (["fit", "{csv}", "--target", "label", "--time-budget", "1e-3", "--quiet"], "raise --time"),
    ],
)
def test_errors_are_one_clear_line(csv_path, capsys, args, message):
    args = [a.replace("{csv}", str(csv_path)) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("skautoml: error:") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


# -- image folders ----------------------------------------------------------------------
def _image_folder(root, sizes=((8, 8),), per_class=4):
    """root/<class>/<i>.png: dark, mid and bright grey 8x8 PNGs (width x height per file)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for level, label in zip((30, 120, 220), ("dark", "mid", "bright")):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            w, h = sizes[i % len(sizes)]
            pixels = np.clip(level + rng.integers(-20, 20, size=(h, w)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(root / label / f"{i}.png")
    return root


def _fit_folder(folder, tmp_path, *extra):
    model = tmp_path / "model.pkl"
    code = main(
        [
            "fit",
            str(folder),
            "--search-space",
            "fast",
            "--max-trials",
            "2",
            "--cv",
            "2",
            "--output",
            str(model),
            "--quiet",
            *extra,
        ]
    )
    return code, model


def test_fit_an_image_folder(tmp_path, capsys):
    folder = _image_folder(tmp_path / "images")
    code, model = _fit_folder(folder, tmp_path)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "best:" in out and f"model saved to {model}" in out
    from skautoml.data import load_image_folder

    X, y = load_image_folder(folder)
    with open(model, "rb") as fh:
        clf = pickle.load(fh)
    assert clf.image_format_.shape == (1, 8, 8)
    assert clf.score(X, y) > 0.9


def test_image_folder_of_mixed_sizes_needs_image_size(tmp_path, capsys):
    folder = _image_folder(tmp_path / "images", sizes=((8, 8), (10, 6)))
    code, model = _fit_folder(folder, tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and not model.exists()
    assert err.startswith("skautoml: error:") and err.count("\n") == 1
    assert "different sizes" in err and "--image-size HxW" in err
    code, model = _fit_folder(folder, tmp_path, "--image-size", "8x8")
    assert code == 0 and model.exists()
    with open(model, "rb") as fh:
        assert pickle.load(fh).image_format_.shape == (1, 8, 8)


@pytest.mark.parametrize("size", ["8", "8x8", "8X8"])
def test_image_size_forms(size):
    from skautoml.cli import _parser

    args = _parser().parse_args(["fit", "folder", "--image-size", size])
    assert args.image_size == (8, 8)


@pytest.mark.parametrize("size", ["0x8", "8x", "big", "8x8x3"])
def test_bad_image_size_is_a_usage_error(size, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fit", "folder", "--image-size", size])
    assert exc.value.code == 2
    assert "HEIGHTxWIDTH" in capsys.readouterr().err


def test_image_size_with_a_csv_is_an_error(csv_path, capsys):
    assert main(["fit", str(csv_path), "--target", "label", "--image-size", "8x8"]) == 2
    assert "--image-size applies to an image folder" in capsys.readouterr().err


# -- regression --------------------------------------------------------------------------
@pytest.fixture
def price_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame({"rooms": rng.integers(1, 6, n), "area": rng.normal(70, 20, n)})
    frame["town"] = rng.choice(["Oslo", "Lima"], size=n)
    frame["price"] = (
        1000 * frame["area"] + 20000 * frame["rooms"] + 50000 * (frame["town"] == "Oslo")
    ).round()
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    return path


def test_numeric_target_with_many_values_runs_the_regressor(price_csv, tmp_path, capsys):
    from skautoml import AutoFineTuneRegressor

    script = tmp_path / "best_pipeline.py"
    args = ["fit", str(price_csv), "--target", "price", "--max-trials", "2", "--cv", "2"]
    args += ["--search-space", "fast", "--quiet", "--output", str(tmp_path / "m.pkl")]
    args += ["--export", str(script)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "task: regression (a numeric target with 80 distinct values" in out
    with open(tmp_path / "m.pkl", "rb") as fh:
        reg = pickle.load(fh)
    assert isinstance(reg, AutoFineTuneRegressor)
    frame = pd.read_csv(price_csv)
    assert reg.score(frame.drop(columns="price"), frame["price"]) > 0.8
    assert "stratify=y" not in script.read_text(encoding="utf-8")


def test_task_option_overrides_the_detection(price_csv, csv_path, tmp_path, capsys):
    from skautoml import AutoFineTuneClassifier

    args = ["fit", str(price_csv), "--target", "rooms", "--max-trials", "1", "--cv", "2"]
    args += ["--search-space", "fast", "--quiet", "--output", str(tmp_path / "m.pkl")]
    assert main(args) == 0  # 5 distinct integers: classes
    assert "task: classification (a numeric target with only 5 distinct values" in (
        capsys.readouterr().out
    )
    assert main([*args, "--task", "regression"]) == 0
    out = capsys.readouterr().out
    assert "task:" not in out  # chosen, not detected
    with open(tmp_path / "m.pkl", "rb") as fh:
        assert not isinstance(pickle.load(fh), AutoFineTuneClassifier)
    # labels that are not numbers cannot be regressed: one clear line
    bad = ["fit", str(csv_path), "--target", "label", "--task", "regression", "--quiet"]
    assert main([*bad, "--output", str(tmp_path / "x.pkl")]) == 2
    assert "y must be numeric for regression" in capsys.readouterr().err
