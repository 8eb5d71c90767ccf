"""A distilled student exports like any pipeline: the script rebuilds and fits it."""

import numpy as np
import pytest
from export_support import run_script
from sklearn.datasets import load_breast_cancer
from support.teachers import one_trial

from skautoml.export import export_pipeline


@pytest.mark.parametrize("student", ["linear", "compact_net"])
def test_exported_student_runs_as_a_script(student, tmp_path):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    y = np.where(y == 1, "benign", "malignant")
    teacher = one_trial(X, y, "logistic_regression")
    model = teacher.distill(X, student=student, time_budget=10, random_state=0)
    script = tmp_path / "student.py"
    source = export_pipeline(model, script_name="student.py")
    script.write_text(source)
    # the script trains the student's recipe on the labels it reads
    X.assign(target=teacher.predict(X)).to_csv(tmp_path / "data.csv", index=False)
    out = run_script(script, "data.csv", "--target", "target", cwd=tmp_path)
    accuracy = float(out.stdout.split("held-out accuracy:")[1].split()[0])
    assert accuracy > 0.8
