"""IAM roles of the cluster: what Batch, EC2, ECS and the jobs themselves may do."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from batchctl.config.models import ClusterConfig, ComputeType
from batchctl.infra.acknowledgements import acknowledge_managed_policy, acknowledge_wildcard_resources
from batchctl.infra.storage import BucketAccess, Storage
from batchctl.infra.update_rules import needs_spot_fleet_role

SPOT_FLEET_POLICY = "service-role/AmazonEC2SpotFleetTaggingRole"
CONTAINER_INSTANCE_POLICY = "service-role/AmazonEC2ContainerServiceforEC2Role"
SSM_MANAGED_INSTANCE_POLICY = "AmazonSSMManagedInstanceCore"
TASK_EXECUTION_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"

MANAGED_POLICY_REASON = (
    "An AWS managed service-role policy: AWS keeps it in step with what the service needs, "
    "which a hand-copied policy would not."
)

JOB_ROLE_POLICY_NAME = "JobAccess"

# The runner reads its own job's name with it (see batchctl.runner.jobname).
DESCRIBE_JOBS_SID = "DescribeJobs"


def job_role_statements(
    read_buckets: Sequence[BucketAccess], read_write_buckets: Sequence[BucketAccess], log_groups_arn: str
) -> list[iam.PolicyStatement]:
    """Least privilege for a job: list its buckets, read or read-write their objects, write its logs, and
    describe jobs (the runner names a job submitted by another tool from DescribeJobs on its own id).

    Only batch:DescribeJobs has a bare `*` resource: it supports no resource-level permissions
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html), and it only reads.
    """
    all_buckets = [*read_buckets, *read_write_buckets]
    statements = []
    if all_buckets:
        statements.append(
            iam.PolicyStatement(
                sid="ListClusterBuckets", actions=["s3:ListBucket"], resources=[bucket.arn for bucket in all_buckets]
            )
        )
    if read_buckets:
        statements.append(
            iam.PolicyStatement(
                sid="ReadObjects",
                actions=["s3:GetObject"],
                resources=[bucket.objects_arn for bucket in read_buckets],
            )
        )
    if read_write_buckets:
        statements.append(
            iam.PolicyStatement(
                sid="ReadWriteObjects",
                # PutObject also covers creating, uploading and completing multipart uploads.
                actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                resources=[bucket.objects_arn for bucket in read_write_buckets],
            )
        )
    statements.append(
        iam.PolicyStatement(
            sid="WriteClusterLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_groups_arn],
        )
    )
    statements.append(iam.PolicyStatement(sid=DESCRIBE_JOBS_SID, actions=["batch:DescribeJobs"], resources=["*"]))
    return statements


def _service_role(scope: Construct, construct_id: str, service: str, description: str, policies: list[str]) -> iam.Role:
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(service),
        description=description,
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in policies],
    )
    for name in policies:
        acknowledge_managed_policy(role, name, MANAGED_POLICY_REASON)
    return role


class ClusterRoles(Construct):
    """Roles are left unnamed: IAM names are global to the account, so CloudFormation makes them unique."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ClusterConfig, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        types = {ce.type for ce in config.compute_environments}
        uses_instances = bool(types & {ComputeType.SPOT, ComputeType.EC2})

        self.spot_fleet_role = (
            _service_role(
                self,
                "SpotFleetRole",
                "spotfleet.amazonaws.com",
                f"EC2 Spot Fleet requests and tags spot instances for cluster {config.name}",
                [SPOT_FLEET_POLICY],
            )
            if any(needs_spot_fleet_role(ce) for ce in config.compute_environments)
            else None
        )
        self.instance_role = (
            _service_role(
                self,
                "InstanceRole",
                "ec2.amazonaws.com",
                f"ECS container instances of cluster {config.name} (agent, image pulls, logs, SSM)",
                [CONTAINER_INSTANCE_POLICY, SSM_MANAGED_INSTANCE_POLICY],
            )
            if uses_instances
            else None
        )
        self.instance_profile = (
            iam.InstanceProfile(self, "InstanceProfile", role=self.instance_role) if self.instance_role else None
        )
        self.execution_role = _service_role(
            self,
            "ExecutionRole",
            "ecs-tasks.amazonaws.com",
            f"ECS pulls job images and ships job logs for cluster {config.name}",
            [TASK_EXECUTION_POLICY],
        )

        log_groups_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"/{config.name}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.job_role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"Jobs of cluster {config.name}: their buckets and log groups, nothing else",
            inline_policies={
                JOB_ROLE_POLICY_NAME: iam.PolicyDocument(
                    statements=job_role_statements(storage.read_buckets, storage.read_write_buckets, log_groups_arn)
                )
            },
        )
        # Object and log-stream names are the jobs' own business, so these ARNs end in `*`: each is
        # confined to one bucket or to the cluster's log groups.
        acknowledge_wildcard_resources(
            self.job_role,
            [bucket.objects_arn for bucket in [*storage.read_buckets, *storage.read_write_buckets]] + [log_groups_arn],
            "Wildcard only over object keys of one cluster bucket, or log streams of the cluster's log groups.",
        )
        acknowledge_wildcard_resources(
            self.job_role,
            ["*"],
            "batch:DescribeJobs supports no resource-level permissions; it only reads job descriptions.",
        )
