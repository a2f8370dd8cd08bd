"""The demo's reports: every public report (publication/reports) and every staff report
rendered, read back with poppler; no personal data in anything public; the protocol a
notary renders from the public folder alone equals the district's from its database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paiwei.accounts.models import User
from paiwei.choices.models import ChoiceSet
from paiwei.cli import app
from paiwei.db import make_engine, make_session_factory
from paiwei.intake.models import Applicant, Guardian
from paiwei.intake.transfer import NO_PASSWORD
from paiwei.publication import read_index
from paiwei.reporting import service
from paiwei.rounds.errors import RoundError
from paiwei.rounds.service import result_for
from tests.integration.conftest import DemoRun
from tests.pdfcheck import check_pdf, text

# The demo is run once for this module and test_demo.py (conftest ``demo_run``;
# tests/scheduling.py runs both files on one worker).


@pytest.fixture(scope="module")
def root(demo_run: DemoRun) -> Path:
    root, result = demo_run.root, demo_run
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"{root / 'publication' / 'reports'}/index.html" in result.stdout
    assert str(root / "staff") in result.stdout
    return root


@pytest.fixture
def db(root: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{root / 'paiwei.sqlite3'}")
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _rounds(root: Path) -> list[str]:
    return [r["round"] for r in read_index(root / "publication")["rounds"] if r.get("held") is not False]


def test_public_reports_render_with_labels_values_and_fonts(root: Path, tmp_path: Path) -> None:
    reports = root / "publication" / "reports"
    index = (reports / "index.html").read_text("utf-8")
    for r in _rounds(root):
        check_pdf(reports / f"protocol-{r}.pdf", tmp_path, expected=[
            "公证派位报告", "派位过程时间线", "冻结声明核验", "签名有效", "输入根与派位包一致", "开启与承诺一致",
            "承诺列于冻结声明", "审计日志头", "冻结数据SHA-256", "各校派位情况", "签名公钥指纹", "区教委（派位组织方）", "公证处", "项检查通过",
            f"rounds/{r}/bundle.json", "家长代表", "朝阳区"])
        check_pdf(reports / f"results-{r}.pdf", tmp_path, expected=["朝阳区派位结果公示", "派位编号", "学位"])
        assert f"protocol-{r}.pdf" in index and f"results-{r}.pdf" in index
    check_pdf(reports / "statistics.pdf", tmp_path, expected=[
        "义务教育入学派位统计", "各校申请人数与学位数之比", "各片区申请人数与学位数之比", "各轮录取人数",
        "按志愿顺序的录取人数", "第 1 志愿", "未录取人数（按片区）", "第1片区"])
    html = (reports / "statistics.html").read_text("utf-8")
    assert html.count("<svg") == 5


def _personal(db: Session) -> tuple[set[str], set[str]]:
    """(names and addresses, numbers: ID numbers, phones, account numbers, certificate numbers)."""
    words: set[str] = set()
    numbers: set[str] = set()
    for a in db.scalars(select(Applicant)):
        words |= {a.child_name, a.guardian_name, *(x for x in (a.address, a.actual_address) if x)}
        numbers |= {a.child_id_number, a.guardian_mobile,
                    *(x for x in (a.rental_registration_no, a.property_certificate_no) if x)}
    for g in db.scalars(select(Guardian)):
        words.add(g.name)
        numbers |= {g.id_number, g.phone}
    numbers |= {login for login in db.scalars(select(User.login)) if login.isdigit() and len(login) == 8}
    return words, {n for n in numbers if n}


def test_no_personal_data_in_any_public_report(root: Path, db: Session) -> None:
    words, numbers = _personal(db)
    assert len(words) > 100 and len(numbers) > 300  # the scan has something to find
    public = root / "publication"
    files = [*(public / "reports").iterdir(), *(public / "rounds").glob("*/freeze-statement.json")]
    assert len(files) >= 5 * len(_rounds(root)) + 3
    for path in files:
        body = text(path) if path.suffix == ".pdf" else path.read_text("utf-8")
        for w in words:
            assert w not in body, (path.name, "name or address")
        for n in numbers:  # bounded: a number inside a hex ticket is not a match
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(n)}(?![0-9A-Za-z])", body), (path.name, "number")
        assert not re.search(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])", body), (path.name, "ID number")
        assert not re.search(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])", body), (path.name, "phone")
    # …while the staff folder does hold them (the scan would see them).
    staff_forms = text(root / "staff" / "collection-forms.pdf")
    assert any(w in staff_forms for w in words) and any(n in staff_forms for n in numbers)


def test_protocol_from_the_public_folder_equals_the_staff_one(root: Path, tmp_path: Path) -> None:
    public = root / "publication"
    for r in _rounds(root):
        staff = (root / "staff" / f"protocol-{r}.html").read_text("utf-8")
        assert (public / "reports" / f"protocol-{r}.html").read_text("utf-8") == staff
        # A notary with only the folder, through the command line:
        result = CliRunner().invoke(app, ["report", "protocol", str(public / "rounds" / r / "bundle.json"),
                                          "--freeze-statement", str(public / "rounds" / r / "freeze-statement.json"),
                                          "--out", str(tmp_path)])
        assert result.exit_code == 0, result.stdout
        assert (tmp_path / f"protocol-{r}.html").read_text("utf-8") == staff
        assert (tmp_path / f"protocol-{r}.pdf").stat().st_size > 10_000


def test_staff_reports(root: Path, db: Session, tmp_path: Path) -> None:
    staff = root / "staff"
    portal = db.execute(select(Applicant, User.login).join(User, User.id == Applicant.user_id)
                        .where(User.password_hash != NO_PASSWORD).order_by(User.login)).first()
    assert portal is not None
    applicant, login = portal
    check_pdf(staff / "collection-forms.pdf", tmp_path, expected=[
        "学龄人口信息采集表", login, applicant.child_name, applicant.child_id_number, "居民身份证", "监护人签字"])
    check_pdf(staff / "notices.pdf", tmp_path, expected=["入学通知书", "同学家长", "教育委员会（盖章）"])
    row = db.scalars(select(ChoiceSet).where(ChoiceSet.kind == "zone", ChoiceSet.receipt_sha256.is_not(None))
                     .join(Applicant, Applicant.id == ChoiceSet.applicant_id)
                     .join(User, User.id == Applicant.user_id)
                     .where(User.password_hash != NO_PASSWORD).order_by(User.login)).first()
    assert row is not None and row.receipt_sha256
    grouped = " ".join(row.receipt_sha256[i:i + 8] for i in range(0, 64, 8))
    check_pdf(staff / "receipt-zone.pdf", tmp_path, expected=["志愿回执", "片区志愿", "已锁定的志愿", grouped])


def test_report_commands_on_the_folder_and_bad_input(root: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    public = root / "publication"
    last = _rounds(root)[-1]
    ok = runner.invoke(app, ["report", "results", str(public), "--round", last, "--out", str(tmp_path)])
    assert ok.exit_code == 0 and (tmp_path / f"results-{last}.pdf").is_file()
    ok = runner.invoke(app, ["report", "statistics", str(public), "--out", str(tmp_path)])
    assert ok.exit_code == 0 and (tmp_path / "statistics.pdf").is_file()
    for args in (["results", str(tmp_path / "nothing"), "--out", str(tmp_path)],
                 ["protocol", str(public / "index.json"), "--out", str(tmp_path)],
                 ["protocol", str(public / "rounds" / last / "bundle.json"), "--freeze-statement",
                  str(public / "rounds" / _rounds(root)[0] / "freeze-statement.json"), "--out", str(tmp_path)]):
        bad = runner.invoke(app, ["report", *args])
        assert bad.exit_code == 2, (args, bad.stdout)
        assert "Traceback" not in bad.stdout + bad.stderr and bad.stderr.count("\n") == 1


def test_a_parent_gets_their_own_notice_only_once_placed(db: Session) -> None:
    portal = db.execute(select(Applicant.pseudonym, User.id).join(User, User.id == Applicant.user_id)
                        .where(User.password_hash != NO_PASSWORD).order_by(User.login)).all()
    seen = set()
    for pseudonym, user_id in portal:
        try:
            status = result_for(db_session=db, applicant=pseudonym)["status"]
        except RoundError:
            status = "no result"
        if status == "placed":
            notice = service.my_notice(db_session=db, user_id=user_id, now=datetime.now(UTC))
            assert notice.applicant == pseudonym and notice.school and notice.school != "—"
        else:
            with pytest.raises(RoundError) as caught:
                service.my_notice(db_session=db, user_id=user_id, now=datetime.now(UTC))
            assert caught.value.code == "result_not_published"
        seen.add(status)
    assert "placed" in seen
