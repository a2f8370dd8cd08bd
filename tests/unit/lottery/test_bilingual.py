"""The bilingual bundle report lists the ceremony's contributions from the verifier's own
report (no second read of the bundle): a live draw's balls read back, a commitment named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lottery import _bilingual
from lottery._verifier import main
from seeding import Contribution, balls_value, commit
from tests.strategies import DISTRICT, SMALL_APPLICANTS, SMALL_SCHOOLS, make_bundle


def test_contributions_come_from_the_report_and_balls_are_read_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw_id = "test/1"
    bundle = make_bundle(SMALL_SCHOOLS, SMALL_APPLICANTS, draw_id=draw_id, contributions=[
        commit(draw_id, "district", b"\x07" * 32), Contribution("notary-draw", balls_value([3, 17, 42]))])
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    assert main([str(path), "--key", f"district={DISTRICT['district'].hex()}", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["contributions"] == [
        {"contributor": "district", "value": "07" * 32, "committed": True},
        {"contributor": "notary-draw", "value": b"03 17 42".hex(), "committed": False}]

    path.unlink()  # the text comes from the report alone
    text = _bilingual.render_bundle(doc)
    assert "随机数 contribution district：冻结前承诺、冻结后揭示" in text
    assert "随机数 contribution notary-draw：冻结后现场摇号 live draw after the freeze，号码 balls 03 17 42" in text
