"""A stand-in for batchctl.aws.session.Aws whose clients are botocore Stubbers (fast unit tests, exact calls)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from batchctl.aws.session import Target


class StubAws:
    """One stubbed client per service; `stub(service)` to add expected calls."""

    def __init__(self) -> None:
        self.target = Target(region="us-east-1")
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}

    def client(self, service: str) -> Any:
        if service not in self.clients:
            client = boto3.client(
                service, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
            )
            self.stubs[service] = Stubber(client)
            self.stubs[service].activate()
            self.clients[service] = client
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubs[service]

    def verify(self) -> None:
        """Every expected call was made (reading the stack outputs is optional: not every command needs them)."""
        for service, stub in self.stubs.items():
            if service != "cloudformation":
                stub.assert_no_pending_responses()


def stub_with_stack_outputs(outputs: dict[str, str], stack_name: str = "batchctl-demo") -> StubAws:
    """A StubAws whose CloudFormation answers one DescribeStacks with a deployed stack holding `outputs`."""
    stub = StubAws()
    stub.stub("cloudformation").add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": stack_name,
                    "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
                }
            ]
        },
        {"StackName": stack_name},
    )
    return stub
