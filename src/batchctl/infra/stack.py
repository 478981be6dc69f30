"""The cluster stack: wires the units together and publishes what the CLI needs as outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import BootstraplessSynthesizer, CfnOutput, Environment, Stack
from constructs import Construct

from batchctl import outputs
from batchctl.config.models import ClusterConfig
from batchctl.infra.compute import ComputeEnvironments
from batchctl.infra.iam import ClusterRoles
from batchctl.infra.job_definitions import JobDefinitions
from batchctl.infra.network import Network
from batchctl.infra.queues import JobQueues
from batchctl.infra.registry import Registry
from batchctl.infra.storage import Storage
from batchctl.infra.tagging import apply_cluster_tags


def stack_id(config: ClusterConfig) -> str:
    return f"batchctl-{config.name}"


class ClusterStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClusterConfig,
        availability_zones: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"batchctl cluster {config.name}: AWS Batch with its network, storage and roles",
            # The account stays the AWS::AccountId pseudo parameter, so one template fits any account.
            env=Environment(region=config.region),
            # No bootstrap stack and no assets: boto3 deploys the template as it is, to AWS or the emulator.
            synthesizer=BootstraplessSynthesizer(),
            analytics_reporting=False,
            **kwargs,
        )
        self._zones = list(availability_zones)

        network = Network(self, "Network", config=config, availability_zones=self._zones)
        storage = Storage(self, "Storage", config=config)
        registry = Registry(self, "Registry", config=config)
        roles = ClusterRoles(self, "Roles", config=config, storage=storage)
        compute = ComputeEnvironments(self, "Compute", config=config, network=network, roles=roles)
        queues = JobQueues(self, "Queues", config=config, compute=compute)
        job_definitions = JobDefinitions(
            self, "JobDefinitions", config=config, registry=registry, roles=roles, storage=storage
        )
        apply_cluster_tags(self, config)

        self._output(outputs.CLUSTER_NAME, config.name, "Name of the batchctl cluster")
        for name, queue in queues.by_name.items():
            self._output(outputs.output_key(outputs.QUEUE, name), queue.ref, f"ARN of job queue {name}")
        for name in queues.scheduling_policies:
            self._output(
                outputs.output_key(outputs.FAIR_SHARE_QUEUE, name),
                "true",
                f"Job queue {name} has a fair-share policy: its jobs need a share identifier",
            )
        for name, environment in compute.by_name.items():
            self._output(
                outputs.output_key(outputs.COMPUTE_ENVIRONMENT, name),
                environment.ref,
                f"ARN of compute environment {name}",
            )
        for name, definition in job_definitions.by_name.items():
            self._output(
                outputs.output_key(outputs.JOB_DEFINITION, name),
                definition.ref,
                f"ARN (with revision) of job definition {name}",
            )
            self._output(
                outputs.output_key(outputs.LOG_GROUP, name),
                job_definitions.log_groups[name].log_group_name,
                f"CloudWatch Logs group of job definition {name}",
            )
        for role, bucket in storage.by_role.items():
            self._output(outputs.output_key(outputs.BUCKET, role), bucket.name, f"Name of the cluster's {role} bucket")
        if storage.outputs_bucket and "outputs" not in storage.by_role:
            self._output(
                outputs.output_key(outputs.BUCKET, "outputs"),
                storage.outputs_bucket.name,
                "Name of the existing bucket job outputs go to",
            )
        if storage.existing_read_only:
            self._output(
                outputs.READ_ONLY_BUCKETS,
                ",".join(storage.existing_read_only),
                "Existing buckets jobs may read (comma-separated)",
            )
        if storage.existing_read_write:
            self._output(
                outputs.READ_WRITE_BUCKETS,
                ",".join(storage.existing_read_write),
                "Existing buckets jobs may read and write (comma-separated)",
            )
        self._output(outputs.REPOSITORY_URI, registry.repository.repository_uri, "URI of the cluster's ECR repository")
        self._output(
            outputs.REPOSITORY_NAME, registry.repository.repository_name, "Name of the cluster's ECR repository"
        )
        self._output(outputs.JOB_ROLE_ARN, roles.job_role.role_arn, "ARN of the IAM role jobs run with")

    @property
    def availability_zones(self) -> list[str]:
        """The zones chosen by the caller, not CDK's placeholders for an account-agnostic stack."""
        return self._zones

    def _output(self, key: str, value: str, description: str) -> None:
        CfnOutput(self, key, value=value, description=description)
