"""AWS Batch's SubmitJob limits, checked on the request before anything is sent; each error names the field."""

from __future__ import annotations

from typing import Any

import pytest

from batchctl.errors import ConfigError
from batchctl.jobs import limits


def _request(**extra: Any) -> dict[str, Any]:
    return {"jobName": "hello-1a2b3c4d", "jobQueue": "q", "jobDefinition": "d", "containerOverrides": {}, **extra}


def _locate(field: str) -> str:
    return f'jobs.yaml:3: job "hello": {field}'


def _error(request: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        limits.check_request(request, _locate)
    return raised.value.message


def test_a_request_within_the_limits_passes() -> None:
    limits.check_request(_request(tags={"a": "b"}, arrayProperties={"size": 10000}), _locate)


@pytest.mark.parametrize(
    ("request_fields", "field", "expected"),
    [
        ({"containerOverrides": {"command": ["echo", "x" * 40_000]}}, "command", "accepts at most 30 KiB"),
        ({"containerOverrides": {"environment": [{"name": "A", "value": "v" * 31_000}]}}, "environment", "30 KiB"),
        ({"dependsOn": [{"jobId": str(n)} for n in range(21)]}, "depends_on", "21 dependencies"),
        ({"arrayProperties": {"size": 10_001}}, "array_size", "2 to 10,000"),
        ({"arrayProperties": {"size": 1}}, "array_size", "array size 1"),
        ({"jobName": "j" * 129}, "name", "129 characters"),
        ({"tags": {str(n): "v" for n in range(51)}}, "tags", "51 tags"),
        ({"tags": {"k" * 129: "v"}}, "tags", "129 characters"),
        ({"tags": {"k": "v" * 257}}, "tags", "257 characters"),
        ({"tags": {"AWS:owner": "me"}}, "tags", "reserved"),
    ],
)
def test_each_limit_names_the_job_and_field(request_fields: dict[str, Any], field: str, expected: str) -> None:
    message = _error(_request(**request_fields))
    assert message.startswith(f'jobs.yaml:3: job "hello": {field}: ')
    assert expected in message


def test_payload_size_counts_multibyte_characters_as_sent() -> None:
    assert limits.payload_bytes({"a": "é"}) == len('{"a":"é"}'.encode())
