"""学龄人口信息采集表 (parent manual §四, figure 13): the printed form a verified parent
brings to pre-registration, with a QR code to the page that confirms it is genuine.

Values only: the shell resolves every code to its label (``paiwei.data``) and computes
the verification code; this module lays them out.

Verification. The code printed on the form is :func:`verification_code` of the form
number and the digest of the form's fields: 8 characters of base32 (no personal data in
it, none recoverable from it). The QR code leads to :func:`verification_url`,
``{base}/verify/collection-form?no=<form number>&code=<code>``; that page (the web issue)
recomputes the code from the record the number names and answers only "genuine and
unchanged" or not, without showing personal data.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import segno

from lottery import canonical_json
from reports._render import Rendered, render

CODE_TAG = "paiwei/v1/collection-form"


@dataclass(frozen=True, slots=True)
class GuardianLines:
    position: str  # 一 / 二
    name: str
    relation: str
    id_type: str
    id_number: str
    education: str
    phone: str
    employer: str


@dataclass(frozen=True, slots=True)
class CollectionForm:
    district: str  # 所在区, a name
    form_no: str  # 编号: the 8-digit account number
    code: str  # 验证码
    verify_url: str
    generated_at: str  # 数据生成时间, Beijing time, e.g. 2024-05-06 09:30
    name: str
    sex: str
    nationality: str
    ethnicity: str
    birth_date: str
    id_type: str
    id_number: str
    hukou: str  # 户籍所在地
    hukou_address: str
    residence_district: str
    residence_address: str
    guardians: tuple[GuardianLines, ...]
    remarks: str  # 备注: care categories
    material_no: str  # 非本市户籍适龄儿童接受义务教育材料编号, or "—"


def fields_digest(fields: Mapping[str, object]) -> bytes:
    """SHA-256 of the canonical JSON of the form's fields (what the code binds)."""
    return hashlib.sha256(canonical_json(fields)).digest()


def verification_code(form_no: str, digest: bytes) -> str:
    """8 base32 characters of TH(CODE_TAG, form number ‖ fields digest)."""
    tag = hashlib.sha256(CODE_TAG.encode()).digest()
    h = hashlib.sha256(tag + tag + form_no.encode() + b"\x00" + digest).digest()
    return base64.b32encode(h).decode()[:8]


def verification_url(base_url: str, form_no: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/collection-form?{urlencode({'no': form_no, 'code': code})}"


def form_fields(form: CollectionForm) -> dict[str, object]:
    """The fields the code covers: everything printed except the code, URL and time."""
    values = asdict(form)
    for key in ("code", "verify_url", "generated_at"):
        values.pop(key)
    values["guardians"] = [dict(g) for g in values["guardians"]]  # asdict keeps tuples
    return values


def qr_svg(url: str) -> str:
    """The QR code as an inline SVG element (segno, error correction M)."""
    svg: str = segno.make(url, error="m").svg_inline(scale=3, border=2)
    return svg


def render_collection_forms(forms: Sequence[CollectionForm], name: str = "collection-form") -> Rendered:
    return render(name, "collection_form.html", forms=[(f, qr_svg(f.verify_url)) for f in forms])
