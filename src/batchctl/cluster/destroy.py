"""Destroy a cluster: delete the stack, then the data stores it kept, unless they hold data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from batchctl.aws.cloudformation import CloudFormation
from batchctl.aws.ecr import Ecr
from batchctl.aws.s3 import S3
from batchctl.aws.session import Aws
from batchctl.cluster import template as templates
from batchctl.cluster.progress import Progress, Silent
from batchctl.config import ClusterConfig
from batchctl.errors import DeployError, NotFoundError


@dataclass
class DestroyPlan:
    stack_name: str
    stack_id: str
    resource_count: int
    buckets: list[str]
    repositories: list[str]


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

    def plan(self) -> DestroyPlan:
        stack = self.cloudformation.describe_stack(self.stack_name)
        if stack is None:
            raise NotFoundError(
                f"stack {self.stack_name} does not exist in {self.aws.target.describe()}: nothing to destroy"
            )
        resources = self.cloudformation.physical_resources(self.stack_name)
        # Only what the stack created: user-supplied buckets never appear among its resources.
        return DestroyPlan(
            self.stack_name,
            stack["StackId"],
            len(resources),
            buckets=sorted(pid for kind, pid in resources.values() if kind == "AWS::S3::Bucket" and pid),
            repositories=sorted(pid for kind, pid in resources.values() if kind == "AWS::ECR::Repository" and pid),
        )

    def destroy(self, delete_data: bool, confirm: Callable[[DestroyPlan], bool] = lambda plan: True) -> DestroyResult:
        plan = self.plan()
        if not confirm(plan):
            return DestroyResult(self.stack_name, cancelled=True)
        result = DestroyResult(self.stack_name)
        seen = {event.id for event in self.cloudformation.events(plan.stack_id)}
        self.progress.step(f"deleting stack {self.stack_name} ({plan.resource_count} resources)")
        self.cloudformation.delete_stack(plan.stack_id)
        for event in self.cloudformation.follow(plan.stack_id, seen):
            self.progress.event(event)
        stack = self.cloudformation.describe_stack(plan.stack_id)
        if stack is not None:
            raise DeployError(
                f"stack {self.stack_name} could not be deleted ({stack['StackStatus']}: "
                f"{stack.get('StackStatusReason', 'see `batchctl status`')})"
            )
        result.deleted.append(f"stack {self.stack_name}")
        for bucket in plan.buckets:
            self._remove_bucket(bucket, delete_data, result)
        for repository in plan.repositories:
            self._remove_repository(repository, delete_data, result)
        return result

    def _remove_bucket(self, bucket: str, delete_data: bool, result: DestroyResult) -> None:
        # Buckets are retained by the stack so that a destroy never loses data by accident.
        if not self.s3.bucket_exists(bucket):
            return
        if self.s3.holds_objects(bucket) and not delete_data:
            result.kept.append(f"bucket {bucket} (holds objects; --delete-data removes it)")
            return
        self.progress.step(f"deleting bucket {bucket}")
        self.s3.empty_and_delete(bucket)
        result.deleted.append(f"bucket {bucket}")

    def _remove_repository(self, repository: str, delete_data: bool, result: DestroyResult) -> None:
        images = self.ecr.image_count(repository)
        if images is None:
            return
        if images and not delete_data:
            result.kept.append(f"repository {repository} ({images} image(s); --delete-data removes it)")
            return
        self.ecr.delete_repository(repository, force=True)
        result.deleted.append(f"repository {repository}")
