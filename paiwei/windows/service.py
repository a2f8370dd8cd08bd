"""Application windows: load them from the policy's timetable, check them, extend them.

Times. The timetable's dates are Beijing local dates (Asia/Shanghai, UTC+8; China has
kept no daylight saving since 1991, so a fixed offset is exact). A window
"6 月 6 日- 6 月 9 日" is the half-open interval [6 June 00:00, 10 June 00:00) Beijing time:
it closes at the *end* of its last day. The database stores aware UTC datetimes.

Kinds are ``<stage>.<list>`` with the stage of the policy (``primary``, ``junior``) and
the choice list of the allocation scenario format (``private_boarding``, ``zone``,
``groups``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from allocation import PolicyError
from allocation.policy import policy_from_text, shipped_policy_text
from paiwei.audit import service as audit
from paiwei.choices.errors import ChoiceError
from paiwei.data import district_code
from paiwei.windows.models import ApplicationWindow
from paiwei.windows.schemas import WindowRead

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
STAGES = ("primary", "junior")
LISTS = ("private_boarding", "zone", "groups")
KINDS = ("primary.private_boarding", "primary.zone", "junior.private_boarding", "junior.zone",
         "junior.groups")
TITLES = {
    "primary.private_boarding": "民办小学、公办寄宿小学报名",
    "primary.zone": "小学多校划片志愿填报",
    "junior.private_boarding": "民办初中、公办寄宿初中报名",
    "junior.zone": "初中多校划片志愿填报",
    "junior.groups": "初中入学一批次报名及确认",
}


class WindowFileError(ValueError):
    """The policy's timetable is missing or malformed; the message names the entry."""


@dataclass(frozen=True, slots=True)
class WindowSpec:
    kind: str
    first_day: date
    last_day: date
    section: str
    source: str
    reading: str | None = None

    @property
    def opens_at(self) -> datetime:
        """00:00 Beijing time on the first day, in UTC."""
        return datetime.combine(self.first_day, time(0), BEIJING).astimezone(UTC)

    @property
    def closes_at(self) -> datetime:
        """The end of the last day Beijing time (00:00 the day after), in UTC."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), BEIJING).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class WindowFile:
    district: str
    year: int
    policy: str
    windows: tuple[WindowSpec, ...]


def windows_from_policy(text: str, name: str) -> WindowFile:
    """The windows of a policy file's timetable (``[[timetable]]``). Raises ``WindowFileError``.

    ``name`` is the policy's name (``chaoyang-2024``), stored with each window.
    """
    try:
        policy = policy_from_text(text)
    except PolicyError as exc:
        raise WindowFileError(f"policy {name}: {exc}") from None
    district = district_code(policy.district)
    if district is None:
        raise WindowFileError(f"policy {name}: unknown district {policy.district!r}")
    if not policy.timetable:
        raise WindowFileError(f"policy {name}: no timetable (no [[timetable]] windows)")
    specs: list[WindowSpec] = []
    for i, entry in enumerate(policy.timetable):
        if entry.kind not in KINDS:
            raise WindowFileError(f"policy {name}: timetable[{i}]: kind must be one of {list(KINDS)}")
        specs.append(WindowSpec(kind=entry.kind, first_day=date.fromordinal(entry.first_day),
                                last_day=date.fromordinal(entry.last_day), section=entry.section,
                                source=entry.source, reading=entry.reading))
    return WindowFile(district=district, year=policy.year, policy=name, windows=tuple(specs))


def shipped_windows(name: str = "chaoyang-2024") -> WindowFile:
    """The timetable of a policy shipped in ``allocation/policies``. Raises ``WindowFileError``."""
    try:
        text = shipped_policy_text(name)
    except PolicyError as exc:
        raise WindowFileError(str(exc)) from None
    return windows_from_policy(text, name)


def is_open(window: ApplicationWindow, now: datetime) -> bool:
    return window.opens_at <= now < window.closes_at


def load(*, db_session: Session, windows: WindowFile, actor: audit.Actor, now: datetime) -> int:
    """Insert the file's windows that are not yet in the database; return how many.

    Windows already loaded are left as they are (an extension is never undone by a
    reload). Each insertion is recorded in the audit log.
    """
    added = 0
    for spec in windows.windows:
        existing = db_session.scalar(select(ApplicationWindow.id).where(
            ApplicationWindow.district == windows.district, ApplicationWindow.year == windows.year,
            ApplicationWindow.kind == spec.kind))
        if existing is not None:
            continue
        db_session.add(ApplicationWindow(
            district=windows.district, year=windows.year, kind=spec.kind, opens_at=spec.opens_at,
            closes_at=spec.closes_at, scheduled_closes_at=spec.closes_at, policy=windows.policy,
            section=spec.section, source=spec.source, reading=spec.reading))
        audit.append(db_session=db_session, actor=actor, action="window_loaded",
                     subject=window_subject(windows.district, windows.year, spec.kind), now=now,
                     reason=f"{spec.opens_at.isoformat()}/{spec.closes_at.isoformat()} {spec.source}")
        added += 1
    db_session.commit()
    return added


def window_subject(district: str, year: int, kind: str) -> str:
    return f"w:{district}:{year}:{kind}"


def find(*, db_session: Session, district: str, year: int, kind: str) -> ApplicationWindow | None:
    return db_session.scalar(select(ApplicationWindow).where(
        ApplicationWindow.district == district, ApplicationWindow.year == year,
        ApplicationWindow.kind == kind))


def get_or_raise(*, db_session: Session, district: str, year: int, kind: str) -> ApplicationWindow:
    """Raises ``ChoiceError('window_not_found')``."""
    window = find(db_session=db_session, district=district, year=year, kind=kind)
    if window is None:
        raise ChoiceError("window_not_found", field="kind")
    return window


def require_open(window: ApplicationWindow, now: datetime) -> None:
    """Raises ``ChoiceError('window_closed')`` (不在报名时间内) outside ``[opens_at, closes_at)``."""
    if not is_open(window, now):
        opens = window.opens_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        closes = window.closes_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        raise ChoiceError("window_closed", detail=f"报名时间：{opens} 至 {closes}（北京时间）")


def list_windows(*, db_session: Session, district: str, year: int | None = None) -> list[ApplicationWindow]:
    query = select(ApplicationWindow).where(ApplicationWindow.district == district)
    if year is not None:
        query = query.where(ApplicationWindow.year == year)
    return list(db_session.scalars(query.order_by(ApplicationWindow.year, ApplicationWindow.opens_at,
                                                  ApplicationWindow.kind)))


def to_read(window: ApplicationWindow, now: datetime) -> WindowRead:
    return WindowRead(
        id=window.id, district=window.district, year=window.year, kind=window.kind,
        title=TITLES.get(window.kind, window.kind), opens_at=window.opens_at,
        closes_at=window.closes_at, scheduled_closes_at=window.scheduled_closes_at,
        extended=window.closes_at != window.scheduled_closes_at, open=is_open(window, now),
        section=window.section, source=window.source, reading=window.reading)


def extend(*, db_session: Session, actor: audit.Actor, district: str | None, window_id: int,
           closes_at: datetime, reason: str, now: datetime) -> ApplicationWindow:
    """Move a window's close later, before it has closed, with a recorded reason.

    ``district`` limits the staff member to their own district (``None``: any, for the
    CLI run by an operator). Raises ``ChoiceError``: ``extension_reason_required``,
    ``window_not_found``, ``window_already_closed``, ``window_extension_invalid``.
    """
    if not reason.strip():
        raise ChoiceError("extension_reason_required", field="reason")
    if closes_at.tzinfo is None:
        raise ChoiceError("window_extension_invalid", field="closes_at", detail="须带时区")
    query = select(ApplicationWindow).where(ApplicationWindow.id == window_id).with_for_update()
    window = db_session.scalar(query)
    if window is None or (district is not None and window.district != district):
        raise ChoiceError("window_not_found")
    if now >= window.closes_at:
        raise ChoiceError("window_already_closed")
    closes_at = closes_at.astimezone(UTC)
    if closes_at <= window.closes_at:
        raise ChoiceError("window_extension_invalid", field="closes_at")
    before = window.closes_at
    window.closes_at = closes_at
    audit.append(db_session=db_session, actor=actor, action="window_extended",
                 subject=window_subject(window.district, window.year, window.kind), now=now,
                 from_state=before.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 to_state=closes_at.strftime("%Y-%m-%dT%H:%M:%SZ"), reason=reason.strip())
    db_session.commit()
    return window
