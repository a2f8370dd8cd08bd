"""Helpers for the staff console tests (integration and browser): a small seeded season,
the signers' key files, and the signing tools run as the signers run them (``paiwei
sign``, ``paiwei notary countersign``, ``paiwei ceremony commit``) on "their machine"
(a temporary folder the server never sees)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from lottery import private_key_pem, public_key_hex
from paiwei.cli import app as cli
from tests.integration.rounds.helpers import key, scenario

SAMPLE_PLAN = Path(__file__).resolve().parents[3] / "paiwei" / "plans" / "sample-chaoyang-2024.csv"


@dataclass
class Signers:
    """The district's and the notary's key files, on their own machines."""

    folder: Path

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "district.pem").write_bytes(private_key_pem(key(1)))
        (self.folder / "notary.pem").write_bytes(private_key_pem(key(2)))

    @property
    def district_public(self) -> str:
        return public_key_hex(key(1))

    @property
    def notary_public(self) -> str:
        return public_key_hex(key(2))

    def run(self, *args: str) -> str:
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def sign(self, path: Path) -> Path:
        """``paiwei sign FILE --key district.pem``: a freeze draft or a drawn bundle, in place."""
        self.run("sign", str(path), "--key", str(self.folder / "district.pem"))
        return path

    def countersign(self, path: Path) -> Path:
        self.run("notary", "countersign", str(path), "--key", str(self.folder / "notary.pem"),
                 "--trust", f"district={self.district_public}")
        return path

    def commit(self, draw_id: str, contributor: str = "district") -> tuple[str, Path]:
        """``paiwei ceremony commit``: the commitment to record and the opening file kept."""
        opening = self.folder / f"opening-{contributor}.json"
        printed = self.run("ceremony", "commit", "--draw-id", draw_id, "--contributor", contributor,
                           "--opening", str(opening), "--value", "07" * 32)
        return str(json.loads(printed)["commitment"]), opening


def season_file(folder: Path, applicants: int = 60, schools: int = 6) -> Path:
    """A small synthetic Chaoyang-shaped season (paiwei-scenario/1), school and zone names in Chinese."""
    path = folder / "scenario.json"
    path.write_text(json.dumps(scenario(applicants, schools), ensure_ascii=False), encoding="utf-8")
    return path
