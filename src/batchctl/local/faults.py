"""Fault and latency injection in the local emulator (off by default), to measure and test clients on a bad link.

Settings come from ``batchctl local up`` and reach the server as arguments (:meth:`FaultSettings.to_args`):

- ``latency_ms``: every API request waits this long before it is handled (both ways of a real link, in one sleep);
- ``throttle`` {operation: TPS}: a token bucket per operation; a request above its rate is refused with HTTP 429
  ``TooManyRequestsException``, as AWS Batch refuses calls above its per-account quotas (SubmitJob: 50 TPS,
  https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html);
- ``throttle_fraction`` {operation: fraction}: that fraction of the operation's requests is refused the same way;
- ``error_rate`` {operation: fraction}: that fraction of the operation's requests is *run* and then answered with
  HTTP 500 ``ServerException`` (https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html#API_SubmitJob_Errors):
  the client cannot tell whether the call took effect, which is the hard case for submitting exactly once;
- ``no_containers``: jobs succeed without starting a container (moto's ``batch.use_docker: false``), for benchmarks
  of the API path only.

Errors use the REST-JSON error shape of AWS Batch (an ``x-amzn-ErrorType`` header and a JSON body with ``message``,
https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization), which botocore
parses into the error code its retry rules know (TooManyRequestsException is a throttling error,
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html). An operation is named as in the API
reference (SubmitJob, ListJobs, ...), case-insensitively; it is read from the Batch REST path (``/v1/submitjob``),
a JSON ``X-Amz-Target`` header or a query-string ``Action``.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_LATENCY_MS = 60_000


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: int = 0
    throttle: dict[str, float] = field(default_factory=dict)  # operation -> requests per second
    throttle_fraction: dict[str, float] = field(default_factory=dict)  # operation -> fraction refused with 429
    error_rate: dict[str, float] = field(default_factory=dict)  # operation -> fraction answered 500 after running
    no_containers: bool = False

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.throttle or self.throttle_fraction or self.error_rate or self.no_containers)

    def to_args(self) -> list[str]:
        """The server's command-line arguments for these settings."""
        args = [f"--latency-ms={self.latency_ms}"] if self.latency_ms else []
        for option, values in (
            ("--throttle", self.throttle),
            ("--throttle-fraction", self.throttle_fraction),
            ("--error-rate", self.error_rate),
        ):
            args += [f"{option}={operation}={value:g}" for operation, value in values.items()]
        return args + (["--no-containers"] if self.no_containers else [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "throttle": dict(self.throttle),
            "throttle_fraction": dict(self.throttle_fraction),
            "error_rate": dict(self.error_rate),
            "no_containers": self.no_containers,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FaultSettings:
        data = data or {}
        return cls(
            latency_ms=int(data.get("latency_ms") or 0),
            throttle={str(k): float(v) for k, v in (data.get("throttle") or {}).items()},
            throttle_fraction={str(k): float(v) for k, v in (data.get("throttle_fraction") or {}).items()},
            error_rate={str(k): float(v) for k, v in (data.get("error_rate") or {}).items()},
            no_containers=bool(data.get("no_containers")),
        )

    def describe(self) -> list[str]:
        """One phrase per setting, for `batchctl local status`."""
        parts = [f"latency {self.latency_ms} ms"] if self.latency_ms else []
        parts += [f"{operation} throttled above {tps:g}/s" for operation, tps in self.throttle.items()]
        parts += [f"{share:.0%} of {operation} throttled" for operation, share in self.throttle_fraction.items()]
        parts += [f"{share:.0%} of {operation} run, then answer 500" for operation, share in self.error_rate.items()]
        return parts + (["jobs succeed without containers"] if self.no_containers else [])


def parse_assignment(text: str, *, fraction: bool) -> tuple[str, float]:
    """``OPERATION=NUMBER`` -> (operation, number); ValueError with the fix otherwise."""
    operation, sep, value = text.partition("=")
    example = "SubmitJob=0.05" if fraction else "SubmitJob=50"
    if not sep or not operation.strip().isalnum():
        raise ValueError(f"{text!r} is not OPERATION={'FRACTION' if fraction else 'TPS'} (e.g. {example})")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{text!r}: {value!r} is not a number (e.g. {example})") from None
    if fraction and not 0 <= number <= 1:
        raise ValueError(f"{text!r}: a fraction is from 0 to 1 (e.g. {example})")
    if not fraction and not number > 0:
        raise ValueError(f"{text!r}: the rate must be above 0 requests per second (e.g. {example})")
    return operation.strip(), number


def parse_assignments(texts: Iterable[str], *, fraction: bool) -> dict[str, float]:
    return dict(parse_assignment(text, fraction=fraction) for text in texts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency-ms", type=int, default=0, help="added latency per API request")
    parser.add_argument("--throttle", action="append", default=[], help="OPERATION=TPS token bucket (429 above)")
    parser.add_argument("--throttle-fraction", action="append", default=[], help="OPERATION=FRACTION refused (429)")
    parser.add_argument("--error-rate", action="append", default=[], help="OPERATION=FRACTION run, then 500")
    parser.add_argument("--no-containers", action="store_true", help="jobs succeed without containers")


def from_arguments(args: argparse.Namespace) -> FaultSettings:
    if not 0 <= args.latency_ms <= MAX_LATENCY_MS:
        raise ValueError(f"--latency-ms {args.latency_ms}: use 0 to {MAX_LATENCY_MS}")
    return FaultSettings(
        latency_ms=args.latency_ms,
        throttle=parse_assignments(args.throttle, fraction=False),
        throttle_fraction=parse_assignments(args.throttle_fraction, fraction=True),
        error_rate=parse_assignments(args.error_rate, fraction=True),
        no_containers=args.no_containers,
    )


def operation_of(environ: dict[str, Any]) -> str | None:
    """The API operation a request calls, lower-cased; None for the emulator's own paths and unknown shapes."""
    path = str(environ.get("PATH_INFO") or "")
    if path.startswith("/v1/"):  # AWS Batch REST-JSON: POST /v1/submitjob
        return path[4:].split("/", 1)[0].lower() or None
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1].lower()
    action = parse_qs(str(environ.get("QUERY_STRING") or "")).get("Action")
    return action[0].lower() if action else None


class TokenBucket:
    """``rate`` tokens a second, holding at most one second's worth (AWS buckets allow a burst of about that)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


def _error(start_response: Callable[..., Any], status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", code),
        ],
    )
    return [body]


class Counters:
    """What the injection did, per operation (answered at ``GET /batchctl/faults``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, operation: str, outcome: str) -> None:
        with self._lock:
            per = self.counts.setdefault(operation, {})
            per[outcome] = per.get(outcome, 0) + 1


FAULTS_PATH = "/batchctl/faults"


def with_faults(
    app: WsgiApp,
    settings: FaultSettings,
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> WsgiApp:
    """Delay, throttle or fail API requests as ``settings`` say; everything else goes to ``app`` unchanged."""
    chance = rng or random.Random()
    chance_lock = threading.Lock()
    buckets = {operation.lower(): TokenBucket(tps, clock) for operation, tps in settings.throttle.items()}
    refused = {operation.lower(): share for operation, share in settings.throttle_fraction.items()}
    failing = {operation.lower(): share for operation, share in settings.error_rate.items()}
    counters = Counters()

    def roll(share: float | None) -> bool:
        if not share:
            return False
        with chance_lock:
            return chance.random() < share

    def faulty_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps({"settings": settings.to_dict(), "counts": counters.counts}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        operation = operation_of(environ)
        if operation is None:
            return app(environ, start_response)
        if settings.latency_ms:
            sleep(settings.latency_ms / 1000)
        bucket = buckets.get(operation)
        if (bucket is not None and not bucket.take()) or roll(refused.get(operation)):
            counters.add(operation, "throttled")
            return _error(start_response, "429 Too Many Requests", "TooManyRequestsException", "Too Many Requests")
        if roll(failing.get(operation)):
            # Run the operation to the end (it takes effect), then tell the client it failed.
            b"".join(app(environ, lambda *args, **kwargs: lambda data: None))
            counters.add(operation, "failed_after_effect")
            return _error(start_response, "500 Internal Server Error", "ServerException", "Internal server error")
        counters.add(operation, "passed")
        return app(environ, start_response)

    return faulty_app
