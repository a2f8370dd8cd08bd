"""Reports from the publication folder alone (no database): the notary's protocol, the
public results per school and round, and the district statistics' public part.

Reads files; hands frozen values to :mod:`reports`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paiwei.reporting.service import district_name
from reports.protocol import Protocol, protocol_of


def protocol_from_files(bundle: Mapping[str, Any], statement: Mapping[str, Any] | None,
                        schools_report: Mapping[str, Any] | None) -> Protocol:
    """The protocol from a bundle, its freeze statement and the round's ``schools.json``.

    Raises ``reports.ProtocolError``.
    """
    names = {str(s["school"]): str(s["name"]) for s in (schools_report or {}).get("schools", [])
             if isinstance(s, Mapping) and "school" in s and "name" in s}
    allocation = bundle.get("allocation") if isinstance(bundle.get("allocation"), Mapping) else {}
    round_id = str((allocation or {}).get("round") or str(bundle.get("draw_id", "")).rsplit("/", 1)[-1])
    return protocol_of(bundle, statement, school_names=names,
                       district=district_name(str((allocation or {}).get("district", ""))),
                       bundle_file=f"rounds/{round_id}/bundle.json")
