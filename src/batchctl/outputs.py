"""Stack output keys: the one contract between the stack (infra) and the CLI.

The CLI finds queues, job definitions, buckets and log groups through these outputs,
never by rebuilding AWS names. Kept free of aws_cdk so job commands import it cheaply.
"""

from __future__ import annotations

import re

QUEUE = "Queue"
JOB_DEFINITION = "JobDefinition"
COMPUTE_ENVIRONMENT = "ComputeEnvironment"
LOG_GROUP = "LogGroup"
BUCKET = "Bucket"
REPOSITORY_URI = "RepositoryUri"
REPOSITORY_NAME = "RepositoryName"
CLUSTER_NAME = "ClusterName"
JOB_ROLE_ARN = "JobRoleArn"
READ_ONLY_BUCKETS = "ReadOnlyBuckets"
READ_WRITE_BUCKETS = "ReadWriteBuckets"
# "true" for each queue with a fair-share policy (its jobs need a share identifier). Not prefixed with QUEUE:
# keys starting with QUEUE name queue ARNs.
FAIR_SHARE_QUEUE = "FairShareQueue"

BUCKET_ROLES = ("inputs", "workspace", "outputs")
# The data stack (buckets, repository) outlives the compute stack; it exports these keys of its outputs, and the
# compute stack imports them into its own outputs of the same keys.
DATA_STACK_SUFFIX = "-data"
DATA_OUTPUTS = (*(BUCKET + role.capitalize() for role in BUCKET_ROLES), REPOSITORY_URI, REPOSITORY_NAME)


def resource_name(cluster: str, short: str) -> str:
    """The AWS name deploy gives a cluster-owned resource (queue, compute environment, job definition)."""
    return f"{cluster}-{short}"


def compute_stack_name(cluster: str) -> str:
    return f"batchctl-{cluster}"


def data_stack_name(cluster: str) -> str:
    return compute_stack_name(cluster) + DATA_STACK_SUFFIX


def export_name(cluster: str, key: str) -> str:
    """The name under which the data stack exports one of its outputs (unique in the account and region)."""
    return f"{data_stack_name(cluster)}:{key}"


def pascal(name: str) -> str:
    """`cpu-spot` -> `CpuSpot` (output keys allow only letters and digits)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def output_key(kind: str, short_name: str = "") -> str:
    """The output key of a named resource, e.g. output_key(QUEUE, "cpu") == "QueueCpu"."""
    return kind + pascal(short_name)
