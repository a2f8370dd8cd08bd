from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import DbSession, Now
from api.locate import applicant_place
from api.params import Pseudonym
from api.problems import responses
from api.scope import Scope, access
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.intake.schemas import ApplicantRead
from paiwei.review import service
from paiwei.review.schemas import (
    FindingsRead,
    FindingsSet,
    ReturnCreate,
    ReviewItem,
    TransitionRead,
)

router = APIRouter(tags=["review"])

_REVIEWERS = {Role.STREET_REVIEWER: Scope.OWN_STREET, Role.DISTRICT_STAFF: Scope.OWN_DISTRICT}
# The queue lists the reviewer's own street (street office) or district (the service filters).
Reviewers = Annotated[AuthUser, access(_REVIEWERS)]
ApplicantReviewer = Annotated[AuthUser, access(_REVIEWERS, locate=applicant_place)]
StreetReviewer = Annotated[AuthUser, access({Role.STREET_REVIEWER: Scope.OWN_STREET}, locate=applicant_place)]
DistrictReviewer = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT}, locate=applicant_place)]


@router.get("/review/applicants", response_model=list[ReviewItem], responses=responses(401, 403))
def review_queue(user: Reviewers, db_session: DbSession) -> list[ReviewItem]:
    """Applicants awaiting this reviewer, in their street (street office) or district."""
    return service.queue(db_session=db_session, actor=user)


@router.get("/review/applicants/{pseudonym}", response_model=ApplicantRead,
            responses=responses(401, 403, 404))
def review_detail(pseudonym: Pseudonym, user: ApplicantReviewer, db_session: DbSession) -> ApplicantRead:
    return service.get_for_review(db_session=db_session, actor=user, pseudonym=pseudonym)


@router.post("/review/applicants/{pseudonym}/material-approval", response_model=TransitionRead,
             responses=responses(401, 403, 404, 409))
def approve_materials(pseudonym: Pseudonym, user: StreetReviewer, db_session: DbSession,
                      now: Now) -> TransitionRead:
    """Street office: materials pass → 身份证及户籍信息待验证."""
    return service.approve_materials(db_session=db_session, actor=user, pseudonym=pseudonym, now=now)


@router.post("/review/applicants/{pseudonym}/verification", response_model=TransitionRead,
             responses=responses(401, 403, 404, 409))
def verify_identity(pseudonym: Pseudonym, user: DistrictReviewer, db_session: DbSession,
                    now: Now) -> TransitionRead:
    """District joint review → 身份证及户籍信息已验证."""
    return service.verify_identity(db_session=db_session, actor=user, pseudonym=pseudonym, now=now)


@router.post("/review/applicants/{pseudonym}/return", response_model=TransitionRead,
             responses=responses(401, 403, 404, 409, 422))
def return_application(pseudonym: Pseudonym, body: ReturnCreate, user: ApplicantReviewer,
                       db_session: DbSession, now: Now) -> TransitionRead:
    """Return to the parent with a reason; they correct and resubmit the details."""
    return service.return_application(db_session=db_session, actor=user, pseudonym=pseudonym,
                                      reason=body.reason, now=now)


@router.put("/review/applicants/{pseudonym}/findings", response_model=FindingsRead,
            responses=responses(401, 403, 404, 409, 422))
def record_findings(pseudonym: Pseudonym, body: FindingsSet, user: ApplicantReviewer,
                    db_session: DbSession, now: Now) -> FindingsRead:
    """Joint review findings (§四（一）4), street office or district staff in scope."""
    return service.record_findings(db_session=db_session, actor=user, pseudonym=pseudonym,
                                   findings=body.findings, now=now)
