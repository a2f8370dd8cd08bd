"""Documents for one family: admission notices (入学通知书) and the printable choice
receipt (志愿回执). Personal data: served to the family or printed by staff, never
written into the publication folder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports._render import Rendered, render


@dataclass(frozen=True, slots=True)
class Notice:
    district: str
    year: int
    name: str  # the child's name
    applicant: str  # the opaque id (派位编号)
    school: str  # the school's name
    round_title: str  # the round that placed the child
    ticket: str  # 派位号, first 16 hex digits ("" when placed without a draw of their own)
    issued: str  # date text, e.g. 2024年7月10日


def render_notices(notices: Sequence[Notice], name: str = "notices") -> Rendered:
    return render(name, "notices.html", notices=notices)


@dataclass(frozen=True, slots=True)
class ReceiptChoice:
    rank: int
    school: str  # name
    school_id: str


@dataclass(frozen=True, slots=True)
class Receipt:
    district: str
    year: int
    kind: str  # 民办及公办寄宿小学志愿 / 片区志愿 / …
    zone: str  # zone name or "—"
    applicant: str  # the opaque id, as in the draw bundle
    choices: tuple[ReceiptChoice, ...]
    version: int
    submitted_at: str
    locked_at: str
    sha256: str
    canonical_json: str


def render_receipt(receipt: Receipt, name: str = "receipt") -> Rendered:
    return render(name, "receipt.html", r=receipt)
