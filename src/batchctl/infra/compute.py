"""Managed compute environments: spot or on-demand EC2 instances, or Fargate capacity."""

from __future__ import annotations

from aws_cdk import CfnTag
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from batchctl.config.models import ClusterConfig, ComputeEnvironment, ComputeType
from batchctl.infra.iam import ClusterRoles
from batchctl.infra.network import Network
from batchctl.infra.tagging import cluster_tags
from batchctl.infra.update_rules import needs_spot_fleet_role
from batchctl.outputs import pascal

# Root device of the ECS-optimized Amazon Linux AMIs that Batch picks.
ROOT_DEVICE = "/dev/xvda"
# Instance metadata answers the host only: jobs get their role's credentials from the ECS agent's endpoint
# (169.254.170.2), not from the instance role, and with one hop a container cannot reach the instance's.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
METADATA_HOP_LIMIT = 1
# An infrastructure update (new instance types, launch template version, subnets, ...) lets running jobs finish
# for this long (the most Batch accepts) before it replaces their instances; it never terminates them at once.
# https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdatePolicy.html
UPDATE_JOB_TIMEOUT_MINUTES = 360
# The ECS-optimized AMIs Batch picks. Amazon Linux 2 (ECS_AL2, ECS_AL2_NVIDIA) is past end of
# support: Batch blocks new compute environments on its AL2 AMIs from 2026-06-30.
CPU_IMAGE_TYPE = "ECS_AL2023"
GPU_IMAGE_TYPE = "ECS_AL2023_NVIDIA"


class ComputeEnvironments(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClusterConfig, network: Network, roles: ClusterRoles
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._roles = roles
        # Instances and Fargate tasks live in the private subnets, behind the compute security group.
        self._subnet_ids = [subnet.subnet_id for subnet in network.private_subnets]
        self._security_group_ids = [network.compute_security_group.security_group_id]
        self.launch_templates: dict[str, ec2.CfnLaunchTemplate] = {}
        self.by_name: dict[str, batch.CfnComputeEnvironment] = {}
        for ce in config.compute_environments:
            resources = self._fargate_resources(ce) if ce.is_fargate else self._instance_resources(ce)
            self.by_name[ce.name] = batch.CfnComputeEnvironment(
                self,
                pascal(ce.name),
                compute_environment_name=config.resource_name(ce.name),
                type="MANAGED",
                state="ENABLED",
                # No ServiceRole on purpose: Batch then uses its service-linked role AWSServiceRoleForBatch
                # (creating it on first use), the only role with which a compute environment's instance types,
                # launch template or subnets can be updated in place; with a custom role CloudFormation must
                # replace the environment, which fails for an explicitly named one.
                compute_resources=resources,
                # A fixed name means CloudFormation cannot replace the environment ("cannot update a stack when a
                # custom-named resource requires replacing"): with ReplaceComputeEnvironment false, changes Batch
                # can make through an infrastructure update are made in place instead of by replacement.
                # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-batch-computeenvironment.html
                replace_compute_environment=False,
                # Fargate environments have no instances to replace, hence no infrastructure update policy.
                update_policy=None
                if ce.is_fargate
                else batch.CfnComputeEnvironment.UpdatePolicyProperty(
                    job_execution_timeout_minutes=UPDATE_JOB_TIMEOUT_MINUTES, terminate_jobs_on_update=False
                ),
            )

    def _fargate_resources(self, ce: ComputeEnvironment) -> batch.CfnComputeEnvironment.ComputeResourcesProperty:
        return batch.CfnComputeEnvironment.ComputeResourcesProperty(
            type=str(ce.type),
            maxv_cpus=ce.max_vcpus,
            subnets=self._subnet_ids,
            security_group_ids=self._security_group_ids,
        )

    def _instance_resources(self, ce: ComputeEnvironment) -> batch.CfnComputeEnvironment.ComputeResourcesProperty:
        roles = self._roles
        if roles.instance_profile is None:
            raise ValueError(f"compute environment {ce.name!r} needs the instance profile")
        spot = ce.type == ComputeType.SPOT
        fleet_role = roles.spot_fleet_role if needs_spot_fleet_role(ce) else None
        if needs_spot_fleet_role(ce) and fleet_role is None:
            raise ValueError(f"compute environment {ce.name!r} needs the spot fleet role")
        launch_template = self._launch_template(ce)
        return batch.CfnComputeEnvironment.ComputeResourcesProperty(
            type=str(ce.type),
            allocation_strategy=ce.effective_allocation_strategy,
            instance_types=list(ce.instance_types),
            minv_cpus=ce.min_vcpus,
            maxv_cpus=ce.max_vcpus,
            desiredv_cpus=ce.desired_vcpus,
            instance_role=roles.instance_profile.instance_profile_arn,
            spot_iam_fleet_role=fleet_role.role_arn if fleet_role else None,
            bid_percentage=ce.bid_percentage if spot else None,
            launch_template=batch.CfnComputeEnvironment.LaunchTemplateSpecificationProperty(
                launch_template_id=launch_template.ref,
                # A new template version reaches the compute environment through a stack update.
                version=launch_template.attr_latest_version_number,
            ),
            ec2_configuration=[
                batch.CfnComputeEnvironment.Ec2ConfigurationObjectProperty(
                    image_type=GPU_IMAGE_TYPE if ce.gpu else CPU_IMAGE_TYPE
                )
            ],
            # Instances carry the cluster's tags (cost allocation); the environment's own tags do not reach them.
            # Unlike the environment's top-level Tags (create-only), these change through an infrastructure update.
            tags=cluster_tags(self._config),
            subnets=self._subnet_ids,
            security_group_ids=self._security_group_ids,
        )

    def _launch_template(self, ce: ComputeEnvironment) -> ec2.CfnLaunchTemplate:
        template = ec2.CfnLaunchTemplate(
            self,
            f"{pascal(ce.name)}LaunchTemplate",
            launch_template_name=self._config.resource_name(ce.name),
            # Stack tags do not reach an L1 launch template by themselves.
            tag_specifications=[
                ec2.CfnLaunchTemplate.LaunchTemplateTagSpecificationProperty(
                    resource_type="launch-template",
                    tags=[CfnTag(key=key, value=value) for key, value in cluster_tags(self._config).items()],
                )
            ],
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=METADATA_HOP_LIMIT,
                ),
                block_device_mappings=[
                    ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                        device_name=ROOT_DEVICE,
                        ebs=ec2.CfnLaunchTemplate.EbsProperty(
                            volume_size=ce.root_volume_gb,
                            volume_type="gp3",
                            encrypted=True,
                            delete_on_termination=True,
                        ),
                    )
                ],
            ),
        )
        self.launch_templates[ce.name] = template
        return template
