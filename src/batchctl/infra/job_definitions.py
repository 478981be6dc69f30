"""Job definitions and their log groups: image, command, resources, environment, retries, timeouts."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_batch as batch
from aws_cdk import aws_logs as logs
from constructs import Construct

from batchctl.config.models import ClusterConfig, JobDefinition
from batchctl.infra.acknowledgements import skip_checkov_check
from batchctl.infra.iam import ClusterRoles
from batchctl.infra.registry import ImportedRegistry
from batchctl.infra.storage import Storage
from batchctl.outputs import pascal
from batchctl.retry_rules import definition_rules
from batchctl.runner import contract

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
LOG_ENCRYPTION_REASON = (
    "CloudWatch Logs encrypts log data at rest with keys it manages. A customer managed KMS key would cost "
    "$1 a month per cluster plus requests and need a key policy for the Logs service; jobs must not log secrets."
)


def format_vcpus(vcpus: float) -> str:
    """Batch wants "1", not "1.0"; Fargate sizes such as 0.25 stay as they are."""
    return f"{vcpus:g}"


def cluster_environment(config: ClusterConfig, storage: Storage) -> dict[str, str]:
    """What every job learns about its cluster: its name, its region and its buckets.

    ECS on EC2 does not always set the region in a container; without it the S3 client of a job outside us-east-1
    goes to the global endpoint, which the S3 gateway endpoint of a cluster with no egress does not serve.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html#VirtualHostingBackwardsCompatibility
    """
    environment = {contract.CLUSTER: config.name, "AWS_REGION": Aws.REGION, "AWS_DEFAULT_REGION": Aws.REGION}
    if storage.outputs_bucket:
        environment[contract.OUTPUTS_BUCKET] = storage.outputs_bucket.name
    for role in ("workspace", "inputs"):
        if role in storage.by_role:
            environment[contract.BUCKET_VARIABLES[role]] = storage.by_role[role].name
    return environment


class JobDefinitions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClusterConfig,
        registry: ImportedRegistry,
        roles: ClusterRoles,
        storage: Storage,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._registry = registry
        self._roles = roles
        self._cluster_environment = cluster_environment(config, storage)
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.by_name: dict[str, batch.CfnJobDefinition] = {}
        for jd in config.job_definitions:
            log_group = logs.LogGroup(
                self,
                f"{pascal(jd.name)}LogGroup",
                log_group_name=config.log_group_name(jd.name),
                retention=LOG_RETENTION,
                removal_policy=RemovalPolicy.DESTROY,
            )
            skip_checkov_check(log_group, "CKV_AWS_158", LOG_ENCRYPTION_REASON)
            self.log_groups[jd.name] = log_group
            self.by_name[jd.name] = self._job_definition(jd, log_group)

    def _image(self, jd: JobDefinition) -> str:
        if jd.is_repository_tag:
            return self._registry.uri_for_tag(jd.image)
        return jd.image

    def _environment(self, jd: JobDefinition) -> list[batch.CfnJobDefinition.EnvironmentProperty]:
        # The cluster's variables win over same-named ones of the configuration.
        merged = {**jd.environment, **self._cluster_environment}
        return [batch.CfnJobDefinition.EnvironmentProperty(name=name, value=merged[name]) for name in sorted(merged)]

    @staticmethod
    def _resources(jd: JobDefinition) -> list[batch.CfnJobDefinition.ResourceRequirementProperty]:
        requirements = {"VCPU": format_vcpus(jd.vcpus), "MEMORY": str(jd.memory)}
        if jd.gpus:
            requirements["GPU"] = str(jd.gpus)
        return [
            batch.CfnJobDefinition.ResourceRequirementProperty(type=kind, value=value)
            for kind, value in requirements.items()
        ]

    @staticmethod
    def _retry_strategy(jd: JobDefinition) -> batch.CfnJobDefinition.RetryStrategyProperty:
        rules = [
            batch.CfnJobDefinition.EvaluateOnExitProperty(
                action=rule["action"],
                on_status_reason=rule.get("onStatusReason"),
                on_reason=rule.get("onReason"),
            )
            for rule in definition_rules(jd.retries, jd.retry_on)
        ]
        return batch.CfnJobDefinition.RetryStrategyProperty(attempts=jd.retries, evaluate_on_exit=rules or None)

    def _job_definition(self, jd: JobDefinition, log_group: logs.LogGroup) -> batch.CfnJobDefinition:
        fargate = jd.platform == "FARGATE"
        container = batch.CfnJobDefinition.ContainerPropertiesProperty(
            image=self._image(jd),
            command=list(jd.command) or None,
            resource_requirements=self._resources(jd),
            environment=self._environment(jd),
            job_role_arn=self._roles.job_role.role_arn,
            execution_role_arn=self._roles.execution_role.role_arn,
            log_configuration=batch.CfnJobDefinition.LogConfigurationProperty(
                log_driver="awslogs",
                options={"awslogs-group": log_group.log_group_name, "awslogs-stream-prefix": jd.name},
            ),
            network_configuration=(
                batch.CfnJobDefinition.NetworkConfigurationProperty(assign_public_ip="DISABLED") if fargate else None
            ),
            fargate_platform_configuration=(
                batch.CfnJobDefinition.FargatePlatformConfigurationProperty(platform_version="LATEST")
                if fargate
                else None
            ),
        )
        return batch.CfnJobDefinition(
            self,
            pascal(jd.name),
            job_definition_name=self._config.resource_name(jd.name),
            type="container",
            platform_capabilities=[jd.platform],
            container_properties=container,
            retry_strategy=self._retry_strategy(jd),
            timeout=batch.CfnJobDefinition.TimeoutProperty(attempt_duration_seconds=jd.timeout) if jd.timeout else None,
            # Tags of the job definition and of the submission (the submitter, for one) reach the ECS task.
            propagate_tags=True,
        )
