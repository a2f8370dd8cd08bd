"""The beacon record published beside the bundle (rounds/<round>/beacon.json, its SHA-256
in round.json) and re-checked offline by the season verifier (issue 19, item 6): the real
quicknet round 123 verifies; a flipped byte, another round's record, a round off by one
and a missing record are each rejected by name; without py_ecc the BLS check is skipped
and said so; a bundle without any after-freeze contribution is flagged."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lottery import Mechanism, canonical_json, freeze, run_draw, sign_bundle
from lottery._season import SeasonReport, verify_season
from lottery._standalone import source as standalone_source
from paiwei.publication.writer import dump
from paiwei.rounds import service, signer
from paiwei.rounds.errors import RoundError
from paiwei.rounds.models import State
from seeding import QUICKNET, commit
from tests.integration.rounds.helpers import NOTARY, STAFF, Season, keys_of, scenario
from tests.integration.rounds.test_beacon_round import AFTER, BEFORE, frozen_round, record


@pytest.fixture
def published(db_session: Session, tmp_path: Path) -> tuple[Path, Any, int]:
    """One round frozen naming quicknet round 123, its beacon contributed from the real
    record, drawn, signed, countersigned and published into a folder."""
    season, row = frozen_round(db_session, {"chain": QUICKNET, "round": 123})
    # No commitment in this round: the beacon is its one contribution, made after the freeze.
    service.contribute_beacon(db_session=db_session, actor=NOTARY, round_pk=row.id, record=record(), now=AFTER)
    row = service.close_ceremony(db_session=db_session, actor=STAFF, round_pk=row.id, now=AFTER)
    folder = tmp_path / "pub"
    row = season.publish(row, folder=folder)
    assert row.state == State.PUBLISHED
    return folder, season, row.id


def flip_signature(value: dict[str, Any]) -> dict[str, Any]:
    sig = bytearray(bytes.fromhex(value["beacon"]["signature"]))
    sig[7] ^= 1
    return {**value, "beacon": {**value["beacon"], "signature": sig.hex()}}


def _round_dir(folder: Path) -> Path:
    (path,) = [p.parent for p in (folder / "rounds").glob("*/beacon.json")]
    return path


def _replace_beacon(folder: Path, value: dict[str, Any] | None) -> None:
    """An altered record written as a forger would: round.json's beacon_sha256 updated too."""
    base = _round_dir(folder)
    meta = json.loads((base / "round.json").read_bytes())
    if value is None:
        (base / "beacon.json").unlink()
    else:
        data = dump(value)
        (base / "beacon.json").write_bytes(data)
        meta["beacon_sha256"] = hashlib.sha256(data).hexdigest()
    (base / "round.json").write_bytes(dump(meta))


def _beacon_check(report: SeasonReport) -> tuple[bool, str, bool]:
    (check,) = [c for c in report.checks if c.name.endswith(": beacon")]
    return check.ok, check.detail, check.skipped


def test_the_record_is_published_and_verifies_offline(published: tuple[Path, Any, int]) -> None:
    folder, season, _ = published
    base = _round_dir(folder)
    meta = json.loads((base / "round.json").read_bytes())
    data = (base / "beacon.json").read_bytes()
    assert json.loads(data) == record()
    assert meta["beacon_sha256"] == hashlib.sha256(data).hexdigest()
    report = verify_season(str(folder), keys_of(season))
    assert report.valid, report.to_json()
    ok, detail, skipped = _beacon_check(report)
    assert ok and not skipped and "BLS signature verified" in detail


@pytest.mark.parametrize(("alter", "names"), [
    (flip_signature, ("randomness:", "signature:")),
    (lambda r: record("default-round-1.json"), ("chain info:", "beacon round:", "contribution:")),
    (lambda r: {**r, "beacon": {**r["beacon"], "round": 124}}, ("beacon round:", "signature:")),
    (lambda r: {**r, "beacon": {**r["beacon"], "round": 122}}, ("beacon round:", "signature:")),
    (lambda r: None, ("record:",)),
])
def test_an_altered_or_missing_record_is_rejected_by_name(published: tuple[Path, Any, int], alter: Any,
                                                          names: tuple[str, ...]) -> None:
    folder, season, _ = published
    _replace_beacon(folder, alter(record()))
    report = verify_season(str(folder), keys_of(season))
    ok, detail, _ = _beacon_check(report)
    assert not ok and not report.valid
    assert all(name in detail for name in names), detail
    assert {c.name for c in report.checks if not c.ok} == {c.name for c in report.checks
                                                           if c.name.endswith(": beacon")}


def test_a_record_whose_hash_is_not_round_json_s_is_rejected(published: tuple[Path, Any, int]) -> None:
    folder, season, _ = published
    path = _round_dir(folder) / "beacon.json"
    path.write_bytes(path.read_bytes().replace(b"quicknet", b"quickn3t"))
    ok, detail, _ = _beacon_check(verify_season(str(folder), keys_of(season)))
    assert not ok and "record: the SHA-256 of beacon.json" in detail


def test_without_py_ecc_the_bls_check_is_skipped_and_said(published: tuple[Path, Any, int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import seeding._beacon  # noqa: PLC0415

    def missing(_: Any) -> bool:
        raise ImportError("No module named 'py_ecc'")

    monkeypatch.setattr(seeding._beacon, "_bls_valid", missing)
    folder, season, _ = published
    report = verify_season(str(folder), keys_of(season))
    ok, detail, skipped = _beacon_check(report)
    assert report.valid and ok and skipped and "BLS check skipped" in detail
    assert report.to_json()["checks"][-3:] != []  # the JSON report carries the flag
    assert any(c.get("skipped") for c in report.to_json()["checks"])
    # The cheap checks still run without py_ecc: another round's record still fails.
    _replace_beacon(folder, {**record(), "beacon": {**record()["beacon"], "round": 124}})
    ok, detail, _ = _beacon_check(verify_season(str(folder), keys_of(season)))
    assert not ok and "beacon round:" in detail


def test_a_bundle_without_any_after_freeze_contribution_is_flagged(published: tuple[Path, Any, int]) -> None:
    """A bundle made outside the lifecycle, drawn again with the beacon's contribution left
    out (the only after-freeze value) and signed by both pinned keys: every bundle check
    passes, and the season verifier flags it."""
    folder, season, _ = published
    base = _round_dir(folder)
    bundle = json.loads((base / "bundle.json").read_bytes())
    protocol = {"format", "draw_id", "mechanism", "ceremony", "schools", "applicants", "assignments",
                "school_results", "signatures"}
    inputs = freeze(bundle["draw_id"], bundle["schools"], bundle["applicants"])
    committed = [commit(bundle["draw_id"], "district", bytes([7]) * 32)]  # known to whoever chose it
    redrawn = run_draw(inputs, committed, mechanism=Mechanism(bundle["mechanism"]),
                       extra={k: v for k, v in bundle.items() if k not in protocol}).bundle
    redrawn = sign_bundle(sign_bundle(redrawn, "district", season.district_key), "notary", season.notary_key)
    data = canonical_json(redrawn)
    (base / "bundle.json").write_bytes(data)
    meta = json.loads((base / "round.json").read_bytes())
    meta["bundle_sha256"] = hashlib.sha256(data).hexdigest()
    (base / "round.json").write_bytes(dump(meta))
    index = json.loads((folder / "index.json").read_bytes())
    for entry in index["rounds"]:
        if entry.get("draw_id") == bundle["draw_id"]:
            entry["sha256"] = meta["bundle_sha256"]
    (folder / "index.json").write_bytes(dump(index))

    report = verify_season(str(folder), keys_of(season))
    failed = {c.name.split(": ", 1)[-1]: c.detail for c in report.checks if not c.ok}
    assert "after-freeze contribution" in failed
    assert "the seed could be known before the draw" in failed["after-freeze contribution"]
    assert "contribution:" in failed["beacon"]  # the beacon named at the freeze is not in the seed
    assert "bundle" not in failed and "files" not in failed  # a well-formed bundle, signed by both keys


def test_the_folder_copy_of_a_round_is_byte_identical(published: tuple[Path, Any, int], db_session: Session,
                                                      tmp_path: Path) -> None:
    """Writing the round again (another server's copy) reproduces beacon.json and round.json."""
    folder, _, round_pk = published
    copy = tmp_path / "copy"
    service.write_folder(db_session=db_session, round_pk=round_pk, folder=copy)
    for name in ("beacon.json", "round.json", "bundle.json"):
        rel = _round_dir(folder).relative_to(folder) / name
        assert (copy / rel).read_bytes() == (folder / rel).read_bytes()
    shutil.rmtree(copy)


ALONE = """
import importlib.abc, runpy, sys

BLOCKED = {"numpy", "orjson", "paiwei", "allocation", "api", "reports", *sys.argv[1].split(",")}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"blocked: {name}", name=name)
        return None

sys.meta_path.insert(0, Block())
sys.argv = ["paiwei_verify.py", *sys.argv[2:]]
runpy.run_path("paiwei_verify.py", run_name="__main__")
"""


def _alone(tmp_path: Path, blocked: str, *args: str) -> subprocess.CompletedProcess[str]:
    """paiwei_verify.py alone in an empty directory, with only the standard library and
    cryptography (and py_ecc unless ``blocked`` names it)."""
    alone = tmp_path / "alone"
    alone.mkdir(exist_ok=True)
    (alone / "paiwei_verify.py").write_bytes(standalone_source())
    return subprocess.run([sys.executable, "-c", ALONE, blocked, *args], cwd=alone, capture_output=True,
                          text=True, check=False, timeout=600)


def test_the_one_file_verifier_checks_the_beacon_in_chinese_and_english(published: tuple[Path, Any, int],
                                                                       tmp_path: Path) -> None:
    folder, _, _ = published
    assert (folder / "paiwei_verify.py").read_bytes() == standalone_source()
    keys = str(folder / "keys.json")
    # Only cryptography: the BLS step is skipped and said so, in both languages; still valid.
    only = _alone(tmp_path, "py_ecc,eth_typing", "season", str(folder), "--keys", keys)
    assert only.returncode == 0, only.stdout + only.stderr
    lines = only.stdout.splitlines()
    (beacon,) = [line for line in lines if "公共随机信标（drand） / beacon" in line]
    assert "通过 ok（部分跳过 partly skipped）" in beacon and "BLS check skipped" in beacon
    assert any("冻结声明 / freeze statement" in line and "通过 ok" in line for line in lines)
    assert lines[-2] == "结论 verdict：VALID（有效）" and lines[-1].startswith("核验结论：全部检查通过")
    doc = json.loads(_alone(tmp_path, "py_ecc,eth_typing", "season", str(folder), "--keys", keys,
                            "--json").stdout)
    assert doc["valid"] and [c["skipped"] for c in doc["checks"] if c["name"].endswith(": beacon")] == [True]
    # With py_ecc installed the signature is verified.
    full = _alone(tmp_path, "", "season", str(folder), "--keys", keys)
    assert full.returncode == 0 and "BLS signature verified" in full.stdout
    # A bundle report shows its contributions; an altered record fails by name, without py_ecc too.
    bundle = _alone(tmp_path, "py_ecc", "bundle", str(_round_dir(folder) / "bundle.json"), "--keys", keys)
    assert bundle.returncode == 0 and "随机数 contribution drand-beacon：冻结后产生 made after the freeze" in bundle.stdout
    assert "输入根（冻结的全部报名与学校记录） / input root" in bundle.stdout
    _replace_beacon(folder, {**record(), "beacon": {**record()["beacon"], "round": 124}})
    bad = _alone(tmp_path, "py_ecc,eth_typing", "season", str(folder), "--keys", keys)
    assert bad.returncode == 1
    assert "结论 verdict：INVALID（无效）：轮次 " in bad.stdout and "beacon round:" in bad.stdout
    assert "核验结论：未通过" in bad.stdout


def test_reveals_close_when_the_named_beacon_round_comes_out(db_session: Session) -> None:
    """The named round's time is the reveal deadline (issue 19, item 7): after it, whoever has
    not revealed could compute the seed with and without their value, so their opening is
    refused and only a waiver on record lets the ceremony close."""
    season = Season(db_session)
    row = season.create(scenario())
    early, late = season.commit(row, "district"), season.commit(row, "parent-representative")
    season.pin(row)
    row = signer.freeze(db_session=db_session, actor=STAFF, round_pk=row.id, district_key=season.district_key,
                        now=BEFORE, beacon={"chain": QUICKNET, "round": 123})
    assert early.nonce is not None and late.nonce is not None
    service.reveal(db_session=db_session, actor=STAFF, round_pk=row.id, contributor="district",
                   nonce=early.nonce.hex(), value=early.value.hex(), now=BEFORE + timedelta(minutes=15))
    out = datetime(2023, 8, 23, 15, 15, 33, tzinfo=UTC)  # quicknet round 123 comes out
    with pytest.raises(RoundError) as caught:
        service.reveal(db_session=db_session, actor=STAFF, round_pk=row.id, contributor="parent-representative",
                       nonce=late.nonce.hex(), value=late.value.hex(), now=out)
    assert caught.value.code == "ceremony_invalid" and "reveals closed at 2023-08-23T15:15:33Z" in (
        caught.value.detail or "")
    service.contribute_beacon(db_session=db_session, actor=NOTARY, round_pk=row.id, record=record(), now=AFTER)
    with pytest.raises(RoundError) as caught:
        service.close_ceremony(db_session=db_session, actor=STAFF, round_pk=row.id, now=AFTER)
    assert caught.value.code == "reveal_missing"
    service.waive(db_session=db_session, actor=NOTARY, round_pk=row.id, contributor="parent-representative",
                  reason="not revealed before drand round 123 came out", now=AFTER)
    closed = service.close_ceremony(db_session=db_session, actor=STAFF, round_pk=row.id, now=AFTER)
    assert closed.state == State.READY
    contributors = {c.contributor for c in service.contributions_of(db_session=db_session, round_pk=row.id)
                    if c.value is not None}
    assert contributors == {"district", "drand-beacon"}
