"""公证派位报告: the notary's protocol of one draw, from the signed bundle and the freeze
statement alone (both public), so a notary renders the same document from the
publication folder as the district does from its database.

What the protocol states is what those two files prove: the commitments listed in the
signed freeze statement (so made before the freeze), the input root it fixed, each opening
checked against its commitment, the after-freeze contributions, the seed, the per-school
outcome, the signatures and their keys' fingerprints, and the verifier's verdict. Times
that neither file carries (the reveals, the live draw, the run, publication) get a line
the notary fills in by hand from what they witnessed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lottery import InvalidBundle, VerificationError, canonical_json, verify
from reports._render import Rendered, render
from seeding import CeremonyError, commitment_of, tagged_hash

FREEZE_TAG = "paiwei/v1/freeze"  # as paiwei.rounds.service.FREEZE_TAG (a test keeps them equal)
MECHANISMS = {
    "deferred-acceptance": "延迟接受（按学生志愿依次申请，学校按派位号择优保留）",
    "preference-first": "志愿优先（按志愿顺序逐轮录取）",
}
SIGNERS = {"district": "区教委（派位组织方）", "notary": "公证处"}
CONTRIBUTORS = {
    "district": "区教委",
    "parent-representative": "家长代表",
    "notary-live-draw": "公证员现场摇号",
    "beacon-simulated": "公共随机信标（演示：模拟值）",
    "beacon": "公共随机信标",
}


class ProtocolError(ValueError):
    """The bundle or freeze statement cannot be read as such (message says what is wrong)."""


@dataclass(frozen=True, slots=True)
class Opening:
    contributor: str
    label: str
    commitment: str  # hex, or "" for an after-freeze contribution
    nonce: str
    value: str
    value_text: str  # the value as the notary announced it, when it reads as text or digits
    matches: bool  # the opening reproduces the commitment
    in_statement: bool  # the commitment is the one the freeze statement lists


@dataclass(frozen=True, slots=True)
class SchoolRow:
    school: str
    name: str
    seats: int
    listed: int
    applied: int
    admitted: int
    mode: str  # 直接录取 / 派位
    cutoff_priority: int | None
    cutoff_ticket: str | None


@dataclass(frozen=True, slots=True)
class KeyRow:
    signer: str
    label: str
    public_key: str
    fingerprint: str  # SHA-256 of the raw key, first 32 hex digits


@dataclass(frozen=True, slots=True)
class Step:
    n: int
    what: str
    evidence: str
    time: str  # "" when only the notary's own record has it


@dataclass(frozen=True, slots=True)
class Protocol:
    draw_id: str
    title: str
    section: str
    district: str
    mechanism: str
    rehearsal: bool
    input_root: str
    seed: str
    frozen_at: str
    statement_root_matches: bool | None  # None: no freeze statement given
    statement_signature_ok: bool | None
    statement_key_is_district: bool | None
    statement_counts: str
    inputs_sha256: str  # of the frozen inputs, as the statement gives it ("" without one)
    audit_head: str  # the audit log's tip signed into the statement ("" without one)
    applicants: int
    placed: int
    unplaced: int
    steps: tuple[Step, ...]
    committed: tuple[Opening, ...]
    after_freeze: tuple[Opening, ...]
    missing_openings: tuple[str, ...]  # commitments in the statement with no opening in the bundle
    schools: tuple[SchoolRow, ...]
    keys: tuple[KeyRow, ...]
    verified: bool
    checks: int
    failures: tuple[str, ...]
    command: str


def fingerprint(public_key_hex: str) -> str:
    """What a notary reads aloud to compare a key: SHA-256 of the raw key, 32 hex digits."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:32]


def _as_text(value: bytes) -> str:
    if value and all(b < 10 for b in value):  # numbered balls 0-9, one byte each
        return " ".join(str(b) for b in value)
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return text if text.isprintable() else ""


def _statement_signature_ok(statement: Mapping[str, Any]) -> bool:
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    body = {k: v for k, v in statement.items() if k != "signature"}
    sig = statement.get("signature") or {}
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sig["public_key"]))
        key.verify(bytes.fromhex(sig["signature"]), tagged_hash(FREEZE_TAG, canonical_json(body)))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True


def _audit_head(head: Any) -> str:
    if not isinstance(head, Mapping) or "hash" not in head:
        return ""
    return f"第 {head.get('seq')} 条，哈希 {head['hash']}"


def verify_command(bundle_file: str, keys: Sequence[KeyRow]) -> str:
    flags = " ".join(f"--key {k.signer}={k.public_key}" for k in keys)
    return f"python -m lottery.verify {bundle_file} {flags}".strip()


def protocol_of(bundle: Mapping[str, Any], statement: Mapping[str, Any] | None, *,
                school_names: Mapping[str, str], district: str, bundle_file: str = "bundle.json") -> Protocol:
    """The protocol's values. ``school_names`` maps school ids to names (the round's
    ``schools.json`` beside the bundle); ``district`` is the district's name.

    Raises ``ProtocolError`` when the bundle is not a draw bundle or the statement is
    for another draw.
    """
    try:
        draw_id = str(bundle["draw_id"])
        ceremony = bundle["ceremony"]
        contributions = list(ceremony["contributions"])
        signatures = list(bundle.get("signatures") or [])
        results = list(bundle.get("school_results") or [])
        assignments = list(bundle["assignments"])
        capacities = {str(s["id"]): int(s["capacity"]) for s in bundle["schools"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"not a draw bundle: {exc}") from None
    if statement is not None and statement.get("draw_id") != draw_id:
        raise ProtocolError(f"the freeze statement is for {statement.get('draw_id')!r}, not {draw_id!r}")
    allocation = bundle.get("allocation") or {}
    listed = {str(c["contributor"]): str(c["commitment"]) for c in (statement or {}).get("commitments", [])}

    committed, after = [], []
    for c in contributions:
        name, value = str(c["contributor"]), bytes.fromhex(c["value"])
        if "commitment" in c:
            try:
                matches = commitment_of(draw_id, name, bytes.fromhex(c["nonce"]), value).hex() == c["commitment"]
            except (CeremonyError, ValueError):
                matches = False
            committed.append(Opening(name, CONTRIBUTORS.get(name, name), c["commitment"], c["nonce"], c["value"],
                                     _as_text(value), matches, listed.get(name) == c["commitment"]))
        else:
            after.append(Opening(name, CONTRIBUTORS.get(name, name), "", "", c["value"], _as_text(value),
                                 True, False))
    opened = {o.contributor for o in committed}
    keys = [KeyRow(str(s["signer"]), SIGNERS.get(str(s["signer"]), str(s["signer"])), str(s["public_key"]),
                   fingerprint(str(s["public_key"]))) for s in signatures]

    failures: list[str] = []
    checks = 0
    try:
        report = verify(bundle, {k.signer: bytes.fromhex(k.public_key) for k in keys})
        checks = len(report.checks)
    except VerificationError as exc:
        failures = [f"{c.name}: {c.detail}" for c in exc.report.checks if not c.ok]
        checks = len(exc.report.checks)
    except InvalidBundle as exc:
        failures = [str(exc)]

    placed = sum(1 for a in assignments if a.get("school") is not None)
    schools = tuple(SchoolRow(
        school=str(r["school"]), name=school_names.get(str(r["school"]), str(r["school"])),
        seats=capacities.get(str(r["school"]), 0), listed=int(r["listed"]), applied=int(r["applied"]),
        admitted=int(r["admitted"]), mode="直接录取" if r["mode"] == "direct" else "派位",
        cutoff_priority=(r.get("cutoff") or {}).get("priority"), cutoff_ticket=(r.get("cutoff") or {}).get("ticket"),
    ) for r in results)

    frozen_at = str((statement or {}).get("frozen_at") or "")
    sig = (statement or {}).get("signature") or {}
    district_key = next((k.public_key for k in keys if k.signer == "district"), None)
    n_commit = len(listed)
    steps = (
        Step(1, f"公布承诺值（{n_commit} 项）", "列于区教委签署的冻结声明，故早于冻结" if statement else "未提供冻结声明",
             f"不晚于 {frozen_at}" if frozen_at else ""),
        Step(2, "冻结报名数据，公布输入根", "冻结声明（区教委签名）" if statement else "未提供冻结声明", frozen_at),
        Step(3, f"开启承诺（{len(committed)} 项）", "派位包中的开启值与承诺值逐项核对", ""),
        Step(4, f"冻结后贡献（{len(after)} 项：现场摇号、公共随机信标）", "派位包 ceremony.contributions", ""),
        Step(5, "生成种子，运行派位", "种子由输入根与全部贡献值计算（docs/draw-spec.md §9）", ""),
        Step(6, f"签名（{'、'.join(k.label for k in keys) or '无'}）", "Ed25519 签名，见公钥指纹", ""),
        Step(7, "公示", "公示目录 rounds/<轮次>/bundle.json", ""),
    )
    return Protocol(
        draw_id=draw_id, title=str(allocation.get("title") or draw_id), section=str(allocation.get("section") or ""),
        district=district, mechanism=MECHANISMS.get(str(bundle.get("mechanism", "deferred-acceptance")),
                                                    str(bundle.get("mechanism"))),
        rehearsal=draw_id.startswith("rehearsal/"), input_root=str(ceremony["input_root"]), seed=str(ceremony["seed"]),
        frozen_at=frozen_at,
        statement_root_matches=None if statement is None else statement.get("input_root") == ceremony["input_root"],
        statement_signature_ok=None if statement is None else _statement_signature_ok(statement),
        statement_key_is_district=None if statement is None else sig.get("public_key") == district_key,
        statement_counts=(f"学校 {statement.get('schools')} 所，申请人 {statement.get('applicants')} 名"
                          if statement else ""),
        inputs_sha256=str((statement or {}).get("inputs_sha256") or ""),
        audit_head=_audit_head((statement or {}).get("audit_head")),
        applicants=len(assignments), placed=placed, unplaced=len(assignments) - placed,
        steps=steps, committed=tuple(committed), after_freeze=tuple(after),
        missing_openings=tuple(sorted(set(listed) - opened)), schools=schools, keys=tuple(keys),
        verified=not failures, checks=checks, failures=tuple(failures),
        command=verify_command(bundle_file, keys),
    )


def render_protocol(protocol: Protocol) -> Rendered:
    stem = protocol.draw_id.rsplit("/", 1)[-1]
    return render(f"protocol-{stem}", "protocol.html", p=protocol)
