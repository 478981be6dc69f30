"""The bounded YAML composer: alias bombs, deep nesting and duplicate keys are located errors, found fast."""

from __future__ import annotations

import pytest

from batchctl.config.loader import parse_yaml
from batchctl.config.safe_yaml import MAX_DEPTH
from batchctl.errors import ConfigError


def alias_bomb(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_yaml(text, "f.yaml")
    return raised.value.message


def test_alias_bomb_is_refused_at_the_line_where_it_grows_too_large() -> None:
    message = _error(alias_bomb(9, 9))
    assert message.startswith("f.yaml:6:")  # l5: 9**6 values
    assert "aliases expand to more than 100,000 values" in message


def test_shared_settings_through_aliases_still_load() -> None:
    data, lines = parse_yaml("base: &base {memory: 512}\njobs:\n  - *base\n  - *base\n", "f.yaml")
    assert data["jobs"] == [{"memory": 512}, {"memory": 512}]
    assert lines[("jobs", 1)] == 1  # an alias is located where its anchor is written


def test_merge_keys_may_override_without_being_duplicates() -> None:
    data, _ = parse_yaml("a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  x: 3\n", "f.yaml")
    assert data["b"] == {"x": 3, "y": 2}


def test_duplicate_key_names_both_lines() -> None:
    message = _error("name: a\nqueues: []\nname: b\n")
    assert message == "f.yaml:3: duplicate key 'name': also given at line 1"


def test_nested_duplicate_key() -> None:
    assert _error("jobs:\n  - name: a\n    queue: q\n    queue: r\n").startswith("f.yaml:4: duplicate key 'queue'")


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_a_located_error(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    message = _error("x: " + opening * 5000 + closing * 5000 + "\n")
    assert message.startswith("f.yaml:1:") and f"nested deeper than {MAX_DEPTH} levels" in message


def test_recursive_alias_is_refused() -> None:
    assert "refers to a collection that contains it" in _error("x: &a [*a]\n")
