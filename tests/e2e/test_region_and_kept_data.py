"""A cluster outside us-east-1, with real containers: jobs know their region, and the data kept by `destroy`
is there again after the next deploy, where jobs keep writing to it.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from tests.deployed_cluster import DeployedCluster, deploy_cluster, first_json
from tests.emulator_fixtures import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    return deploy_cluster("euw", tmp_path_factory, region=REGION)


def _s3(emulator: Emulator) -> Any:
    return boto3.client(
        "s3", endpoint_url=emulator.endpoint, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )


def test_kept_data_survives_destroy_and_jobs_in_eu_west_1_know_their_region(
    cluster: DeployedCluster, emulator: Emulator
) -> None:
    outputs_bucket = cluster.outputs["BucketOutputs"]
    assert outputs_bucket.endswith(f"-{REGION}")
    _s3(emulator).put_object(Bucket=outputs_bucket, Key="earlier/result.txt", Body=b"from before the destroy")

    code, _, err = cluster.cli("destroy", "--yes")
    assert code == 0, err
    assert "kept data stack batchctl-euw-data" in err
    code, out, err = cluster.cli("-o", "json", "deploy", "--yes")
    assert code == 0, err
    assert json.loads(out)["outputs"]["BucketOutputs"] == outputs_bucket
    kept = _s3(emulator).get_object(Bucket=outputs_bucket, Key="earlier/result.txt")["Body"].read()
    assert kept == b"from before the destroy"

    path = cluster.job_file(
        "region",
        [
            {
                "name": "where",
                "queue": "cpu",
                "definition": "helloworld",
                "command": [
                    "sh",
                    "-c",
                    "echo AWS_REGION=$AWS_REGION AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION && "
                    "python3 /app/hello.py --greeting dia-dhuit",
                ],
            }
        ],
    )
    code, out, err = cluster.cli("-o", "json", "submit", str(path), "--wait")
    assert code == 0, err
    (job_id,) = [job["job_id"] for job in first_json(out)["jobs"]]
    assert cluster.show(job_id)["job"]["status"] == "SUCCEEDED"
    code, out, err = cluster.cli("logs", job_id)
    assert code == 0, err
    assert f"AWS_REGION={REGION} AWS_DEFAULT_REGION={REGION}" in out
    code, out, err = cluster.cli("-o", "json", "outputs", job_id)
    assert code == 0, err
    listing = json.loads(out)
    assert listing["url"].startswith(f"s3://{outputs_bucket}/")
    assert any(item["key"].endswith("hello.txt") for item in listing["files"]), out
    listed = _s3(emulator).list_objects_v2(Bucket=outputs_bucket)["Contents"]
    names = {item["Key"] for item in listed}
    assert "earlier/result.txt" in names and any(name.startswith(f"where/{job_id}/") for name in names), names

    code, _, err = cluster.cli("destroy", "--yes", "--delete-data")
    assert code == 0, err
    assert outputs_bucket not in {bucket["Name"] for bucket in _s3(emulator).list_buckets()["Buckets"]}
