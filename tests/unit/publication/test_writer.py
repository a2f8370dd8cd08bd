"""The publication folder: layout, result files, the id hash, immutability, order, atomicity."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import lottery
from allocation import (
    AllocationResult,
    generate_district,
    rehearsal_contributions,
    run_plan,
    scenario_from_mapping,
    shipped_policy,
)
from paiwei.publication import (
    ATTEMPT_KEYS,
    ENTRY_KEYS,
    RESULT_KEYS,
    STATUSES,
    PublicationConflict,
    PublicationError,
    PublicationOrderError,
    RoundPublication,
    Season,
    _files,
    publish_round,
    publish_season,
    read_index,
    read_result,
    result_key,
    round_publications,
    season_of,
)
from tests.strategies import DISTRICT_KEY, NOTARY_KEY, OTHER_KEY

SALT = bytes(range(16))
KEYS = {
    "district": lottery.public_key_hex(DISTRICT_KEY),
    "notary": lottery.public_key_hex(NOTARY_KEY),
}
DOCS = Path(__file__).parents[3] / "docs" / "publication.md"


def _sign(bundle: dict[str, Any]) -> dict[str, Any]:
    return lottery.sign_bundle(
        lottery.sign_bundle(bundle, "district", DISTRICT_KEY), "notary", NOTARY_KEY
    )


@pytest.fixture(scope="module")
def season_data() -> tuple[AllocationResult, Season, list[RoundPublication]]:
    scenario = scenario_from_mapping(generate_district(400, 12, seed=7))
    result = run_plan(shipped_policy(), scenario, rehearsal_contributions(b"publication tests"))
    signed = {rid: _sign(b) for rid, b in result.bundles().items()}
    return result, season_of(result, salt=SALT), round_publications(result, signed)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def published(
    tmp_path: Path, season_data: tuple[AllocationResult, Season, list[RoundPublication]]
) -> Path:
    _, season, pubs = season_data
    folder = tmp_path / "pub"
    assert publish_season(folder, season=season, publications=pubs, keys=KEYS)
    return folder


def test_layout_index_and_bundles_verify(published: Path, season_data: Any) -> None:
    result, season, _ = season_data
    index = read_index(published)
    held = [r.spec.id for r in result.rounds if r.bundle is not None]
    assert [r["round"] for r in index["rounds"]] == held == list(season.rounds)
    assert index["final"] is True
    assert json.loads((published / "keys.json").read_bytes())["keys"] == KEYS
    trusted = {n: bytes.fromhex(k) for n, k in KEYS.items()}
    for entry in index["rounds"]:
        data = (published / entry["bundle"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        report = lottery.verify(lottery.parse_bundle(data), trusted)
        assert report.valid and set(report.signers) == {"district", "notary"}
        schools = json.loads((published / entry["schools"]).read_bytes())["schools"]
        bundle_results = {r["school"]: r for r in json.loads(data)["school_results"]}
        assert {s["school"] for s in schools} == set(bundle_results)
        for s in schools:
            assert s["admitted"] == bundle_results[s["school"]]["admitted"] <= s["seats"]
            assert s["mode"] in ("direct", "drawn")
        round_json = json.loads((published / "rounds" / entry["round"] / "round.json").read_bytes())
        assert round_json["bundle_sha256"] == entry["sha256"]


def test_every_applicant_has_a_result_with_only_the_documented_keys(
    published: Path, season_data: Any
) -> None:
    result, _, _ = season_data
    ids = result.scenario.applicants.ids
    files = sorted((published / "results").rglob("*.json"))
    assert len(files) == len(ids)
    assignment = result.assignment()
    for aid in ids:
        doc = read_result(published, aid)
        assert doc is not None
        assert set(doc) == RESULT_KEYS
        assert doc["applicant"] == aid and doc["status"] in STATUSES and doc["final"] is True
        assert (doc["school"] or {}).get("id") == assignment[aid]
        assert doc["status"] != "pending"
        for entry in doc["rounds"]:
            assert set(entry) == ENTRY_KEYS
            assert all(set(a) == ATTEMPT_KEYS for a in entry["attempts"])
            assert set(entry["verify"]) == {"bundle", "sha256", "keys", "command"}
        placing = [e for e in doc["rounds"] if e["placed"]]
        assert len(placing) == (1 if doc["status"] == "placed" else 0)
        if placing:
            assert placing[0]["round"] == doc["decided_by"]
            assert placing[0]["school"] == doc["school"]


def test_result_numbers_match_the_bundles(published: Path, season_data: Any) -> None:
    result, _, _ = season_data
    index = read_index(published)
    for entry in index["rounds"]:
        bundle = json.loads((published / entry["bundle"]).read_bytes())
        rows = bundle["assignments"]
        order = sorted(rows, key=lambda r: (bytes.fromhex(r["ticket"]), r["applicant"].encode()))
        rank = {r["applicant"]: i for i, r in enumerate(order, 1)}
        for row in rows[:60]:
            doc = read_result(published, row["applicant"])
            assert doc is not None
            mine = next(e for e in doc["rounds"] if e["round"] == entry["round"])
            assert mine["ticket"] == row["ticket"]
            assert mine["ticket_rank"] == rank[row["applicant"]]
            assert mine["participants"] == len(rows)
            assert (mine["school"] or {}).get("id") == row["school"]
            assert mine["verify"]["sha256"] == entry["sha256"]
    del result


def test_listing_does_not_reveal_ids(published: Path, season_data: Any) -> None:
    result, season, _ = season_data
    names = {p.stem for p in (published / "results").rglob("*.json")}
    assert all(re.fullmatch(r"[0-9a-f]{64}", n) for n in names)
    ids = result.scenario.applicants.ids
    assert not any(aid in n for n in names for aid in ids[:50])
    # Names are the documented salted hash: recompute one independently with hashlib.
    aid = ids[0]

    def th(tag: str, msg: bytes) -> bytes:
        t = hashlib.sha256(tag.encode()).digest()
        return hashlib.sha256(t + t + msg).digest()

    def f(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    h = th("paiwei/v1/result-key", f(season.id.encode()) + f(SALT) + f(aid.encode())).hex()
    assert h == result_key(season.id, SALT, aid)
    assert (published / "results" / h[:2] / f"{h}.json").is_file()
    assert result_key(season.id, bytes(16), aid) != h  # another salt, another name


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOCS.read_text("utf-8"), re.S)


def test_docs_snippets_recompute_ticket_and_file_name(
    published: Path, season_data: Any, tmp_path: Path
) -> None:
    result, _, _ = season_data
    ticket_py, key_py = _snippets()
    (tmp_path / "ticket.py").write_text(ticket_py, "utf-8")
    (tmp_path / "key.py").write_text(key_py, "utf-8")
    aid = next(
        a for a in result.scenario.applicants.ids if (read_result(published, a) or {}).get("rounds")
    )
    doc = read_result(published, aid)
    assert doc is not None
    entry = doc["rounds"][0]

    def run(script: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(tmp_path / script), *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=published,
        )
        return done.stdout.strip()

    assert run("ticket.py", entry["verify"]["bundle"], aid) == entry["ticket"]
    found = run("key.py", "index.json", aid)
    assert json.loads((published / found).read_bytes())["applicant"] == aid


def test_verify_command_in_result_runs(published: Path, season_data: Any) -> None:
    result, _, _ = season_data
    doc = next(
        d
        for a in result.scenario.applicants.ids
        if (d := read_result(published, a)) and d["rounds"]
    )
    argv = doc["rounds"][0]["verify"]["command"].split()
    assert argv[:3] == ["python", "-m", "lottery.verify"]
    done = subprocess.run(
        [sys.executable, *argv[1:]], capture_output=True, text=True, cwd=published, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_republishing_same_content_is_a_no_op(published: Path, season_data: Any) -> None:
    _, season, pubs = season_data
    before = tree(published)
    assert not publish_season(published, season=season, publications=pubs, keys=KEYS)
    for pub in pubs:
        assert not publish_round(published, season=season, publication=pub, keys=KEYS)
    assert tree(published) == before


def test_published_round_is_immutable(published: Path, season_data: Any) -> None:
    result, season, pubs = season_data
    before = tree(published)
    first = pubs[0]
    other_bundle = lottery.sign_bundle(
        lottery.sign_bundle(
            run_plan(
                result.policy, result.scenario, rehearsal_contributions(b"another seed")
            ).bundles()[first.round],
            "district",
            DISTRICT_KEY,
        ),
        "notary",
        NOTARY_KEY,
    )
    changed = [
        RoundPublication(**{**_fields(first), "bundle": other_bundle}),
        RoundPublication(**{**_fields(first), "schools": [*first.schools[1:]]}),
    ]
    for pub in changed:
        with pytest.raises(PublicationConflict):
            publish_round(published, season=season, publication=pub, keys=KEYS)
    with pytest.raises(PublicationConflict):
        publish_round(
            published,
            season=season,
            publication=first,
            keys={**KEYS, "district": lottery.public_key_hex(OTHER_KEY)},
        )
    assert tree(published) == before


def _fields(pub: RoundPublication) -> dict[str, Any]:
    return {name: getattr(pub, name) for name in RoundPublication.__slots__}


def test_rounds_are_published_in_order_and_results_stay_pending(
    tmp_path: Path, published: Path, season_data: Any
) -> None:
    result, season, pubs = season_data
    folder = tmp_path / "step"
    with pytest.raises(PublicationOrderError):
        publish_round(folder, season=season, publication=pubs[1], keys=KEYS)
    assert not (folder / "index.json").exists()
    publish_round(folder, season=season, publication=pubs[0], keys=KEYS)
    index = read_index(folder)
    assert [r["round"] for r in index["rounds"]] == [pubs[0].round] and not index["final"]
    statuses = {read_result(folder, a)["status"] for a in result.scenario.applicants.ids}  # type: ignore[index]
    assert "pending" in statuses and "unplaced" not in statuses
    with pytest.raises(PublicationOrderError):
        publish_round(folder, season=season, publication=pubs[2], keys=KEYS)
    for pub in pubs[1:]:
        publish_round(folder, season=season, publication=pub, keys=KEYS)
    # Round by round ends in exactly the folder published in one go.
    assert tree(folder) == tree(published)


def test_a_crash_half_way_is_repaired_by_publishing_again(
    tmp_path: Path, published: Path, season_data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, season, pubs = season_data
    folder = tmp_path / "crash"
    publish_round(folder, season=season, publication=pubs[0], keys=KEYS)
    real: Callable[..., bool] = _files.write_file
    calls = {"n": 0}

    def crashing(path: Path, data: bytes, **kw: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 50:
            raise OSError(28, "No space left on device")
        return real(path, data, **kw)

    monkeypatch.setattr(_files, "write_file", crashing)
    with pytest.raises(OSError, match="No space"):
        publish_round(folder, season=season, publication=pubs[1], keys=KEYS)
    monkeypatch.setattr(_files, "write_file", real)
    assert [r["round"] for r in read_index(folder)["rounds"]] == [pubs[0].round]
    assert not list(folder.rglob("*.tmp"))  # no temporary file left behind
    for pub in pubs[1:]:
        publish_round(folder, season=season, publication=pub, keys=KEYS)
    assert tree(folder) == tree(published)


def test_publish_season_refuses_another_season(published: Path, season_data: Any) -> None:
    _, season, pubs = season_data
    other = Season(season.district, season.year, season.stage, season.rounds, bytes(16))
    with pytest.raises(PublicationConflict):
        publish_season(published, season=other, publications=pubs, keys=KEYS)


def test_unsigned_or_unknown_round_is_refused(tmp_path: Path, season_data: Any) -> None:
    result, season, pubs = season_data
    unsigned = RoundPublication(**{**_fields(pubs[0]), "bundle": result.bundles()[pubs[0].round]})
    with pytest.raises(PublicationError, match="not signed"):
        publish_round(tmp_path / "x", season=season, publication=unsigned, keys=KEYS)
    stray = RoundPublication(**{**_fields(pubs[0]), "round": "elsewhere"})
    with pytest.raises(PublicationError, match="not in season"):
        publish_round(tmp_path / "x", season=season, publication=stray, keys=KEYS)
    with pytest.raises(PublicationError, match="no public key"):
        publish_round(
            tmp_path / "x", season=season, publication=pubs[0], keys={"district": KEYS["district"]}
        )


def test_read_result(published: Path, tmp_path: Path) -> None:
    assert read_result(published, "no-such-applicant") is None
    assert read_result(published, "e\u0301") is None  # not NFC: cannot be an id
    with pytest.raises(PublicationError):
        read_result(tmp_path / "nothing", "c1")


def test_season_rejects_unsafe_round_ids() -> None:
    with pytest.raises(PublicationError):
        Season("d", 2024, "primary", ("../x",), SALT)
    with pytest.raises(PublicationError):
        Season("d", 2024, "primary", ("a",), b"short")
