"""The seed ceremony of draw protocol v1: commitments, reveals and seed derivation.

Pure: no clock, no environment, no I/O. Randomness for nonces comes from ``secrets``.
"""

from seeding._balls import MAX_BALL, balls_of, balls_value, parse_balls
from seeding._beacon import (
    CHAIN_CLOCKS,
    DEFAULT_CHAIN,
    PINNED_CHAINS,
    QUICKNET,
    BeaconCheck,
    BeaconRecord,
    BeaconRecordError,
    BeaconReport,
    check_record,
    parse_record,
    round_time,
)
from seeding._contributions import (
    CeremonyError,
    Contribution,
    check_opening,
    commit,
    commitment_of,
)
from seeding._primitives import (
    ProtocolValueError,
    frame,
    tag_state,
    tagged_hash,
    text_bytes,
    u32,
)
from seeding._seed import derive_seed, ordered

__all__ = [
    "CHAIN_CLOCKS",
    "DEFAULT_CHAIN",
    "MAX_BALL",
    "PINNED_CHAINS",
    "QUICKNET",
    "BeaconCheck",
    "BeaconRecord",
    "BeaconRecordError",
    "BeaconReport",
    "CeremonyError",
    "Contribution",
    "ProtocolValueError",
    "balls_of",
    "balls_value",
    "check_opening",
    "check_record",
    "commit",
    "commitment_of",
    "derive_seed",
    "frame",
    "ordered",
    "parse_balls",
    "parse_record",
    "round_time",
    "tag_state",
    "tagged_hash",
    "text_bytes",
    "u32",
]
