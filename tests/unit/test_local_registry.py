"""The registry beside the emulator: which images come from it, the reasons a pull fails, its process, ECR login."""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from batchctl.local import ecr_registry, registry, registry_api, registry_process

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
    """moto's answers: a token, no images of its own, repositories deleted when asked."""
    target = environ["HTTP_X_AMZ_TARGET"].rsplit(".", 1)[1]
    token = base64.b64encode(b"AWS:123456789012-auth-token").decode()
    answers: dict[str, Any] = {
        "GetAuthorizationToken": {
            "authorizationData": [{"authorizationToken": token, "proxyEndpoint": f"https://{ECR}", "expiresAt": 1}]
        },
        "ListImages": {"imageIds": []},
        "DeleteRepository": {"repository": {"repositoryName": "demo"}},
        "BatchDeleteImage": {
            "imageIds": [],
            "failures": [{"imageId": {"imageTag": "old"}, "failureCode": "ImageNotFound", "failureReason": "x"}],
        },
        "DescribeRepositories": {"repositories": []},
    }
    body = json.dumps(answers[target]).encode()
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
    return [body]


def call(app: Any, target: str, request: dict[str, Any] | None = None) -> tuple[str, dict[str, str], dict[str, Any]]:
    answered: list[Any] = []
    body = json.dumps(request or {}).encode()
    environ = {
        "HTTP_X_AMZ_TARGET": ecr_registry.TARGET_PREFIX + target,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    answer = b"".join(app(environ, lambda status, headers: answered.append((status, headers))))
    status, headers = answered[0]
    return status, dict(headers), json.loads(answer)


class FakeRegistry:
    """The registry's tags and what was deleted from it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, images: dict[str, str]) -> None:
        self.images = dict(images)  # tag -> digest
        self.deleted: list[str] = []
        monkeypatch.setattr(
            registry_api,
            "images",
            lambda address, repository: [registry_api.TaggedImage(t, d) for t, d in sorted(self.images.items())],
        )
        monkeypatch.setattr(registry_api, "delete", lambda address, repository, digest: self.deleted.append(digest))


def test_get_authorization_token_names_the_local_registry() -> None:
    app = ecr_registry.with_registry(moto_like_ecr, lambda: "127.0.0.1:5000")
    status, headers, data = call(app, "GetAuthorizationToken")
    (item,) = data["authorizationData"]
    assert status == "200 OK"
    assert item["proxyEndpoint"] == "http://127.0.0.1:5000"
    assert base64.b64decode(item["authorizationToken"]) == b"AWS:123456789012-auth-token"
    assert int(headers["Content-Length"]) == len(json.dumps(data).encode())


def test_without_a_registry_or_for_other_calls_the_answer_is_moto_s(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeRegistry(monkeypatch, {"hello": "sha256:1"})
    without = ecr_registry.with_registry(moto_like_ecr, lambda: None)
    status, _, data = call(without, "GetAuthorizationToken")
    assert status == "400 Bad Request" and data["__type"] == "ServerException"
    assert data["message"].startswith("the local emulator has no image registry: install docker-registry")
    assert call(without, "ListImages", {"repositoryName": "demo"})[2] == {"imageIds": []}
    other = ecr_registry.with_registry(moto_like_ecr, lambda: "127.0.0.1:5000")
    assert call(other, "DescribeRepositories")[2] == {"repositories": []}


def test_list_images_shows_the_pushed_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeRegistry(monkeypatch, {"hello": "sha256:1", "train": "sha256:2"})
    app = ecr_registry.with_registry(moto_like_ecr, lambda: "127.0.0.1:5000")
    assert call(app, "ListImages", {"repositoryName": "demo"})[2]["imageIds"] == [
        {"imageDigest": "sha256:1", "imageTag": "hello"},
        {"imageDigest": "sha256:2", "imageTag": "train"},
    ]
    untagged = call(app, "ListImages", {"repositoryName": "demo", "filter": {"tagStatus": "UNTAGGED"}})
    assert untagged[2] == {"imageIds": []}


def test_a_repository_with_images_is_deleted_only_with_force(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRegistry(monkeypatch, {"hello": "sha256:1", "alias": "sha256:1"})
    app = ecr_registry.with_registry(moto_like_ecr, lambda: "127.0.0.1:5000")
    status, headers, data = call(app, "DeleteRepository", {"repositoryName": "demo"})
    assert status == "400 Bad Request" and headers["x-amzn-ErrorType"] == "RepositoryNotEmptyException"
    assert data == {
        "__type": "RepositoryNotEmptyException",
        "message": "The repository with name 'demo' in registry with id '123456789012' cannot be deleted because "
        "it still contains images",
    }
    assert fake.deleted == []
    status, _, _ = call(app, "DeleteRepository", {"repositoryName": "demo", "force": True})
    assert status == "200 OK" and fake.deleted == ["sha256:1"]


def test_batch_delete_image_removes_the_named_images(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRegistry(monkeypatch, {"hello": "sha256:1", "train": "sha256:2"})
    app = ecr_registry.with_registry(moto_like_ecr, lambda: "127.0.0.1:5000")
    _, _, data = call(
        app, "BatchDeleteImage", {"repositoryName": "demo", "imageIds": [{"imageTag": "hello"}, {"imageTag": "old"}]}
    )
    assert fake.deleted == ["sha256:1"]
    assert data["imageIds"] == [{"imageDigest": "sha256:1", "imageTag": "hello"}]
    assert [failure["imageId"] for failure in data["failures"]] == [{"imageTag": "old"}]


def test_a_registry_that_fails_gives_a_server_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(address: str, repository: str) -> list[registry_api.TaggedImage]:
        raise registry_api.RegistryApiError("listing tags of demo: HTTP 500")

    monkeypatch.setattr(registry_api, "images", broken)
    app = ecr_registry.with_registry(moto_like_ecr, lambda: "127.0.0.1:5000")
    status, _, data = call(app, "ListImages", {"repositoryName": "demo"})
    assert status == "500 Internal Server Error"
    assert data["__type"] == "ServerException" and "HTTP 500" in data["message"]
