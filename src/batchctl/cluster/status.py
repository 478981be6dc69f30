"""What is deployed: the stack's state and outputs, and the live state of its queues and compute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchctl import outputs as keys
from batchctl.aws.batch import Batch
from batchctl.aws.cloudformation import CloudFormation
from batchctl.aws.session import Aws
from batchctl.cluster import template as templates
from batchctl.config import ClusterConfig


@dataclass
class ResourceState:
    kind: str
    name: str
    state: str
    status: str
    reason: str = ""


@dataclass
class ClusterStatus:
    stack_name: str
    target: str
    stack_status: str | None  # None: not deployed
    updated: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[ResourceState] = field(default_factory=list)


def cluster_status(config: ClusterConfig, aws: Aws) -> ClusterStatus:
    cloudformation = CloudFormation(aws.client("cloudformation"))
    name = templates.stack_name(config)
    stack = cloudformation.describe_stack(name)
    if stack is None:
        return ClusterStatus(name, aws.target.describe(), None)
    outputs = CloudFormation.outputs_of(stack)
    updated = stack.get("LastUpdatedTime") or stack.get("CreationTime")
    return ClusterStatus(
        name,
        aws.target.describe(),
        stack["StackStatus"],
        updated=updated.isoformat(timespec="seconds") if updated else "",
        outputs=outputs,
        resources=_batch_states(aws, outputs),
    )


def _batch_states(aws: Aws, outputs: dict[str, str]) -> list[ResourceState]:
    batch = Batch(aws.client("batch"))
    environments = [value for key, value in outputs.items() if key.startswith(keys.COMPUTE_ENVIRONMENT)]
    queues = [value for key, value in outputs.items() if key.startswith(keys.QUEUE)]
    return [
        *(
            _state("compute environment", item, "computeEnvironmentName")
            for item in batch.describe_compute_environments(environments)
        ),
        *(_state("queue", item, "jobQueueName") for item in batch.describe_job_queues(queues)),
    ]


def _state(kind: str, item: dict[str, Any], name_key: str) -> ResourceState:
    return ResourceState(
        kind, item[name_key], item.get("state", ""), item.get("status", ""), item.get("statusReason", "")
    )
