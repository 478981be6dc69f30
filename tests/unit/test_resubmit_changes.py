"""`resubmit --queue Q --vcpus V --memory M`: the new job's request changes only those, in the form SubmitJob takes."""

from __future__ import annotations

from tests.helpers import DEMO_CONFIG

from batchctl.config.models import ClusterConfig
from batchctl.jobs.resolve import Resolver
from batchctl.jobs.resubmit import Changes

ACCOUNT = "arn:aws:batch:us-east-1:123456789012"
CONFIG = ClusterConfig.model_validate(
    {
        **DEMO_CONFIG,
        "compute_environments": [*DEMO_CONFIG["compute_environments"], {"name": "od", "type": "EC2"}],
        "queues": [
            {"name": "cpu", "compute_environments": ["cpu-spot"], "fair_share": True},
            {"name": "ondemand", "compute_environments": ["od"]},
        ],
    }
)
RESOLVER = Resolver(
    CONFIG,
    {
        "QueueCpu": f"{ACCOUNT}:job-queue/demo-cpu",
        "QueueOndemand": f"{ACCOUNT}:job-queue/demo-ondemand",
        "FairShareQueueCpu": "true",
    },
)
REQUEST = {
    "jobName": "a-r1",
    "jobQueue": f"{ACCOUNT}:job-queue/demo-cpu",
    "shareIdentifier": "ana",
    "schedulingPriorityOverride": 5,
    "containerOverrides": {
        "command": ["python3", "x.py"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
    },
}


def test_more_memory_on_the_on_demand_queue() -> None:
    changed = Changes(queue="ondemand", memory=3072).applied(REQUEST, RESOLVER)
    assert changed["jobQueue"] == f"{ACCOUNT}:job-queue/demo-ondemand"
    assert changed["containerOverrides"]["resourceRequirements"] == [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "3072"},
    ]
    assert "shareIdentifier" not in changed and "schedulingPriorityOverride" not in changed  # not a fair-share queue
    assert changed["containerOverrides"]["command"] == ["python3", "x.py"]
    assert REQUEST["containerOverrides"]["resourceRequirements"][1]["value"] == "2048"  # the original is kept


def test_vcpus_alone_and_no_change_at_all() -> None:
    changed = Changes(vcpus=4).applied(REQUEST, RESOLVER)
    assert changed["containerOverrides"]["resourceRequirements"][0] == {"type": "VCPU", "value": "4"}
    assert changed["shareIdentifier"] == "ana"
    assert Changes().applied(REQUEST, RESOLVER) == REQUEST
