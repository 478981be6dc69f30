"""Turn `network.availability_zones` (a count or a list) into zone names."""

from __future__ import annotations

import string

from batchctl.aws.errors import aws_call
from batchctl.aws.session import Aws
from batchctl.config import ClusterConfig, Finding, Level
from batchctl.errors import ConfigError


def offline_zones(config: ClusterConfig) -> list[str]:
    """Zone names without asking AWS (synth, validate): a list as given, a count as <region>a, b, ..."""
    zones = config.network.availability_zones
    if isinstance(zones, list):
        return list(zones)
    return [f"{config.region}{letter}" for letter in string.ascii_lowercase[:zones]]


@aws_call
def resolve_zones(config: ClusterConfig, aws: Aws) -> tuple[list[str], list[Finding]]:
    """Zone names checked against what the region offers; a count is capped with a finding."""
    response = aws.client("ec2").describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]
    )
    available = sorted(zone["ZoneName"] for zone in response["AvailabilityZones"])
    wanted = config.network.availability_zones
    if isinstance(wanted, list):
        missing = [zone for zone in wanted if zone not in available]
        if missing:
            raise ConfigError(
                f"network.availability_zones: {', '.join(missing)} not available in {config.region}",
                hint=f"choose from {', '.join(available)}",
            )
        return list(wanted), []
    if wanted > len(available):
        finding = Finding(
            Level.WARNING,
            "network.availability_zones",
            f"{wanted} zones asked, {config.region} offers {len(available)}: using {len(available)}",
        )
        return available, [finding]
    return available[:wanted], []
