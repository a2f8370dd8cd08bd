"""Rounds that held no draw (nobody left to place) in the publication folder.

A district without nine-year schools, or one where every child was placed early, has
rounds with nobody to place; the rounds after them must still be publishable, and the
season must close.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paiwei.publication import (
    PublicationConflict,
    PublicationOrderError,
    Season,
    publish_empty_round,
    read_index,
)


def _season() -> Season:
    return Season(district="chaoyang", year=2024, stage="primary",
                  rounds=("first", "second", "third"), salt=bytes(16))


def test_an_empty_round_is_recorded_in_order_without_a_bundle(tmp_path: Path) -> None:
    season = _season()
    assert publish_empty_round(tmp_path, season=season, round_id="first", reason="nobody to place")
    index = read_index(tmp_path)
    assert index["rounds"] == [{"round": "first", "held": False, "reason": "nobody to place"}]
    assert index["final"] is False
    assert not (tmp_path / "rounds").exists()


def test_recording_again_is_a_no_op_and_a_different_reason_is_refused(tmp_path: Path) -> None:
    season = _season()
    publish_empty_round(tmp_path, season=season, round_id="first", reason="nobody to place")
    before = (tmp_path / "index.json").read_bytes()
    assert not publish_empty_round(tmp_path, season=season, round_id="first", reason="nobody to place")
    assert (tmp_path / "index.json").read_bytes() == before
    with pytest.raises(PublicationConflict):
        publish_empty_round(tmp_path, season=season, round_id="first", reason="other")


def test_an_empty_round_cannot_skip_ahead(tmp_path: Path) -> None:
    with pytest.raises(PublicationOrderError):
        publish_empty_round(tmp_path, season=_season(), round_id="second", reason="nobody to place")


def test_the_season_closes_on_empty_rounds_and_result_files_become_final(tmp_path: Path) -> None:
    season = _season()
    # A result file as the last drawn round would have left it: not final yet.
    result = tmp_path / "results" / "ab" / "abcd.json"
    result.parent.mkdir(parents=True)
    result.write_text(json.dumps({"applicant": "A1", "final": False}), "utf-8")
    for r in season.rounds:
        publish_empty_round(tmp_path, season=season, round_id=r, reason="nobody to place")
    assert read_index(tmp_path)["final"] is True
    assert json.loads(result.read_text("utf-8")) == {"applicant": "A1", "final": True}
