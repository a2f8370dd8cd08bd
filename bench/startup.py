"""Start-up of the ``paiwei`` command: wall and CPU time (user + system) of each command's
``--help``, the best of N runs, with the load average before and after.

    .venv/bin/python -m bench.startup [N] [PAIWEI]

CPU time moves less than wall time when other work shares the cores; read both. Where the
time goes: ``.venv/bin/python -X importtime -c "from paiwei.cli import main; main()" --help``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from paiwei.cli import COMMANDS


def measure(argv: list[str], runs: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``argv`` over ``runs`` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)  # noqa: S603  (our own command)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    paiwei = sys.argv[2] if len(sys.argv) > 2 else str(Path(sys.executable).with_name("paiwei"))
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for args in (["--help"], *([name, "--help"] for name in COMMANDS)):
        wall, cpu = measure([paiwei, *args], runs)
        print(f"paiwei {' '.join(args):22} wall {wall:5.2f} s   cpu {cpu:5.2f} s")
    print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
