"""Images come from a registry, as on AWS: an image that was built but never pushed fails the job with AWS's
CannotPullContainerError; after `batchctl --local image push` the same job succeeds. Images of other registries
(debian:bookworm-slim stands for a public one) run from the local engine.

In CI (CI=true) a missing Docker engine, base image or docker-registry fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest
from botocore.exceptions import ClientError
from tests.deployed_cluster import DeployedCluster, deploy_cluster
from tests.emulator_fixtures import BASE_IMAGE, Emulator, require_image, require_registry
from tests.helpers import DEMO_CONFIG

from batchctl.aws.ecr import Ecr
from batchctl.images.push import push_images
from batchctl.local import registry

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

CLUSTER = "registry-e2e"


@pytest.fixture(scope="module")
def cluster(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> DeployedCluster:
    """The demo cluster with the helloworld image built but NOT pushed, and a definition of a public image."""
    require_image(BASE_IMAGE)
    definitions = [*DEMO_CONFIG["job_definitions"], {"name": "public", "image": BASE_IMAGE, "memory": 256}]
    return deploy_cluster(CLUSTER, tmp_path_factory, push=False, job_definitions=definitions)


def run_job(cluster: DeployedCluster, path: Path, timeout: float = 60) -> dict[str, Any]:
    return cluster.wait_for(cluster.submit_one(path), ("SUCCEEDED", "FAILED"), timeout)


def test_built_but_not_pushed_fails_to_pull_then_succeeds_after_push(cluster: DeployedCluster) -> None:
    image = f"{cluster.outputs['RepositoryUri']}:helloworld"
    path = cluster.job_file("hello", [{"name": "hello", "queue": "cpu", "definition": "helloworld"}])

    failed = run_job(cluster, path)
    assert failed["status"] == "FAILED"
    assert failed["status_reason"] == "Task failed to start"
    assert failed["attempts"][-1]["reason"] == (
        f"CannotPullContainerError: Error response from daemon: manifest for {image} not found: "
        "manifest unknown: Requested image not found"
    )

    code, out, err = cluster.cli("image", "push", "helloworld")
    assert code == 0, err
    assert f"pushed {image}" in out + err

    succeeded = run_job(cluster, path)
    assert succeeded["status"] == "SUCCEEDED", succeeded
    assert succeeded["exit_code"] == 0


def test_a_public_image_runs_from_the_local_engine(cluster: DeployedCluster) -> None:
    path = cluster.job_file(
        "public", [{"name": "public", "queue": "cpu", "definition": "public", "command": ["python3", "-c", "1"]}]
    )
    job = run_job(cluster, path)
    assert job["status"] == "SUCCEEDED", job


def test_the_emulator_ecr_login_names_its_registry(emulator: Emulator) -> None:
    data = emulator.client("ecr").get_authorization_token()["authorizationData"][0]
    assert data["proxyEndpoint"] == f"http://{emulator.info.registry}"


def test_ecr_lists_pushed_images_and_deleting_the_repository_removes_them(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ListImages shows what was pushed; DeleteRepository refuses a repository with images unless forced, and then
    the images are gone from the registry too (a job can no longer pull them)."""
    require_image(BASE_IMAGE)
    require_registry()
    ecr = emulator.client("ecr")
    uri = ecr.create_repository(repositoryName="registry-e2e-scratch")["repository"]["repositoryUri"]
    engine = docker.from_env()
    try:
        engine.images.get(BASE_IMAGE).tag(f"{uri}:one")
        push_images(engine, Ecr(ecr), [f"{uri}:one"])
    finally:
        engine.images.remove(f"{uri}:one", noprune=True)
        engine.close()

    listed = ecr.list_images(repositoryName="registry-e2e-scratch")["imageIds"]
    assert [item["imageTag"] for item in listed] == ["one"]
    assert listed[0]["imageDigest"].startswith("sha256:")

    with pytest.raises(ClientError) as refused:
        ecr.delete_repository(repositoryName="registry-e2e-scratch")
    assert refused.value.response["Error"]["Code"] == "RepositoryNotEmptyException"

    ecr.delete_repository(repositoryName="registry-e2e-scratch", force=True)
    with pytest.raises(ClientError, match="RepositoryNotFoundException"):
        ecr.list_images(repositoryName="registry-e2e-scratch")
    # What a job's attempt now gets for that image (the emulator process calls the same function).
    monkeypatch.setenv(registry.ADDRESS_ENV, str(emulator.info.registry))
    with pytest.raises(registry.ImagePullError, match="manifest unknown: Requested image not found"):
        registry.image_for_job(f"{uri}:one")
