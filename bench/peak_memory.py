"""Peak resident memory of one job, run in a fresh process: ``python -m bench.peak_memory JOB ...``.

Jobs:
  draw N            build the workload's columnar table, then tickets + placement (DA)
  verify FILE       read a bundle file, parse it, verify it (the parsing path)
  verify-data FILE  read a bundle file, verify its bytes (lottery.verify_data: the notary's job)
Prints one JSON line: {"job", "seconds", "peak_rss_bytes"}: VmHWM of this process (for
verify-data also the forked worker's private pages and this process's RSS plus them, both
sampled every 20 ms, so a peak between samples can be missed). Not
``resource.getrusage``'s ru_maxrss: on Linux that survives exec, so a child of a large
pytest process would report its parent's size.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time


def peak_rss_bytes() -> int:
    peak = _status_kb("/proc/self/status", "VmHWM:")
    if not peak:
        raise RuntimeError("no VmHWM in /proc/self/status")
    return peak * 1024


def main(argv: list[str]) -> int:
    job, arg = argv[0], argv[1]
    start = time.perf_counter()
    if job == "draw":
        import lottery  # noqa: PLC0415
        from bench.workload import make_workload  # noqa: PLC0415

        table = make_workload(int(arg)).table()
        lottery.place(
            lottery.Mechanism.DEFERRED_ACCEPTANCE,
            table,
            lottery.tickets(bytes(32), table.applicant_ids),
        )
    elif job == "verify":
        import lottery  # noqa: PLC0415

        with open(arg, "rb") as fh:
            data = fh.read()
        bundle = lottery.parse_bundle(data)
        del data
        # A benchmark measures work, not trust: the bundle's own keys are trusted here.
        own = {s["signer"]: bytes.fromhex(s["public_key"]) for s in bundle["signatures"]}
        assert lottery.verify(bundle, own).valid
    elif job == "verify-data":
        import lottery  # noqa: PLC0415

        with open(arg, "rb") as fh:
            data = fh.read()
        own = _own_keys(data)
        # What `python -m lottery.verify` does: canonical files are read into columns, and
        # a forked worker hashes meanwhile: its memory is sampled (see _Sampler).
        sampler = _Sampler()
        try:
            assert lottery.verify_data(data, own).valid
        finally:
            sampler.stop()
        extra = {
            "worker_private_peak_bytes": sampler.worker_peak,
            "process_and_worker_peak_bytes": sampler.total_peak,
            "samples": sampler.samples,
        }
    else:
        raise SystemExit(f"unknown job {job!r}")
    seconds = time.perf_counter() - start
    peak = peak_rss_bytes()
    out = {"job": job, "seconds": round(seconds, 3), "peak_rss_bytes": peak}
    if job == "verify-data":
        out.update(extra)
    print(json.dumps(out))
    return 0


def _status_kb(path: str, field: str) -> int:
    with open(path, encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _private_kb(pid: int) -> int:
    """Pages a child does not share with its parent: Private_Clean + Private_Dirty."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


class _Sampler:
    """Every 20 ms: this process's VmRSS plus each child's private pages (a forked child
    shares the file and the heap with its parent until either writes; its own RSS would
    count them twice). Keeps the largest sum and the largest child figure, in bytes."""

    def __init__(self) -> None:
        import os  # noqa: PLC0415
        import threading  # noqa: PLC0415

        self.worker_peak = 0
        self.total_peak = 0
        self.samples = 0
        self._pid = os.getpid()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _children(self) -> list[int]:
        try:
            with open(f"/proc/{self._pid}/task/{self._pid}/children", encoding="ascii") as fh:
                return [int(p) for p in fh.read().split()]
        except OSError:
            return []

    def _run(self) -> None:
        while not self._done.wait(0.02):
            own = _status_kb("/proc/self/status", "VmRSS:")
            worker = 0
            for pid in self._children():
                with contextlib.suppress(OSError, ValueError):  # the child has ended
                    worker += _private_kb(pid)
            self.samples += 1
            self.worker_peak = max(self.worker_peak, worker * 1024)
            self.total_peak = max(self.total_peak, (own + worker) * 1024)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _own_keys(data: bytes) -> dict[str, bytes]:
    """The signers' own keys, read from the signatures at the end of the file (no parse)."""
    tail = data[data.rindex(b',"signatures":[') + len(b',"signatures":') : -1]
    return {s["signer"]: bytes.fromhex(s["public_key"]) for s in json.loads(tail)}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
