"""CloudFormation: stacks, change sets and events. Plain data out, no printing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from batchctl.aws.errors import aws_call, error_message
from batchctl.errors import AwsError

# CloudFormation takes templates inline up to this size; larger ones must come from S3.
INLINE_TEMPLATE_LIMIT = 51_200
CAPABILITIES = ["CAPABILITY_NAMED_IAM", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed", "The submitted information didn't contain")


@dataclass(frozen=True)
class Change:
    action: str  # Add | Modify | Remove | Dynamic
    logical_id: str
    resource_type: str
    replacement: str = ""


@dataclass(frozen=True)
class ChangeSet:
    id: str
    stack_id: str
    status: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""

    @property
    def empty(self) -> bool:
        return self.status == "FAILED" and any(marker in self.reason for marker in _NO_CHANGES)


@dataclass(frozen=True)
class StackEvent:
    id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str


class CloudFormation:
    def __init__(self, client: Any) -> None:
        self._client = client

    @aws_call
    def describe_stack(self, name: str) -> dict[str, Any] | None:
        """The stack, or None when it does not exist (or is deleted)."""
        try:
            stacks = self._client.describe_stacks(StackName=name)["Stacks"]
        except ClientError as exc:
            if "does not exist" in error_message(exc):
                return None
            raise
        stack: dict[str, Any] = stacks[0]
        return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack

    @staticmethod
    def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
        return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}

    @aws_call
    def create_change_set(
        self,
        stack_name: str,
        change_set_name: str,
        *,
        template_body: str | None = None,
        template_url: str | None = None,
        create: bool,
        tags: dict[str, str] | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {
            "StackName": stack_name,
            "ChangeSetName": change_set_name,
            "ChangeSetType": "CREATE" if create else "UPDATE",
            "Capabilities": CAPABILITIES,
            "Tags": [{"Key": key, "Value": value} for key, value in (tags or {}).items()],
        }
        if template_url:
            kwargs["TemplateURL"] = template_url
        else:
            kwargs["TemplateBody"] = template_body
        return str(self._client.create_change_set(**kwargs)["Id"])

    @aws_call
    def wait_change_set(self, change_set_id: str, timeout: float = 600, poll: float = 1.0) -> ChangeSet:
        """Poll until the change set is computed; returns it with its list of changes."""
        deadline = time.monotonic() + timeout
        while True:
            response = self._client.describe_change_set(ChangeSetName=change_set_id)
            status = response["Status"]
            if status in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE"):
                return ChangeSet(
                    id=change_set_id,
                    stack_id=response.get("StackId", ""),
                    status=status,
                    changes=[_change(item) for item in response.get("Changes", [])],
                    reason=response.get("StatusReason", ""),
                )
            if time.monotonic() > deadline:
                raise AwsError(f"change set {change_set_id} still {status} after {timeout:.0f} s")
            time.sleep(poll)

    @aws_call
    def execute_change_set(self, change_set_id: str) -> None:
        self._client.execute_change_set(ChangeSetName=change_set_id)

    @aws_call
    def delete_change_set(self, change_set_id: str) -> None:
        self._client.delete_change_set(ChangeSetName=change_set_id)

    @aws_call
    def delete_stack(self, name: str) -> None:
        self._client.delete_stack(StackName=name)

    @aws_call
    def deployed_template(self, name: str) -> dict[str, Any]:
        """The template the stack was last deployed with (GetTemplate, Original stage)."""
        body = self._client.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
        if isinstance(body, dict):  # botocore decodes JSON bodies itself
            return body
        import json

        parsed: dict[str, Any] = json.loads(body)
        return parsed

    @aws_call
    def set_termination_protection(self, name: str, enabled: bool) -> None:
        """Change sets cannot set termination protection: it is switched on after creation.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html"""
        self._client.update_termination_protection(StackName=name, EnableTerminationProtection=enabled)

    @aws_call
    def events(self, stack_id: str) -> list[StackEvent]:
        """All events of the stack, oldest first."""
        paginator = self._client.get_paginator("describe_stack_events")
        events = [_event(item) for page in paginator.paginate(StackName=stack_id) for item in page["StackEvents"]]
        return sorted(events, key=lambda event: event.timestamp)

    @aws_call
    def physical_resources(self, stack_name: str) -> dict[str, tuple[str, str]]:
        """logical id -> (resource type, physical id)."""
        paginator = self._client.get_paginator("list_stack_resources")
        return {
            item["LogicalResourceId"]: (item["ResourceType"], item.get("PhysicalResourceId", ""))
            for page in paginator.paginate(StackName=stack_name)
            for item in page["StackResourceSummaries"]
        }

    def follow(self, stack_id: str, seen: set[str], poll: float = 2.0) -> Iterator[StackEvent]:
        """Yield new events until the stack reaches a terminal status."""
        while True:
            for event in self.events(stack_id):
                if event.id not in seen:
                    seen.add(event.id)
                    yield event
            stack = self.describe_stack(stack_id)
            if stack is None or not stack["StackStatus"].endswith("_IN_PROGRESS"):
                for event in self.events(stack_id) if stack is not None else []:
                    if event.id not in seen:
                        seen.add(event.id)
                        yield event
                return
            time.sleep(poll)


def _change(item: dict[str, Any]) -> Change:
    change = item.get("ResourceChange", {})
    return Change(
        action=change.get("Action", ""),
        logical_id=change.get("LogicalResourceId", ""),
        resource_type=change.get("ResourceType", ""),
        replacement=change.get("Replacement", "") or "",
    )


def _event(item: dict[str, Any]) -> StackEvent:
    return StackEvent(
        id=item["EventId"],
        timestamp=item["Timestamp"],
        logical_id=item.get("LogicalResourceId", ""),
        resource_type=item.get("ResourceType", ""),
        status=item.get("ResourceStatus", ""),
        reason=item.get("ResourceStatusReason", "") or "",
    )
