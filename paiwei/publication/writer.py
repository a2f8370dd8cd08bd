"""Writing and reading the publication folder (layout in docs/publication.md).

::

    index.json                      season, rounds in order, bundle files and their SHA-256, keys
    keys.json                       the public keys the bundles are signed with
    rounds/<round>/bundle.json      the signed draw bundle (RFC 8785 bytes)
    rounds/<round>/schools.json     per school: seats, applied, admitted, direct/drawn/no-seats, cut-off
    rounds/<round>/keys.json        the keys that signed this round's bundle
    rounds/<round>/round.json       what identifies the round's publication (hashes of the above)
    rounds/<round>/freeze-statement.json  the district's signed freeze statement (input root,
                                    commitments, the audit log's head), when the round has one
    rounds/<round>/beacon.json      the drand record of the beacon round the freeze statement
                                    named (drand-record/1), when the round used one
    results/<h[:2]>/<h>.json        one applicant's result, h = result_key(season, salt, id)
    paiwei_verify.py                the one-file verifier (lottery._standalone), SHA-256 in index.json
    proofs/<round>/<h[:2]>/<h>.json one applicant's inclusion proof (docs/draw-spec.md §19),
                                    written at the freeze, before the draw; h as above

A round's folder is written once, in one rename, and never changes: publishing it
again with the same content is a no-op, with other content a PublicationConflict.
The result files and the index are then updated, each file atomically, the index
last; the whole step is idempotent, so a crash part-way is repaired by publishing
the same round again.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from lottery import canonical_json
from paiwei.publication import _files
from paiwei.publication.model import (
    ENTRY_KEYS,
    KEYS_FORMAT,
    OUTCOME_KEYS,
    PUBLICATION_FORMAT,
    ROUND_FORMAT,
    SCHOOLS_FORMAT,
    PublicationConflict,
    PublicationError,
    PublicationOrderError,
    RoundPublication,
    Season,
    result_path,
)
from paiwei.publication.result import (
    ResultDocument,
    RoundEntry,
    VerifyRef,
    result_document,
    round_entry,
    verify_ref,
)


def dump(value: Any) -> bytes:
    """Sorted, indented UTF-8 JSON with a final newline: the same value gives the same bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def _load(path: Path) -> Any:
    return _loads(path, _read(path))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _loads(path: Path, raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PublicationError(f"{path}: not valid JSON ({exc}); the folder is damaged") from None


def _round_files(
    season: Season, pub: RoundPublication, keys: Mapping[str, str]
) -> dict[str, bytes]:
    bundle = canonical_json(dict(pub.bundle))
    schools = dump({"format": SCHOOLS_FORMAT, "round": pub.round, "schools": list(pub.schools)})
    key_file = dump({"format": KEYS_FORMAT, "keys": dict(sorted(keys.items()))})
    entries = canonical_json({aid: dict(e) for aid, e in pub.entries.items()})
    statement = dump(dict(pub.freeze_statement)) if pub.freeze_statement is not None else None
    beacon = dump(dict(pub.beacon_record)) if pub.beacon_record is not None else None
    meta = dump(
        {
            "format": ROUND_FORMAT,
            "season": season.id,
            "round": pub.round,
            "title": pub.title,
            "section": pub.section,
            "draw_id": pub.draw_id,
            "mechanism": pub.mechanism,
            "bundle_sha256": hashlib.sha256(bundle).hexdigest(),
            "schools_sha256": hashlib.sha256(schools).hexdigest(),
            "keys_sha256": hashlib.sha256(key_file).hexdigest(),
            # Binds the per-applicant entries to this round without listing anyone.
            "entries_sha256": hashlib.sha256(entries).hexdigest(),
            "participants": len(pub.entries),
            **({"freeze_statement_sha256": hashlib.sha256(statement).hexdigest()}
               if statement is not None else {}),
            **({"beacon_sha256": hashlib.sha256(beacon).hexdigest()} if beacon is not None else {}),
        }
    )
    files = {
        "bundle.json": bundle,
        "schools.json": schools,
        "keys.json": key_file,
        "round.json": meta,
    }
    if statement is not None:
        files["freeze-statement.json"] = statement
    if beacon is not None:
        files["beacon.json"] = beacon
    return files


def _check_publication(season: Season, pub: RoundPublication, keys: Mapping[str, str]) -> None:
    if pub.round not in season.rounds:
        raise PublicationError(f"round {pub.round!r} is not in season {season.id}'s plan")
    if pub.bundle.get("draw_id") != pub.draw_id:
        raise PublicationError(f"round {pub.round!r}: the bundle is not draw {pub.draw_id!r}")
    signers = {s.get("signer") for s in pub.bundle.get("signatures", [])}
    if not signers:
        raise PublicationError(f"round {pub.round!r}: the bundle is not signed")
    missing = sorted(str(s) for s in signers if s not in keys)
    if missing:
        raise PublicationError(f"round {pub.round!r}: no public key given for {missing}")
    for aid, entry in pub.entries.items():
        if set(entry) != ENTRY_KEYS - {"verify"}:
            raise PublicationError(f"round {pub.round!r}: an entry has keys {sorted(entry)}")
        if aid not in pub.outcomes:
            raise PublicationError(f"round {pub.round!r}: an entry's applicant has no outcome")
    for outcome in pub.outcomes.values():
        if set(outcome) != OUTCOME_KEYS:
            raise PublicationError(f"round {pub.round!r}: an outcome has keys {sorted(outcome)}")


def _state(
    folder: Path, season: Season, pub: RoundPublication, keys: Mapping[str, str]
) -> tuple[dict[str, Any] | None, list[str], dict[str, str]]:
    """(index or None, rounds published, all keys) after the order and key checks."""
    index = _load(folder / "index.json")
    if index is not None and index.get("season") != season.to_json():
        raise PublicationConflict(f"{folder} holds another season (or the same with other rounds)")
    published: list[str] = [r["round"] for r in index["rounds"]] if index else []
    position = season.rounds.index(pub.round)
    if pub.round not in published and published != list(season.rounds[:position]):
        before = [r for r in season.rounds[:position] if r not in published]
        raise PublicationOrderError(
            f"round {pub.round!r} comes after {before}, which are not published yet"
        )
    all_keys: dict[str, str] = dict(index["keys"]) if index else {}
    for name, key in keys.items():
        if all_keys.get(name, key) != key:
            raise PublicationConflict(f"key {name!r} differs from the one already published")
        all_keys[name] = key
    return index, published, all_keys


def _round_dir(folder: Path, pub: RoundPublication, files: Mapping[str, bytes]) -> bool:
    rdir = folder / "rounds" / pub.round
    if not rdir.exists():
        _files.write_new_dir(rdir, files)
        return True
    present = {p.relative_to(rdir).as_posix() for p in rdir.rglob("*") if p.is_file()}
    if present != set(files) or any((rdir / n).read_bytes() != b for n, b in files.items()):
        raise PublicationConflict(
            f"round {pub.round!r} is already published with other content; "
            "a published round never changes"
        )
    return False


def _result_doc(
    season: Season,
    pub: RoundPublication,
    aid: str,
    *,
    old: Any,
    verify: VerifyRef,
    done: Sequence[str],
) -> ResultDocument:
    rounds: list[RoundEntry] = list(old["rounds"]) if old else []
    entry = pub.entries.get(aid)
    mine = [r for r in rounds if r["round"] == pub.round]
    if entry is not None:
        new_entry = orjson.loads(orjson.dumps(round_entry(entry, verify)))
        if mine and mine[0] != new_entry:
            raise PublicationConflict(
                f"round {pub.round!r}: a result already published differs; "
                "a published round never changes"
            )
        if not mine:
            rounds.append(new_entry)
    elif mine:
        raise PublicationConflict(f"round {pub.round!r}: a published result lost its entry")
    order = {r: i for i, r in enumerate(season.rounds)}
    rounds.sort(key=lambda r: order.get(r["round"], len(order)))
    latest = old is None or pub.round == done[-1]
    # Re-publishing an older round (a no-op repair) must not roll the header back.
    header = dict(pub.outcomes[aid]) if latest else {k: old[k] for k in OUTCOME_KEYS}
    final = set(done) == set(season.rounds) if latest else bool(old["final"])
    return result_document(season=season.id, applicant=aid, outcome=header, rounds=rounds, final=final)


def _publish(
    folder: Path,
    season: Season,
    pub: RoundPublication,
    keys: Mapping[str, str],
    *,
    sync: bool,
) -> bool:
    _check_publication(season, pub, keys)
    index, published, all_keys = _state(folder, season, pub, keys)
    files = _round_files(season, pub, keys)
    changed = _round_dir(folder, pub, files)
    bundle_path = f"rounds/{pub.round}/bundle.json"
    bundle_sha = hashlib.sha256(files["bundle.json"]).hexdigest()
    verify = verify_ref(pub.round, bundle_sha, keys)
    done = published if pub.round in published else [*published, pub.round]
    for aid in pub.outcomes:
        path = folder / result_path(season.id, season.salt, aid)
        raw = _read(path)  # read once: for the document and to leave an unchanged file alone
        doc = _result_doc(season, pub, aid, old=_loads(path, raw), verify=verify, done=done)
        data = dump(doc)
        if data != raw:
            changed |= _write(path, data, sync=sync, compare=False)
    rounds: list[dict[str, Any]] = list(index["rounds"]) if index else []
    if pub.round not in published:
        rounds.append(
            {
                "round": pub.round,
                "title": pub.title,
                "draw_id": pub.draw_id,
                "mechanism": pub.mechanism,
                "bundle": bundle_path,
                "sha256": bundle_sha,
                "schools": f"rounds/{pub.round}/schools.json",
                "schools_sha256": hashlib.sha256(files["schools.json"]).hexdigest(),
                "signers": sorted(keys),
                "verify": verify["command"],
            }
        )
    keys_doc = {"format": KEYS_FORMAT, "keys": dict(sorted(all_keys.items()))}
    changed |= _write(folder / "keys.json", dump(keys_doc), sync=sync)
    changed |= _write(folder / VERIFIER_FILE, _verifier_source(), sync=sync)
    new_index = _index_doc(season, rounds, all_keys, done)
    # The index goes last: a round is published once the index lists it.
    changed |= _write(folder / "index.json", dump(new_index), sync=sync)
    return changed


def _index_doc(
    season: Season, rounds: list[dict[str, Any]], keys: Mapping[str, str], done: Sequence[str]
) -> dict[str, Any]:
    return {
        "format": PUBLICATION_FORMAT,
        "season": season.to_json(),
        "rounds": rounds,
        "keys": dict(sorted(keys.items())),
        "final": set(done) == set(season.rounds),
        "results": "results/<h[:2]>/<h>.json, h as season.result_key.scheme says",
        # The one-file verifier (python paiwei_verify.py season . --keys keys.json), by hash.
        "verifier": {"file": VERIFIER_FILE, "sha256": hashlib.sha256(_verifier_source()).hexdigest()},
    }


VERIFIER_FILE = "paiwei_verify.py"


@cache
def _verifier_source() -> bytes:
    from lottery._standalone import source  # noqa: PLC0415

    return source()


def _write(path: Path, data: bytes, *, sync: bool, compare: bool = True) -> bool:
    """Write ``data`` unless the file holds it already (``compare=False``: the caller has
    just read the file and found other bytes). Returns whether it wrote."""
    if sync:
        return _files.write_file(path, data, compare=compare)
    try:
        if compare and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)  # staged folder: synced once, before the rename that publishes it
    return True


def publish_round(
    folder: Path, *, season: Season, publication: RoundPublication, keys: Mapping[str, str]
) -> bool:
    """Publish one round into ``folder`` (created if absent). Returns whether anything changed.

    ``keys`` maps signer name -> raw Ed25519 public key in hex, for every signer of the
    bundle. Rounds are published in the season's order. Raises PublicationOrderError
    for a round whose predecessors are not published, PublicationConflict when the
    folder already holds this round (or the season, or a key) with other content,
    PublicationError for an inconsistent publication, OSError when the disk refuses.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return _publish(folder, season, publication, keys, sync=True)


def publish_empty_round(folder: Path, *, season: Season, round_id: str, reason: str) -> bool:
    """Record in the index that ``round_id`` held no draw (nobody to place), in season order.

    A round that held no draw has no bundle and no results, but the rounds after it can
    only be published once the index accounts for it. Returns whether anything changed.
    Raises PublicationOrderError, PublicationConflict (the round is already published
    with a bundle or another reason), OSError.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if round_id not in season.rounds:
        raise PublicationError(f"round {round_id!r} is not in the season")
    index = _load(folder / "index.json")
    if index is not None and index.get("season") != season.to_json():
        raise PublicationConflict(f"{folder} holds another season (or the same with other rounds)")
    rounds: list[dict[str, Any]] = list(index["rounds"]) if index else []
    entry = {"round": round_id, "held": False, "reason": reason}
    existing = [r for r in rounds if r["round"] == round_id]
    if existing:
        if existing[0] != entry:
            raise PublicationConflict(
                f"round {round_id!r} is already published; a published round never changes"
            )
        return False
    published = [r["round"] for r in rounds]
    position = season.rounds.index(round_id)
    if published != list(season.rounds[:position]):
        before = [r for r in season.rounds[:position] if r not in published]
        raise PublicationOrderError(
            f"round {round_id!r} comes after {before}, which are not published yet"
        )
    rounds.append(entry)
    all_keys: dict[str, str] = dict(index["keys"]) if index else {}
    done = [*published, round_id]
    new_index = _index_doc(season, rounds, all_keys, done)
    changed = _write(folder / VERIFIER_FILE, _verifier_source(), sync=True)
    if new_index["final"]:
        # The season closed on rounds without a draw: the result files written with the
        # last drawn round said "not final yet"; they are final now.
        for path in sorted((folder / "results").rglob("*.json")):
            doc = _load(path)
            if isinstance(doc, dict) and doc.get("final") is False:
                changed |= _write(path, dump({**doc, "final": True}), sync=True)
    # The index goes last, as in _publish.
    return _write(folder / "index.json", dump(new_index), sync=True) | changed


def publish_season(
    folder: Path,
    *,
    season: Season,
    publications: Sequence[RoundPublication],
    keys: Mapping[str, str],
) -> bool:
    """Publish rounds in order. A folder that does not exist yet is built beside the target
    and appears in one rename; an existing one is extended round by round as
    :func:`publish_round` does (same errors). Returns whether anything changed."""
    if folder.exists():
        changed = False
        for pub in publications:
            changed |= publish_round(folder, season=season, publication=pub, keys=keys)
        return changed
    staged = _files.stage_dir(folder)
    try:
        for pub in publications:
            _publish(staged, season, pub, keys, sync=False)
        _files.sync_tree()
        _files.commit_dir(staged, folder)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return True


def read_index(folder: Path) -> dict[str, Any]:
    """The folder's index.json. Raises PublicationError when there is no publication."""
    index = _load(folder / "index.json")
    if not isinstance(index, dict) or index.get("format") != PUBLICATION_FORMAT:
        raise PublicationError(f"{folder} holds no publication")
    return index


def read_result(folder: Path, applicant_id: str) -> dict[str, Any] | None:
    """An applicant's published result file, or None when nothing is published for them.

    Raises PublicationError when ``folder`` holds no publication or a damaged file.
    """
    season = read_index(folder)["season"]
    salt = bytes.fromhex(season["result_key"]["salt"])
    try:
        rel = result_path(season["id"], salt, applicant_id)
    except ValueError:  # not NFC text: no applicant has such an id
        return None
    doc = _load(folder / rel)
    if doc is None:
        return None
    if not isinstance(doc, dict) or doc.get("applicant") != applicant_id:
        raise PublicationError(
            "a result file does not belong to its applicant; the folder is damaged"
        )
    return doc


def publish_proofs(folder: Path, *, season: Season, round_id: str,
                   proofs: Mapping[str, Mapping[str, Any]]) -> bool:
    """Write a frozen round's inclusion proofs (``lottery._proofs``, ``paiwei-inclusion/1``)
    as ``proofs/<round>/<h[:2]>/<h>.json`` under each applicant's salted result key, in one
    rename. Publishing the same proofs again is a no-op (False); other content is a
    PublicationConflict. Raises OSError when the disk refuses."""
    from paiwei.publication.model import result_key  # noqa: PLC0415

    if round_id not in season.rounds:
        raise PublicationError(f"round {round_id!r} is not one of the season's rounds")
    files: dict[str, bytes] = {}
    for applicant, proof in proofs.items():
        h = result_key(season.id, season.salt, applicant)
        files[f"{h[:2]}/{h}.json"] = dump(dict(proof))
    target = folder / "proofs" / round_id
    if target.exists():
        present = {str(p.relative_to(target)) for p in target.rglob("*.json")}
        if present != set(files) or any((target / n).read_bytes() != d for n, d in files.items()):
            raise PublicationConflict(f"proofs of round {round_id!r} are published with other content")
        return False
    _files.write_new_dir(target, files)
    return True
