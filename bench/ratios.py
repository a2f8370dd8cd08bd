"""Ratios to the floor from a pytest-benchmark JSON file: ``python -m bench.ratios RESULT.json``.

Each benchmark is divided by the floor (tickets alone, hashlib) of its own group,
measured in the same run; both by their minimum over rounds (the least disturbed
round on a shared machine) and by their mean. Prints a Markdown table.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def rows(result: dict[str, Any]) -> list[str]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for bench in result["benchmarks"]:
        groups.setdefault(bench["group"] or "", []).append(bench)
    out = [
        "| group | benchmark | rounds | min (s) | mean (s) | min / floor min | mean / floor mean | extra |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for group, items in groups.items():
        floor = next((b for b in items if b["name"].startswith("test_floor_tickets")), None)
        for b in sorted(items, key=lambda b: b["stats"]["min"]):
            s = b["stats"]
            if floor is not None:
                f = floor["stats"]
                ratio_min = f"{s['min'] / f['min']:.2f}x"
                ratio_mean = f"{s['mean'] / f['mean']:.2f}x"
            else:
                ratio_min = ratio_mean = ""
            extra = ", ".join(f"{k}={v}" for k, v in b.get("extra_info", {}).items())
            out.append(
                f"| {group} | {b['name']} | {s['rounds']} | {s['min']:.3f} | {s['mean']:.3f} "
                f"| {ratio_min} | {ratio_mean} | {extra} |"
            )
    return out


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as fh:
        result = json.load(fh)
    machine = result.get("machine_info", {})
    print(f"python {machine.get('python_version')}, {machine.get('cpu', {}).get('brand_raw', '')}")
    print("\n".join(rows(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
