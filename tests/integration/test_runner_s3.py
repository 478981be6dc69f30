"""The runner against a moto server: input staging, output upload (also on failure and on SIGTERM), usage report,
S3 retries. The runner runs as a subprocess, as it does in a container, and reaches S3 through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from tests.helpers import moto_server

pytestmark = pytest.mark.integration

RUNNER = [sys.executable, "-m", "batchctl.runner"]
HELLO = str(Path(__file__).resolve().parents[2] / "examples" / "helloworld" / "hello.py")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def s3(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())


@pytest.fixture
def buckets(s3: Any) -> tuple[str, str]:
    """A fresh (inputs, outputs) bucket pair per test."""
    suffix = uuid.uuid4().hex[:8]
    names = (f"in-{suffix}", f"out-{suffix}")
    for name in names:
        s3.create_bucket(Bucket=name)
    return names


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


def runner_env(endpoint: str, workspace: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BATCHCTL_"))}
    env.update(CREDENTIALS, AWS_ENDPOINT_URL=endpoint, BATCHCTL_WORKSPACE_DIR=str(workspace), **extra)
    return env


def run_runner(command: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUNNER, *command], env=env, capture_output=True, text=True, timeout=timeout)


def read(s3: Any, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def keys(s3: Any, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def usage_of(s3: Any, bucket: str, prefix: str) -> dict[str, Any]:
    return json.loads(read(s3, bucket, prefix + "_batchctl/usage.json"))


def test_stages_an_object_and_uploads_outputs(endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path) -> None:
    inputs, outputs = buckets
    s3.put_object(Bucket=inputs, Key="data/greeting.txt", Body=b"from S3")
    env = runner_env(
        endpoint,
        tmp_path,
        BATCHCTL_INPUT_GREETING=f"s3://{inputs}/data/greeting.txt",
        BATCHCTL_OUTPUTS_BUCKET=outputs,
        BATCHCTL_JOB_NAME="hello",
        AWS_BATCH_JOB_ID="job-1",
        AWS_BATCH_JOB_ATTEMPT="1",
        WHO="batch",
    )
    result = run_runner(["python3", HELLO, "--greeting", "env:WHO", "--name", "${WHO}!"], env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "inputs" / "greeting" / "greeting.txt").read_text() == "from S3"
    assert "batch, batch!!" in result.stdout
    assert keys(s3, outputs) == ["hello/job-1/_batchctl/usage.json", "hello/job-1/hello.txt"]
    assert read(s3, outputs, "hello/job-1/hello.txt") == "batch, batch!!\ninput greeting/greeting.txt: from S3\n"
    usage = usage_of(s3, outputs, "hello/job-1/")
    assert usage["inputs"] == {
        "greeting": {"source": f"s3://{inputs}/data/greeting.txt", "files": 1, "bytes": 7},
    }
    assert usage["outputs"] == {"files": 1, "bytes": len("batch, batch!!\ninput greeting/greeting.txt: from S3\n")}
    assert f"outputs       1 file(s), 0.0 MiB -> s3://{outputs}/hello/job-1/" in result.stderr
    assert f"usage report  s3://{outputs}/hello/job-1/_batchctl/usage.json" in result.stderr


def test_stages_a_prefix_as_a_mirror(endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path) -> None:
    inputs, _outputs = buckets
    for key in ("set/a.txt", "set/sub/b.txt", "set/", "set/sub/", "settings.txt", "other/c.txt"):
        s3.put_object(Bucket=inputs, Key=key, Body=key.encode())
    env = runner_env(
        endpoint, tmp_path, BATCHCTL_INPUT_DATA=f"s3://{inputs}/set/", BATCHCTL_INPUT_SAME=f"s3://{inputs}/set"
    )
    result = run_runner(["true"], env)
    assert result.returncode == 0, result.stderr
    staged = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    # "set" without the slash names no object: it is taken as the prefix "set/" (never "settings.txt").
    assert staged == [
        "inputs/data/a.txt",
        "inputs/data/sub/b.txt",
        "inputs/same/a.txt",
        "inputs/same/sub/b.txt",
    ]
    assert (tmp_path / "inputs" / "data" / "sub" / "b.txt").read_text() == "set/sub/b.txt"
    assert "staged input data: 2 file(s)" in result.stderr


def test_missing_input_fails_before_the_command_and_still_reports(
    endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path
) -> None:
    inputs, outputs = buckets
    env = runner_env(
        endpoint,
        tmp_path,
        BATCHCTL_INPUT_MODEL=f"s3://{inputs}/models/none.bin",
        BATCHCTL_OUTPUTS_BUCKET=outputs,
        AWS_BATCH_JOB_ID="job-2",
    )
    result = run_runner(["sh", "-c", "echo the command ran"], env)
    assert result.returncode == 125
    assert "the command ran" not in result.stdout
    assert f"batchctl-run: error: input model: nothing found at s3://{inputs}/models/none.bin" in result.stderr
    usage = usage_of(s3, outputs, "job/job-2/")
    assert usage["exit_code"] == 125
    assert usage["command_started"] is False
    assert usage["errors"] == [f"input model: nothing found at s3://{inputs}/models/none.bin"]


def test_outputs_are_uploaded_when_the_command_fails(
    endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path
) -> None:
    _inputs, outputs = buckets
    env = runner_env(endpoint, tmp_path, BATCHCTL_OUTPUTS_BUCKET=outputs, BATCHCTL_JOB_NAME="hello")
    env["AWS_BATCH_JOB_ID"] = "job-3"
    big = "import os; open(os.environ['BATCHCTL_OUTPUTS_DIR'] + '/deep/big.bin', 'wb').write(os.urandom(9 * 2**20))"
    script = f'mkdir -p "$BATCHCTL_OUTPUTS_DIR/deep" && python3 -c "{big}" && python3 {HELLO} --exit-code 3'
    result = run_runner(["sh", "-c", script], env)
    assert result.returncode == 3
    assert "exiting with 3 as asked" in result.stderr
    assert keys(s3, outputs) == [
        "hello/job-3/_batchctl/usage.json",
        "hello/job-3/deep/big.bin",  # 9 MiB: a multipart upload
        "hello/job-3/hello.txt",
    ]
    assert s3.head_object(Bucket=outputs, Key="hello/job-3/deep/big.bin")["ContentLength"] == 9 * 2**20
    usage = usage_of(s3, outputs, "hello/job-3/")
    assert (usage["exit_code"], usage["signal"], usage["errors"]) == (3, None, [])


def test_usage_report_of_a_remapped_array_child(
    endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path
) -> None:
    _inputs, outputs = buckets
    env = runner_env(
        endpoint,
        tmp_path,
        BATCHCTL_OUTPUTS_BUCKET=outputs,
        BATCHCTL_JOB_NAME="sweep",
        AWS_BATCH_JOB_ID="rerun-5:1",
        AWS_BATCH_JOB_ARRAY_INDEX="1",
        AWS_BATCH_JOB_ATTEMPT="2",
        BATCHCTL_INDEX_MAP="4,7",
    )
    allocate = "import time; block = bytearray(60 * 2**20); time.sleep(0.5)"
    command = ["sh", "-c", f'python3 -c "{allocate}"; echo index "$1"', "sh", "env:BATCHCTL_ARRAY_INDEX"]
    result = run_runner(command, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "index 7\n"
    usage = usage_of(s3, outputs, "sweep/rerun-5/7/")
    assert usage["schema_version"] == 1
    assert (usage["job_name"], usage["job_id"], usage["array_index"], usage["attempt"]) == ("sweep", "rerun-5", 7, 2)
    assert usage["command"] == command  # as given: expanded values may be secrets
    assert usage["exit_code"] == 0 and usage["signal"] is None and usage["stop_signal"] is None
    assert usage["peak_rss_bytes"] >= 60 * 2**20
    assert 0.5 <= usage["elapsed_seconds"] < 30
    assert usage["cpu_seconds"] == pytest.approx(usage["cpu_user_seconds"] + usage["cpu_system_seconds"], abs=0.002)
    assert usage["started_at"].endswith("Z") and usage["started_at"] < usage["ended_at"]
    assert usage["output_url"] == f"s3://{outputs}/sweep/rerun-5/7/"
    assert usage["outputs"] == {"files": 0, "bytes": 0}
    assert "batchctl-run: job           sweep (id rerun-5, index 7, attempt 2)" in result.stderr


def test_output_prefix_override(endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path) -> None:
    _inputs, outputs = buckets
    env = runner_env(
        endpoint,
        tmp_path,
        BATCHCTL_OUTPUTS_BUCKET="not-used",
        BATCHCTL_OUTPUT_PREFIX=f"s3://{outputs}/original/job-0",
        AWS_BATCH_JOB_ID="job-9:2",
    )
    result = run_runner(["sh", "-c", 'echo x > "$BATCHCTL_OUTPUTS_DIR/x.txt"'], env)
    assert result.returncode == 0, result.stderr
    assert keys(s3, outputs) == ["original/job-0/2/_batchctl/usage.json", "original/job-0/2/x.txt"]


def test_sigterm_stops_the_command_and_still_uploads(
    endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path
) -> None:
    _inputs, outputs = buckets
    env = runner_env(endpoint, tmp_path, BATCHCTL_OUTPUTS_BUCKET=outputs, AWS_BATCH_JOB_ID="job-4")
    script = 'echo partial > "$BATCHCTL_OUTPUTS_DIR/partial.txt"; echo ready; exec sleep 30'
    runner = subprocess.Popen(
        [*RUNNER, "sh", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert runner.stdout is not None
    assert runner.stdout.readline() == "ready\n"
    sent = time.monotonic()
    runner.send_signal(signal.SIGTERM)
    _stdout, stderr = runner.communicate(timeout=30)
    assert runner.returncode == 143, stderr
    assert time.monotonic() - sent < 10
    assert read(s3, outputs, "job/job-4/partial.txt") == "partial\n"
    usage = usage_of(s3, outputs, "job/job-4/")
    assert (usage["exit_code"], usage["signal"], usage["stop_signal"]) == (143, "SIGTERM", "SIGTERM")


def test_missing_outputs_bucket_fails_a_successful_command(endpoint: str, tmp_path: Path) -> None:
    env = runner_env(endpoint, tmp_path, BATCHCTL_OUTPUTS_BUCKET="no-such-bucket-xyz", AWS_MAX_ATTEMPTS="2")
    result = run_runner(["sh", "-c", 'echo x > "$BATCHCTL_OUTPUTS_DIR/x.txt"'], env)
    assert result.returncode == 125
    assert "batchctl-run: error: 1 output file(s) were not uploaded to s3://no-such-bucket-xyz/" in result.stderr
    assert "NoSuchBucket" in result.stderr
    assert "outputs       NOT uploaded" in result.stderr


def test_unreachable_s3_gives_a_clear_error_in_bounded_time(tmp_path: Path) -> None:
    env = runner_env(
        f"http://127.0.0.1:{_closed_port()}",
        tmp_path,
        BATCHCTL_INPUT_DATA="s3://in/data.txt",
        AWS_MAX_ATTEMPTS="2",
        AWS_RETRY_MODE="standard",
    )
    started = time.monotonic()
    result = run_runner(["true"], env)
    assert result.returncode == 125
    assert time.monotonic() - started < 30
    assert "batchctl-run: error: input data: could not download s3://in/data.txt: Could not connect" in result.stderr


class _FlakyProxy(ThreadingHTTPServer):
    """Answers the first `failures` requests with 503 SlowDown, then forwards to the real endpoint."""

    def __init__(self, target: str, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _FlakyHandler)
        self.target = urlsplit(target)
        self.failures_left = failures
        self.served_errors = 0
        self.lock = threading.Lock()


class _FlakyHandler(BaseHTTPRequestHandler):
    server: _FlakyProxy
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            fail = self.server.failures_left > 0
            if fail:
                self.server.failures_left -= 1
                self.server.served_errors += 1
        if fail:
            error = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self._reply(503, {"Content-Type": "application/xml"}, error)
            return
        upstream = HTTPConnection(self.server.target.hostname, self.server.target.port, timeout=30)
        headers = {key: value for key, value in self.headers.items() if key.lower() != "host"}
        headers["Host"] = self.server.target.netloc
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        skip = {"transfer-encoding", "connection", "content-length"}
        self._reply(response.status, {k: v for k, v in response.getheaders() if k.lower() not in skip}, payload)
        upstream.close()

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def test_transient_s3_errors_are_retried(endpoint: str, s3: Any, buckets: tuple[str, str], tmp_path: Path) -> None:
    inputs, outputs = buckets
    s3.put_object(Bucket=inputs, Key="data.txt", Body=b"data")
    proxy = _FlakyProxy(endpoint, failures=3)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        env = runner_env(
            f"http://127.0.0.1:{proxy.server_address[1]}",
            tmp_path,
            BATCHCTL_INPUT_DATA=f"s3://{inputs}/data.txt",
            BATCHCTL_OUTPUTS_BUCKET=outputs,
            AWS_BATCH_JOB_ID="job-5",
            AWS_RETRY_MODE="standard",
        )
        result = run_runner(["cat", str(tmp_path / "inputs" / "data" / "data.txt")], env)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "data"
    assert proxy.served_errors == 3
    assert usage_of(s3, outputs, "job/job-5/")["exit_code"] == 0


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def submitted_job() -> Iterator[tuple[str, dict[str, str]]]:
    """A job another tool submitted through the Batch API of a moto server: (endpoint, {job id: job name}).

    Only the job's record matters here (the runner runs on this machine, as it would in the job's container),
    so this server runs no containers of its own (moto's setting is process-wide: it is put back afterwards).
    """
    with moto_server() as url:
        previous = json.loads(_moto_api(url, "GET", "config"))
        _moto_api(url, "POST", "config", {"batch": {"use_docker": False}})
        try:
            yield url, _submit_jobs_as_another_tool(url)
        finally:
            _moto_api(url, "POST", "config", {"batch": previous["batch"]})
            _moto_api(url, "POST", "reset")


def _moto_api(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
    connection = HTTPConnection(urlsplit(url).netloc, timeout=10)
    try:
        connection.request(method, f"/moto-api/{path}", body=None if body is None else json.dumps(body).encode())
        response = connection.getresponse()
        assert response.status < 300, response.status
        return response.read()
    finally:
        connection.close()


def _submit_jobs_as_another_tool(url: str) -> dict[str, str]:
    iam = boto3.client("iam", endpoint_url=url, **_boto_credentials())
    batch = boto3.client("batch", endpoint_url=url, **_boto_credentials())
    role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    environment = batch.create_compute_environment(
        computeEnvironmentName="other-tool", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    queue = batch.create_job_queue(
        jobQueueName="other-tool",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )["jobQueueArn"]
    definition = batch.register_job_definition(
        jobDefinitionName="other-tool",
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]},
    )["jobDefinitionArn"]
    plain = batch.submit_job(jobName="nightly-report", jobQueue=queue, jobDefinition=definition)["jobId"]
    array = batch.submit_job(
        jobName="param-sweep", jobQueue=queue, jobDefinition=definition, arrayProperties={"size": 2}
    )["jobId"]
    return {plain: "nightly-report", array: "param-sweep"}


def test_a_job_submitted_by_another_tool_is_named_by_describe_jobs(
    submitted_job: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, names = submitted_job
    s3 = boto3.client("s3", endpoint_url=url, **_boto_credentials())
    s3.create_bucket(Bucket="outputs")
    (plain, _), (array, _) = names.items()
    for job_id, expected in ((plain, f"nightly-report/{plain}/"), (f"{array}:1", f"param-sweep/{array}/1/")):
        env = runner_env(url, tmp_path / job_id, BATCHCTL_OUTPUTS_BUCKET="outputs", AWS_BATCH_JOB_ID=job_id)
        result = run_runner(["sh", "-c", 'echo done > "$BATCHCTL_OUTPUTS_DIR/result.txt"'], env)
        assert result.returncode == 0, result.stderr
        assert f"outputs -> s3://outputs/{expected}" in result.stderr
        assert read(s3, "outputs", expected + "result.txt") == "done\n"
        assert usage_of(s3, "outputs", expected)["job_name"] == expected.split("/")[0]


def test_an_unknown_job_id_keeps_the_default_name_and_says_so(
    submitted_job: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = submitted_job
    boto3.client("s3", endpoint_url=url, **_boto_credentials()).create_bucket(Bucket="outputs-unknown")
    env = runner_env(url, tmp_path, BATCHCTL_OUTPUTS_BUCKET="outputs-unknown", AWS_BATCH_JOB_ID="no-such-job")
    result = run_runner(["true"], env)
    assert result.returncode == 0, result.stderr
    assert "cannot look up the job's name: DescribeJobs does not know job no-such-job" in result.stderr
    assert "outputs -> s3://outputs-unknown/job/no-such-job/" in result.stderr
