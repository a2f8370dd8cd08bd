"""Each report rendered from plain values: the Chinese labels and the values are in the
PDF's text, every font is embedded, no page is blank; the protocol's checks are real."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lottery import canonical_json, public_key_hex
from paiwei.rounds.service import FREEZE_TAG
from reports import (
    CollectionForm,
    GuardianLines,
    protocol_of,
    render_collection_forms,
    render_protocol,
)
from reports.collection_form import fields_digest, form_fields, verification_code, verification_url
from reports.personal import Notice, Receipt, ReceiptChoice, render_notices, render_receipt
from reports.protocol import FREEZE_TAG as REPORT_FREEZE_TAG
from reports.public import (
    Admitted,
    Bar,
    Chart,
    RoundResults,
    SchoolResult,
    Statistics,
    Table,
    bar_chart_svg,
    render_round_results,
    render_statistics,
)
from seeding import tagged_hash
from tests.pdfcheck import check_pdf

VECTORS = Path(__file__).parents[2] / "vectors"


def _bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads((VECTORS / "a_tiny_deferred_acceptance.json").read_text("utf-8"))["bundle"]
    return bundle


def _pdf(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return path


def test_freeze_tag_is_the_rounds_service_tag() -> None:
    assert REPORT_FREEZE_TAG == FREEZE_TAG


def test_protocol_of_the_vector_bundle(tmp_path: Path) -> None:
    bundle = _bundle()
    p = protocol_of(bundle, None, school_names={"school-a": "甲小学"}, district="朝阳区")
    assert p.verified and p.checks > 0 and not p.failures
    assert [o.matches for o in p.committed] == [True] * len(p.committed) and p.committed
    assert p.statement_root_matches is None
    assert p.after_freeze[0].value_text == "07 21 13 36 02"  # the balls as announced (spec §8)
    rendered = render_protocol(p)
    assert rendered.name == f"protocol-{bundle['draw_id'].rsplit('/', 1)[-1]}"
    text = check_pdf(_pdf(tmp_path, "protocol", rendered.pdf), tmp_path, expected=[
        "公证派位报告", "派位过程时间线", "承诺值及其开启", "各校派位情况", "签名公钥指纹", "独立核验",
        "公证员", "家长代表", "甲小学", "开启与承诺一致", "07 21 13 36 02", "python -m lottery.verify",
        " ".join(bundle["ceremony"]["input_root"][i:i + 8] for i in range(0, 64, 8)),
        " ".join(bundle["ceremony"]["seed"][i:i + 8] for i in range(0, 64, 8)),
    ])
    assert "核验未通过" not in text and "未提供冻结声明" in text


def test_protocol_names_a_tampered_bundle_and_a_bad_opening() -> None:
    bundle = _bundle()
    bad = copy.deepcopy(bundle)
    committed = next(c for c in bad["ceremony"]["contributions"] if "commitment" in c)
    committed["value"] = "00" + committed["value"][2:]
    p = protocol_of(bad, None, school_names={}, district="朝阳区")
    assert not p.verified and p.failures
    assert not next(o for o in p.committed if o.contributor == committed["contributor"]).matches
    assert "核验未通过" in render_protocol(p).html


def test_protocol_checks_the_freeze_statement() -> None:
    bundle = _bundle()
    key = Ed25519PrivateKey.generate()
    body = {"format": "paiwei-freeze/1", "draw_id": bundle["draw_id"], "input_root": bundle["ceremony"]["input_root"],
            "schools": 3, "applicants": 7, "frozen_at": "2024-07-04T01:00:00.000000Z",
            "commitments": [{"contributor": c["contributor"], "commitment": c["commitment"]}
                            for c in bundle["ceremony"]["contributions"] if "commitment" in c]}
    signed = {**body, "signature": {"signer": "district", "public_key": public_key_hex(key),
                                    "signature": key.sign(tagged_hash(FREEZE_TAG, canonical_json(body))).hex()}}
    p = protocol_of(bundle, signed, school_names={}, district="朝阳区")
    assert p.statement_signature_ok and p.statement_root_matches and all(o.in_statement for o in p.committed)
    assert p.statement_key_is_district is False  # the vector bundle is signed by test-district, not this key
    assert "2024-07-04 01:00:00 UTC" in render_protocol(p).html
    forged = {**signed, "input_root": "00" * 32}
    p = protocol_of(bundle, forged, school_names={}, district="朝阳区")
    assert p.statement_signature_ok is False and p.statement_root_matches is False


def _form(**changes: Any) -> CollectionForm:
    form = CollectionForm(
        district="朝阳区", form_no="24000001", code="", verify_url="", generated_at="2024-05-06 09:30",
        name="张小明", sex="男", nationality="中国", ethnicity="汉族", birth_date="2018-03-01",
        id_type="居民身份证", id_number="110105201803010012", hukou="北京市朝阳区", hukou_address="朝阳路1号",
        residence_district="朝阳区", residence_address="建外街道示例小区1号",
        guardians=(GuardianLines("一", "张大山", "父亲", "居民身份证", "110105198001010011", "大学本科",
                                 "13900000001", "示例科技有限公司"),),
        remarks="无", material_no="—（本市户籍）")
    form = replace(form, **changes)
    code = verification_code(form.form_no, fields_digest(form_fields(form)))
    return replace(form, code=code, verify_url=verification_url("https://example.test", form.form_no, code))


def test_collection_form_code_binds_the_fields_and_reveals_nothing() -> None:
    form = _form()
    assert len(form.code) == 8 and form.code.isalnum()
    assert form.code == _form().code  # deterministic
    assert form.code != _form(id_number="110105201803010020").code  # any field change changes it
    assert form.code == _form(generated_at="2025-01-01 00:00").code  # printing again does not
    assert form.verify_url == f"https://example.test/verify/collection-form?no=24000001&code={form.code}"
    for personal in ("张小明", "110105201803010012", "13900000001"):
        assert personal not in form.verify_url


def test_collection_form_pdf(tmp_path: Path) -> None:
    form = _form()
    rendered = render_collection_forms([form])
    assert "<svg" in rendered.html and "扫码核验" in rendered.html  # the QR code, inline
    check_pdf(_pdf(tmp_path, "form", rendered.pdf), tmp_path, expected=[
        "学龄人口信息采集表", "所在区", "朝阳区", "编号", "24000001", "验证码", form.code, "基本信息",
        "张小明", "居民身份证", "110105201803010012", "监护人（一）信息", "张大山", "父亲", "大学本科",
        "13900000001", "示例科技有限公司", "备注", "非本市户籍适龄儿童接受义务教育材料编号",
        "数据生成时间", "2024-05-06 09:30", "监护人签字", "年", "月", "日",
    ])


def test_results_statistics_notices_receipt_pdfs(tmp_path: Path) -> None:
    results = RoundResults(
        round="multi-school", title="多校划片统筹派位", district="朝阳区", draw_id="chaoyang/2024/primary/multi-school",
        section="§四（二）1（1）", mechanism="志愿优先", participants=3,
        schools=(SchoolResult("第1小学", 1, 2, "派位", (Admitted("A" + "1" * 32, "0f" * 8, 2),)),
                 SchoolResult("第2小学", 5, 1, "直接录取", (Admitted("A" + "2" * 32, "a1" * 8, 2),))),
        unplaced=("A" + "3" * 32,), bundle_sha256="ab" * 32, verify="python -m lottery.verify rounds/x/bundle.json")
    check_pdf(_pdf(tmp_path, "results", render_round_results(results).pdf), tmp_path, expected=[
        "朝阳区派位结果公示", "多校划片统筹派位", "第1小学", "第2小学", "直接录取", "A" + "1" * 32, "A" + "3" * 32,
        "本轮未录取"])

    stats = Statistics("朝阳区", "2024 年小学", (
        Chart("各校申请人数与学位数之比", "虚线：申请人数等于学位数。", (Bar("第1小学", 2.0, "2 / 1"),
                                                                Bar("第2小学", 0.2, "1 / 5")), reference=1.0),
        Chart("未录取人数（按片区）", "", (Bar("第1片区", 1),))),
        (Table("各轮录取情况", ("轮次", "参加人数", "录取人数"), (("多校划片统筹派位", "3", "2"),)),), ("注",))
    rendered = render_statistics(stats)
    assert rendered.html.count("<svg") == 2 and rendered.html.count("<rect") == 3
    check_pdf(_pdf(tmp_path, "statistics", rendered.pdf), tmp_path, expected=[
        "朝阳区义务教育入学派位统计", "各校申请人数与学位数之比", "第1小学", "2 / 1", "未录取人数（按片区）",
        "第1片区", "各轮录取情况"])

    notice = Notice("朝阳区", 2024, "张小明", "A" + "1" * 32, "第1小学", "多校划片统筹派位", "0f" * 8, "2024年7月10日")
    rendered = render_notices([notice, replace(notice, name="李小红", school="第2小学")])
    check_pdf(_pdf(tmp_path, "notices", rendered.pdf), tmp_path, expected=[
        "入学通知书", "张小明", "李小红", "第1小学", "第2小学", "教育委员会（盖章）", "2024年7月10日"])

    receipt = Receipt("朝阳区", 2024, "片区志愿", "第1片区", "A" + "1" * 32,
                      (ReceiptChoice(1, "第1小学", "P0000"), ReceiptChoice(2, "第2小学", "P0001")), 2,
                      "2024-05-06 09:30", "2024-05-31 17:00", "cd" * 32, '{"format":"paiwei-choice-receipt/1"}')
    check_pdf(_pdf(tmp_path, "receipt", render_receipt(receipt).pdf), tmp_path, expected=[
        "志愿回执", "片区志愿", "第1片区", "第1小学", "P0001", "已锁定的志愿", "如何核对",
        " ".join(["cdcdcdcd"] * 8)])


@pytest.mark.parametrize("values", [[], [0.0], [3.0, 1.0]])
def test_bar_chart_lengths_are_proportional(values: list[float]) -> None:
    svg = bar_chart_svg(Chart("t", "", tuple(Bar(f"b{i}", v) for i, v in enumerate(values))))
    widths = [float(part.split('"')[0]) for part in svg.split('<rect x="150" y="')[1:]
              for part in [part.split('width="')[1]]]
    assert len(widths) == len(values)
    if len(values) == 2:
        assert widths[0] == pytest.approx(3 * widths[1], abs=0.2)  # one decimal in the SVG
