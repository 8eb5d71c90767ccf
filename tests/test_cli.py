"""The command line: fit a CSV, print the leaderboard, save the model; clear errors."""

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


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "missing.csv", "--target", "y"], "does not exist"),
        (["fit", "{csv}"], "--target is required"),
        (["fit", "{csv}", "--target", "nope"], "is not a column"),
        (["fit", "{csv}", "--target", "label", "--search", "grid"], "search"),
    ],
)
def test_errors_are_one_clear_line(csv_path, capsys, args, message):
    args = [a.replace("{csv}", str(csv_path)) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("skautoml: error:") and message in err
