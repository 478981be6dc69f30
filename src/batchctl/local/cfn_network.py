"""Deletion of the VPC plumbing moto's CloudFormation creates but never deletes.

Route tables, routes, subnet associations, internet gateways and gateway attachments have no delete handler in
moto, so a stack deletion forgot them while they stayed in EC2, and the VPC, still holding them, could not be
deleted. Each function deletes one kind the way the EC2 API would; moto's stack deletion retries a resource that
fails with a dependency error, so the attachment goes before its gateway and the route before its table.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment


def _ec2(account_id: str, region_name: str) -> Any:
    return ec2_backends[account_id][region_name]


def delete_route_table(route_table: RouteTable, account_id: str, region_name: str) -> None:
    ec2 = _ec2(account_id, region_name)
    if route_table.id in ec2.route_tables:
        ec2.delete_route_table(route_table.id)


def delete_route(route: Route, account_id: str, region_name: str) -> None:
    ec2 = _ec2(account_id, region_name)
    if route.route_table.id in ec2.route_tables:
        route.route_table._routes.pop(route.id, None)


def delete_subnet_route_table_association(
    association: SubnetRouteTableAssociation, account_id: str, region_name: str
) -> None:
    # moto records the association without associating the table, so only the record goes.
    _ec2(account_id, region_name).subnet_associations.pop(f"{association.route_table_id}:{association.subnet_id}", None)


def delete_internet_gateway(gateway: InternetGateway, account_id: str, region_name: str) -> None:
    ec2 = _ec2(account_id, region_name)
    if gateway.id in ec2.internet_gateways:
        ec2.delete_internet_gateway(gateway.id)  # refuses while attached: the attachment goes first


def delete_gateway_attachment(attachment: VPCGatewayAttachment, account_id: str, region_name: str) -> None:
    """Detach an internet gateway (VPN gateway attachments, which moto records without a gateway id, are left)."""
    ec2 = _ec2(account_id, region_name)
    gateway = ec2.internet_gateways.get(attachment.gateway_id or "")
    if gateway is not None and gateway.vpc is not None and gateway.vpc.id == attachment.vpc_id:
        ec2.detach_internet_gateway(gateway.id, attachment.vpc_id)
