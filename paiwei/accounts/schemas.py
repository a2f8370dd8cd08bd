from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Passwords are taken exactly as typed (never stripped): the one policy check
# (``passwords.check_policy``) refuses whitespace, for the API and the CLI alike.
Secret = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginCreate(_In):
    login: Code  # 8-digit account number, the child's ID number, or a staff username
    password: Secret
    captcha_id: Token
    captcha_answer: Code


class SessionRead(BaseModel):
    role: str
    csrf_token: str
    expires_at: datetime


class MeRead(BaseModel):
    login: str
    role: str
    district: str | None
    street: str | None


class ResetCodeCreate(_In):
    login: Code
    mobile: Code


class ResetCreate(_In):
    login: Code
    mobile: Code
    sms_code: Code
    captcha_id: Token
    captcha_answer: Code
    new_password: Secret
    new_password_confirm: Secret


class AccountCodeCreate(_In):
    purpose: Literal["change_password", "cancel_account"]


class PasswordChange(_In):
    new_password: Secret
    new_password_confirm: Secret
    sms_code: Code


class CancelCreate(_In):
    sms_code: Code


class MessageRead(BaseModel):
    message: str
