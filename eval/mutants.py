"""A seeded sample of mutation testing: ``python -m eval mutants [--sample 150] [--seed 0]``.

``mutmut`` (configured in ``pyproject.toml``: the answer layer, search, ``qa/text.py`` and ``qa/figures.py``,
killed by the fast tests) makes about 2,300 mutants of the covered lines; testing all of them
takes hours on two cores. This runs mutmut on a random sample of them, chosen by ``--seed``
so the figure can be reproduced, and prints the share killed with a 95% Wilson interval and
the survivors to read (``mutmut show NAME``). ``--sample 0`` runs them all.

Each run starts from a fresh ``mutants/`` folder: mutmut keeps the exit codes of earlier runs
there and does not retest a mutant whose source changed, so an old folder gives stale figures.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import sys
from pathlib import Path

MUTANTS = Path("mutants")
GENERATE_PATTERN = "qa.text.x_squash*"  # any small set: the first run generates every mutant


def mutant_exit_codes(folder: Path = MUTANTS) -> dict[str, int | None]:
    """Mutant name → mutmut's exit code for it (None: not tested yet), from its .meta files."""
    codes: dict[str, int | None] = {}
    for meta in folder.rglob("*.meta"):
        codes.update(json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {}))
    return codes


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval of a proportion (Wilson score)."""
    if n == 0:
        return 0.0, 1.0
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summary(codes: dict[str, int | None], names: list[str]) -> tuple[int, int, list[str]]:
    """(killed, tested, survivors) among ``names``: exit codes 1 and 3 are kills, timeouts count
    as kills too (the mutant broke the program), "no tests" and untested ones are left out."""
    from mutmut.stats import status_by_exit_code

    killed, tested, survivors = 0, 0, []
    for name in names:
        status = status_by_exit_code[codes.get(name)]
        if status in ("killed", "timeout", "segfault", "caught by type check"):
            killed, tested = killed + 1, tested + 1
        elif status in ("survived", "suspicious"):
            tested += 1
            survivors.append(name)
    return killed, tested, survivors


def main(args) -> int:
    mutmut = str(Path(sys.executable).parent / "mutmut")
    shutil.rmtree(MUTANTS, ignore_errors=True)
    subprocess.run([mutmut, "run", GENERATE_PATTERN], check=False)
    every = sorted(mutant_exit_codes())
    if not every:
        raise ValueError("mutmut made no mutants: run `.venv/bin/mutmut run` once and read its output")
    names = every if args.sample == 0 else random.Random(args.seed).sample(every, min(args.sample, len(every)))
    subprocess.run([mutmut, "run", *names], check=False, stdout=subprocess.DEVNULL)
    killed, tested, survivors = summary(mutant_exit_codes(), names)
    low, high = wilson(killed, tested)
    print(f"mutants: {len(every)} in all; sampled {len(names)} (seed {args.seed}), {tested} tested")
    print(f"killed: {killed}/{tested} = {killed / max(tested, 1):.1%} (95% interval {low:.1%}–{high:.1%})")
    for name in survivors:
        print(f"survived: {name}")
    return 0
