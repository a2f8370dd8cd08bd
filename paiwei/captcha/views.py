from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from api.deps import AppSettings, DbSession, Now
from api.problems import responses
from api.scope import Public
from paiwei.captcha import service

router = APIRouter(tags=["captcha"])


class CaptchaRead(BaseModel):
    captcha_id: str
    image_url: str
    expires_at: datetime


@router.post("/captchas", status_code=201, response_model=CaptchaRead, dependencies=[Public])
def new_captcha(db_session: DbSession, settings: AppSettings, now: Now) -> CaptchaRead:
    """A new image captcha (换一张). The answer is only in the image."""
    issued = service.issue(db_session=db_session, settings=settings, now=now)
    return CaptchaRead(captcha_id=issued.id, image_url=f"/api/captchas/{issued.id}.png",
                       expires_at=issued.expires_at)


@router.get("/captchas/{captcha_id}.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}, **responses(422)}, dependencies=[Public])
def captcha_image(captcha_id: Annotated[str, Path(max_length=43)], db_session: DbSession,
                  settings: AppSettings, now: Now) -> Response:
    png = service.render_png(db_session=db_session, settings=settings, captcha_id=captcha_id, now=now)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
