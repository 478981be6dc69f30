"""Stacks recorded by the emulator and re-created at the next start, in the order they were first deployed."""

from __future__ import annotations

import io
import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.helpers import moto_server

from batchctl.local import restore
from batchctl.local.restore import StackRecord, StackRecords

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20261201/eu-west-1/cloudformation/aws4_request, SignedHeaders=host, Signature=x"
)


def record(name: str, template: str = "{}") -> StackRecord:
    return StackRecord(name=name, region="us-east-1", template=template)


def test_records_keep_first_deploy_order_and_drop_deleted_stacks(tmp_path: Path) -> None:
    records = StackRecords(tmp_path)
    assert records.load() == []
    records.put(record("batchctl-demo-data"))
    records.put(record("batchctl-demo"))
    records.put(record("batchctl-demo-data", template='{"updated": true}'))  # an update keeps its place
    assert [(item.name, item.template) for item in records.load()] == [
        ("batchctl-demo-data", '{"updated": true}'),
        ("batchctl-demo", "{}"),
    ]
    records.drop("batchctl-demo-data", "us-east-1")
    assert [item.name for item in StackRecords(tmp_path).load()] == ["batchctl-demo"]


def test_an_unreadable_record_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / restore.RECORD_FILE_NAME).write_text("{not json")
    assert StackRecords(tmp_path).load() == []


def test_ssm_parameters_left_at_their_default_are_not_passed_again() -> None:
    template = json.dumps(
        {
            "Parameters": {
                "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/ami"},
                "Size": {"Type": "String", "Default": "small"},
            }
        }
    )
    described = [
        {"ParameterKey": "Ami", "ParameterValue": "ami-0123456789abcdef0"},  # moto reports the resolved value
        {"ParameterKey": "Size", "ParameterValue": "large"},
    ]
    assert restore.given_parameters(template, described) == [{"ParameterKey": "Size", "ParameterValue": "large"}]


# --- the recorder in front of the API -------------------------------------------------------------------------------


class FakeCloudFormation:
    def __init__(self, status: str = "CREATE_COMPLETE") -> None:
        self.status = status

    def describe_change_set(self, **kwargs: Any) -> dict[str, Any]:
        return {"StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/batchctl-demo/1"}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {
            "Stacks": [
                {
                    "StackName": "batchctl-demo",
                    "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/batchctl-demo/1",
                    "StackStatus": self.status,
                    "Tags": [{"Key": "batchctl:cluster", "Value": "demo"}],
                    "Capabilities": ["CAPABILITY_NAMED_IAM"],
                }
            ]
        }

    def get_template(self, **kwargs: Any) -> dict[str, Any]:
        return {"TemplateBody": '{"Resources": {}}'}


def api_call(app: Any, form: dict[str, str]) -> bytes:
    body = urllib.parse.urlencode(form).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": AUTHORIZATION,
        "wsgi.input": io.BytesIO(body),
    }
    return b"".join(app(environ, lambda status, headers: None))


def behind_recorder(
    tmp_path: Path, client: FakeCloudFormation, status: str = "200 OK"
) -> tuple[Any, StackRecords, list[str]]:
    seen: list[str] = []

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        seen.append(body.decode())  # the application behind still reads the whole body
        start_response(status, [])
        return [b"<ok/>"]

    records = StackRecords(tmp_path)
    regions: list[str] = []

    def client_for(region: str) -> FakeCloudFormation:
        regions.append(region)
        return client

    return restore.with_stack_recorder(moto, records, client_for), records, seen + regions


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_an_executed_change_set_is_recorded_once_the_stack_is_complete(tmp_path: Path) -> None:
    app, records, _ = behind_recorder(tmp_path, FakeCloudFormation())
    assert api_call(app, {"Action": "ExecuteChangeSet", "ChangeSetName": "arn:aws:cloudformation:x"}) == b"<ok/>"
    wait_for(lambda: records.load() != [])
    (recorded,) = records.load()
    assert (recorded.name, recorded.region, recorded.template) == ("batchctl-demo", "eu-west-1", '{"Resources": {}}')
    assert recorded.tags == [{"Key": "batchctl:cluster", "Value": "demo"}]
    assert recorded.capabilities == ["CAPABILITY_NAMED_IAM"]


def test_a_failed_stack_or_a_refused_call_is_not_recorded(tmp_path: Path) -> None:
    app, records, _ = behind_recorder(tmp_path, FakeCloudFormation(status="ROLLBACK_COMPLETE"))
    api_call(app, {"Action": "ExecuteChangeSet", "ChangeSetName": "x"})
    refused, refused_records, _ = behind_recorder(tmp_path / "refused", FakeCloudFormation(), "400 Bad Request")
    api_call(refused, {"Action": "CreateStack", "StackName": "batchctl-demo"})
    time.sleep(0.3)
    assert records.load() == [] and refused_records.load() == []


def test_a_deleted_stack_is_forgotten(tmp_path: Path) -> None:
    records = StackRecords(tmp_path)
    records.put(StackRecord(name="batchctl-demo", region="eu-west-1", template="{}"))
    app, _, _ = behind_recorder(tmp_path, FakeCloudFormation(status="DELETE_COMPLETE"))
    api_call(app, {"Action": "DeleteStack", "StackName": "batchctl-demo"})
    wait_for(lambda: records.load() == [])


# --- restoring into a fresh CloudFormation ---------------------------------------------------------------------------


def dead_letter_queue(name: str) -> str:
    return json.dumps({"Resources": {"Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}}}})


def queue_using(name: str, dead_letter_name: str) -> str:
    """A queue whose redrive policy names a queue of another stack: it can only be created after that stack."""
    policy = {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:123456789012:{dead_letter_name}", "maxReceiveCount": 3}
    properties = {"QueueName": name, "RedrivePolicy": policy}
    return json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": properties}}})


@pytest.fixture
def cloudformation() -> Any:
    with moto_server() as endpoint:

        def client_for(region: str) -> Any:
            return boto3.client(
                "cloudformation",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )

        yield client_for


@pytest.mark.integration
def test_stacks_are_re_created_in_recorded_order(tmp_path: Path, cloudformation: Any) -> None:
    records = StackRecords(tmp_path)
    records.put(record("batchctl-order-data", dead_letter_queue("order-dlq")))  # what the next stack refers to
    records.put(record("batchctl-order", queue_using("order-q", "order-dlq")))
    started: list[str] = []
    results = restore.restore_stacks(records, cloudformation, on_start=lambda item: started.append(item.name))
    assert started == ["batchctl-order-data", "batchctl-order"]
    assert [(item.name, item.status, item.reason) for item in results] == [
        ("batchctl-order-data", "CREATE_COMPLETE", ""),
        ("batchctl-order", "CREATE_COMPLETE", ""),
    ]
    # Present stacks are left alone.
    assert {item.status for item in restore.restore_stacks(records, cloudformation)} == {"ALREADY_PRESENT"}


@pytest.mark.integration
def test_a_stack_that_cannot_be_re_created_is_reported(tmp_path: Path, cloudformation: Any) -> None:
    records = StackRecords(tmp_path)
    records.put(record("batchctl-lonely", queue_using("lonely-q", "absent-dlq")))  # what it refers to is not there
    (result,) = restore.restore_stacks(records, cloudformation)
    assert not result.ok
    assert result.status == "FAILED" and "queue does not exist" in result.reason
