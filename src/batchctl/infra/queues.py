"""Job queues: priority, the order compute environments are tried in, fair share, stuck-job timeouts."""

from __future__ import annotations

from aws_cdk import aws_batch as batch
from constructs import Construct

from batchctl.config.models import ClusterConfig, Queue
from batchctl.infra.compute import ComputeEnvironments
from batchctl.outputs import pascal

# Fair share looks back over the last hour of usage when it picks the next share to run.
SHARE_DECAY_SECONDS = 3600
# The blocked reasons Batch can act on (they match the job's statusReason): capacity, and jobs that
# no compute environment of the queue could ever run.
RUNNABLE_BLOCKED_REASONS = (
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
)


class JobQueues(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClusterConfig, compute: ComputeEnvironments
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.scheduling_policies: dict[str, batch.CfnSchedulingPolicy] = {}
        self.by_name: dict[str, batch.CfnJobQueue] = {}
        for queue in config.queues:
            policy = self._fair_share_policy(queue) if queue.fair_share else None
            self.by_name[queue.name] = batch.CfnJobQueue(
                self,
                pascal(queue.name),
                job_queue_name=config.resource_name(queue.name),
                priority=queue.priority,
                state="ENABLED",
                compute_environment_order=[
                    batch.CfnJobQueue.ComputeEnvironmentOrderProperty(
                        order=order,
                        # Ref is the compute environment's ARN (Fn::GetAtt is not used on Batch resources).
                        compute_environment=compute.by_name[name].ref,
                    )
                    for order, name in enumerate(queue.compute_environments, 1)
                ],
                scheduling_policy_arn=policy.ref if policy else None,
                job_state_time_limit_actions=self._runnable_timeout(queue),
            )

    def _fair_share_policy(self, queue: Queue) -> batch.CfnSchedulingPolicy:
        policy = batch.CfnSchedulingPolicy(
            self,
            f"{pascal(queue.name)}SchedulingPolicy",
            name=self._config.resource_name(queue.name),
            fairshare_policy=batch.CfnSchedulingPolicy.FairsharePolicyProperty(
                share_decay_seconds=SHARE_DECAY_SECONDS, compute_reservation=0
            ),
        )
        self.scheduling_policies[queue.name] = policy
        return policy

    @staticmethod
    def _runnable_timeout(queue: Queue) -> list[batch.CfnJobQueue.JobStateTimeLimitActionProperty] | None:
        if queue.runnable_timeout_minutes is None:
            return None
        return [
            batch.CfnJobQueue.JobStateTimeLimitActionProperty(
                action="CANCEL",
                state="RUNNABLE",
                max_time_seconds=queue.runnable_timeout_minutes * 60,
                reason=reason,
            )
            for reason in RUNNABLE_BLOCKED_REASONS
        ]
