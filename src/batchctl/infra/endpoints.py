"""VPC endpoints: private subnets reach S3, ECR, ECS, CloudWatch Logs and SSM without the internet."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

# What a Batch container instance or Fargate task needs to start a job and report on it. STS is not
# here: jobs get their role's credentials from the ECS agent (through the ecs endpoints), not from STS.
# Nor is SSM: Session Manager would need ssm, ssmmessages and ec2messages (three more endpoints per zone)
# and no job needs it; with a NAT, instances still reach SSM through it.
# https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html
INTERFACE_SERVICES: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Ecs": ec2.InterfaceVpcEndpointAwsService.ECS,
    "EcsAgent": ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
    "EcsTelemetry": ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
}


class Endpoints(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        private_subnets: Sequence[ec2.ISubnet],
        compute_security_group: ec2.ISecurityGroup,
        security_group_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        subnets = ec2.SubnetSelection(subnets=list(private_subnets))
        # S3 (images layers from ECR, job data) goes through the route tables: free and unmetered.
        self.s3 = ec2.GatewayVpcEndpoint(
            self, "S3", vpc=vpc, service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[subnets]
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            security_group_name=security_group_name,
            description="VPC interface endpoints: HTTPS from the Batch compute security group only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            compute_security_group, ec2.Port.tcp(443), "HTTPS from Batch compute instances and tasks"
        )
        self.interfaces = {
            construct_name: ec2.InterfaceVpcEndpoint(
                self,
                construct_name,
                vpc=vpc,
                service=service,
                subnets=subnets,
                private_dns_enabled=True,
                security_groups=[self.security_group],
                # Not open to the whole VPC CIDR: only the rule above.
                open=False,
            )
            for construct_name, service in INTERFACE_SERVICES.items()
        }
