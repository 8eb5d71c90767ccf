"""Unit tests of the renderer: literals, hostile strings, imports, defaults, refusals."""

from __future__ import annotations

import ast
import datetime
import enum
import math
import sys
import types

import numpy as np
import pytest
import torch
from export_support import Holder, Outer, import_script, ruff_check
from export_support import StandardScaler as LookalikeScaler
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import StackingClassifier
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping, Freezer, LRScheduler
from skorch.dataset import ValidSplit

from skautoml.export import ExportError, export_pipeline, pipeline_to_source

HOSTILE = [
    "\"'); import os; os.system('x') #",
    "'''\"\"\"",
    "a\\",
    "line\nbreak\r\n",
    "\x00\x1b[31m\u2028\u2029\x85",
    "{braces} %s {0}",
    "é ü 漢字 😀",
    "x" * 300,
]


def rebuild(obj):
    """Run the rendered source of ``obj`` (test code only) and return the result."""
    imports, expr = pipeline_to_source(obj)
    namespace = {}
    exec("\n".join(imports), namespace)  # test code runs the generated source
    return eval(expr, namespace)


def value_source(value):
    """The source text of ``Holder(value=value)``'s argument."""
    _, expr = pipeline_to_source(Holder(value=value))
    call = ast.parse(expr, mode="eval").body
    assert isinstance(call, ast.Call) and call.func.id == "Holder"
    (keyword,) = call.keywords
    return keyword.value, ast.get_source_segment(expr, keyword.value)


# -- literals --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        1,
        -7,
        2**80,
        0.1,
        1e-300,
        -0.0,
        1 / 3,
        5e-324,
        True,
        False,
        "text",
        b"bytes\x00",
        (1,),
        (),
        [1, [2.5, "x"]],
        {"a": 1, 2: (3, None)},
        {"b", "a"},
        frozenset({1}),
        1 + 2j,
        *HOSTILE,
    ],
)
def test_literals_round_trip_exactly(value):
    node, _ = value_source(value)
    rendered = ast.literal_eval(node) if not isinstance(value, frozenset) else None
    if rendered is None:
        rendered = rebuild(Holder(value=value)).value
    assert type(rendered) is type(value)
    assert rendered == value
    if isinstance(value, float):
        assert math.copysign(1, rendered) == math.copysign(1, value)


@pytest.mark.parametrize(
    "value, text",
    [
        (float("nan"), 'float("nan")'),
        (float("inf"), 'float("inf")'),
        (float("-inf"), 'float("-inf")'),
        (np.float64(0.25), "0.25"),
        (np.float32(0.1), repr(float(np.float32(0.1)))),
        (np.int64(3), "3"),
        (np.bool_(True), "True"),
        (np.str_("s"), '"s"'),
    ],
)
def test_special_and_numpy_scalars(value, text):
    assert value_source(value)[1] == text


def test_numpy_arrays_render_with_their_dtype():
    for array in [
        np.array([1.5, np.nan, -np.inf], dtype=np.float32),
        np.array([[1, 2], [3, 4]], dtype=np.int16),
        np.array(["a", "b'\""]),
        np.array([True, False]),
    ]:
        rebuilt = rebuild(Holder(value=array)).value
        assert rebuilt.dtype == array.dtype
        np.testing.assert_array_equal(rebuilt, array)
    _, text = value_source(np.array([1.0, 2.0]))
    assert text == 'np.array([1.0, 2.0], dtype="float64")'


def test_enum_members_render_as_attributes(tmp_path):
    from http import HTTPStatus

    holder = Holder(value=HTTPStatus.OK)
    assert value_source(HTTPStatus.OK)[1] == "HTTPStatus.OK"
    assert rebuild(holder).value is HTTPStatus.OK
    path = tmp_path / "stdlib.py"  # a standard-library import goes in its own section
    path.write_text(export_pipeline(holder))
    ruff_check(path)
    on_the_fly = enum.Enum("Color", "RED")  # not importable from its module
    with pytest.raises(ExportError):
        pipeline_to_source(Holder(value=on_the_fly.RED))
    with pytest.raises(ExportError, match="get_params"):
        pipeline_to_source(Holder(value=datetime.timezone.utc))


# -- hostile strings ---------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_stay_inert_everywhere(text, tmp_path):
    pipeline = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(categories=[[text, "b"]]), [text])]),
        LogisticRegression(class_weight={text: 2.0, "b": 1.0}),
    )
    source = export_pipeline(pipeline, target=text, notes=[text], scoring="accuracy")
    tree = ast.parse(source)
    # the only code is the script's own: no import of os, no call of system()
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert "os" not in imported
    called = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert "system" not in called
    # every comment line is still a comment
    for line in source.splitlines():
        assert not line.startswith(("import os", "os.")), line
    path = tmp_path / "hostile.py"
    path.write_text(source, encoding="utf-8")
    rebuilt = import_script(path, "hostile_script").make_pipeline()
    transformer = rebuilt.steps[0][1].transformers[0]
    assert transformer[2] == [text]
    assert rebuilt.steps[0][1].transformers[0][1].categories == [[text, "b"]]
    assert rebuilt.steps[1][1].class_weight == {text: 2.0, "b": 1.0}


# -- imports -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj, line, name",
    [
        (LogisticRegression, "from sklearn.linear_model import LogisticRegression", None),
        (f_classif, "from sklearn.feature_selection import f_classif", None),
        (make_column_selector, "from sklearn.compose import make_column_selector", None),
        (torch.optim.AdamW, "from torch.optim import AdamW", None),
        (torch.nn.CrossEntropyLoss, "from torch.nn import CrossEntropyLoss", None),
        (EarlyStopping, "from skorch.callbacks import EarlyStopping", None),
        (ValidSplit, "from skorch.dataset import ValidSplit", None),
        (np.log1p, "import numpy as np", "np.log1p"),
        (np.float32, "import numpy as np", "np.float32"),
        (Outer.Inner, "from export_support import Outer", "Outer.Inner"),
        (float, None, "float"),
        (len, None, "len"),
    ],
)
def test_names_are_imported_from_their_shortest_public_module(obj, line, name):
    imports, _ = pipeline_to_source(Holder(value=obj))
    _, text = value_source(obj)
    assert text == (name or obj.__name__)
    if line is None:
        assert imports == ["from export_support import Holder"]
    elif line.startswith("from export_support"):
        assert imports == [line.replace("import ", "import Holder, ")]
    else:
        assert sorted(imports) == sorted(["from export_support import Holder", line])
    assert rebuild(Holder(value=obj)).value is obj


def test_private_module_without_public_parent_is_kept(monkeypatch):
    module = types.ModuleType("_private_helpers")

    def helper(X):
        return X

    helper.__module__ = module.__name__
    helper.__qualname__ = "helper"
    module.helper = helper
    monkeypatch.setitem(sys.modules, module.__name__, module)
    imports, expr = pipeline_to_source(FunctionTransformer(helper))
    assert "from _private_helpers import helper" in imports
    assert expr == "FunctionTransformer(func=helper)"


def test_same_names_from_different_modules_get_aliases():
    holder = Holder(value=[StandardScaler(), LookalikeScaler(shift=1.0)])
    imports, expr = pipeline_to_source(holder)
    assert "from sklearn.preprocessing import StandardScaler" in imports
    assert "from export_support import Holder, StandardScaler as StandardScaler_2" in imports
    assert "StandardScaler_2(shift=1.0)" in expr
    rebuilt = rebuild(holder).value
    assert type(rebuilt[0]) is StandardScaler and type(rebuilt[1]) is LookalikeScaler


def test_script_names_are_not_shadowed():
    # a user function called make_pipeline must not replace the script's own
    source = export_pipeline(Holder(value=make_pipeline))
    assert "from sklearn.pipeline import make_pipeline as make_pipeline_2" in source
    assert "Holder(value=make_pipeline_2)" in source


# -- only non-default parameters ----------------------------------------------------


@pytest.mark.parametrize(
    "estimator, expr",
    [
        (LogisticRegression(), "LogisticRegression()"),
        (LogisticRegression(C=1.0), "LogisticRegression()"),
        (LogisticRegression(C=np.float64(1.0)), "LogisticRegression()"),
        (LogisticRegression(C=1), "LogisticRegression(C=1)"),  # int is not the float default
        (LogisticRegression(C=0.1 + 0.2), "LogisticRegression(C=0.30000000000000004)"),
        (MLPClassifier(hidden_layer_sizes=(100,)), "MLPClassifier()"),
        (MLPClassifier(hidden_layer_sizes=[100]), "MLPClassifier(hidden_layer_sizes=[100])"),
        (SimpleImputer(missing_values=float("nan")), "SimpleImputer()"),
        (SimpleImputer(missing_values=-1), "SimpleImputer(missing_values=-1)"),
        (SelectKBest(f_classif, k=3), "SelectKBest(k=3)"),
        (KFold(3), "KFold(n_splits=3)"),
        (make_column_selector(dtype_include=np.number), None),
    ],
)
def test_only_non_default_parameters_are_written(estimator, expr):
    _, text = pipeline_to_source(estimator)
    if expr is not None:
        assert text == expr
    else:
        assert text == "make_column_selector(dtype_include=np.number)"


def test_nested_estimators_compare_by_parameters():
    _, text = pipeline_to_source(NeuralNetClassifier(Outer.Inner))
    assert text == "NeuralNetClassifier(module=Outer.Inner)"  # the default ValidSplit(5)
    _, text = pipeline_to_source(NeuralNetClassifier(Outer.Inner, train_split=ValidSplit(3)))
    assert "train_split=ValidSplit(cv=3)" in text


def test_skorch_kwargs_callbacks_and_optimizer():
    net = NeuralNetClassifier(
        Outer.Inner,
        module__size=64,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=0.01,
        criterion=torch.nn.CrossEntropyLoss,
        callbacks=[
            EarlyStopping(patience=3),
            LRScheduler(policy="StepLR", step_size=2),
            Freezer("hidden.*"),
        ],
        iterator_train__shuffle=True,
        train_split=ValidSplit(0.2, stratified=True, random_state=0),
    )
    imports, expr = pipeline_to_source(net)
    assert "_params_to_validate" not in expr
    for piece in [
        "module=Outer.Inner",
        "optimizer=AdamW",
        "criterion=CrossEntropyLoss",
        "EarlyStopping(patience=3)",
        'LRScheduler(policy="StepLR", step_size=2)',
        'Freezer(patterns="hidden.*", fn=freeze_parameter)',
        "iterator_train__shuffle=True",
        "module__size=64",
        "optimizer__weight_decay=0.01",
        "train_split=ValidSplit(cv=0.2, stratified=True, random_state=0)",
    ]:
        assert piece in expr
    assert "from skorch.callbacks import EarlyStopping, Freezer, LRScheduler" in imports
    rebuilt = rebuild(net)
    assert rebuilt.get_params()["optimizer__weight_decay"] == 0.01
    assert rebuilt.callbacks[2].get_params() == net.callbacks[2].get_params()


def test_stacking_and_checkpoint_path_are_plain_parameters():
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("scaled", make_pipeline(StandardScaler()))], cv=KFold(2)
    )
    _, expr = pipeline_to_source(stack)
    assert "cv=KFold(n_splits=2)" in expr and '("lr", LogisticRegression())' in expr
    _, expr = pipeline_to_source(Holder(value={"checkpoint": "/models/weights.pt"}))
    assert expr == 'Holder(value={"checkpoint": "/models/weights.pt"})'


def test_long_output_is_laid_out_within_88_columns():
    pipe = make_pipeline(
        *[StandardScaler(with_mean=False) for _ in range(4)], LogisticRegression(C=0.123456)
    )
    _, expr = pipeline_to_source(pipe)
    assert max(map(len, expr.splitlines())) <= 88
    assert expr.count("\n") > 3
    ast.parse(expr)


# -- refusals ---------------------------------------------------------------------


def _local_function(X):
    return X


def test_lambdas_are_refused_with_the_step_and_parameter():
    pipe = make_pipeline(StandardScaler(), FunctionTransformer(lambda X: X))
    with pytest.raises(ExportError) as error:
        pipeline_to_source(pipe)
    message = str(error.value)
    assert "step 'functiontransformer'" in message
    assert "FunctionTransformer.func" in message
    assert "lambda" in message and "named function" in message


@pytest.mark.parametrize(
    "value, words",
    [
        (None, "defined inside a function"),
        (np.random.RandomState(0), "int random_state"),
        (torch.nn.Linear(2, 2), "module class"),
        (object(), "get_params"),
        ([1, (lambda: 0)], "lambda"),
    ],
)
def test_unrenderable_values_are_refused(value, words):
    if value is None:

        def local(X):
            return X

        value = local
    with pytest.raises(ExportError, match=words):
        pipeline_to_source(Holder(value=value))


def test_objects_from_main_are_refused(monkeypatch):
    def helper(X):
        return X

    helper.__module__ = "__main__"
    helper.__qualname__ = "helper"
    with pytest.raises(ExportError, match="__main__"):
        pipeline_to_source(FunctionTransformer(helper))


def test_non_string_scoring_is_refused():
    with pytest.raises(ExportError, match="scorer name"):
        export_pipeline(LogisticRegression(), scoring=len)


# -- the script ---------------------------------------------------------------------


def test_importing_the_script_runs_nothing(tmp_path, capsys):
    path = tmp_path / "quiet.py"
    path.write_text(export_pipeline(LogisticRegression(C=0.5), scoring=None))
    module = import_script(path, "quiet_script")
    assert capsys.readouterr().out == ""
    assert module.make_pipeline().get_params()["C"] == 0.5
    assert callable(module.main)


def test_header_names_runtime_packages_and_skautoml_modules(monkeypatch):
    import skautoml.nets

    private = types.ModuleType("skautoml.nets._fake")

    class FakeModule(torch.nn.Module):
        pass

    FakeModule.__module__ = private.__name__
    FakeModule.__qualname__ = FakeModule.__name__ = "FakeModule"
    private.FakeModule = FakeModule
    monkeypatch.setitem(sys.modules, private.__name__, private)
    monkeypatch.setattr(skautoml.nets, "FakeModule", FakeModule, raising=False)

    source = export_pipeline(NeuralNetClassifier(FakeModule), cv_score=0.5)
    assert "from skautoml.nets import FakeModule" in source
    assert "skautoml.nets.FakeModule from skautoml's public modules" in source
    assert "# Needs at run time: numpy, pandas, scikit-learn, skorch, torch." in source
    assert "torch.manual_seed(args.random_state)" in source

    classical = export_pipeline(LogisticRegression(), cv_score=np.float64(0.87654))
    assert "# Needs at run time: numpy, pandas, scikit-learn." in classical
    assert "It does not import skautoml." in classical
    assert "search: 0.8765" in classical
    assert "torch" not in classical


def test_notes_and_target_cannot_break_out_of_comments():
    source = export_pipeline(
        LogisticRegression(), target="a\nb", notes=["x\nimport os", "y\rz", "\u2028w"]
    )
    header = source.split("\n\n", 1)[0] + "\n\n" + source.split("import argparse")[0]
    for line in header.splitlines():
        assert line == "" or line.startswith("#"), line
    assert "--target COLUMN" in source  # unprintable names are not quoted in comments
    tree = ast.parse(source)
    assert [node.names[0].name for node in tree.body if isinstance(node, ast.Import)][0] == (
        "argparse"
    )


def test_skautoml_nets_are_imported_from_the_public_module(tmp_path):
    nets = pytest.importorskip("skautoml.nets")
    if not all(hasattr(nets, name) for name in ("NetClassifier", "TabularMLP")):
        pytest.skip("skautoml.nets has no NetClassifier/TabularMLP")
    net = nets.NetClassifier(nets.TabularMLP, module__hidden_units=8, random_state=0)
    source = export_pipeline(make_pipeline(StandardScaler(), net))
    assert "from skautoml.nets import NetClassifier, TabularMLP" in source
    assert "# Needs at run time: numpy, pandas, scikit-learn, skorch, torch." in source
    assert "skautoml must be installed" in source
    path = tmp_path / "net.py"
    path.write_text(source)
    ruff_check(path)
    rebuilt = import_script(path, "net_script").make_pipeline()
    assert rebuilt.get_params()["netclassifier__module__hidden_units"] == 8


def test_an_import_line_between_88_and_100_characters_passes_both_ruff_configs(tmp_path):
    """ruff's default isort wraps at 88 columns; the wrapped form also suits the project's 100."""
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    pipeline = StackingClassifier(
        [("forest", RandomForestClassifier()), ("trees", ExtraTreesClassifier())],
    )
    one_line = (
        "from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier, "
        "StackingClassifier"
    )
    assert 88 < len(one_line) <= 100
    imports, _ = pipeline_to_source(pipeline)
    assert one_line not in imports and "from sklearn.ensemble import (" in imports
    path = tmp_path / "wide.py"
    path.write_text(export_pipeline(pipeline))
    ruff_check(path)
