"""YAML documents with the line of every key and value, bounded against hostile input (no pydantic here).

Read by the full configuration loader and by the cheap read of the cluster's names (`config.names`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from batchctl.config.files import read_text_file
from batchctl.config.safe_yaml import BoundedLoader, DocumentTooLargeError, DuplicateKeyError, TooDeepError
from batchctl.errors import ConfigError

Loc = tuple[str | int, ...]


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse a YAML file; return the data and the 1-based line of every key and value path."""
    text = read_text_file(path, "config file", "run `batchctl init` to write a starter file, or pass -f/--config FILE")
    return parse_yaml(text, str(path))


def parse_yaml(
    text: str, source: str, hint: str = "check indentation and quoting on that line"
) -> tuple[Any, dict[Loc, int]]:
    """YAML text -> data, plus the 1-based line of every key and value path (for located errors).

    Hostile input is bounded (see safe_yaml): alias bombs, deep nesting and duplicate keys are located errors.
    """
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ConfigError(
            f"{source}:{line}: duplicate key {exc.key!r}: also given at line {exc.first_line}",
            hint="keep one of them (YAML would silently use the last)",
        ) from None
    except (DocumentTooLargeError, TooDeepError) as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(
            f"{where}: refused: {exc.problem}",
            hint="write the values out, or share fewer through aliases"
            if isinstance(exc, DocumentTooLargeError)
            else "no batchctl setting nests that deep: check the brackets and indentation there",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}", hint=hint) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _index_lines(node, (), lines, set())
    return data, lines


def _index_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], indexed: set[int]) -> None:
    """Lines of the nodes as written: an aliased node is indexed where it is anchored, never once per alias."""
    lines.setdefault(loc, node.start_mark.line + 1)
    if id(node) in indexed:
        return
    indexed.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            # The key's own line: unknown-key errors point at the key, not at its value.
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*loc, key), lines, indexed)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*loc, index), lines, indexed)
