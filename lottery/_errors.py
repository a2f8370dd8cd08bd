"""Errors of the lottery package."""

from __future__ import annotations


class InvalidBundle(ValueError):
    """The bundle or draw input is malformed: unreadable, wrong shape, or outside the protocol's domain.

    ``where`` is a JSON pointer to the offending value when one is known.
    """

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
