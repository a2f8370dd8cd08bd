"""Every report of a published season at once: the public ones into the publication
folder's ``reports/``, the ones with personal data into a staff folder. Used by
``paiwei demo`` and ``paiwei report season``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from paiwei.accounts.models import User
from paiwei.choices.models import ChoiceSet, SchoolCatalogue
from paiwei.intake.models import Applicant
from paiwei.intake.transfer import NO_PASSWORD
from paiwei.reporting import folder as public
from paiwei.reporting import service
from paiwei.rounds.models import Round, State
from reports import Rendered, render_collection_forms, render_protocol
from reports.personal import render_notices, render_receipt
from reports.public import render_index, render_round_results, render_statistics

PUBLIC_DIR = "reports"


@dataclass(frozen=True, slots=True)
class Written:
    public: tuple[Path, ...]
    staff: tuple[Path, ...]


def write(rendered: Rendered, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html, pdf = out_dir / f"{rendered.name}.html", out_dir / f"{rendered.name}.pdf"
    html.write_text(rendered.html, encoding="utf-8")
    pdf.write_bytes(rendered.pdf)
    return [html, pdf]


def school_zones(db_session: Session, stage: str | None = None) -> dict[str, str]:
    """School id -> zone name, from the newest choices catalogue (of ``stage`` when given)."""
    newest = select(SchoolCatalogue)
    if stage is not None:
        newest = newest.where(SchoolCatalogue.stage == stage)
    catalogue = db_session.scalar(newest.order_by(SchoolCatalogue.id.desc()).limit(1))
    if catalogue is None:
        return {}
    names = {str(z["id"]): str(z["name"]) for z in catalogue.zones if z.get("name")}
    return {str(s["id"]): names[str(s["zone"])] for s in catalogue.schools if str(s.get("zone")) in names}


ROUND_REPORTS = (("protocol", "公证派位报告"), ("results", "派位结果公示"))


def write_round_public(folder: Path, entry: Mapping[str, Any]) -> list[Path]:
    """One drawn round's protocol and results into the folder's ``reports/``: they read only
    the round's own files, so they may be written as soon as the round is published."""
    r = entry["round"]
    paths = write(render_protocol(public.protocol_from_folder(folder, r)), folder / PUBLIC_DIR)
    return paths + write(render_round_results(public.round_results(folder, entry)), folder / PUBLIC_DIR)


def write_public(db_session: Session, folder: Path, stage: str | None = None,
                 written: Collection[str] = ()) -> list[Path]:
    """Protocols, results per round (those of the rounds in ``written`` are there already,
    from :func:`write_round_public`) and the statistics into the folder's ``reports/``."""
    paths: list[Path] = []
    out = folder / PUBLIC_DIR
    entries = []
    for entry in public.drawn_rounds(folder):
        r = entry["round"]
        if r not in written:
            paths += write_round_public(folder, entry)
        for kind, what in ROUND_REPORTS:
            entries += [(f"{kind}-{r}.pdf", f"{entry.get('title', r)}：{what}"),
                        (f"{kind}-{r}.html", f"{entry.get('title', r)}：{what}（网页）")]
    rendered = render_statistics(public.statistics(folder, school_zones(db_session, stage)))
    paths += write(rendered, out)
    entries += [("statistics.pdf", "派位统计（图表）"), ("statistics.html", "派位统计（网页）")]
    (out / "index.html").write_text(render_index("派位公示报告", entries), encoding="utf-8")
    return [*paths, out / "index.html"]


def write_staff(db_session: Session, staff: Path, *, now: datetime, base_url: str, sample: int,
                stage: str | None = None, protocols: bool = True) -> list[Path]:
    """The district's copy of each protocol (from the database; of ``stage`` only when
    given; none without ``protocols``), and for the first ``sample`` parents who registered
    through the portal: their collection forms, admission notices and zone-choice receipts."""
    paths: list[Path] = []
    published = select(Round).where(Round.state == State.PUBLISHED)
    if stage is not None:
        published = published.where(Round.stage == stage)
    for row in db_session.scalars(published.order_by(Round.id)) if protocols else ():
        if row.bundle:
            paths += write(render_protocol(service.protocol_of_round(db_session=db_session, row=row)), staff)
    if sample <= 0:
        return paths
    forms = service.verified_forms(db_session=db_session, now=now, base_url=base_url, limit=sample)
    if forms:
        paths += write(render_collection_forms(forms, name="collection-forms"), staff)
    portal = list(db_session.execute(
        select(Applicant.pseudonym, User.id).join(User, User.id == Applicant.user_id)
        .where(User.password_hash != NO_PASSWORD).order_by(User.login)))
    notices = service.notices(db_session=db_session, pseudonyms=[p for p, _ in portal], now=now)[:sample]
    if notices:
        paths += write(render_notices(notices, name="notices"), staff)
    chose = {a for (a,) in db_session.execute(select(ChoiceSet.applicant_id).where(ChoiceSet.kind == "zone"))}
    ids = {p: a for p, a in db_session.execute(select(Applicant.pseudonym, Applicant.id))}
    for pseudonym, user_id in portal:
        if ids.get(pseudonym) in chose:
            receipt = service.receipt(db_session=db_session, user_id=user_id, kind="zone", now=now)
            paths += write(render_receipt(receipt, name="receipt-zone"), staff)
            break
    return paths


def write_season_reports(*, db_session: Session, folder: Path, staff: Path, now: datetime, base_url: str,
                         sample: int = 3, stage: str | None = None,
                         say: Callable[[str], None] | None = None) -> Written:
    written = Written(tuple(write_public(db_session, folder, stage)),
                      tuple(write_staff(db_session, staff, now=now, base_url=base_url, sample=sample,
                                        stage=stage)))
    if say is not None:
        say(f"public reports (protocols, results, statistics): {folder / PUBLIC_DIR}/index.html")
        say(f"staff reports (personal data; never publish): {staff}")
    return written


def write_for_database(database_url: str, *, folder: Path, staff: Path, now: datetime, base_url: str,
                       sample: int = 3, stage: str | None = None,
                       say: Callable[[str], None] | None = None) -> Written:
    """:func:`write_season_reports` on its own engine (the demo's one call)."""
    from paiwei.db import make_engine, make_session_factory  # noqa: PLC0415

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as db_session:
            return write_season_reports(db_session=db_session, folder=folder, staff=staff, now=now,
                                        base_url=base_url, sample=sample, stage=stage, say=say)
    finally:
        engine.dispose()
