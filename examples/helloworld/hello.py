"""helloworld job: greets, echoes its inputs into an output file, and can fail or linger on request.

    python3 hello.py [--greeting TEXT] [--name NAME] [--exit-code N] [--sleep SECONDS] [WORD ...]

Reads every file under $BATCHCTL_INPUTS_DIR (default /workspace/inputs) and writes the greeting and the inputs'
content to $BATCHCTL_OUTPUTS_DIR/hello.txt (default /workspace/outputs). HELLO_EXIT_CODE and HELLO_SLEEP_SECONDS
are the environment's way to ask for the same as --exit-code and --sleep (handy for failure and stop tests).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="batchctl helloworld job")
    parser.add_argument("--greeting", default=os.environ.get("GREETING", "hello"))
    parser.add_argument("--name", default=os.environ.get("GREETING_NAME", "world"))
    parser.add_argument("--exit-code", type=int, default=int(os.environ.get("HELLO_EXIT_CODE", "0")))
    parser.add_argument("--sleep", type=float, default=float(os.environ.get("HELLO_SLEEP_SECONDS", "0")))
    parser.add_argument("words", nargs="*", help="more words for the greeting")
    return parser.parse_args(argv)


def read_inputs(inputs_dir: Path) -> list[tuple[str, str]]:
    """(relative path, text) of every input file, in a stable order."""
    if not inputs_dir.is_dir():
        return []
    files = sorted(path for path in inputs_dir.rglob("*") if path.is_file())
    return [(path.relative_to(inputs_dir).as_posix(), path.read_text(errors="replace")) for path in files]


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    inputs_dir = Path(os.environ.get("BATCHCTL_INPUTS_DIR", "/workspace/inputs"))
    outputs_dir = Path(os.environ.get("BATCHCTL_OUTPUTS_DIR", "/workspace/outputs"))
    index = os.environ.get("BATCHCTL_ARRAY_INDEX")

    greeting = " ".join([f"{arguments.greeting}, {arguments.name}!", *arguments.words])
    if index is not None:
        greeting += f" (array index {index})"
    print(greeting)

    lines = [greeting]
    for name, text in read_inputs(inputs_dir):
        print(f"input {name}: {text.strip()}")
        lines.append(f"input {name}: {text.strip()}")
    outputs_dir.mkdir(parents=True, exist_ok=True)
    (outputs_dir / "hello.txt").write_text("\n".join(lines) + "\n")

    if arguments.sleep > 0:
        print(f"sleeping {arguments.sleep:g}s", flush=True)
        time.sleep(arguments.sleep)
    if arguments.exit_code:
        print(f"exiting with {arguments.exit_code} as asked", file=sys.stderr)
    return arguments.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
