"""Destroy a cluster: delete the compute stack; the data stack (buckets, repository) only with --delete-data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from batchctl.aws.cloudformation import CloudFormation
from batchctl.aws.ecr import Ecr
from batchctl.aws.s3 import S3
from batchctl.aws.session import Aws
from batchctl.cluster import template as templates
from batchctl.cluster.progress import Progress, Silent
from batchctl.errors import DeployError, NotFoundError

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig


@dataclass
class DestroyPlan:
    stack_name: str
    stack_id: str | None  # None: the compute stack is already gone
    resource_count: int
    buckets: list[str]  # the data stack's
    repositories: list[str]
    data_stack_name: str = ""
    data_stack_id: str | None = None  # None: no data stack


@dataclass
class DestroyResult:
    stack_name: str
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # "what (why)"
    cancelled: bool = False


class Destroyer:
    def __init__(self, config: ClusterConfig, aws: Aws, progress: Progress | None = None) -> None:
        self.aws = aws
        self.progress = progress or Silent()
        self.cloudformation = CloudFormation(aws.client("cloudformation"))
        self.s3 = S3(aws.client("s3"), aws.target.region)
        self.ecr = Ecr(aws.client("ecr"))
        self.stack_name = templates.stack_name(config)
        self.data_stack_name = templates.data_stack_name(config)

    def plan(self) -> DestroyPlan:
        stack = self.cloudformation.describe_stack(self.stack_name)
        data = self.cloudformation.describe_stack(self.data_stack_name)
        if stack is None and data is None:
            raise NotFoundError(
                f"stack {self.stack_name} does not exist in {self.aws.target.describe()}: nothing to destroy"
            )
        count = len(self.cloudformation.physical_resources(self.stack_name)) if stack else 0
        # Only what the data stack created: user-supplied buckets never appear among its resources.
        resources = self.cloudformation.physical_resources(self.data_stack_name).values() if data else []
        return DestroyPlan(
            self.stack_name,
            stack["StackId"] if stack else None,
            count,
            buckets=sorted(pid for kind, pid in resources if kind == "AWS::S3::Bucket" and pid),
            repositories=sorted(pid for kind, pid in resources if kind == "AWS::ECR::Repository" and pid),
            data_stack_name=self.data_stack_name,
            data_stack_id=data["StackId"] if data else None,
        )

    def destroy(self, delete_data: bool, confirm: Callable[[DestroyPlan], bool] = lambda plan: True) -> DestroyResult:
        plan = self.plan()
        if not confirm(plan):
            return DestroyResult(self.stack_name, cancelled=True)
        result = DestroyResult(self.stack_name)
        if plan.stack_id is not None:
            self.progress.step(f"deleting stack {self.stack_name} ({plan.resource_count} resources)")
            self._delete_stack(plan.stack_id, self.stack_name)
            result.deleted.append(f"stack {self.stack_name}")
        if plan.data_stack_id is None:
            return result
        if not delete_data:
            stores = ", ".join(plan.buckets + plan.repositories)
            result.kept.append(
                f"data stack {self.data_stack_name} ({stores}; the next deploy reuses it, --delete-data removes it)"
            )
            return result
        self.progress.step(f"deleting stack {self.data_stack_name} and its data")
        self.cloudformation.set_termination_protection(self.data_stack_name, False)
        self._delete_stack(plan.data_stack_id, self.data_stack_name)
        result.deleted.append(f"stack {self.data_stack_name}")
        # The stack retains its buckets and repository (they outlive any stack deletion): removed here.
        for bucket in plan.buckets:
            if self.s3.bucket_exists(bucket):
                self.progress.step(f"deleting bucket {bucket}")
                self.s3.empty_and_delete(bucket)
                result.deleted.append(f"bucket {bucket}")
        for repository in plan.repositories:
            if self.ecr.image_count(repository) is not None:
                self.ecr.delete_repository(repository, force=True)
                result.deleted.append(f"repository {repository}")
        return result

    def _delete_stack(self, stack_id: str, name: str) -> None:
        seen = {event.id for event in self.cloudformation.events(stack_id)}
        self.cloudformation.delete_stack(stack_id)
        for event in self.cloudformation.follow(stack_id, seen):
            self.progress.event(event)
        stack: dict[str, Any] | None = self.cloudformation.describe_stack(stack_id)
        if stack is not None:
            raise DeployError(
                f"stack {name} could not be deleted ({stack['StackStatus']}: "
                f"{stack.get('StackStatusReason', 'see `batchctl status`')})"
            )
