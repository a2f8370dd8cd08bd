"""The one error of a rehearsal's input: a JSON pointer, what is wrong, and the rule broken."""

from __future__ import annotations


class RehearsalInputError(ValueError):
    """The scenario file, its policy or a command-line value is unusable.

    ``where`` names the file and, inside it, the offending value as a JSON pointer;
    ``rule`` names the format rule or policy section broken. ``str()`` is one line.
    """

    def __init__(self, message: str, where: str = "", rule: str = "") -> None:
        self.message = message
        self.where = where
        self.rule = rule
        text = f"{where}: {message}" if where else message
        text = f"{text} ({rule})" if rule else text
        super().__init__(" ".join(text.split()))  # one line, whatever the message held
