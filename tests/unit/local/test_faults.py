"""Fault injection in the emulator's WSGI stack: latency, 429 token buckets and fractions, 500 after the effect."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from batchctl.local import faults
from batchctl.local.faults import FaultSettings


class Inner:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"jobId": "j-1"}']


def call(app: Any, path: str = "/v1/submitjob", **environ: Any) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "POST", **environ}, start_response))
    return seen["status"], seen["headers"], body


def test_token_bucket_refuses_above_its_rate_with_aws_error_shape() -> None:
    now = [0.0]
    inner = Inner()
    app = faults.with_faults(inner, FaultSettings(throttle={"SubmitJob": 2}), clock=lambda: now[0])
    statuses = [call(app)[0] for _ in range(3)]
    assert statuses == ["200 OK", "200 OK", "429 Too Many Requests"]
    _status, headers, body = call(app)
    assert headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert json.loads(body)["message"] == "Too Many Requests"
    now[0] = 1.0  # a second later the bucket is full again
    assert call(app)[0] == "200 OK"
    assert inner.calls == 3
    assert call(app, "/v1/listjobs")[0] == "200 OK"  # other operations are not throttled


def test_error_rate_runs_the_operation_then_answers_500() -> None:
    inner = Inner()
    app = faults.with_faults(inner, FaultSettings(error_rate={"submitjob": 1.0}))
    status, headers, _body = call(app)
    assert status.startswith("500")
    assert headers["x-amzn-ErrorType"] == "ServerException"
    assert inner.calls == 1  # it took effect


def test_fractions_are_about_right_and_latency_sleeps() -> None:
    slept: list[float] = []
    inner = Inner()
    settings = FaultSettings(latency_ms=50, throttle_fraction={"SubmitJob": 0.3})
    app = faults.with_faults(inner, settings, rng=random.Random(7), sleep=slept.append)
    statuses = [call(app)[0] for _ in range(1000)]
    throttled = statuses.count("429 Too Many Requests")
    assert 250 < throttled < 350
    assert inner.calls == 1000 - throttled  # a refused call never reaches the backend
    assert slept == [0.05] * 1000
    assert call(app, "/batchctl/emulator", REQUEST_METHOD="GET")[0] == "200 OK"
    assert len(slept) == 1000  # the emulator's own paths are not delayed


def test_counters_answer_on_their_path() -> None:
    app = faults.with_faults(Inner(), FaultSettings(error_rate={"SubmitJob": 1.0}))
    call(app)
    _status, _, body = call(app, faults.FAULTS_PATH, REQUEST_METHOD="GET")
    assert json.loads(body)["counts"] == {"submitjob": {"failed_after_effect": 1}}


@pytest.mark.parametrize(
    ("environ", "operation"),
    [
        ({"PATH_INFO": "/v1/describejobs"}, "describejobs"),
        ({"PATH_INFO": "/", "HTTP_X_AMZ_TARGET": "Logs_20140328.FilterLogEvents"}, "filterlogevents"),
        ({"PATH_INFO": "/", "QUERY_STRING": "Action=DescribeStacks&Version=2010-05-15"}, "describestacks"),
        ({"PATH_INFO": "/batchctl/emulator"}, None),
    ],
)
def test_operation_names(environ: dict[str, Any], operation: str | None) -> None:
    assert faults.operation_of(environ) == operation


@pytest.mark.parametrize(
    ("text", "fraction", "message"),
    [
        ("SubmitJob", False, "is not OPERATION=TPS"),
        ("SubmitJob=fast", False, "is not a number"),
        ("SubmitJob=0", False, "above 0"),
        ("SubmitJob=1.5", True, "from 0 to 1"),
    ],
)
def test_bad_assignments_say_how_to_fix(text: str, fraction: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        faults.parse_assignment(text, fraction=fraction)


def test_settings_round_trip_through_server_arguments() -> None:
    import argparse

    settings = FaultSettings(50, {"SubmitJob": 50.0}, {"SubmitJob": 0.3}, {"SubmitJob": 0.05}, True)
    parser = argparse.ArgumentParser()
    faults.add_arguments(parser)
    assert faults.from_arguments(parser.parse_args(settings.to_args())) == settings
    assert FaultSettings.from_dict(settings.to_dict()) == settings
    assert FaultSettings().to_args() == [] and not FaultSettings().active
