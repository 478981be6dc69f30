"""The cluster's network: a VPC with a public (gateway) and a private (compute) subnet per zone,
the chosen way out to the internet, optional VPC endpoints, and the compute security group."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnResource, Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from batchctl.config.models import ClusterConfig, Egress, NatGatewayLayout
from batchctl.infra.acknowledgements import accept_explicit_zone, acknowledge
from batchctl.infra.cidr import plan_subnets
from batchctl.infra.endpoints import Endpoints
from batchctl.infra.nat_instance import NatInstance

ANYWHERE = "0.0.0.0/0"


def _accept_explicit_zone(subnet: ec2.Subnet) -> None:
    resource = subnet.node.default_child
    assert isinstance(resource, CfnResource)
    accept_explicit_zone(resource)


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClusterConfig,
        availability_zones: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        network = config.network
        zones = list(availability_zones)
        plan = plan_subnets(network.vpc_cidr, len(zones))

        # The subnets are laid out here from the CIDR plan, not by ec2.Vpc, so that validation can
        # compute the same plan without CDK.
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=config.name,
            ip_addresses=ec2.IpAddresses.cidr(network.vpc_cidr),
            availability_zones=zones,
            subnet_configuration=[],
            nat_gateways=0,
            # CDK would empty the default security group with a Lambda-backed custom resource (an
            # asset); the group is unused here, nothing is ever placed in it.
            restrict_default_security_group=False,
        )
        acknowledge(
            self.vpc,
            "AwsSolutions-VPC7",
            "Flow logs are left to the account's network logging policy; the cluster has no flow-log setting.",
        )

        self.compute_security_group = ec2.SecurityGroup(
            self,
            "ComputeSecurityGroup",
            vpc=self.vpc,
            security_group_name=config.resource_name("compute"),
            description="Batch compute instances and Fargate tasks: outbound only",
            allow_all_outbound=True,
        )

        self.private_subnets: list[ec2.PrivateSubnet] = []
        self.public_subnets: list[ec2.PublicSubnet] = []
        internet_gateway = self._internet_gateway() if network.egress != Egress.NONE else None
        for zone, cidrs in zip(zones, plan, strict=True):
            number = cidrs.zone_index + 1
            private = ec2.PrivateSubnet(
                self,
                f"PrivateSubnet{number}",
                vpc_id=self.vpc.vpc_id,
                availability_zone=zone,
                cidr_block=cidrs.private,
                map_public_ip_on_launch=False,
            )
            Tags.of(private).add("Name", config.resource_name(f"private-{zone}"))
            _accept_explicit_zone(private)
            self.private_subnets.append(private)
            if internet_gateway:
                gateway, attachment = internet_gateway
                public = ec2.PublicSubnet(
                    self,
                    f"PublicSubnet{number}",
                    vpc_id=self.vpc.vpc_id,
                    availability_zone=zone,
                    cidr_block=cidrs.public,
                    map_public_ip_on_launch=True,
                )
                public.add_default_internet_route(gateway.ref, attachment)
                Tags.of(public).add("Name", config.resource_name(f"public-{zone}"))
                _accept_explicit_zone(public)
                self.public_subnets.append(public)

        self.nat_security_group: ec2.SecurityGroup | None = None
        self.nat_instances: list[NatInstance] = []
        self.nat_gateways: list[ec2.CfnNatGateway] = []
        if network.egress == Egress.NAT_INSTANCE:
            self._route_through_nat_instances()
        elif network.egress == Egress.NAT_GATEWAY:
            self._route_through_nat_gateways(network.nat_gateways)

        self.endpoints = (
            Endpoints(
                self,
                "Endpoints",
                vpc=self.vpc,
                private_subnets=self.private_subnets,
                compute_security_group=self.compute_security_group,
                security_group_name=config.resource_name("endpoints"),
            )
            if network.endpoints
            else None
        )

    def _internet_gateway(self) -> tuple[ec2.CfnInternetGateway, ec2.CfnVPCGatewayAttachment]:
        gateway = ec2.CfnInternetGateway(self, "InternetGateway")
        attachment = ec2.CfnVPCGatewayAttachment(
            self, "InternetGatewayAttachment", vpc_id=self.vpc.vpc_id, internet_gateway_id=gateway.ref
        )
        return gateway, attachment

    def _route_through_nat_instances(self) -> None:
        config = self._config
        security_group = ec2.SecurityGroup(
            self,
            "NatSecurityGroup",
            vpc=self.vpc,
            security_group_name=config.resource_name("nat"),
            description="NAT instances: forward traffic from the Batch compute security group only",
            allow_all_outbound=True,
        )
        security_group.add_ingress_rule(
            self.compute_security_group, ec2.Port.all_traffic(), "Traffic from Batch compute to the internet"
        )
        self.nat_security_group = security_group
        for number, (public, private) in enumerate(zip(self.public_subnets, self.private_subnets, strict=True), 1):
            nat = NatInstance(
                self,
                f"NatInstance{number}",
                vpc=self.vpc,
                subnet=public,
                security_group=security_group,
                instance_type=config.network.nat_instance_type,
                vpc_cidr=config.network.vpc_cidr,
                name=config.resource_name(f"nat-{public.availability_zone}"),
            )
            private.add_route(
                "DefaultRoute",
                router_id=nat.instance.instance_id,
                router_type=ec2.RouterType.INSTANCE,
                destination_cidr_block=ANYWHERE,
                enables_internet_connectivity=True,
            )
            self.nat_instances.append(nat)

    def _route_through_nat_gateways(self, layout: NatGatewayLayout | str) -> None:
        gateway_subnets = self.public_subnets if layout == NatGatewayLayout.PER_ZONE else self.public_subnets[:1]
        self.nat_gateways = [public.add_nat_gateway() for public in gateway_subnets]
        for index, private in enumerate(self.private_subnets):
            # With a single gateway, every zone goes through the first zone's.
            gateway = self.nat_gateways[min(index, len(self.nat_gateways) - 1)]
            private.add_default_nat_route(gateway.ref)
