"""A YAML composer for hostile input: bounded alias expansion, bounded nesting, no duplicate keys.

PyYAML shares an anchored node between its aliases, so composing a "billion laughs" document is cheap; what is
not cheap is everything that walks the result afterwards (the line index, pydantic, the SubmitJob request).
The composer below counts, while it composes, how many nodes the document stands for once every alias is
expanded, and refuses the document as soon as aliases add more than a bound that no real config or job file
comes near. It also refuses nesting deeper than any real file needs (the composer and constructor recurse once per
level, so very deep nesting would otherwise end in RecursionError) and a mapping that names a key twice (YAML
1.2 requires keys to be unique; PyYAML silently keeps the last one).
"""

from __future__ import annotations

from typing import Any

import yaml

# Values that aliases may add to those written out: far more than sharing a few settings needs, little enough for
# pydantic to walk in a fraction of a second. The size of what is written out is bounded by the file's size.
MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"


class DocumentTooLargeError(yaml.MarkedYAMLError):
    """Aliases expand to more nodes than MAX_EXPANDED_NODES (an alias bomb)."""


class TooDeepError(yaml.MarkedYAMLError):
    """Collections nested deeper than MAX_DEPTH."""


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice; `first_line` is where it was first given (1-based)."""

    def __init__(self, key: str, first_line: int, mark: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r} (first given at line {first_line})", problem_mark=mark)
        self.key = key
        self.first_line = first_line


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses alias bombs, deep nesting and duplicate keys (see the module doc)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._composed = 0  # nodes written in the document itself
        # id(node) -> how many nodes it stands for with its aliases expanded; set once a node is complete.
        self.expanded_sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self.expanded_sizes:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} refers to a collection that contains it", event.start_mark
                )
            return super().compose_node(parent, index)
        nested = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise TooDeepError(
                    problem=f"collections nested deeper than {MAX_DEPTH} levels",
                    problem_mark=self.peek_event().start_mark,
                )
        try:
            node = super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1
        if node is not None:
            self._record_size(node)
        return node

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        first_lines: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
                continue
            identity = (key_node.tag, key_node.value)
            if identity in first_lines:
                raise DuplicateKeyError(key_node.value, first_lines[identity], key_node.start_mark)
            first_lines[identity] = key_node.start_mark.line + 1
        return node

    def _record_size(self, node: yaml.Node) -> None:
        if id(node) in self.expanded_sizes:
            return  # an alias: its node is already counted where it is anchored; count it again here
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self.expanded_sizes.get(id(item), 1) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(
                self.expanded_sizes.get(id(key), 1) + self.expanded_sizes.get(id(value), 1) for key, value in node.value
            )
        self._composed += 1
        if size > self._composed + MAX_ALIAS_EXPANSION:
            raise DocumentTooLargeError(
                problem=f"its aliases expand to more than {MAX_ALIAS_EXPANSION:,} values beyond those written "
                "(an alias bomb?)",
                problem_mark=node.start_mark,
            )
        self.expanded_sizes[id(node)] = size
