"""Time and peak memory of batchctl's bounded parsers, on hostile input and on ordinary files.

    python benchmarks/bench_parser_attacks.py

Each measurement runs in a fresh Python process (peak RSS is per process, imports included; the time is the parse
or render alone), several times; the median is printed.
Two tables:
1. Attacks: how long batchctl takes to refuse each one and its peak memory, next to the unbounded path it replaced
   (PyYAML's SafeLoader plus a line index that walks every alias expansion, and Jinja2's plain Environment) on the
   same input, or on a smaller one where the unbounded path would not finish (the size is named).
2. Ordinary files: the bounded loader against the plain one on the same text, as a ratio (the price of the bounds).
Timings on a shared machine are noisy: compare them within one run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 3
TIMEOUT = 120

_PROBE = """
import sys, time
import jinja2, yaml
from batchctl.config.loader import parse_yaml
from batchctl.jobs.template import render

def index(node, lines, loc=()):
    lines.setdefault(loc, node.start_mark.line)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            index(value, lines, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            index(item, lines, (*loc, position))

def plain_yaml(text):
    loader = yaml.SafeLoader(text)
    node = loader.get_single_node()
    loader.construct_document(node)
    index(node, {})

run = {
    "bounded-yaml": lambda text: parse_yaml(text, "f.yaml"),
    "plain-yaml": plain_yaml,
    "bounded-template": lambda text: render(text, {}, "jobs.yaml"),
    "plain-template": lambda text: jinja2.Environment().from_string(text).render(),
}[sys.argv[1]]
text = open(sys.argv[2], encoding="utf-8").read()
started = time.perf_counter()  # after the imports: only the parse or render is timed
outcome = "accepted"
try:
    run(text)
except Exception as exc:
    outcome = "refused: " + type(exc).__name__
elapsed = time.perf_counter() - started
# VmHWM: this program's own peak RSS in KiB (ru_maxrss would carry the parent's over exec).
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"{outcome}|{elapsed:.4f}|{peak}")
"""


def alias_bomb(levels: int, width: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def job_file(count: int) -> str:
    jobs = "".join(
        f"  - name: job-{n}\n    queue: cpu\n    definition: helloworld\n    command: echo {n}\n"
        f"    environment: {{INDEX: '{n}'}}\n"
        for n in range(count)
    )
    return "jobs:\n" + jobs


ATTACKS = [
    # (name, bounded kind, attack text, unbounded kind, text the unbounded path is measured on, its description)
    ("alias bomb 9x9", "bounded-yaml", alias_bomb(9), "plain-yaml", alias_bomb(6), "6x9 (9^6 = 531441 values)"),
    ("alias bomb 4x400", "bounded-yaml", alias_bomb(4, 400), "plain-yaml", alias_bomb(2, 400), "2x400"),
    ("nesting 50 000 deep", "bounded-yaml", "x: " + "[" * 50_000 + "]" * 50_000 + "\n", "plain-yaml", None, "same"),
    ("range(10**9) loop", "bounded-template", "{% for i in range(10**9) %}{% endfor %}", "plain-template",
     "{% for i in range(10**6) %}{% endfor %}", "range(10**6)"),
    ("popen through globals", "bounded-template", "{{ cycler.__init__.__globals__.os.popen('true').read() }}",
     "plain-template", None, "same"),
]  # fmt: skip

ORDINARY = [
    ("demo config", Path(__file__).resolve().parents[1] / "src/batchctl/data/starter-demo.yaml"),
    ("job file, 100 jobs", job_file(100)),
    ("job file, 2000 jobs", job_file(2000)),
]


def measure(kind: str, text: str, directory: Path) -> tuple[str, float, int]:
    path = directory / "input.txt"
    path.write_text(text, encoding="utf-8")
    results = []
    for _ in range(RUNS):
        try:
            done = subprocess.run(
                [sys.executable, "-c", _PROBE, kind, str(path)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=True,
            )
        except subprocess.TimeoutExpired:
            return (f"did not finish in {TIMEOUT} s", float(TIMEOUT), 0)
        except subprocess.CalledProcessError as exc:
            return (f"died: {exc.stderr.strip().splitlines()[-1][:60]}", 0.0, 0)
        outcome, seconds, peak = done.stdout.strip().rsplit("\n", 1)[-1].split("|")
        results.append((outcome, float(seconds), int(peak)))
    return (
        results[0][0],
        statistics.median(item[1] for item in results),
        int(statistics.median(item[2] for item in results)),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        print("attacks: batchctl (bounded) and the unbounded path it replaced, median of", RUNS)
        print(f"{'input':<24} {'batchctl':<24} {'s':>8} {'MiB':>7}   {'unbounded on':<28} {'s':>8} {'MiB':>7}")
        for name, kind, text, plain_kind, plain_text, plain_name in ATTACKS:
            outcome, seconds, peak = measure(kind, text, directory)
            plain = measure(plain_kind, plain_text if plain_text is not None else text, directory)
            print(
                f"{name:<24} {outcome:<24} {seconds:>8.3f} {peak / 1024:>7.1f}   "
                f"{plain_name:<28} {plain[1]:>8.3f} {plain[2] / 1024:>7.1f}  ({plain[0]})"
            )
        print()
        print("ordinary files: bounded loader / plain loader (+ line index), median of", RUNS)
        print(f"{'input':<24} {'bounded s':>10} {'plain s':>10} {'ratio':>7}")
        for name, source in ORDINARY:
            text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
            bounded = measure("bounded-yaml", text, directory)
            plain = measure("plain-yaml", text, directory)
            ratio = bounded[1] / plain[1] if plain[1] else float("nan")
            print(f"{name:<24} {bounded[1]:>10.4f} {plain[1]:>10.4f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
