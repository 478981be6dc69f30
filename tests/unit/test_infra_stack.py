"""The whole cluster stack, as `synthesize` returns it: the demo and a production configuration."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from tests.unit.infra_fixtures import (
    DEMO,
    ONE_ZONE,
    PRODUCTION,
    THREE_ZONES,
    config,
    logical_id,
    ref,
    template_of,
    walk,
)

from batchctl import outputs
from batchctl.config.models import ClusterConfig
from batchctl.infra.synth import nag_findings

# The demo, the production profile, and the network and storage choices in between.
CASES: dict[str, tuple[ClusterConfig, list[str]]] = {
    "demo": (config(DEMO), ONE_ZONE),
    "production": (config(PRODUCTION), THREE_ZONES),
    "nat-gateway-single-endpoints": (
        config(
            DEMO,
            network={"availability_zones": 3, "egress": "nat-gateway", "nat_gateways": "single", "endpoints": True},
        ),
        THREE_ZONES,
    ),
    "nat-gateway-existing-buckets": (
        config(DEMO, network={"egress": "nat-gateway"}, storage={"create_buckets": False, "read_write": ["results"]}),
        ONE_ZONE,
    ),
    "nat-instances-endpoints-tags": (
        config(DEMO, network={"availability_zones": 3, "endpoints": True}, tags={"owner": "research"}),
        THREE_ZONES,
    ),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    cluster, zones = CASES[request.param]
    return request.param, template_of(cluster, zones)


def test_demo_resources(demo: dict[str, Any]) -> None:
    assert Counter(resource["Type"] for resource in demo["Resources"].values()) == {
        "AWS::EC2::VPC": 1,
        "AWS::EC2::InternetGateway": 1,
        "AWS::EC2::VPCGatewayAttachment": 1,
        "AWS::EC2::Subnet": 2,
        "AWS::EC2::RouteTable": 2,
        "AWS::EC2::SubnetRouteTableAssociation": 2,
        "AWS::EC2::Route": 2,
        "AWS::EC2::SecurityGroup": 2,
        "AWS::EC2::SecurityGroupIngress": 1,
        "AWS::EC2::Instance": 1,
        "AWS::IAM::Role": 4,  # instance, execution, job, NAT instance (no spot fleet role: not BEST_FIT)
        "AWS::IAM::InstanceProfile": 2,
        "AWS::EC2::LaunchTemplate": 1,
        "AWS::Batch::ComputeEnvironment": 1,
        "AWS::Batch::JobQueue": 1,
        "AWS::Logs::LogGroup": 1,
        "AWS::Batch::JobDefinition": 1,
    }
    # Bootstrapless: no BootstrapVersion parameter, no CDK metadata resource, no assets.
    assert list(demo["Parameters"]) == [
        logical for logical in demo["Parameters"] if logical.startswith("SsmParameterValueawsserviceami")
    ]
    assert "Rules" not in demo


def test_demo_outputs(demo: dict[str, Any]) -> None:
    declared = demo["Outputs"]
    assert set(declared) == {
        "ClusterName",
        "QueueCpu",
        "ComputeEnvironmentCpuSpot",
        "JobDefinitionHelloworld",
        "LogGroupHelloworld",
        "BucketInputs",
        "BucketWorkspace",
        "BucketOutputs",
        "RepositoryUri",
        "RepositoryName",
        "JobRoleArn",
    }
    assert all(output["Description"] for output in declared.values())
    assert declared["ClusterName"]["Value"] == "demo"
    assert declared["QueueCpu"]["Value"] == ref(logical_id(demo, "QueuesCpu"))
    assert declared["ComputeEnvironmentCpuSpot"]["Value"] == ref(logical_id(demo, "ComputeCpuSpot"))
    assert declared["JobDefinitionHelloworld"]["Value"] == ref(logical_id(demo, "JobDefinitionsHelloworld"))
    assert declared["LogGroupHelloworld"]["Value"] == ref(logical_id(demo, "JobDefinitionsHelloworldLogGroup"))
    # The data stack's stores, imported: the job commands read every name from the compute stack.
    for key in ("BucketInputs", "BucketWorkspace", "BucketOutputs", "RepositoryUri", "RepositoryName"):
        assert declared[key]["Value"] == {"Fn::ImportValue": f"batchctl-demo-data:{key}"}
    assert declared["JobRoleArn"]["Value"] == {"Fn::GetAtt": [logical_id(demo, "RolesJobRole"), "Arn"]}


def test_production_outputs() -> None:
    template = template_of(config(PRODUCTION), THREE_ZONES)
    declared = {key: output["Value"] for key, output in template["Outputs"].items()}
    assert declared["BucketOutputs"] == "batch-scratch"
    assert "BucketInputs" not in declared
    assert "BucketWorkspace" not in declared
    assert declared[outputs.READ_ONLY_BUCKETS] == "reference-data"
    assert declared[outputs.READ_WRITE_BUCKETS] == "batch-results,batch-scratch"
    # Only the fair-share queue says so: its jobs need a share identifier.
    assert {key: value for key, value in declared.items() if key.startswith(outputs.FAIR_SHARE_QUEUE)} == {
        "FairShareQueueCpu": "true"
    }
    for kind, names in (
        (outputs.QUEUE, ["cpu", "gpu", "fargate"]),
        (outputs.COMPUTE_ENVIRONMENT, ["cpu-spot", "cpu-ondemand", "gpu-spot", "serverless", "serverless-spot"]),
        (outputs.JOB_DEFINITION, ["helloworld", "train-gpu", "light"]),
        (outputs.LOG_GROUP, ["helloworld", "train-gpu", "light"]),
    ):
        for name in names:
            assert outputs.output_key(kind, name) in declared


def test_batch_resources_are_referenced_with_ref_only(case: tuple[str, dict[str, Any]]) -> None:
    _, template = case
    batch = {
        logical for logical, resource in template["Resources"].items() if resource["Type"].startswith("AWS::Batch::")
    }
    assert batch
    get_atts = [value["Fn::GetAtt"][0] for value in walk(template) if isinstance(value, dict) and "Fn::GetAtt" in value]
    assert not batch & set(get_atts)


def test_every_taggable_resource_carries_the_cluster_tags(case: tuple[str, dict[str, Any]]) -> None:
    name, template = case
    cluster = CASES[name][0]
    expected = {"batchctl:cluster": cluster.name, **cluster.tags}
    untagged = []
    for logical, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        tags = properties.get("Tags")
        if resource["Type"] == "AWS::EC2::LaunchTemplate":
            (specification,) = properties["TagSpecifications"]
            tags = specification["Tags"]
        if tags is None:
            untagged.append(resource["Type"])
            continue
        found = tags if isinstance(tags, dict) else {tag["Key"]: tag["Value"] for tag in tags}
        assert expected.items() <= found.items(), logical
    # Types that have no Tags property in CloudFormation, and the Batch types whose Tags are create-only.
    assert set(untagged) <= {
        "AWS::Batch::ComputeEnvironment",
        "AWS::Batch::JobQueue",
        "AWS::Batch::SchedulingPolicy",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::Route",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::IAM::InstanceProfile",
        "AWS::S3::BucketPolicy",
        "AWS::EC2::VPCEndpoint",
    }


def test_template_is_plain_json(case: tuple[str, dict[str, Any]]) -> None:
    _, template = case
    assert json.loads(json.dumps(template)) == template


def test_cfn_lint_finds_nothing(case: tuple[str, dict[str, Any]]) -> None:
    from cfnlint.api import lint

    _, template = case
    matches = lint(json.dumps(template), regions=["us-east-1"])
    assert [f"{match.rule.id} {match.message}" for match in matches] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_cdk_nag_finds_nothing_unacknowledged(name: str) -> None:
    cluster, zones = CASES[name]
    assert [str(finding) for finding in nag_findings(cluster, zones)] == []


def test_zones_are_the_callers_not_cdk_placeholders(case: tuple[str, dict[str, Any]]) -> None:
    name, template = case
    zones = {
        resource["Properties"]["AvailabilityZone"]
        for resource in template["Resources"].values()
        if "AvailabilityZone" in resource.get("Properties", {})
    }
    assert zones == set(CASES[name][1])
    assert "dummy" not in json.dumps(template)
    assert "Fn::GetAZs" not in json.dumps(template)


def test_templates_are_written_as_compact_json() -> None:
    """CloudFormation takes 51,200 bytes inline: indentation alone would cost the production template a third."""
    from batchctl.cluster.template import to_json

    cluster, zones = CASES["production"]
    template = template_of(cluster, zones)
    body = to_json(template)
    assert json.loads(body) == template
    assert body == json.dumps(template, separators=(",", ":"))
    assert len(body.encode()) < len(json.dumps(template, indent=1).encode()) * 0.8


@pytest.mark.parametrize("name", ["demo", "production"])
def test_data_stack_holds_the_stores_and_exports_them(name: str) -> None:
    from tests.unit.infra_fixtures import data_template_of

    cluster = CASES[name][0]
    data = data_template_of(cluster)
    kinds = Counter(resource["Type"] for resource in data["Resources"].values())
    buckets = 3 if cluster.storage.create_buckets else 0
    expected = {"AWS::S3::Bucket": buckets, "AWS::S3::BucketPolicy": buckets, "AWS::ECR::Repository": 1}
    assert kinds == {kind: count for kind, count in expected.items() if count}
    for resource in data["Resources"].values():
        if resource["Type"] in ("AWS::S3::Bucket", "AWS::ECR::Repository"):
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
    exports = {key: output["Export"]["Name"] for key, output in data["Outputs"].items()}
    keys = [f"Bucket{role}" for role in ("Inputs", "Workspace", "Outputs")] if buckets else []
    keys += ["RepositoryUri", "RepositoryName"]
    assert exports == {key: f"batchctl-{cluster.name}-data:{key}" for key in keys}
    # The compute stack holds no data store.
    compute = template_of(*CASES[name])
    assert not {"AWS::S3::Bucket", "AWS::ECR::Repository"} & {r["Type"] for r in compute["Resources"].values()}

    from cfnlint.api import lint

    assert [f"{match.rule.id} {match.message}" for match in lint(json.dumps(data), regions=["us-east-1"])] == []
