"""Trial records: typed statuses and stop causes, and their JSON round trip."""

from skautoml.records import StopCause, Trial, TrialStatus
from skautoml.space import Candidate, Step

CAND = Candidate((Step.make("logistic_regression", {"C": 1.0}),))


def test_statuses_are_an_enum_that_reads_as_text():
    t = Trial(0, CAND, "timeout", stop_cause="budget")
    assert t.status is TrialStatus.TIMEOUT and t.stop_cause is StopCause.BUDGET
    assert t.status == "timeout" and f"{t.status}" == "timeout" and not t.ok


def test_the_stop_cause_survives_the_checkpoint_round_trip():
    t = Trial(3, CAND, TrialStatus.TIMEOUT, error="stopped", stop_cause=StopCause.TRIAL_LIMIT)
    data = t.to_dict()
    assert data["status"] == "timeout" and data["stop_cause"] == "trial_limit"
    assert Trial.from_dict(data) == t


def test_a_format_1_record_gets_its_stop_cause_from_the_error_text():
    # checkpoints written before the field existed said it in the error only
    old = Trial(1, CAND, TrialStatus.TIMEOUT, error="stopped after 3.0 s: the time budget ran out")
    data = old.to_dict()
    del data["stop_cause"]
    assert Trial.from_dict(data).stop_cause is StopCause.BUDGET
    data["error"] = "stopped after 3.0 s: trial_time_limit"
    assert Trial.from_dict(data).stop_cause is None


def test_size_and_latency_survive_the_round_trip_and_old_records_lack_them():
    t = Trial(2, CAND, TrialStatus.OK, test_scores=(0.9,), size_bytes=1234, predict_ms=0.05)
    assert Trial.from_dict(t.to_dict()) == t
    data = t.to_dict()
    del data["size_bytes"], data["predict_ms"]  # written before they were measured
    old = Trial.from_dict(data)
    assert old.size_bytes is None and old.predict_ms is None and old.ok
