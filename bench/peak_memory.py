"""Peak resident memory of one job, run in a fresh process: ``python -m bench.peak_memory JOB ...``.

Jobs:
  draw N            build the workload's columnar table, then tickets + placement (DA)
  verify FILE       read a bundle file, parse it, verify it (the parsing path)
  verify-data FILE  read a bundle file, verify its bytes (lottery.verify_data: the notary's job)
Prints one JSON line: {"job", "seconds", "peak_rss_bytes"}: VmHWM of this process. Not
``resource.getrusage``'s ru_maxrss: on Linux that survives exec, so a child of a large
pytest process would report its parent's size.
"""

from __future__ import annotations

import json
import sys
import time


def peak_rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


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
        # What `python -m lottery.verify` does: canonical files are read into columns.
        assert lottery.verify_data(data, own).valid
    else:
        raise SystemExit(f"unknown job {job!r}")
    seconds = time.perf_counter() - start
    peak = peak_rss_bytes()
    print(json.dumps({"job": job, "seconds": round(seconds, 3), "peak_rss_bytes": peak}))
    return 0


def _own_keys(data: bytes) -> dict[str, bytes]:
    """The signers' own keys, read from the signatures at the end of the file (no parse)."""
    import json as _json  # noqa: PLC0415

    tail = data[data.rindex(b',"signatures":[') + len(b',"signatures":') : -1]
    return {s["signer"]: bytes.fromhex(s["public_key"]) for s in _json.loads(tail)}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
