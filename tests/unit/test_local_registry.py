"""The registry beside the emulator: which images come from it, the reasons a pull fails, its process, ECR login."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from batchctl.local import ecr_endpoint, registry, registry_process

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("image", "parsed"),
    [
        (f"{ECR}/demo:helloworld", ("demo", "helloworld")),
        (f"{ECR}/team/tools:v1.2", ("team/tools", "v1.2")),
        (f"{ECR}/demo", ("demo", "latest")),
        ("210987654321.dkr.ecr.eu-west-1.amazonaws.com/x:y", ("x", "y")),
    ],
)
def test_ecr_image_uris_are_recognised(image: str, parsed: tuple[str, str]) -> None:
    ecr = registry.parse_ecr_image(image)
    assert ecr is not None and (ecr.repository, ecr.tag) == parsed
    assert registry.registry_reference(ecr, "127.0.0.1:5000") == f"127.0.0.1:5000/{parsed[0]}:{parsed[1]}"


@pytest.mark.parametrize(
    "image", ["debian:bookworm-slim", "batchctl/base:latest", "public.ecr.aws/docker/library/python:3", "quay.io/x/y:1"]
)
def test_other_images_run_from_the_local_engine_unchanged(image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.ADDRESS_ENV, raising=False)
    assert registry.parse_ecr_image(image) is None
    assert registry.image_for_job(image) == image


def test_an_ecr_image_without_a_registry_fails_to_pull_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.ADDRESS_ENV, raising=False)
    with pytest.raises(registry.ImagePullError) as caught:
        registry.image_for_job(f"{ECR}/demo:helloworld")
    assert str(caught.value).startswith("CannotPullContainerError: Error response from daemon: ")
    assert "scripts/setup-registry.sh" in str(caught.value)


class FakeImages:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.pulled: list[tuple[str, str]] = []

    def pull(self, repository: str, tag: str) -> None:
        self.pulled.append((repository, tag))
        if self.error is not None:
            raise self.error


class FakeDocker:
    def __init__(self, error: Exception | None = None) -> None:
        self.images = FakeImages(error)

    def close(self) -> None:
        pass


def with_fake_docker(monkeypatch: pytest.MonkeyPatch, fake: FakeDocker) -> None:
    import docker

    monkeypatch.setattr(docker, "from_env", lambda: fake)
    monkeypatch.setenv(registry.ADDRESS_ENV, "127.0.0.1:5000")


def test_an_ecr_image_is_pulled_from_the_registry_at_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker()
    with_fake_docker(monkeypatch, fake)
    for _ in range(2):
        assert registry.image_for_job(f"{ECR}/demo:hello") == "127.0.0.1:5000/demo:hello"
    assert fake.images.pulled == [("127.0.0.1:5000/demo", "hello")] * 2


def test_an_image_the_registry_lacks_fails_with_the_aws_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import docker.errors

    with_fake_docker(monkeypatch, FakeDocker(docker.errors.NotFound("manifest unknown")))
    with pytest.raises(registry.ImagePullError) as caught:
        registry.image_for_job(f"{ECR}/demo:hello")
    assert str(caught.value) == (
        f"CannotPullContainerError: Error response from daemon: manifest for {ECR}/demo:hello not found: "
        "manifest unknown: Requested image not found"
    )
    assert registry.STATUS_REASON == "Task failed to start"


def test_other_pull_errors_keep_the_daemon_explanation(monkeypatch: pytest.MonkeyPatch) -> None:
    import docker.errors

    error = docker.errors.APIError("500", explanation="received unexpected HTTP status: 500 Internal Server Error")
    with_fake_docker(monkeypatch, FakeDocker(error))
    with pytest.raises(registry.ImagePullError, match=r"^CannotPullContainerError: .*unexpected HTTP status: 500"):
        registry.image_for_job(f"{ECR}/demo:hello")


# --- the registry process ------------------------------------------------------------------------------------------


def test_the_registry_listens_on_loopback_and_stores_under_the_state_dir(tmp_path: Path) -> None:
    config = registry_process.configuration(5123, tmp_path / "registry")
    assert config["http"]["addr"] == "127.0.0.1:5123"  # type: ignore[index]
    assert config["storage"]["filesystem"] == {"rootdirectory": str(tmp_path / "registry")}  # type: ignore[index]


def test_the_registry_port_is_kept_across_starts_when_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry_process.PORT_ENV, raising=False)
    path = tmp_path / "registry.yml"
    first = registry_process.choose_port(path)
    path.write_text(json.dumps(registry_process.configuration(first, tmp_path)))
    assert registry_process.choose_port(path) == first
    monkeypatch.setenv(registry_process.PORT_ENV, "5999")
    assert registry_process.choose_port(path) == 5999


def test_a_missing_registry_program_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry_process.PROGRAM_ENV, "no-such-registry-program")
    with pytest.raises(registry_process.RegistryStartError, match=r"not installed: .*scripts/setup-registry.sh"):
        registry_process.start(tmp_path)


def test_a_registry_that_exits_at_once_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = tmp_path / "fake-registry"
    program.write_text(f"#!{sys.executable}\nimport sys\nsys.exit(3)\n")
    program.chmod(0o755)
    monkeypatch.setenv(registry_process.PROGRAM_ENV, str(program))
    with pytest.raises(registry_process.RegistryStartError, match=r"exited during start \(exit code 3\)"):
        registry_process.start(tmp_path)


@pytest.mark.integration
def test_the_real_registry_starts_answers_and_stops(tmp_path: Path) -> None:
    if registry_process.program() is None:
        from tests.emulator_fixtures import _missing

        _missing("docker-registry is not installed (scripts/setup-registry.sh)")
    running = registry_process.start(tmp_path)
    try:
        assert registry_process.answers(running.address)
        assert running.address.startswith("127.0.0.1:")
    finally:
        running.stop()
    assert running.process.poll() is not None
    assert not registry_process.answers(running.address)


# --- ECR login ------------------------------------------------------------------------------------------------------


def moto_like_ecr(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    token = base64.b64encode(b"AWS:123456789012-auth-token").decode()
    body = json.dumps(
        {"authorizationData": [{"authorizationToken": token, "proxyEndpoint": f"https://{ECR}", "expiresAt": 1}]}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
    return [body]


def call(app: Any, target: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    answered: list[Any] = []
    body = b"".join(app({"HTTP_X_AMZ_TARGET": target}, lambda status, headers: answered.append((status, headers))))
    status, headers = answered[0]
    return status, dict(headers), json.loads(body)


def test_get_authorization_token_names_the_local_registry() -> None:
    app = ecr_endpoint.with_registry_endpoint(moto_like_ecr, lambda: "127.0.0.1:5000")
    status, headers, data = call(app, ecr_endpoint.GET_AUTHORIZATION_TOKEN)
    (item,) = data["authorizationData"]
    assert status == "200 OK"
    assert item["proxyEndpoint"] == "http://127.0.0.1:5000"
    assert base64.b64decode(item["authorizationToken"]) == b"AWS:123456789012-auth-token"
    assert int(headers["Content-Length"]) == len(json.dumps(data).encode())


def test_without_a_registry_or_for_other_calls_the_answer_is_moto_s() -> None:
    without = ecr_endpoint.with_registry_endpoint(moto_like_ecr, lambda: None)
    assert call(without, ecr_endpoint.GET_AUTHORIZATION_TOKEN)[2]["authorizationData"][0]["proxyEndpoint"] == (
        f"https://{ECR}"
    )
    other = ecr_endpoint.with_registry_endpoint(moto_like_ecr, lambda: "127.0.0.1:5000")
    assert call(other, "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories")[2]["authorizationData"][0][
        "proxyEndpoint"
    ] == (f"https://{ECR}")
