"""AWS regions as botocore knows them (its endpoints data, shipped with the pinned botocore): no API call.

A region AWS does not have fails only later and obscurely (a DNS error, or the local emulator's HTML error page),
so the config's `region`, `--region` and `AWS_REGION` are checked against this list first.
"""

from __future__ import annotations

from functools import lru_cache

from batchctl.config.suggest import closest

EXAMPLES = ("us-east-1", "eu-west-1", "ap-southeast-2")
DEFAULT_REGION = "us-east-1"  # batchctl.yaml without `region:`


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    from batchctl.aws.botocore_data import shared_loader

    endpoints = shared_loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition.get("regions", {}))


def region_problem(name: str) -> str | None:
    """Why `name` is not an AWS region (with the closest one and examples), or None."""
    if name in known_regions():
        return None
    match = closest(name.strip().lower(), sorted(known_regions()))
    suggestion = f'did you mean "{match}"? ' if match else ""
    return f"not an AWS region ({suggestion}regions look like {', '.join(EXAMPLES)})"
