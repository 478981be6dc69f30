"""What is deployed: the stack's state and outputs, and the live state of its queues and compute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from batchctl import outputs as keys
from batchctl.aws.batch import Batch
from batchctl.aws.cloudformation import CloudFormation
from batchctl.aws.session import Aws
from batchctl.cluster import template as templates

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig


@dataclass
class ResourceState:
    kind: str
    name: str
    state: str
    status: str
    reason: str = ""


# The states in which a stack is what its last deploy asked for. Anything else (a rolled-back creation, a change
# set never executed, a failed update) is not healthy, even if it ends in _COMPLETE.
HEALTHY_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


@dataclass
class ClusterStatus:
    stack_name: str
    target: str
    stack_status: str | None  # None: not deployed
    updated: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[ResourceState] = field(default_factory=list)
    data_stack_name: str = ""
    data_stack_status: str | None = None  # None: no data stack

    @property
    def healthy(self) -> bool:
        return self.stack_status in HEALTHY_STATUSES and self.data_stack_status in HEALTHY_STATUSES


def cluster_status(config: ClusterConfig, aws: Aws) -> ClusterStatus:
    cloudformation = CloudFormation(aws.client("cloudformation"))
    name = templates.stack_name(config)
    data_name = templates.data_stack_name(config)
    data = cloudformation.describe_stack(data_name)
    data_status = data["StackStatus"] if data else None
    stack = cloudformation.describe_stack(name)
    if stack is None:
        return ClusterStatus(
            name, aws.target.describe(), None, data_stack_name=data_name, data_stack_status=data_status
        )
    outputs = CloudFormation.outputs_of(stack)
    updated = stack.get("LastUpdatedTime") or stack.get("CreationTime")
    return ClusterStatus(
        name,
        aws.target.describe(),
        stack["StackStatus"],
        updated=updated.isoformat(timespec="seconds") if updated else "",
        outputs=outputs,
        resources=_batch_states(aws, outputs) if stack["StackStatus"] in HEALTHY_STATUSES or outputs else [],
        data_stack_name=data_name,
        data_stack_status=data_status,
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
