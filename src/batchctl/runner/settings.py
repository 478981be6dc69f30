"""The runner's settings: the workspace layout and the defaults of its tunables (names in `contract`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .contract import WORKSPACE_DIR
from .errors import RunnerError, UsageError

DEFAULT_WORKSPACE = "/workspace"
# ECS stops a task with SIGTERM and sends SIGKILL after its stop timeout (30 s by default, at most 120 s on a spot
# interruption): 20 s for the command leaves time to upload outputs and the usage report.
DEFAULT_STOP_GRACE_SECONDS = 20.0
DEFAULT_USAGE_INTERVAL_SECONDS = 0.25


@dataclass(frozen=True)
class Workspace:
    """The directories shared between the runner and the command."""

    root: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Workspace:
        return cls(Path(environ.get(WORKSPACE_DIR) or DEFAULT_WORKSPACE))

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    def prepare(self) -> None:
        try:
            self.inputs.mkdir(parents=True, exist_ok=True)
            self.outputs.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RunnerError(f"cannot create the workspace under {self.root}: {error.strerror or error}") from error


def positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise UsageError(f"{name}={raw!r} must be greater than 0")
    return value
