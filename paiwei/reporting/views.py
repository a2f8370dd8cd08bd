"""Printable reports over HTTP: the same document as HTML (screen) or PDF (print).

Scopes: the collection form, the admission notice and the choice receipt are the parent's
own (own account);
a round's notary protocol is for notaries, auditors and district staff (as the round's
verification package), since before publication its bundle is not public yet.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response

from api.deps import AppSettings, DbSession, Now
from api.locate import round_place
from api.params import RoundPk
from api.problems import responses
from api.scope import ParentUser, Scope, access
from paiwei.accounts.models import Role
from paiwei.accounts.service import AuthUser
from paiwei.reporting import service
from paiwei.rounds import service as rounds
from reports import Rendered, render_collection_forms, render_protocol
from reports.personal import render_notices, render_receipt

router = APIRouter(tags=["reports"])

# As the round's verification package: notaries and auditors everywhere, district staff their own district.
ProtocolReader = Annotated[AuthUser, access({Role.DISTRICT_STAFF: Scope.OWN_DISTRICT, Role.NOTARY: Scope.ALL,
                                             Role.AUDITOR: Scope.ALL}, locate=round_place)]

Format = Literal["html", "pdf"]
Kind = Literal["private_boarding", "zone", "groups"]
MEDIA: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}, "application/pdf": {}},
               "description": "the report as HTML (screen) or PDF (print)"}}


def _respond(rendered: Rendered, fmt: Format) -> Response:
    if fmt == "pdf":
        return Response(rendered.pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{rendered.name}.pdf"'})
    return Response(rendered.html, media_type="text/html; charset=utf-8")


@router.get("/reports/collection-form.{fmt}", response_class=Response,
            responses={**MEDIA, **responses(401, 403, 404)})
def collection_form(fmt: Format, user: ParentUser, db_session: DbSession, settings: AppSettings,
                    now: Now) -> Response:
    """学龄人口信息采集表 of the parent's own child (verified applicants only)."""
    form = service.collection_form(db_session=db_session, user_id=user.id, now=now,
                                   base_url=settings.public_base_url)
    return _respond(render_collection_forms([form]), fmt)


@router.get("/reports/choices/{kind}/receipt.{fmt}", response_class=Response,
            responses={**MEDIA, **responses(401, 403, 404, 409)})
def choice_receipt(kind: Kind, fmt: Format, user: ParentUser, db_session: DbSession, now: Now) -> Response:
    """志愿回执 of the parent's own locked choices, printable."""
    receipt = service.receipt(db_session=db_session, user_id=user.id, kind=kind, now=now)
    return _respond(render_receipt(receipt, name=f"receipt-{kind}"), fmt)


@router.get("/reports/notice.{fmt}", response_class=Response,
            responses={**MEDIA, **responses(401, 403, 404)})
def notice(fmt: Format, user: ParentUser, db_session: DbSession, now: Now) -> Response:
    """入学通知书 of the parent's own child, once a published round has placed them."""
    return _respond(render_notices([service.my_notice(db_session=db_session, user_id=user.id, now=now)],
                                   name="notice"), fmt)


@router.get("/reports/rounds/{round_pk}/protocol.{fmt}", response_class=Response,
            responses={**MEDIA, **responses(401, 403, 404, 409)})
def protocol(round_pk: RoundPk, fmt: Format, _user: ProtocolReader, db_session: DbSession) -> Response:
    """公证派位报告 of a drawn round (the same document the publication folder yields)."""
    row = rounds.get_or_raise(db_session=db_session, round_pk=round_pk)
    return _respond(render_protocol(service.protocol_of_round(db_session=db_session, row=row)), fmt)


__all__ = ["router"]
