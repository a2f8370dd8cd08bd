"""Compare rfc8785 and orjson canonical bytes over 1,000,000 applicant records.

The protocol's canonical-JSON clarification says that, inside its domain, orjson's
sorted-keys output (and ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``) is byte-identical to RFC 8785.  The unit tests check this on
20,000 records; this script does the same on a million.  It is not part of the
test suite.  Run from the repository root:

    .venv/bin/python scripts/check_canonical_million.py [COUNT]

Exit status 0 when every record agrees, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import orjson
import rfc8785

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.independent.records import applicant_records


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 1_000_000
    started = time.perf_counter()
    mismatches = 0
    json_mismatches = 0
    total_bytes = 0
    digest = hashlib.sha256()
    for record in applicant_records(count):
        reference = rfc8785.dumps(record)
        if orjson.dumps(record, option=orjson.OPT_SORT_KEYS) != reference:
            mismatches += 1
            if mismatches <= 5:
                print(f"orjson differs for id {record['id']!r}")
        plain = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if plain.encode() != reference:
            json_mismatches += 1
        total_bytes += len(reference)
        digest.update(reference)
    elapsed = time.perf_counter() - started
    print(f"records:            {count}")
    print(f"canonical bytes:    {total_bytes}")
    print(f"sha256 of all:      {digest.hexdigest()}")
    print(f"orjson mismatches:  {mismatches}")
    print(f"json mismatches:    {json_mismatches}")
    print(f"elapsed:            {elapsed:.1f} s")
    return 0 if mismatches == json_mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
