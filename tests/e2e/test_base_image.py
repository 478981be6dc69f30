"""The base image with the runner, for real in Docker: exit codes, usage summary, stop signals, S3 from inside a
container (Debian's python3 and boto3 only), and the helloworld example built on top of it.

Needs a Docker engine (scripts/setup-docker.sh). Without one these tests skip, except in CI (CI=true), where a
missing engine is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.helpers import moto_server

pytestmark = [pytest.mark.e2e, pytest.mark.requires_docker]

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = "batchctl/base:latest"
HELLO_IMAGE = "batchctl-test/helloworld:e2e"


def docker(*args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def docker_run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env_args = [item for key, value in (env or {}).items() for item in ("-e", f"{key}={value}")]
    return docker("run", "--rm", "--network", "host", *env_args, *args, timeout=timeout)


def _docker_answers() -> bool:
    try:
        return docker("info", timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def base_image() -> str:
    if not _docker_answers():
        message = "Docker engine not available (run scripts/setup-docker.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Fast when the image already matches the sources; rebuilds it when the runner changed.
    build = subprocess.run(
        [str(REPO / "scripts" / "build-base-images.sh")], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stderr
    return BASE_IMAGE


@pytest.fixture(scope="module")
def hello_image(base_image: str) -> Iterator[str]:
    build = docker("build", "--network", "host", "-t", HELLO_IMAGE, str(REPO / "examples" / "helloworld"), timeout=600)
    assert build.returncode == 0, build.stderr
    yield HELLO_IMAGE
    docker("rmi", "-f", HELLO_IMAGE)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def test_image_has_python_boto3_and_the_runner_but_no_node_or_cdk(base_image: str) -> None:
    result = docker_run(
        "--entrypoint",
        "sh",
        base_image,
        "-c",
        'python3 -c "import boto3, batchctl.runner.main; print(boto3.__version__)"'
        " && command -v batchctl-run"
        " && ! command -v node && ! command -v cdk"
        " && ! python3 -c 'import aws_cdk' 2>/dev/null && echo clean",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["/usr/local/bin/batchctl-run", "clean"]


def test_successful_command_exits_0_with_a_usage_summary(base_image: str) -> None:
    result = docker_run(base_image, "python3", "-c", "print('hello from the job')")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from the job\n"
    assert "batchctl-run: ---- job summary ----" in result.stderr
    assert "batchctl-run: exit code     0" in result.stderr
    assert "batchctl-run: cpu time" in result.stderr and "batchctl-run: peak memory" in result.stderr


def test_failing_command_exit_code_is_propagated(base_image: str) -> None:
    result = docker_run(base_image, "sh", "-c", "echo failing >&2; exit 3")
    assert result.returncode == 3
    assert "batchctl-run: exit code     3" in result.stderr


def test_runner_errors_have_their_own_exit_codes(base_image: str) -> None:
    missing_variable = docker_run(base_image, "echo", "env:NOT_SET")
    assert missing_variable.returncode == 2
    assert "batchctl-run: error: environment variable NOT_SET is not set" in missing_variable.stderr
    assert docker_run(base_image, "no-such-command").returncode == 127


def test_docker_stop_is_forwarded_to_the_command(base_image: str) -> None:
    name = f"batchctl-e2e-stop-{uuid.uuid4().hex[:8]}"
    started = docker("run", "-d", "--network", "host", "--name", name, base_image, "sleep", "30")
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 30
        while "job job" not in docker("logs", name).stderr and time.monotonic() < deadline:
            time.sleep(0.1)
        began = time.monotonic()
        docker("stop", "-t", "20", name, timeout=60)
        took = time.monotonic() - began
        state = json.loads(docker("inspect", name, check=True).stdout)[0]["State"]
        logs = docker("logs", name).stderr
    finally:
        docker("rm", "-f", name)
    # The runner is PID 1 in the container: without its handler SIGTERM would be ignored until docker's SIGKILL.
    assert state["ExitCode"] == 143
    assert took < 10
    assert "batchctl-run: received SIGTERM: stopping the job" in logs
    assert "killed by SIGTERM" in logs


def test_helloworld_stages_inputs_and_uploads_outputs_from_a_container(
    hello_image: str, moto_endpoint: str, tmp_path: Path
) -> None:
    s3: Any = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    bucket = f"e2e-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="inputs/greeting.txt", Body=b"staged in a container")
    env = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BATCHCTL_INPUT_GREETING": f"s3://{bucket}/inputs/",
        "BATCHCTL_OUTPUTS_BUCKET": bucket,
        "BATCHCTL_JOB_NAME": "hello",
        "AWS_BATCH_JOB_ID": "e2e-1:2",
    }
    result = docker_run(hello_image, "python3", "/app/hello.py", "--greeting", "hi", "--exit-code", "4", env=env)
    assert result.returncode == 4, result.stderr
    assert "hi, world! (array index 2)" in result.stdout
    hello = s3.get_object(Bucket=bucket, Key="hello/e2e-1/2/hello.txt")["Body"].read().decode()
    assert hello == "hi, world! (array index 2)\ninput greeting/greeting.txt: staged in a container\n"
    usage = json.loads(s3.get_object(Bucket=bucket, Key="hello/e2e-1/2/_batchctl/usage.json")["Body"].read())
    assert (usage["exit_code"], usage["array_index"], usage["outputs"]["files"]) == (4, 2, 1)


def test_helloworld_default_command(hello_image: str) -> None:
    result = docker_run(hello_image)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "hello, world!"
