"""Review transitions, each recorded in the audit log with who, when and why.

    registered ──(parent submits details)──▶ details_submitted
    details_submitted ──(street reviewer: material review passed)──▶ id_pending
    id_pending ──(district staff: joint review, ID and household registration verified)──▶ verified
    details_submitted | id_pending ──(return with a reason)──▶ returned
    returned ──(parent resubmits details)──▶ details_submitted
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from paiwei.accounts.models import Role, User
from paiwei.accounts.service import AuthUser
from paiwei.audit import service as audit
from paiwei.choices import service as choice_service
from paiwei.intake.errors import IntakeError
from paiwei.intake.models import STATUS_TEXT, Applicant, Status
from paiwei.intake.schemas import ApplicantRead
from paiwei.intake.service import get_by_pseudonym_or_raise, to_read
from paiwei.review.schemas import FINDING_LABELS, FindingsRead, ReviewItem, TransitionRead


def _in_scope(actor: AuthUser, applicant: Applicant) -> bool:
    if actor.district != applicant.district:
        return False
    if actor.role == Role.STREET_REVIEWER:
        return actor.street is not None and actor.street == applicant.actual_street
    return actor.role == Role.DISTRICT_STAFF


def _load_in_scope(db_session: Session, actor: AuthUser, pseudonym: str) -> Applicant:
    applicant = get_by_pseudonym_or_raise(db_session=db_session, pseudonym=pseudonym)
    if not _in_scope(actor, applicant):
        raise IntakeError("out_of_scope")
    return applicant


def queue(*, db_session: Session, actor: AuthUser) -> list[ReviewItem]:
    """Applicants awaiting this reviewer: street → details submitted; district → ID pending."""
    query = select(Applicant).where(Applicant.district == actor.district)
    if actor.role == Role.STREET_REVIEWER:
        query = query.where(Applicant.actual_street == actor.street,
                            Applicant.status == Status.DETAILS_SUBMITTED)
    else:
        query = query.where(Applicant.status.in_([Status.DETAILS_SUBMITTED, Status.ID_PENDING]))
    rows: Sequence[Applicant] = db_session.scalars(query.order_by(Applicant.details_submitted_at)).all()
    return [ReviewItem(pseudonym=a.pseudonym, status=a.status, status_text=STATUS_TEXT[Status(a.status)],
                       district=a.district, street=a.actual_street,
                       details_submitted_at=a.details_submitted_at) for a in rows]


def get_for_review(*, db_session: Session, actor: AuthUser, pseudonym: str) -> ApplicantRead:
    """An applicant's record for a reviewer in scope. Raises ``out_of_scope``, ``applicant_not_found``."""
    applicant = _load_in_scope(db_session, actor, pseudonym)
    owner = db_session.get(User, applicant.user_id)
    return to_read(applicant, account_no=owner.login if owner else "")


def finding_labels(*, db_session: Session, actor: AuthUser, pseudonym: str) -> list[str]:
    """The recorded review findings in words (in the format's order), for a reviewer in scope.
    Raises ``out_of_scope``, ``applicant_not_found``."""
    applicant = _load_in_scope(db_session, actor, pseudonym)
    found = set(applicant.review_findings or ())
    return [label for code, label in FINDING_LABELS.items() if code in found]


def _transition(db_session: Session, actor: AuthUser, applicant: Applicant, *, allowed: set[Status],
                to: Status, action: str, now: datetime, reason: str | None = None,
                then: Callable[[Applicant], object] | None = None) -> TransitionRead:
    before = Status(applicant.status)
    if before not in allowed:
        raise IntakeError("invalid_transition")
    applicant.status = to
    if to == Status.RETURNED:
        applicant.return_reason = reason
    if to == Status.VERIFIED:
        applicant.verified_at = now
    audit.append(db_session=db_session, actor=audit.Actor(actor.id, actor.role), action=action,
                 subject=applicant.pseudonym, now=now, from_state=before, to_state=to, reason=reason)
    if then is not None:  # what the new state brings, in the same transaction
        then(applicant)
    db_session.commit()
    return TransitionRead(pseudonym=applicant.pseudonym, status=to, status_text=STATUS_TEXT[to])


def approve_materials(*, db_session: Session, actor: AuthUser, pseudonym: str,
                      now: datetime) -> TransitionRead:
    """Street office: material review passed. Raises ``out_of_scope``, ``invalid_transition``."""
    applicant = _load_in_scope(db_session, actor, pseudonym)
    return _transition(db_session, actor, applicant, allowed={Status.DETAILS_SUBMITTED},
                       to=Status.ID_PENDING, action="materials_approved", now=now)


def verify_identity(*, db_session: Session, actor: AuthUser, pseudonym: str,
                    now: datetime) -> TransitionRead:
    """District joint review: ID and household registration verified. An applicant whose
    routing record is already recorded is routed in the same transaction (eligibility,
    route and allowed schools, ``choices.service.route_applicant``)."""
    applicant = _load_in_scope(db_session, actor, pseudonym)
    return _transition(db_session, actor, applicant, allowed={Status.ID_PENDING},
                       to=Status.VERIFIED, action="identity_verified", now=now,
                       then=lambda a: choice_service.route_applicant(db_session=db_session, applicant=a,
                                                                     now=now))


def record_findings(*, db_session: Session, actor: AuthUser, pseudonym: str, findings: Sequence[str],
                    now: datetime) -> FindingsRead:
    """Record the joint review's findings (§四（一）4: 空挂户, 过道房, 地下室, 车库房, not the
    actual residence; material not submitted; §三（三）: the disability a placement was
    requested for not confirmed by 相关职能部门), replacing earlier ones. They join the
    applicant's routing record wherever it is routed, so each decides with its own rule.
    Street reviewers and district staff in scope, once details are submitted.

    Raises ``out_of_scope``, ``applicant_not_found``, ``invalid_transition`` (no details yet).
    """
    applicant = _load_in_scope(db_session, actor, pseudonym)
    if Status(applicant.status) == Status.REGISTERED:
        raise IntakeError("invalid_transition")
    ordered = [f for f in FINDING_LABELS if f in set(findings)]
    applicant.review_findings = ordered
    audit.append(db_session=db_session, actor=audit.Actor(actor.id, actor.role),
                 action="review_findings_recorded", subject=applicant.pseudonym, now=now,
                 reason=",".join(ordered) or "none")
    db_session.commit()
    return FindingsRead(pseudonym=applicant.pseudonym, findings=ordered,
                        labels=[FINDING_LABELS[f] for f in ordered])


def return_application(*, db_session: Session, actor: AuthUser, pseudonym: str, reason: str,
                       now: datetime) -> TransitionRead:
    """Return to the parent with a reason (required). Street: from details_submitted;
    district: from details_submitted or id_pending."""
    if not reason.strip():
        raise IntakeError("return_reason_required", field="reason")
    applicant = _load_in_scope(db_session, actor, pseudonym)
    allowed = {Status.DETAILS_SUBMITTED}
    if actor.role == Role.DISTRICT_STAFF:
        allowed.add(Status.ID_PENDING)
    return _transition(db_session, actor, applicant, allowed=allowed, to=Status.RETURNED,
                       action="returned", now=now, reason=reason.strip())
