"""The local AWS emulator process: moto's server with the compatibility patches, on 127.0.0.1 only.

Run as ``python -m batchctl.local.server --host 127.0.0.1 --port N``. It logs to stderr (the process manager points
stderr at the emulator's log file), answers ``GET /batchctl/emulator`` with its identity so callers can tell it
from another program on the port, and stops cleanly on SIGTERM or SIGINT, ending running jobs and their containers.

``POST /batchctl/interrupt`` with ``{"jobId": "..."}`` reclaims the host of a running job, as a Spot interruption
would (see :mod:`batchctl.local.interruption`): 200 with ``{"jobId", "statusReason"}``, 404 for an unknown job,
409 for a job that is not running, 400 for a malformed request; errors answer ``{"error": "<one line>"}``.

Beside moto it runs an image registry (:mod:`batchctl.local.registry_process`), named by the identity answer
(``"registry": "127.0.0.1:<port>"`` or null) and by ECR's GetAuthorizationToken; and it records the stacks it deploys
under ``--state-dir`` so that the next start can re-create them (:mod:`batchctl.local.restore`).

Given ``--latency-ms``, ``--throttle``, ``--throttle-fraction``, ``--error-rate`` or ``--no-containers``, it delays,
throttles or fails API requests as :mod:`batchctl.local.faults` describes (the identity answer names the settings,
``GET /batchctl/faults`` counts what they did).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from batchctl.local import faults, registry, registry_process
from batchctl.local.addresses import DEFAULT_PORT, IDENTITY_PATH, INTERRUPT_PATH, LOOPBACK, PORT_ENV, SERVICE_NAME

EXIT_PORT_UNAVAILABLE = 3
EXIT_BAD_ARGUMENTS = 2
EXIT_MOTO_VERSION = 4
JOB_STOP_TIMEOUT = 10.0

logger = logging.getLogger("batchctl.local.server")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Interrupter = Callable[[str], dict[str, str]]
"""Reclaims the host of the job with the given id; raises LookupError (unknown job) or ValueError (not running)."""
_MAX_REQUEST_BYTES = 64 * 1024


def default_port() -> int:
    return int(os.environ.get(PORT_ENV) or DEFAULT_PORT)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m batchctl.local.server", description=__doc__)
    parser.add_argument("--host", default=LOOPBACK, help="address to bind; only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=None, help=f"port (default ${PORT_ENV} or {DEFAULT_PORT})")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="registry storage, stack records (default $BATCHCTL_HOME/local)",
    )
    faults.add_arguments(parser)
    return parser.parse_args(argv)


def configure_moto_environment(port: int) -> None:
    """Settings moto reads from the environment; they must be in place before moto is imported."""
    # moto tells job containers where it listens through MOTO_PORT; containers share the host network, so the
    # emulator's loopback address reaches it (no Docker bridge, no private-range address).
    os.environ["MOTO_PORT"] = str(port)
    os.environ["MOTO_DOCKER_NETWORK_MODE"] = "host"
    os.environ.pop("MOTO_DOCKER_NETWORK_NAME", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def listen_on_loopback(port: int) -> socket.socket:
    """Bind the listening socket ourselves: werkzeug would print and exit on a port in use."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def with_identity(
    app: WsgiApp, port: int, registry: str | None = None, injected: faults.FaultSettings | None = None
) -> WsgiApp:
    """Answer the identity path ourselves and pass everything else to moto."""
    identity = {"service": SERVICE_NAME, "pid": os.getpid(), "port": port, "registry": registry}
    body = json.dumps({**identity, "faults": (injected or faults.FaultSettings()).to_dict()}).encode()

    def identity_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == IDENTITY_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    return identity_app


def _json_response(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _read_job_id(environ: dict[str, Any]) -> str:
    """The ``jobId`` of a JSON request body; ValueError with a one-line reason otherwise."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if not 0 < length <= _MAX_REQUEST_BYTES:
        raise ValueError('send a JSON body {"jobId": "..."}')
    try:
        data = json.loads(environ["wsgi.input"].read(length))
    except ValueError:
        raise ValueError("the request body is not JSON") from None
    job_id = data.get("jobId") if isinstance(data, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise ValueError('the request body has no "jobId"')
    return job_id


def with_interrupt(app: WsgiApp, interrupter: Interrupter) -> WsgiApp:
    """Answer ``POST /batchctl/interrupt`` with ``interrupter`` and pass everything else to ``app``."""

    def interrupt_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != INTERRUPT_PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return _json_response(start_response, "405 Method Not Allowed", {"error": "use POST"})
        try:
            job_id = _read_job_id(environ)
        except ValueError as err:
            return _json_response(start_response, "400 Bad Request", {"error": str(err)})
        try:
            result = interrupter(job_id)
        except LookupError as err:
            return _json_response(start_response, "404 Not Found", {"error": str(err)})
        except ValueError as err:
            return _json_response(start_response, "409 Conflict", {"error": str(err)})
        logger.info("interrupted job %s: %s", job_id, result.get("statusReason", ""))
        return _json_response(start_response, "200 OK", result)

    return interrupt_app


def interrupt_job(job_id: str) -> dict[str, str]:
    """The emulator's interrupter: a Spot reclaim of the job's host, errors translated for :func:`with_interrupt`."""
    from batchctl.local import interruption

    try:
        result = interruption.interrupt(job_id)
    except interruption.JobNotFoundError as err:
        raise LookupError(str(err)) from None
    except interruption.InterruptionError as err:
        raise ValueError(str(err)) from None
    return {"jobId": result.job_id, "statusReason": result.status_reason}


def stop_running_jobs(timeout: float = JOB_STOP_TIMEOUT) -> None:
    """Ask every unfinished Batch job to stop and wait (bounded) for moto to kill and remove its container."""
    from moto.batch.models import batch_backends

    jobs = [
        job
        for account in batch_backends.values()
        for backend in account.values()
        for job in backend._jobs.values()
        if job.is_alive()
    ]
    for job in jobs:
        job.terminate("The local emulator stopped")
    deadline = time.monotonic() + timeout
    for job in jobs:
        job.join(max(0.0, deadline - time.monotonic()))
    if jobs:
        logger.info("stopped %d running job(s)", len(jobs))


def start_registry(state_dir: Path) -> registry_process.RunningRegistry | None:
    """The registry beside the emulator, its address published to job launches; None (logged) if it cannot run."""
    try:
        running = registry_process.start(state_dir)
    except registry_process.RegistryStartError as err:
        logger.warning("no image registry: %s", err)
        os.environ.pop(registry.ADDRESS_ENV, None)
        return None
    os.environ[registry.ADDRESS_ENV] = running.address
    with contextlib.suppress(Exception):  # without a Docker engine there is nothing to tidy
        registry.remove_pulled_images(running.address)
    return running


def own_cloudformation(port: int) -> Callable[[str], Any]:
    """CloudFormation clients of this emulator, for the stack recorder (dummy credentials: moto does not check)."""

    def client_for(region: str) -> Any:
        import boto3

        return boto3.client(
            "cloudformation",
            endpoint_url=f"http://{LOOPBACK}:{port}",
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client_for


def without_containers() -> None:
    """Jobs succeed at submission without a container: moto's own switch (``batch.use_docker: false``)."""
    from moto.core.models import default_user_config

    default_user_config.setdefault("batch", {})["use_docker"] = False


def serve(port: int, state_dir: Path, injected: faults.FaultSettings | None = None) -> int:
    injected = injected or faults.FaultSettings()
    # Bind before importing moto (seconds), so a port in use is reported at once.
    try:
        listener = listen_on_loopback(port)
    except OSError as err:
        logger.error("cannot listen on %s:%d: %s", LOOPBACK, port, err.strerror or err)
        return EXIT_PORT_UNAVAILABLE

    configure_moto_environment(port)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from batchctl.local import compat, ecr_registry, moto_adapter, restore

    try:
        compat.apply_all()
    except moto_adapter.MotoVersionError as err:  # the executor's seams fit the pinned moto only
        logger.error("%s", err)
        listener.close()
        return EXIT_MOTO_VERSION
    if injected.no_containers:
        without_containers()
    state_dir.mkdir(parents=True, exist_ok=True)
    image_registry = start_registry(state_dir)
    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    app = ecr_registry.with_registry(app, registry.registry_address)
    app = restore.with_stack_recorder(app, restore.StackRecords(state_dir), own_cloudformation(port))
    app = with_interrupt(app, interrupt_job)
    if injected.active:
        app = faults.with_faults(app, injected)
        logger.info("fault injection: %s", "; ".join(injected.describe()))
    app = with_identity(app, port, image_registry.address if image_registry else None, injected)
    server = make_server(LOOPBACK, port, app, threaded=True, request_handler=MotoRequestHandler, fd=listener.fileno())
    listener.close()  # the server works on its own duplicate of the socket

    def request_shutdown(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return, so it must run outside the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, request_shutdown)
    signal.signal(signal.SIGINT, request_shutdown)

    logger.info("listening on http://%s:%d (pid %d)", LOOPBACK, port, os.getpid())
    try:
        server.serve_forever()
    finally:
        server.server_close()
        stop_running_jobs()
        registry.remove_pulled_images()
        if image_registry is not None:
            image_registry.stop()
        logger.info("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per HTTP request would bury job errors under status polling.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    args = parse_args(argv)
    if args.host != LOOPBACK:
        logger.error("refusing to bind %s: the local emulator listens on %s only", args.host, LOOPBACK)
        return EXIT_BAD_ARGUMENTS
    port = args.port if args.port is not None else default_port()
    if not 0 < port < 65536:
        logger.error("invalid port %d", port)
        return EXIT_BAD_ARGUMENTS
    try:
        injected = faults.from_arguments(args)
    except ValueError as err:
        logger.error("%s", err)
        return EXIT_BAD_ARGUMENTS
    return serve(port, args.state_dir or default_state_dir(), injected)


def default_state_dir() -> Path:
    from batchctl.local.process import state_dir

    return state_dir()


if __name__ == "__main__":
    sys.exit(main())
