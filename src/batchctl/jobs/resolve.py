"""Short names (cpu, helloworld) -> ARNs, and the other way round, through the stack outputs only.

Without outputs (a dry run, which calls no AWS API) names are checked against batchctl.yaml and resolve to
placeholders that name the stack output they would come from, e.g. `<output QueueCpu>`.

A job file names a queue or a job definition in one of three ways, tried in this order:
1. the short name of batchctl.yaml (`cpu`);
2. the full AWS name of one of the cluster's own (`demo-cpu`, `demo-helloworld`, `demo-helloworld:3`), as job files
   of the Terraform project do: the names of the deployed queues and definitions in the stack outputs (in a dry run:
   `<cluster>-<short>`, the names deploy gives them). A revision must be the deployed one;
3. an ARN, of this cluster or another, used as it is.
Anything else is refused with the cluster's names listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchctl import outputs as keys
from batchctl.config.names import ClusterNames
from batchctl.config.suggest import did_you_mean
from batchctl.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from batchctl.config import ClusterConfig

_KINDS = {keys.QUEUE: "queue", keys.JOB_DEFINITION: "job definition"}
_ARN_MARKERS = {keys.QUEUE: ":job-queue/", keys.JOB_DEFINITION: ":job-definition/"}
DEFAULT_LOG_GROUP = "/aws/batch/job"


class UnknownNameError(ConfigError):
    """A queue or job definition name that is neither in batchctl.yaml nor an ARN."""


@dataclass(frozen=True)
class Resolver:
    # The validated configuration when jobs are planned (their defaults come from it); reading jobs, queues and logs
    # needs only the cluster's names (config.names), which skip building the models.
    config: ClusterConfig | ClusterNames
    outputs: dict[str, str] | None  # None: a dry run

    @property
    def names(self) -> ClusterNames:
        return self.config if isinstance(self.config, ClusterNames) else self.config.names

    @property
    def settings(self) -> ClusterConfig:
        """The validated configuration (planning submissions needs it)."""
        if isinstance(self.config, ClusterNames):
            raise TypeError("this resolver was made from the cluster's names only; planning jobs needs the config")
        return self.config

    @property
    def dry_run(self) -> bool:
        return self.outputs is None

    def queue(self, name: str) -> str:
        """The ARN of a queue named in any of the three ways (a placeholder in a dry run)."""
        return self._resolve(keys.QUEUE, self.canonical_queue(name), list(self.names.queues))

    def job_definition(self, name: str) -> str:
        configured = list(self.names.job_definitions)
        return self._resolve(keys.JOB_DEFINITION, self.canonical_job_definition(name), configured)

    def canonical_queue(self, name: str) -> str:
        """A queue of the job file as batchctl.yaml names it (the short name), or the ARN given."""
        return self._canonical(keys.QUEUE, name, list(self.names.queues))

    def canonical_job_definition(self, name: str) -> str:
        """A job definition as batchctl.yaml names it (the short name), or the ARN given."""
        configured = list(self.names.job_definitions)
        base, _, revision = name.rpartition(":")
        if not (base and revision.isdigit()) or name.startswith("arn:") or name in configured:
            return self._canonical(keys.JOB_DEFINITION, name, configured)
        short = self._canonical(keys.JOB_DEFINITION, base, configured)
        deployed = self._aws_names(keys.JOB_DEFINITION, configured, revision=True).get(short, "")
        if self.outputs is not None and deployed.rpartition(":")[2] != revision:
            raise ConfigError(
                f"job definition {name!r}: the cluster's {base} is at revision {deployed.rpartition(':')[2] or '?'}",
                hint=f"use {short} (the deployed revision), or give the ARN of revision {revision}",
            )
        return short

    def queues(self) -> dict[str, str]:
        """Short name -> ARN of every deployed queue of this cluster, in batchctl.yaml's order."""
        return self._deployed(keys.QUEUE, list(self.names.queues))

    def job_definitions(self) -> dict[str, str]:
        return self._deployed(keys.JOB_DEFINITION, list(self.names.job_definitions))

    def queue_name(self, arn: str) -> str:
        """Short name of a queue of this cluster; another queue's AWS name."""
        return next((short for short, value in self.queues().items() if value == arn), _arn_name(arn))

    def job_definition_name(self, arn: str) -> str | None:
        """Short name of this cluster's job definition `arn` (any revision), or None."""
        name = _arn_name(arn).rsplit(":", 1)[0]
        return next(
            (short for short, value in self.job_definitions().items() if _arn_name(value).rsplit(":", 1)[0] == name),
            None,
        )

    def log_group(self, job_definition_arn: str) -> str:
        short = self.job_definition_name(job_definition_arn)
        group = self._output(keys.output_key(keys.LOG_GROUP, short)) if short else None
        return group or DEFAULT_LOG_GROUP

    def bucket(self, role: str) -> str | None:
        """The bucket of a role (inputs, workspace, outputs) from the outputs; a placeholder in a dry run."""
        return self._output(keys.output_key(keys.BUCKET, role))

    def _output(self, key: str) -> str | None:
        if self.outputs is None:
            return f"<output {key}>"
        return self.outputs.get(key)

    def _resolve(self, kind: str, name: str, configured: list[str]) -> str:
        if name.startswith("arn:"):
            return name
        key = keys.output_key(kind, name)
        what = _KINDS[kind]
        if self.outputs is None:
            if name in configured:
                return f"<output {key}>"
            raise _unknown(what, name, configured)
        if key in self.outputs and name in configured:
            return self.outputs[key]
        if name in configured:
            raise NotFoundError(
                f"{what} {name!r} is in batchctl.yaml but not deployed", hint="deploy it: batchctl deploy"
            )
        raise _unknown(what, name, [short for short in configured if keys.output_key(kind, short) in self.outputs])

    def _canonical(self, kind: str, name: str, configured: list[str]) -> str:
        if name.startswith("arn:") or name in configured:
            return name
        names = self._aws_names(kind, configured)
        found = next((short for short, aws_name in names.items() if aws_name == name), None)
        if found is not None:
            return found
        what = _KINDS[kind]
        listed = ", ".join(f"{short} ({aws_name})" for short, aws_name in names.items()) or "(none deployed)"
        prefix = f"{self.names.name}-"
        add = (
            f"; or add a {what} named {name.removeprefix(prefix)!r} to batchctl.yaml and deploy"
            if name.startswith(prefix) and len(name) > len(prefix)
            else ""
        )
        raise UnknownNameError(
            f"unknown {what} {name!r}{did_you_mean(name, [*names, *names.values()])}; the {what}s of cluster "
            f"{self.names.name}: {listed}",
            hint=f"use a {what}'s name from batchctl.yaml, its full AWS name or an ARN{add}",
        )

    def _aws_names(self, kind: str, configured: list[str], revision: bool = False) -> dict[str, str]:
        """Short name -> AWS name of the cluster's queues or definitions: from the deployed ARNs (the stack outputs),
        else (a dry run, or not deployed yet: resolving then says so) the names deploy gives them. `revision` keeps
        a deployed definition's `:N`."""
        deployed = {} if self.outputs is None else self._deployed(kind, configured)
        names = {}
        for short in configured:
            name = _arn_name(deployed[short]) if short in deployed else self.names.resource_name(short)
            names[short] = name if revision else name.rsplit(":", 1)[0]
        return names

    def _deployed(self, kind: str, configured: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for short in configured:
            value = self._output(keys.output_key(kind, short))
            if value and (self.outputs is None or _ARN_MARKERS[kind] in value):
                found[short] = value
        return found


def _unknown(what: str, name: str, valid: list[str]) -> UnknownNameError:
    return UnknownNameError(
        f"unknown {what} {name!r}{did_you_mean(name, valid)}; valid {what}s: {', '.join(valid) or '(none)'}",
        hint=f"use a {what} name from batchctl.yaml, or a full ARN",
    )


def _arn_name(arn: str) -> str:
    """`arn:aws:batch:...:job-queue/demo-cpu` -> `demo-cpu` (the job definition keeps its `:revision`)."""
    return arn.split("/", 1)[1] if "/" in arn else arn
