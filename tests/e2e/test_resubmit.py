"""`resubmit --failed-only` end to end: an array whose children 1 and 3 fail is re-run over exactly those two, in
real containers, and the re-run's outputs land under the original job's prefix at indices 1 and 3.

A child fails while a marker object is missing from S3 and succeeds once it exists: the test creates the marker
between the two runs, as someone would fix an outside cause before re-running. Every child writes result.txt with
its (original) index and its AWS job id, so the test can tell which run wrote each index.

In CI (CI=true) a missing Docker engine or base image fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import uuid

import pytest
from tests.deployed_cluster import DeployedCluster, deploy_cluster, first_json
from tests.emulator_fixtures import Emulator
from tests.helpers import write_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

CLUSTER = "resubmit"

# Debian's boto3 in the base image ignores AWS_ENDPOINT_URL: the endpoint is passed explicitly.
FLAKY = """
import os, boto3, botocore.exceptions
index = int(os.environ["BATCHCTL_ARRAY_INDEX"])
job = os.environ["AWS_BATCH_JOB_ID"]
with open(os.path.join(os.environ["BATCHCTL_OUTPUTS_DIR"], "result.txt"), "w") as out:
    out.write(f"index={index} job={job}")
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
try:
    s3.head_object(Bucket=os.environ["MARKER_BUCKET"], Key=os.environ["MARKER_KEY"])
    fixed = True
except botocore.exceptions.ClientError:
    fixed = False
failing = {int(item) for item in os.environ["FAILING"].split()}
print(f"index {index} job {job} fixed={fixed}")
raise SystemExit(1 if index in failing and not fixed else 0)
"""


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    return deploy_cluster(CLUSTER, tmp_path_factory)


def submit_flaky(cluster: DeployedCluster, name: str, size: int, failing: str, marker: str) -> str:
    """Submit the flaky array and wait for it; returns its id."""
    path = write_yaml(
        cluster.workdir / f"{name}.yaml",
        {
            "jobs": [
                {
                    "name": name,
                    "queue": "cpu",
                    "definition": "helloworld",
                    "array_size": size,
                    "command": ["python3", "-c", FLAKY],
                    "environment": {
                        "MARKER_BUCKET": cluster.outputs["BucketInputs"],
                        "MARKER_KEY": marker,
                        "FAILING": failing,
                    },
                }
            ]
        },
    )
    code, out, err = cluster.cli("-o", "json", "submit", str(path), "--wait")
    assert code == 1, err  # some children failed
    (job,) = first_json(out)["jobs"]
    return str(job["job_id"])


def results(emulator: Emulator, cluster: DeployedCluster, name: str, job_id: str, size: int) -> dict[int, str]:
    """Original index -> the result.txt under the original job's prefix."""
    s3 = emulator.client("s3")
    bucket = cluster.outputs["BucketOutputs"]
    found = {}
    for index in range(size):
        body = s3.get_object(Bucket=bucket, Key=f"{name}/{job_id}/{index}/result.txt")["Body"].read().decode()
        found[index] = body
    return found


def test_failed_only_reruns_children_1_and_3_into_the_original_prefix(
    cluster: DeployedCluster, emulator: Emulator
) -> None:
    marker = f"markers/{uuid.uuid4().hex}"
    original = submit_flaky(cluster, "flaky", 5, "1 3", marker)
    first = cluster.show(original)
    assert first["job"]["status"] == "FAILED"
    assert (first["job"]["children"]["FAILED"], first["job"]["children"]["SUCCEEDED"]) == (2, 3)
    before = results(emulator, cluster, "flaky", original, 5)
    assert before == {index: f"index={index} job={original}:{index}" for index in range(5)}

    emulator.client("s3").put_object(Bucket=cluster.outputs["BucketInputs"], Key=marker, Body=b"fixed")
    code, out, err = cluster.cli("-o", "json", "resubmit", original, "--failed-only", "--wait")
    assert code == 0, err
    resubmitted = first_json(out)
    rerun = resubmitted["job"]["job_id"]
    environment = {item["name"]: item["value"] for item in resubmitted["request"]["containerOverrides"]["environment"]}
    assert resubmitted["indices"] == [1, 3]
    assert resubmitted["request"]["arrayProperties"] == {"size": 2}
    assert environment["BATCHCTL_INDEX_MAP"] == "1,3"
    assert environment["BATCHCTL_OUTPUT_PREFIX"].endswith(f"/flaky/{original}/")

    new = cluster.show(rerun)
    assert new["job"]["status"] == "SUCCEEDED"
    assert (new["job"]["array_size"], new["job"]["children"]["SUCCEEDED"]) == (2, 2)
    assert (new["resubmit_of"], new["resubmit_indices"]) == (original, [1, 3])
    old = cluster.show(original)
    assert [item["job_id"] for item in old["resubmissions"]] == [rerun]

    after = results(emulator, cluster, "flaky", original, 5)
    assert after == {
        0: f"index=0 job={original}:0",  # not re-run: still the first run's
        1: f"index=1 job={rerun}:0",  # child 0 of the re-run stands for index 1
        2: f"index=2 job={original}:2",
        3: f"index=3 job={rerun}:1",
        4: f"index=4 job={original}:4",
    }
    listing = emulator.client("s3").list_objects_v2(Bucket=cluster.outputs["BucketOutputs"], Prefix=f"flaky/{rerun}/")
    assert listing.get("KeyCount", 0) == 0  # nothing under the re-run's own id

    code, out, err = cluster.cli("logs", rerun, "--index", "1")
    assert code == 0, err
    assert f"index 3 job {rerun}:1 fixed=True" in out

    code, _, err = cluster.cli("resubmit", rerun, "--failed-only")
    assert code == 1
    assert "Error: nothing to resubmit: all 2 children SUCCEEDED" in err


def test_a_single_failed_child_reruns_as_a_plain_job(cluster: DeployedCluster, emulator: Emulator) -> None:
    marker = f"markers/{uuid.uuid4().hex}"
    original = submit_flaky(cluster, "single", 3, "2", marker)
    emulator.client("s3").put_object(Bucket=cluster.outputs["BucketInputs"], Key=marker, Body=b"fixed")

    code, out, err = cluster.cli("-o", "json", "resubmit", original, "--failed-only", "--wait")
    assert code == 0, err
    resubmitted = first_json(out)
    rerun = resubmitted["job"]["job_id"]
    assert "arrayProperties" not in resubmitted["request"]
    environment = {item["name"]: item["value"] for item in resubmitted["request"]["containerOverrides"]["environment"]}
    assert environment["BATCHCTL_INDEX_MAP"] == "2"

    new = cluster.show(rerun)
    assert new["job"]["status"] == "SUCCEEDED"
    assert new["output_url"].endswith(f"/single/{original}/2/")
    assert results(emulator, cluster, "single", original, 3) == {
        0: f"index=0 job={original}:0",
        1: f"index=1 job={original}:1",
        2: f"index=2 job={rerun}",
    }
