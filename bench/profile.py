"""Fold py-spy's raw stacks (`BENCH_PROFILE=<dir> make bench ARGS="--only quiet"`) into where the CPU went: the
share of samples per function of ours (or of a library, when no frame of ours is on the stack), innermost first.

    python bench/profile.py <dir>/orchestrator.txt [--depth 2] [--top 25]
"""

import argparse
import collections
from pathlib import Path

OURS = ("/services/", "/shared/shared/")


def _frame(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} {where.rstrip(')').rsplit('/', 1)[-1]}"


def fold(path: Path, depth: int) -> tuple[collections.Counter, int]:
    counts: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        ours = [f for f in frames if any(o in f for o in OURS)]
        key = " < ".join(_frame(f) for f in reversed((ours or frames)[-depth:]))
        counts[key] += int(n)
        total += int(n)
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    counts, total = fold(args.stacks, args.depth)
    for key, n in counts.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {key}")


if __name__ == "__main__":
    main()
