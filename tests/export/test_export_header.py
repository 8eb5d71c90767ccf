"""The exported script's usage line and ``--target``: named when the export knows it.

With ``target=`` the header shows ``--target <name>`` and the script's
``--target`` defaults to that column (a ``TARGET`` constant), so it may be
left out; without it, the header says ``--target COLUMN`` and the option is
required.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from export_support import import_script, ruff_check, ruff_format_check, run_script
from sklearn.linear_model import LogisticRegression

from skautoml.export import export_pipeline


def _header(source: str) -> list[str]:
    return source.split("\nimport ")[0].splitlines()


def _csv(path, target):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame[target] = (X[:, 0] > 0).astype(int)
    frame.to_csv(path, index=False)
    return path


def test_known_target_is_named_and_optional(tmp_path):
    source = export_pipeline(LogisticRegression(), target="label")
    header = _header(source)
    assert "#     python best_pipeline.py data.csv --target label [--save model.pkl]" in header
    assert "# --target may be left out: it defaults to label." in header
    assert "COLUMN" not in source
    assert 'TARGET = "label"' in source
    script = tmp_path / "best_pipeline.py"
    script.write_text(source, encoding="utf-8")
    ruff_check(script)
    ruff_format_check(script)
    _csv(tmp_path / "data.csv", "label")
    out = run_script(script, "data.csv", cwd=tmp_path).stdout  # no --target
    assert "held-out accuracy" in out


def test_unknown_target_is_required(tmp_path, capsys):
    source = export_pipeline(LogisticRegression())
    header = _header(source)
    assert "#     python best_pipeline.py data.csv --target COLUMN [--save model.pkl]" in header
    assert any("--target is required" in line for line in header)
    assert "TARGET" not in source
    script = tmp_path / "unknown_target.py"
    script.write_text(source, encoding="utf-8")
    module = import_script(script, "unknown_target_script")
    with pytest.raises(SystemExit):
        module.main([str(_csv(tmp_path / "data.csv", "label"))])
    assert "--target" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["a\nb", "x" * 40])
def test_unquotable_target_is_still_the_default(tmp_path, target):
    # too long or unprintable for the comment: the header says COLUMN and
    # points at TARGET, which holds the exact name
    source = export_pipeline(LogisticRegression(), target=target)
    header = _header(source)
    assert "#     python best_pipeline.py data.csv --target COLUMN [--save model.pkl]" in header
    assert any("it defaults to TARGET" in line for line in header)
    for line in header:
        assert line == "" or line.startswith("#"), line
    script = tmp_path / "odd_target.py"
    script.write_text(source, encoding="utf-8")
    module = import_script(script, f"odd_target_script_{len(target)}")
    assert module.TARGET == target
    model = module.main([str(_csv(tmp_path / "data.csv", target)), "--test-size", "0.5"])
    assert model.n_features_in_ == 3  # the target column was dropped, not used


def test_help_shows_the_default_even_with_a_percent_sign(tmp_path, capsys):
    source = export_pipeline(LogisticRegression(), target="rate%")
    script = tmp_path / "percent_target.py"
    script.write_text(source, encoding="utf-8")
    module = import_script(script, "percent_target_script")
    with pytest.raises(SystemExit) as info:
        module.main(["--help"])
    assert info.value.code == 0
    assert "(default: rate%)" in capsys.readouterr().out


def test_estimator_export_names_the_target_it_was_fitted_on():
    from sklearn.datasets import load_iris

    from skautoml import AutoFineTuneClassifier

    X, y = load_iris(return_X_y=True, as_frame=True)
    settings = {"max_trials": 1, "time_budget": None, "random_state": 0, "ensemble_size": 1}
    clf = AutoFineTuneClassifier(**settings).fit(X, y.rename("species"))
    assert 'TARGET = "species"' in clf.export()
    assert 'TARGET = "kind"' in clf.export(target="kind")  # named at export: that wins
    unnamed = AutoFineTuneClassifier(**settings).fit(X.to_numpy(), y.to_numpy())
    assert "--target COLUMN" in "\n".join(_header(unnamed.export()))
