"""The network unit on a bare stack, across zones x egress x endpoints."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from tests.unit.infra_fixtures import (
    DEMO,
    ONE_ZONE,
    THREE_ZONES,
    config,
    construct_template,
    get_att,
    logical_id,
    ref,
    resources,
)

from batchctl.infra.cidr import plan_subnets
from batchctl.infra.endpoints import INTERFACE_SERVICES
from batchctl.infra.network import Network

EGRESS = [("nat-instance", "per-zone"), ("nat-gateway", "per-zone"), ("nat-gateway", "single"), ("none", "per-zone")]
MATRIX = [
    (zones, egress, layout, endpoints)
    for zones in (ONE_ZONE, THREE_ZONES)
    for egress, layout in EGRESS
    for endpoints in (False, True)
]
IDS = [f"{len(z)}zone-{e}-{lay}-{'endpoints' if ep else 'noendpoints'}" for z, e, lay, ep in MATRIX]
VPC_CIDR = "10.0.0.0/16"


@functools.cache
def network_template(zones: tuple[str, ...], egress: str, layout: str, endpoints: bool) -> dict[str, Any]:
    cluster = config(
        DEMO,
        network={
            "availability_zones": len(zones),
            "vpc_cidr": VPC_CIDR,
            "egress": egress,
            "nat_gateways": layout,
            "endpoints": endpoints,
        },
    )
    return construct_template(lambda stack: Network(stack, "Network", config=cluster, availability_zones=list(zones)))


@pytest.fixture(params=MATRIX, ids=IDS)
def case(request: pytest.FixtureRequest) -> tuple[list[str], str, str, bool, dict[str, Any]]:
    zones, egress, layout, endpoints = request.param
    return zones, egress, layout, endpoints, network_template(tuple(zones), egress, layout, endpoints)


def _subnet(template: dict[str, Any], kind: str, number: int) -> str:
    return logical_id(template, f"Network{kind}Subnet{number}Subnet")


def _route_table(template: dict[str, Any], kind: str, number: int) -> str:
    return logical_id(template, f"Network{kind}Subnet{number}RouteTable")


def _default_routes(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Route table logical ID -> properties of its 0.0.0.0/0 route."""
    return {
        route["Properties"]["RouteTableId"]["Ref"]: route["Properties"]
        for route in resources(template, "AWS::EC2::Route").values()
        if route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    }


def test_subnets_follow_the_cidr_plan(case: Any) -> None:
    zones, egress, _, _, template = case
    plan = plan_subnets(VPC_CIDR, len(zones))
    subnets = resources(template, "AWS::EC2::Subnet")
    with_public = egress != "none"
    assert len(subnets) == len(zones) * (2 if with_public else 1)
    for number, (zone, cidrs) in enumerate(zip(zones, plan, strict=True), 1):
        private = subnets[_subnet(template, "Private", number)]["Properties"]
        assert (private["AvailabilityZone"], private["CidrBlock"], private["MapPublicIpOnLaunch"]) == (
            zone,
            cidrs.private,
            False,
        )
        if with_public:
            public = subnets[_subnet(template, "Public", number)]["Properties"]
            assert (public["AvailabilityZone"], public["CidrBlock"], public["MapPublicIpOnLaunch"]) == (
                zone,
                cidrs.public,
                True,
            )
    vpc = next(iter(resources(template, "AWS::EC2::VPC").values()))["Properties"]
    assert vpc["CidrBlock"] == VPC_CIDR
    assert vpc["EnableDnsHostnames"] is vpc["EnableDnsSupport"] is True  # private DNS of endpoints needs both


def test_zone_names_are_accepted_by_cfn_lint(case: Any) -> None:
    *_, template = case
    for resource in template["Resources"].values():
        if "AvailabilityZone" in resource.get("Properties", {}):
            assert resource["Metadata"]["cfn-lint"]["config"]["ignore_checks"] == ["W3010"]


def test_public_subnets_route_to_the_internet_gateway(case: Any) -> None:
    zones, egress, _, _, template = case
    gateways = resources(template, "AWS::EC2::InternetGateway")
    if egress == "none":
        assert gateways == {}
        assert resources(template, "AWS::EC2::VPCGatewayAttachment") == {}
        return
    (gateway,) = gateways
    routes = _default_routes(template)
    for number in range(1, len(zones) + 1):
        assert routes[_route_table(template, "Public", number)]["GatewayId"] == ref(gateway)


def test_private_subnets_default_route(case: Any) -> None:
    zones, egress, layout, _, template = case
    routes = _default_routes(template)
    private_tables = [_route_table(template, "Private", number) for number in range(1, len(zones) + 1)]
    if egress == "none":
        assert not set(private_tables) & set(routes)
        assert resources(template, "AWS::EC2::NatGateway") == {}
        assert resources(template, "AWS::EC2::Instance") == {}
        return
    for number, table in enumerate(private_tables, 1):
        route = routes[table]
        if egress == "nat-instance":
            # Through the NAT instance of the same zone.
            assert set(route) == {"RouteTableId", "DestinationCidrBlock", "InstanceId"}
            assert route["InstanceId"] == ref(logical_id(template, f"NetworkNatInstance{number}Instance"))
        else:
            gateway_zone = number if layout == "per-zone" else 1
            assert set(route) == {"RouteTableId", "DestinationCidrBlock", "NatGatewayId"}
            assert route["NatGatewayId"] == ref(logical_id(template, f"NetworkPublicSubnet{gateway_zone}NATGateway"))


def test_nat_gateway_count(case: Any) -> None:
    zones, egress, layout, _, template = case
    expected = 0 if egress != "nat-gateway" else (len(zones) if layout == "per-zone" else 1)
    gateways = resources(template, "AWS::EC2::NatGateway")
    assert len(gateways) == expected
    assert len(resources(template, "AWS::EC2::EIP")) == expected
    for gateway in gateways.values():
        assert gateway["Properties"]["SubnetId"]["Ref"].startswith("NetworkPublicSubnet")


def test_nat_instances(case: Any) -> None:
    zones, egress, _, _, template = case
    instances = resources(template, "AWS::EC2::Instance")
    if egress != "nat-instance":
        assert instances == {}
        return
    assert len(instances) == len(zones)
    for number, zone in enumerate(zones, 1):
        nat = instances[logical_id(template, f"NetworkNatInstance{number}Instance")]["Properties"]
        assert nat["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpTokens": "required"}
        assert nat["SourceDestCheck"] is False
        assert "KeyName" not in nat
        assert nat["SubnetId"] == ref(_subnet(template, "Public", number))
        assert nat["AvailabilityZone"] == zone
        assert nat["InstanceType"] == "t3.nano"
        assert nat["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
        assert template["Parameters"][nat["ImageId"]["Ref"]]["Default"] == (
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"
        )
        user_data = "".join(nat["UserData"]["Fn::Base64"])
        assert "net.ipv4.ip_forward=1" in user_data
        assert f"-s {VPC_CIDR} -j MASQUERADE" in user_data
        # A t3.nano's memory is too small for dnf on Amazon Linux 2023 without swap; the mirrors may lag at boot.
        assert user_data.index("swapon /swapfile") < user_data.index("dnf install")
        assert "for attempt in $(seq 5); do dnf install -y iptables-services && break;" in user_data
        profile = template["Resources"][nat["IamInstanceProfile"]["Ref"]]["Properties"]
        role = template["Resources"][profile["Roles"][0]["Ref"]]["Properties"]
        assert role["ManagedPolicyArns"] == [
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore"]]}
        ]


def test_nothing_accepts_traffic_from_anywhere(case: Any) -> None:
    *_, template = case
    for group in resources(template, "AWS::EC2::SecurityGroup").values():
        assert "SecurityGroupIngress" not in group["Properties"]
    for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values():
        assert "CidrIp" not in rule["Properties"]
        assert "SourceSecurityGroupId" in rule["Properties"]


def test_security_group_rules(case: Any) -> None:
    _, egress, _, endpoints, template = case
    compute = logical_id(template, "NetworkComputeSecurityGroup")
    compute_group = template["Resources"][compute]["Properties"]
    assert compute_group["SecurityGroupEgress"] == [
        {"CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic by default", "IpProtocol": "-1"}
    ]
    rules = sorted(
        (rule["Properties"] for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values()),
        key=lambda rule: rule["GroupId"]["Fn::GetAtt"][0],
    )
    expected = []
    if endpoints:
        expected.append(
            {
                "GroupId": get_att(logical_id(template, "NetworkEndpointsSecurityGroup"), "GroupId"),
                "SourceSecurityGroupId": get_att(compute, "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "Description": "HTTPS from Batch compute instances and tasks",
            }
        )
    if egress == "nat-instance":
        expected.append(
            {
                "GroupId": get_att(logical_id(template, "NetworkNatSecurityGroup"), "GroupId"),
                "SourceSecurityGroupId": get_att(compute, "GroupId"),
                "IpProtocol": "-1",
                "Description": "Traffic from Batch compute to the internet",
            }
        )
    assert rules == expected


def test_endpoints(case: Any) -> None:
    zones, _, _, endpoints, template = case
    found = resources(template, "AWS::EC2::VPCEndpoint")
    if not endpoints:
        assert found == {}
        return
    private_subnets = [ref(_subnet(template, "Private", number)) for number in range(1, len(zones) + 1)]
    private_tables = [ref(_route_table(template, "Private", number)) for number in range(1, len(zones) + 1)]
    gateways = [
        endpoint["Properties"] for endpoint in found.values() if endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    ]
    interfaces = {
        logical: endpoint["Properties"]
        for logical, endpoint in found.items()
        if endpoint["Properties"]["VpcEndpointType"] == "Interface"
    }
    assert len(gateways) == 1
    assert gateways[0]["RouteTableIds"] == private_tables
    assert "s3" in str(gateways[0]["ServiceName"])
    assert len(interfaces) == len(INTERFACE_SERVICES) == 6
    security_group = get_att(logical_id(template, "NetworkEndpointsSecurityGroup"), "GroupId")
    services = set()
    for properties in interfaces.values():
        assert properties["PrivateDnsEnabled"] is True
        assert properties["SubnetIds"] == private_subnets
        assert properties["SecurityGroupIds"] == [security_group]
        services.add(properties["ServiceName"].rsplit(".", 1)[-1] if isinstance(properties["ServiceName"], str) else "")
    # No SSM: Session Manager would also need ssmmessages and ec2messages, and no job needs it.
    assert services == {"api", "dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs"}
