"""Semantic checks: rules that relate several settings, reported together as findings."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from ipaddress import IPv4Network

from batchctl.config import instance_types
from batchctl.config.findings import Finding, Level
from batchctl.config.models import ClusterConfig, ComputeEnvironment, ComputeType, Egress, JobDefinition
from batchctl.config.suggest import did_you_mean
from batchctl.infra.cidr import smallest_vpc_prefix_length
from batchctl.outputs import pascal

# No AWS region has more availability zones than this (us-east-1 has six). Offline, a longer list is known to
# be wrong; deploy and diff check each listed zone against what the region really offers.
MAX_ZONES_IN_A_REGION = 6

Check = Callable[[ClusterConfig], Iterator[Finding]]


def check_config(config: ClusterConfig) -> list[Finding]:
    """Every finding of every check, errors first."""
    findings = [finding for check in CHECKS for finding in check(config)]
    return sorted(findings, key=lambda finding: -finding.level)


def _unique_names(config: ClusterConfig) -> Iterator[Finding]:
    groups = {
        "compute_environments": [ce.name for ce in config.compute_environments],
        "queues": [queue.name for queue in config.queues],
        "job_definitions": [jd.name for jd in config.job_definitions],
    }
    for section, names in groups.items():
        for name, count in Counter(names).items():
            if count > 1:
                yield Finding(Level.ERROR, section, f"name {name!r} is used {count} times", "names must be unique")
        # Stack output keys are derived from names with hyphens dropped: "cpu-1" and "cpu1" would collide.
        by_key: dict[str, list[str]] = {}
        for name in set(names):
            by_key.setdefault(pascal(name), []).append(name)
        for clashing in by_key.values():
            if len(clashing) > 1:
                yield Finding(
                    Level.ERROR,
                    section,
                    f"names {sorted(clashing)} differ only by hyphens",
                    "rename one of them",
                )


def _compute_environment_capacity(config: ClusterConfig) -> Iterator[Finding]:
    for index, ce in enumerate(config.compute_environments):
        path = f"compute_environments[{index}]"
        if ce.max_vcpus < ce.min_vcpus:
            yield Finding(
                Level.ERROR,
                f"{path}.max_vcpus",
                f"max_vcpus ({ce.max_vcpus}) is smaller than min_vcpus ({ce.min_vcpus})",
                "raise max_vcpus or lower min_vcpus",
            )
        if ce.desired_vcpus is not None and not ce.min_vcpus <= ce.desired_vcpus <= ce.max_vcpus:
            yield Finding(
                Level.ERROR, f"{path}.desired_vcpus", "desired_vcpus must lie between min_vcpus and max_vcpus"
            )
        if ce.min_vcpus > 0:
            yield Finding(
                Level.INFO,
                f"{path}.min_vcpus",
                f"{ce.min_vcpus} vCPUs keep running (and billing) while no job waits",
            )
        yield from _instance_type_rules(ce, path)


def _instance_type_rules(ce: ComputeEnvironment, path: str) -> Iterator[Finding]:
    if ce.is_fargate:
        if ce.gpu:
            yield Finding(
                Level.ERROR, f"{path}.gpu", "Fargate compute environments have no GPUs", "use type SPOT or EC2"
            )
        return
    if not ce.instance_types:
        yield Finding(Level.ERROR, f"{path}.instance_types", "no instance types given", "e.g. [m6i, c6i] or [optimal]")
    if ce.gpu:
        not_gpu = [name for name in ce.instance_types if not instance_types.is_gpu(name)]
        if not_gpu:
            yield Finding(
                Level.ERROR,
                f"{path}.instance_types",
                f"gpu: true but {', '.join(not_gpu)} {'has' if len(not_gpu) == 1 else 'have'} no GPU",
                f"use GPU families such as {', '.join(instance_types.GPU_FAMILIES[6:9])}",
            )
    elif any(instance_types.is_gpu(name) for name in ce.instance_types):
        yield Finding(
            Level.WARNING,
            f"{path}.gpu",
            "GPU instance types without gpu: true: instances would boot the non-GPU AMI",
            "set gpu: true",
        )


def _queues(config: ClusterConfig) -> Iterator[Finding]:
    known = [ce.name for ce in config.compute_environments]
    for index, queue in enumerate(config.queues):
        path = f"queues[{index}].compute_environments"
        if not queue.compute_environments:
            yield Finding(Level.ERROR, path, f"queue {queue.name!r} has no compute environment", f"add one of {known}")
            continue
        for name in queue.compute_environments:
            if name not in known:
                yield Finding(
                    Level.ERROR,
                    path,
                    f"queue {queue.name!r} names unknown compute environment {name!r}{did_you_mean(name, known)}",
                    f"known: {', '.join(known)}",
                )
        if len(queue.compute_environments) > 3:
            yield Finding(Level.ERROR, path, "AWS Batch allows at most 3 compute environments per queue")
        ces = [ce for ce in (config.compute_environment(name) for name in queue.compute_environments) if ce]
        if len({ce.is_fargate for ce in ces}) > 1:
            yield Finding(
                Level.ERROR,
                path,
                f"queue {queue.name!r} mixes Fargate and EC2 compute environments (AWS Batch does not allow it)",
                "use two queues",
            )
        if len({ce.gpu for ce in ces}) > 1:
            yield Finding(Level.WARNING, path, f"queue {queue.name!r} mixes GPU and CPU compute environments")


def _job_definitions(config: ClusterConfig) -> Iterator[Finding]:
    for index, jd in enumerate(config.job_definitions):
        path = f"job_definitions[{index}]"
        yield from _job_fits_somewhere(config, jd, path)


def _job_fits_somewhere(config: ClusterConfig, jd: JobDefinition, path: str) -> Iterator[Finding]:
    fargate = jd.platform == "FARGATE"
    candidates = [ce for ce in config.compute_environments if ce.is_fargate == fargate]
    if not candidates:
        kind = "Fargate" if fargate else "EC2 or SPOT"
        yield Finding(
            Level.ERROR,
            f"{path}.platform",
            f"platform {jd.platform} but no {kind} compute environment exists",
            "add one, or change platform",
        )
        return
    if jd.gpus:
        if fargate:
            yield Finding(
                Level.ERROR, f"{path}.gpus", "Fargate jobs cannot use GPUs", "use platform EC2 and a GPU queue"
            )
        elif not any(ce.gpu for ce in candidates):
            yield Finding(
                Level.ERROR,
                f"{path}.gpus",
                f"asks for {jd.gpus} GPU(s) but no compute environment has gpu: true",
                "add a GPU compute environment",
            )
    if all(jd.vcpus > ce.max_vcpus for ce in candidates):
        yield Finding(
            Level.ERROR,
            f"{path}.vcpus",
            f"{jd.vcpus} vCPUs exceed max_vcpus of every compute environment: jobs would stay RUNNABLE forever",
        )
    if not fargate:
        yield from _memory_fits(jd, candidates, path)


def _memory_fits(jd: JobDefinition, candidates: list[ComputeEnvironment], path: str) -> Iterator[Finding]:
    # Only explicit sizes tell the largest memory on offer; a family (m6i) or "optimal" can grow.
    sizes = [instance_types.describe(name) for ce in candidates for name in ce.instance_types]
    if not sizes or any(size is None for size in sizes):
        return
    largest = max(size.memory_mib for size in sizes if size is not None)
    # The ECS agent and the OS keep some memory: a job asking for the whole instance never fits.
    usable = int(largest * 0.93)
    if jd.memory > usable:
        yield Finding(
            Level.ERROR,
            f"{path}.memory",
            f"{jd.memory} MiB is more than any instance type offered can give a job (about {usable} MiB)",
            "lower memory or add a larger instance type",
        )


def _network(config: ClusterConfig) -> Iterator[Finding]:
    network = config.network
    if network.egress == Egress.NONE and not network.endpoints:
        yield Finding(
            Level.ERROR,
            "network.egress",
            "egress none without endpoints: instances could not pull images, join ECS or write logs",
            "set network.endpoints: true, or egress nat-instance / nat-gateway",
        )
    if isinstance(network.availability_zones, list) and len(network.availability_zones) > MAX_ZONES_IN_A_REGION:
        yield Finding(
            Level.ERROR,
            "network.availability_zones",
            f"lists {len(network.availability_zones)} zones; no AWS region has more than {MAX_ZONES_IN_A_REGION}",
            "list fewer zones, or give a count (it is capped to what the region offers)",
        )
    if isinstance(network.availability_zones, list):
        foreign = [zone for zone in network.availability_zones if not zone.startswith(config.region)]
        if foreign:
            yield Finding(
                Level.ERROR,
                "network.availability_zones",
                f"{', '.join(foreign)} {'is' if len(foreign) == 1 else 'are'} not in region {config.region}",
            )
    zones = network.availability_zones
    count = zones if isinstance(zones, int) else len(zones)
    smallest = smallest_vpc_prefix_length(count)
    if IPv4Network(network.vpc_cidr).prefixlen > smallest:
        yield Finding(
            Level.ERROR,
            "network.vpc_cidr",
            f"{network.vpc_cidr} is too small for {count} zones (a public and a private subnet each)",
            f"use a /{smallest} or larger",
        )
    if count == 1:
        yield Finding(Level.INFO, "network.availability_zones", "one zone: a zone outage stops the cluster")
    if network.egress == Egress.NAT_INSTANCE:
        yield Finding(
            Level.INFO,
            "network.egress",
            "NAT instances carry all traffic to S3 and ECR: fine for a demo, a bottleneck at scale",
            "use endpoints: true for production",
        )
    uses_fargate = any(ce.is_fargate for ce in config.compute_environments)
    if uses_fargate and network.egress == Egress.NONE and not network.endpoints:
        yield Finding(Level.ERROR, "network", "Fargate jobs need egress or endpoints to pull images")


def _storage(config: ClusterConfig) -> Iterator[Finding]:
    storage = config.storage
    if not storage.create_buckets and not storage.read_write:
        yield Finding(
            Level.ERROR,
            "storage.read_write",
            "create_buckets is false and no read_write bucket is given: job outputs have nowhere to go",
            "list a read_write bucket, or set create_buckets: true",
        )
    if storage.outputs_bucket and storage.outputs_bucket not in storage.read_write:
        yield Finding(
            Level.ERROR,
            "storage.outputs_bucket",
            f"{storage.outputs_bucket!r} is not one of the read_write buckets",
            f"choose one of {storage.read_write}",
        )
    if storage.create_buckets and storage.outputs_bucket:
        yield Finding(Level.WARNING, "storage.outputs_bucket", "ignored: the cluster's own outputs bucket is used")
    both = set(storage.read_only) & set(storage.read_write)
    if both:
        yield Finding(Level.WARNING, "storage.read_only", f"{sorted(both)} also listed read_write: read_write wins")


def _spot_settings(config: ClusterConfig) -> Iterator[Finding]:
    for index, ce in enumerate(config.compute_environments):
        strategy = ce.allocation_strategy
        if strategy and strategy.startswith("SPOT") and ce.type != ComputeType.SPOT:
            yield Finding(
                Level.ERROR,
                f"compute_environments[{index}].allocation_strategy",
                f"{strategy} applies to SPOT compute environments only",
                "use BEST_FIT_PROGRESSIVE",
            )


# A private ECR image reference: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@digest].
_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


def _images_reachable_without_egress(config: ClusterConfig) -> Iterator[Finding]:
    """With egress none, instances reach only the VPC endpoints: an image outside private ECR (Docker Hub,
    public.ecr.aws, ...) can never be pulled. https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
    """
    if config.network.egress != Egress.NONE:
        return
    for index, jd in enumerate(config.job_definitions):
        if not jd.is_repository_tag and not _ECR_IMAGE.match(jd.image):
            yield Finding(
                Level.ERROR,
                f"job_definitions[{index}].image",
                f"{jd.image} is not in ECR and egress is none: no instance could pull it",
                "push the image to the cluster's repository and name its tag, or choose an egress",
            )


def _updatable_allocation_strategy(config: ClusterConfig) -> Iterator[Finding]:
    """BEST_FIT supports no infrastructure update: a later change of instance types, launch template, subnets, tags,
    ... would need a new compute environment, which `deploy` refuses for a named one.
    https://docs.aws.amazon.com/batch/latest/userguide/infrastructure-updates.html
    """
    for index, ce in enumerate(config.compute_environments):
        if ce.allocation_strategy == "BEST_FIT":
            yield Finding(
                Level.WARNING,
                f"compute_environments[{index}].allocation_strategy",
                "BEST_FIT supports no in-place update: changing instance types, root_volume_gb, zones or tags later "
                "needs a new compute environment (a new name)",
                "use BEST_FIT_PROGRESSIVE (on-demand) or SPOT_PRICE_CAPACITY_OPTIMIZED (spot)",
            )


CHECKS: tuple[Check, ...] = (
    _unique_names,
    _compute_environment_capacity,
    _queues,
    _job_definitions,
    _network,
    _storage,
    _spot_settings,
    _images_reachable_without_egress,
    _updatable_allocation_strategy,
)
