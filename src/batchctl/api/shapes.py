"""What each command prints under `-o json`: the SDK result it renders, as it is (fields -> keys).

docs/json-output.md describes these; tests check every command's output against this table. Changing a result
type's fields changes a command's JSON: treat it as an interface change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any


@dataclass(frozen=True)
class Shape:
    result: str  # the type's dotted path, imported only when asked for (the table stays cheap)
    many: bool = False  # a JSON array of them
    keys: tuple[str, ...] = ()  # for results that are no dataclass: the object's keys
    document: bool = False  # a document of its own (a JSON Schema): `keys` are only some of its keys
    # Options that make the command print another result: (option, the type's dotted path).
    variants: tuple[tuple[str, str], ...] = ()

    def type(self) -> Any:
        module, _, name = self.result.rpartition(".")
        return getattr(__import__(module, fromlist=[name]), name)

    def top_level_keys(self) -> set[str]:
        if self.keys:
            return set(self.keys)
        kind = self.type()
        assert is_dataclass(kind), self.result
        return {item.name for item in fields(kind)}


SHAPES: dict[str, Shape] = {
    "init": Shape("batchctl.api.starter.InitResult"),
    "validate": Shape("batchctl.cluster.validate.ValidationReport"),
    "synth": Shape("batchctl.api.cluster.SynthResult"),
    "diff": Shape("batchctl.api.cluster.PlanSummary"),
    "deploy": Shape("batchctl.api.cluster.DeploySummary"),
    "status": Shape("batchctl.api.cluster.ClusterStatus"),
    "destroy": Shape("batchctl.api.cluster.DestroyResult"),
    "config schema": Shape("", keys=("$schema", "title", "properties"), document=True),
    "local up": Shape("batchctl.api.local.LocalStatus"),
    "local down": Shape("batchctl.api.local.Stopped"),
    "local status": Shape("batchctl.api.local.LocalStatus"),
    "local interrupt": Shape("batchctl.api.local.Interruption"),
    "submit": Shape("batchctl.api.SubmitResult", variants=(("--explain", "batchctl.api.Explanation"),)),
    "resubmit": Shape("batchctl.api.ResubmitResult"),
    "jobs": Shape("batchctl.jobs.records.JobRecord", many=True),
    "show": Shape("batchctl.jobs.show.JobView"),
    "logs": Shape("batchctl.api.JobLogs"),
    "cancel": Shape("batchctl.jobs.cancel.CancelOutcome", many=True),
    "queues": Shape("batchctl.jobs.queues.QueueView", many=True),
    "outputs": Shape("batchctl.jobs.outputs.OutputListing"),
    "why": Shape("batchctl.insight.why.Why"),
    "usage": Shape("batchctl.insight.usage.UsageReport"),
    "run": Shape("batchctl.api.RunOutcome"),
    "image build": Shape("batchctl.images.build.BuiltImage"),
    "image push": Shape("batchctl.api.PushResult"),
    "ui": Shape("batchctl.ui.serving.Serving"),
    "completion": Shape("", keys=("shell", "script", "install")),
}

# Any command, when it fails under -o json (exit code as without -o json: 1, 2 for usage, 130 interrupted).
ERROR_KEYS = ("type", "message", "hint", "details", "exit_code")


def reference() -> str:
    """The per-command reference of docs/json-output.md (generated from the result types; a test keeps it current)."""
    lines: list[str] = []
    nested: dict[str, Any] = {}
    for command, shape in SHAPES.items():
        lines.append(f"### `batchctl {command} -o json`\n")
        if not shape.result:
            kind = "a document with (at least) the keys" if shape.document else "an object with the keys"
            lines.append(f"{kind} {', '.join(f'`{key}`' for key in shape.keys)}.\n")
            continue
        kind = shape.type()
        wrapper = "an array of" if shape.many else "one"
        lines.append(f"{wrapper} `{kind.__name__}` (`{shape.result}`):\n")
        lines.extend(_field_lines(kind, nested))
        lines.append("")
        for option, result in shape.variants:
            variant = Shape(result).type()
            lines.append(f"with `{option}`: one `{variant.__name__}` (`{result}`):\n")
            lines.extend(_field_lines(variant, nested))
            lines.append("")
    lines.append("### Nested objects\n")
    done: set[str] = set()
    while len(done) < len(nested):
        for name in sorted(set(nested) - done):
            done.add(name)
            lines.append(f"`{name}`:\n")
            lines.extend(_field_lines(nested[name], nested))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _field_lines(kind: Any, nested: dict[str, Any]) -> list[str]:
    import typing

    try:
        hints = typing.get_type_hints(kind)
    except NameError:
        hints = {}
    lines = []
    for item in fields(kind):
        lines.append(f"- `{item.name}`: {str(item.type).replace('|', 'or')}")
        for inner in _dataclasses_in(hints.get(item.name)):
            nested.setdefault(inner.__name__, inner)
    return lines


def _dataclasses_in(hint: Any) -> list[Any]:
    import typing

    if hint is None:
        return []
    if is_dataclass(hint) and isinstance(hint, type):
        return [hint]
    return [found for arg in typing.get_args(hint) for found in _dataclasses_in(arg)]
