"""The base of the shell's domain errors: a stable code, an HTTP status, a Chinese title.

Each domain (intake, choices and windows, rounds) keeps its own catalogue of codes and
subclasses :class:`ProblemError`; the API renders every one of them as problem+json
(RFC 9457) with one handler (``api.problems``), and the CLI prints :meth:`line`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class ProblemError(Exception):
    """A rule was broken. Subclasses are dataclasses with ``code``, ``field`` and ``detail``."""

    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = {}
    code: str
    field: str | None
    detail: str | None

    def __post_init__(self) -> None:
        if self.code not in self.CATALOGUE:
            raise KeyError(f"unknown error code {self.code!r}")
        super().__init__(self.code)

    @property
    def status(self) -> int:
        return self.CATALOGUE[self.code][0]

    @property
    def title(self) -> str:
        return self.CATALOGUE[self.code][1]

    def line(self) -> str:
        """One line for the CLI."""
        if self.detail:
            return f"{self.title}: {self.detail} [{self.code}]"
        return f"{self.title} [{self.code}]"
