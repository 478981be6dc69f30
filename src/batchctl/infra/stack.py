"""The cluster's two stacks: wire the units together and publish what the CLI needs as outputs.

The data stack holds the buckets and the repository and outlives the compute stack (network, roles, compute,
queues, job definitions), which imports them through the data stack's exports.
"""

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
from batchctl.infra.registry import ImportedRegistry, Registry
from batchctl.infra.storage import DataBuckets, Storage
from batchctl.infra.tagging import apply_cluster_tags

IMPORTED_OUTPUTS_RULE = "W6001"


def stack_id(config: ClusterConfig) -> str:
    return outputs.compute_stack_name(config.name)


def data_stack_id(config: ClusterConfig) -> str:
    return outputs.data_stack_name(config.name)


def _stack_settings(config: ClusterConfig) -> dict[str, Any]:
    return {
        # The account stays the AWS::AccountId pseudo parameter, so one template fits any account.
        "env": Environment(region=config.region),
        # No bootstrap stack and no assets: boto3 deploys the template as it is, to AWS or the emulator.
        "synthesizer": BootstraplessSynthesizer(),
        "analytics_reporting": False,
    }


class DataStack(Stack):
    """Buckets and repository: created once, kept by `destroy` unless --delete-data, exported to the compute stack."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"batchctl cluster {config.name}: its data (buckets and image repository), kept by destroy",
            **_stack_settings(config),
            **kwargs,
        )
        buckets = DataBuckets(self, "Storage", config=config)
        registry = Registry(self, "Registry", config=config)
        apply_cluster_tags(self, config)
        for role, bucket in buckets.by_role.items():
            self._export(config, outputs.output_key(outputs.BUCKET, role), bucket.bucket_name, f"The {role} bucket")
        repository = registry.repository
        self._export(config, outputs.REPOSITORY_URI, repository.repository_uri, "URI of the ECR repository")
        self._export(config, outputs.REPOSITORY_NAME, repository.repository_name, "Name of the ECR repository")

    def _export(self, config: ClusterConfig, key: str, value: str, description: str) -> None:
        CfnOutput(self, key, value=value, description=description, export_name=outputs.export_name(config.name, key))


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
            description=f"batchctl cluster {config.name}: AWS Batch with its network, compute and roles",
            **_stack_settings(config),
            **kwargs,
        )
        self._zones = list(availability_zones)
        # The job commands read every name from this stack's outputs, the data stack's included: those outputs
        # are imports on purpose (cfn-lint W6001 calls an output that repeats an import redundant).
        self.template_options.metadata = {
            "cfn-lint": {"config": {"ignore_checks": [IMPORTED_OUTPUTS_RULE]}},
            "batchctl": {IMPORTED_OUTPUTS_RULE: "bucket and repository outputs repeat the data stack's exports"},
        }

        network = Network(self, "Network", config=config, availability_zones=self._zones)
        storage = Storage(self, "Storage", config=config)
        registry = ImportedRegistry(config)
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
        # The data stack's values, so that the job commands read every name from this one stack.
        self._output(outputs.REPOSITORY_URI, registry.repository_uri, "URI of the cluster's ECR repository")
        self._output(outputs.REPOSITORY_NAME, registry.repository_name, "Name of the cluster's ECR repository")
        self._output(outputs.JOB_ROLE_ARN, roles.job_role.role_arn, "ARN of the IAM role jobs run with")

    @property
    def availability_zones(self) -> list[str]:
        """The zones chosen by the caller, not CDK's placeholders for an account-agnostic stack."""
        return self._zones

    def _output(self, key: str, value: str, description: str) -> None:
        CfnOutput(self, key, value=value, description=description)
