"""Results day: the parents' result lookup (``GET /api/results/me``) served from memory.

Each process keeps the rendered answer (the result document's bytes, ``publication.dump``, or the
``result_not_published`` refusal) per applicant pseudonym, and each parent's pseudonym
per user id (a pseudonym never changes). A cached answer costs no query: the request
pays only the session check. A miss reads the database once (``service.result_for``,
the same use case as before, so the document is whatever the service builds) and keeps
the answer.

What is cached is only ever the state of the *published* rounds, which change only when
a round is published. The cache is emptied

- in this process, as soon as a database session commits a change to a ``Round`` row
  (publication through the API, the CLI or the demo; an SQLAlchemy event below), and
- for changes made by other processes (other uvicorn workers, ``paiwei round`` commands
  beside a running server): the ids of the published rounds are re-read at most every
  ``recheck_seconds`` (one small query), and a change empties the cache.

So an answer can lag a publication made by another process by ``recheck_seconds`` at
most, never more. Sizes are bounded (``max_entries``): beyond them answers are served
without being kept.

Results day is mostly *first* lookups, so with ``warm`` the cache is filled in one read
(``service.published_results``: every published result and every parent's pseudonym,
three queries) when the server starts (before it serves) and whenever the set of published
rounds changes: then in a background thread, while lookups that miss read their own result
as before, so no request waits for the whole fill.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from paiwei.intake.errors import IntakeError
from paiwei.intake.models import Applicant
from paiwei.problems import ProblemError
from paiwei.publication import dump
from paiwei.rounds import service
from paiwei.rounds.models import Round, State

_CHANGED = "paiwei_rounds_changed"


class _Changes:
    """Commits in this process that touched a ``Round`` row (a counter)."""

    count = 0
    lock = threading.Lock()


@event.listens_for(Session, "after_flush")
def _note_round_changes(session: Session, _context: Any) -> None:
    if any(isinstance(obj, Round) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _count_round_changes(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        with _Changes.lock:
            _Changes.count += 1


@event.listens_for(Session, "after_soft_rollback")
def _forget_round_changes(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)


@dataclass
class _Generation:
    """The answers valid for one state of the published rounds."""

    local: int  # _Changes.count when made
    published: tuple[int, ...] | None  # ids of the published rounds
    checked: float  # monotonic time of the last re-read of ``published``
    answers: dict[str, bytes | ProblemError] = field(default_factory=dict)


class PublishedResults:
    """The per-process cache of published results (see the module's docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], *, recheck_seconds: float = 1.0,
                 max_entries: int = 200_000, monotonic: Callable[[], float] = time.monotonic,
                 warm: bool = False) -> None:
        self._sessions = session_factory
        self._warm = warm
        self._recheck = recheck_seconds
        self._max = max_entries
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._filling: threading.Thread | None = None
        self._pseudonyms: dict[int, str] = {}
        self._generation = _Generation(local=-1, published=None, checked=float("-inf"))

    def _fresh(self, generation: _Generation) -> bool:
        return (generation.local == _Changes.count
                and self._monotonic() - generation.checked <= self._recheck)

    def cached(self, user_id: int) -> bytes | None:
        """The answer if it is in memory and current, else None. No I/O: safe on the event
        loop. Raises the cached refusal (a copy) when the result is not published."""
        generation = self._generation
        if not self._fresh(generation):
            return None
        pseudonym = self._pseudonyms.get(user_id)
        answer = None if pseudonym is None else generation.answers.get(pseudonym)
        if isinstance(answer, ProblemError):
            raise copy.copy(answer)  # a fresh exception per request
        return answer

    def load(self, user_id: int) -> bytes:
        """The answer, reading the database for what is not in memory (blocking: run it in
        a worker thread). Raises ``IntakeError('applicant_not_found')`` or
        ``RoundError('result_not_published')``."""
        generation = self._current()
        pseudonym = self._pseudonyms.get(user_id)
        answer = None if pseudonym is None else generation.answers.get(pseudonym)
        if answer is None:
            with self._sessions() as db_session:  # one short session, closed before answering
                if pseudonym is None:
                    pseudonym = db_session.scalar(
                        select(Applicant.pseudonym).where(Applicant.user_id == user_id))
                    if pseudonym is None:
                        raise IntakeError("applicant_not_found")
                    if len(self._pseudonyms) < self._max:
                        self._pseudonyms[user_id] = pseudonym
                answer = generation.answers.get(pseudonym)
                if answer is None:
                    answer = self._render(db_session, pseudonym)
                    if len(generation.answers) < self._max:
                        generation.answers[pseudonym] = answer
        if isinstance(answer, ProblemError):
            raise copy.copy(answer)  # a fresh exception per request
        return answer

    @staticmethod
    def _render(db_session: Session, pseudonym: str) -> bytes | ProblemError:
        try:
            document = service.result_for(db_session=db_session, applicant=pseudonym)
        except ProblemError as exc:  # result_not_published: kept until a round is published
            return exc
        return dump(document)  # the published result file's bytes (one document)

    def _current(self) -> _Generation:
        """The current generation, re-reading the published rounds when that is due."""
        generation = self._generation
        if self._fresh(generation):
            return generation
        with self._lock:  # one thread re-reads; the others wait for its answer
            generation = self._generation
            if self._fresh(generation):
                return generation
            local = _Changes.count  # read before the query: a later commit is seen next time
            with self._sessions() as db_session:
                published = tuple(db_session.scalars(
                    select(Round.id).where(Round.state == State.PUBLISHED).order_by(Round.id)))
            now = self._monotonic()
            if published == generation.published and local == generation.local:
                generation.checked = now
            else:
                generation = _Generation(local=local, published=published, checked=now)
                if self._warm and published != self._generation.published:
                    self._filling = threading.Thread(target=self._fill, args=(generation,), daemon=True,
                                                     name="results-cache-fill")
                    self._filling.start()
                self._generation = generation
            return generation

    def warm_up(self) -> int:
        """Fill the cache with every published result now (at start-up, before serving);
        the number kept."""
        if not self._warm:
            return 0
        with self._lock:  # a generation nothing was read into: _current fills its successor
            self._generation = _Generation(local=-1, published=None, checked=float("-inf"))
        generation = self._current()
        self.settle()
        return len(generation.answers)

    def settle(self, timeout: float | None = None) -> None:
        """Wait for a fill under way (start-up; tests)."""
        filling = self._filling
        if filling is not None:
            filling.join(timeout)

    def _fill(self, generation: _Generation) -> None:
        """Every parent's pseudonym and every published result into ``generation`` (one read;
        the same bytes as ``_render`` gives one by one)."""
        with self._sessions() as db_session:
            for user_id, pseudonym in db_session.execute(
                    select(Applicant.user_id, Applicant.pseudonym).where(Applicant.user_id.is_not(None))
                    .limit(max(0, self._max - len(self._pseudonyms)))):
                self._pseudonyms[user_id] = pseudonym
            for pseudonym, document in service.published_results(db_session=db_session, limit=self._max):
                if len(generation.answers) >= self._max:  # lookups meanwhile kept theirs
                    break
                generation.answers.setdefault(pseudonym, dump(document))
