"""``flask surveys import-flaskforms``: bring the old flaskForms backend's data in.

:func:`import_flaskforms` reads the old database (PostgreSQL, or a SQLite copy of its
schema) with an engine of its own, read-only, and writes users, surveys, questions and
replies to the service's database in ONE transaction: a run imports everything it
reports, or nothing. Each imported row is recorded in :class:`ImportedRow` under the old
database's URL (without its password), so a second run imports nothing twice and a run
after the old backend took more rows imports only those.

What a run does with rows the service would not take as they are:

- Fixed, and listed per row in the report's ``changes``: a login auth refuses (with
  ``@``, spaces or control characters) gets those replaced by ``_``; one taken by another
  user, ignoring case, gets ``-2``, ``-3``...; a blank one becomes ``user<old id>``. An
  e-mail address auth refuses, or one another user has, is left out (the user logs in
  by name, with the old password). A blank survey name becomes ``Survey <old id>``, a
  question without a type is a text question, text past the service's limits is cut.
- Skipped, with the reason, and NOT recorded, so that a run after the old row is fixed
  imports it: a user whose password hash auth cannot verify (nobody could ever log in to
  that account) together with everything they own; rows whose JSON is past the legacy
  API's limit; questions past a survey's 200th; rows that belong to no parent (NULL)
  and rows whose parent is skipped, or was imported and has been deleted since.
- Refused, nothing written (:class:`ImportFailed`, naming the row): a row that refers
  to a row the old database does not hold. The old database is inconsistent there and
  the operator, not the import, should decide what it meant.

Replies become submissions of one answer, counted as the legacy ``/addreply`` counts
them (:func:`plugboard_surveys._kinds.interpret`); a survey's ``submission_count`` grows
by the replies imported (the old ``subCount`` was never updated). Old revoked tokens are
listed in auth's revocations (``revoke_token_id``): with SURVEYS_LEGACY_JWT_SECRET_KEY the
service takes old tokens for a while (``_legacy_tokens``), never these. Dates without a
zone are UTC, as the old backend wrote them.

Ids: users, surveys and questions keep their old ids where those are free, and the id
sequences move past every old id when the run commits (``_ids``); a row renumbered
because its id was taken is listed in ``surveys_legacy_id`` for the legacy endpoints
(``_legacy_ids``). A user renamed for a case clash keeps the old login as an alias
(auth's ``add_alias``); the report ends with a text for each renamed user.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any, Final, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session

from flask_plugboard.db import session, utcnow
from flask_plugboard.plugins.auth import (
    AuthError,
    User,
    add_alias,
    import_user,
    normalise_name,
    revoke_token_id,
)

from . import _kinds as kinds
from . import _service as service
from ._errors import InvalidInput
from ._flaskforms import (
    QUESTIONS,
    REPLIES,
    SCHEMA,
    SURVEYS,
    TOKENS,
    USERS,
    ImportFailed,
    check_schema,
    cut,
    email_for,
    hash_usable,
    old_connection,
    source_of,
    too_big,
    username_for,
    utc,
    why,
)
from ._ids import Ids
from ._legacy_tokens import LOGINS
from ._models import Answer, Choice, ImportedRow, LegacyId, Question, Submission, Survey

__all__ = ["ImportFailed", "ImportReport", "TableReport", "import_flaskforms"]

#: Rows per INSERT (and per read of the old replies).
BATCH: Final = 1000

_BAD_HASH: Final = (
    "auth cannot verify its password hash (paswd is no passlib $pbkdf2-sha256$ hash), so "
    "nobody could log in to it: fix paswd in the old database and run again"
)
#: The longest old login recorded for old tokens (ImportedRow.old_id); the old schema's
#: logins have at most 80 characters.
_MAX_LOGIN: Final = 200
#: The old backend's refresh tokens lived this long (flask-jwt-extended's 30 days).
_OLD_REFRESH: Final = 30 * 24 * 3600


@dataclasses.dataclass
class TableReport:
    """What became of one old table's rows."""

    imported: int = 0
    #: Rows an earlier run imported.
    already: int = 0
    #: Why rows were left out -> those rows. They are not recorded: a later run retries.
    skipped: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: Rows imported with a change (a renamed user...), one line each.
    changes: list[str] = dataclasses.field(default_factory=list)

    def skip(self, reason: str, row: object) -> None:
        self.skipped.setdefault(reason, []).append(str(row))

    @property
    def skipped_count(self) -> int:
        return sum(len(rows) for rows in self.skipped.values())


@dataclasses.dataclass
class ImportReport:
    """A run's outcome per old table (``tables``, in import order)."""

    source: str
    dry_run: bool = False
    tables: dict[str, TableReport] = dataclasses.field(
        default_factory=lambda: {name: TableReport() for name in SCHEMA}
    )

    #: Per renamed user: where to send what to tell them.
    notices: list[str] = dataclasses.field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as text, for the command line."""
        verb = "Would import (dry run, nothing written)" if self.dry_run else "Imported"
        out = [f"{verb} from {self.source}:"]
        for name, table in self.tables.items():
            out.append(
                f"{name}: {table.imported} imported, {table.already} already there, "
                f"{table.skipped_count} skipped"
            )
            out += [f"  {change}" for change in table.changes]
            for reason, rows in table.skipped.items():
                shown = ", ".join(rows[:10]) + (
                    f" and {len(rows) - 10} more" if len(rows) > 10 else ""
                )
                out.append(f"  skipped {len(rows)} ({shown}): {reason}")
        if self.notices:
            out.append(f"Tell the {len(self.notices)} renamed users (a text for each):")
            out += [f"  {notice}" for notice in self.notices]
        return out


def import_flaskforms(url: str, *, dry_run: bool = False) -> ImportReport:
    """Import the flaskForms database at ``url`` into the current app's (an app context).

    ``dry_run``: do it all, report, then roll back. Raises :class:`ImportFailed` when the
    URL names no such database, or a row stops the import (nothing is written then).
    """
    parsed, source = source_of(url)
    report = ImportReport(source, dry_run=dry_run)
    try:
        engine = sa.create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ImportFailed(f"cannot open {source}: {why(exc)}") from None
    db = session()
    try:
        with old_connection(engine, source) as old:
            tables = check_schema(old, source)
            run = _Run(old, db, source, report)
            run.run(tables)
        if dry_run:
            db.rollback()
        else:
            run.finish()
            db.commit()
    except ImportFailed:
        db.rollback()
        raise
    except (SQLAlchemyError, ValueError) as exc:
        db.rollback()
        raise ImportFailed(
            f"the import from {source} stopped, nothing was imported: {why(exc)}"
        ) from None
    except BaseException:
        db.rollback()
        raise
    finally:
        engine.dispose()
    return report


def _notice(
    login: object, username: str, email: str | None, aliased: bool, reasons: Sequence[str]
) -> str:
    """What to tell a renamed user, and where to send it."""
    to = f"to {email}" if email else "no e-mail address: tell them another way"
    if aliased:
        text = (
            f"Your account {login!r} is now shown as {username!r}: the new service tells "
            "names apart without case, and another account had your name. Nothing changes "
            f"for you: keep logging in as {login!r} with your password ({username!r} works too)."
        )
    else:
        text = (
            f"Your account {login!r} is now named {username!r} ({'; '.join(reasons)}). Log "
            f"in as {username!r}"
            + (" or with your e-mail address" if email else "")
            + " and your usual password."
        )
    return f"{to} (old login {login!r}): {text}"


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: Per old table a row may need: what the row is, and what it is to the rows needing it.
_PARENTS: Final = {
    "users": ("user", "owner"),
    "surveys": ("survey", "survey"),
    "questions": ("question", "question"),
}


def _table(model: type[Any]) -> sa.Table:
    """The model's table: inserted into with Core, much faster than the ORM's bulk
    inserts (the rows go through no ORM events or identity map anyway)."""
    return cast(sa.Table, model.__table__)


class _Skip(Exception):
    """The row is left out, for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class _Target:
    """An imported question, as replies need it."""

    id: int
    survey_id: int
    kind: str
    options: Any


class _Run:
    """One import: the old rows, table after table, into the session's transaction."""

    def __init__(self, old: Connection, db: Session, source: str, report: ImportReport) -> None:
        self.old, self.db, self.source, self.report = old, db, source, report
        #: Per old table: old id -> the new row's id (this run's and earlier runs').
        self.new: dict[str, dict[int, Any]] = {name: {} for name in SCHEMA}
        #: Per old table: old id -> why rows that need it are skipped ("is skipped"...).
        self.gone: dict[str, dict[int, str]] = {name: {} for name in SCHEMA}
        #: Surveys this run creates (they have no questions yet).
        self.created: set[int] = set()
        #: Per table: the ids this run gives its new rows.
        self.ids: dict[type[Any], Ids] = {}

    def run(self, tables: set[str]) -> None:
        self.users()
        self.surveys()
        self.questions()
        self.replies()
        if "revoked_tokens" in tables:
            self.revoked_tokens()

    # -- bookkeeping ---------------------------------------------------------------------

    def _recorded(self, kind: str, column: InstrumentedAttribute[int]) -> dict[int, int | None]:
        """Old id -> new id of the rows earlier runs imported (None: deleted since)."""
        query = (
            sa.select(ImportedRow.old_id, column)
            .outerjoin(column.class_, column == ImportedRow.new_id)
            .where(ImportedRow.source == self.source, ImportedRow.kind == kind)
        )
        return {int(old_id): new_id for old_id, new_id in self.db.execute(query)}

    def _earlier(self, kind: str, old_id: int, new: Any) -> None:
        self.report.tables[kind].already += 1
        if new is None:
            self.gone[kind][old_id] = "was imported, and has been deleted since"
        else:
            self.new[kind][old_id] = new

    def _parent(self, kind: str, old_id: int | None, child: str, row: int) -> Any:
        """The new id (a question: its target) of a row's parent in the old table
        ``kind``; :class:`_Skip` when there is none to use."""
        noun, role = _PARENTS[kind]
        if old_id is None:
            raise _Skip(f"it belongs to no {noun}")
        if old_id in self.new[kind]:
            return self.new[kind][old_id]
        if old_id in self.gone[kind]:
            raise _Skip(f"its {role} (old {noun} {old_id}) {self.gone[kind][old_id]}")
        raise ImportFailed(
            f"{child} row {row} refers to {noun} {old_id}, which the old database does not "
            f"hold (no {kind} row {old_id}): fix or delete that row and run again; nothing "
            "was imported"
        )

    def _record(self, kind: str, pairs: Sequence[tuple[Any, int]]) -> None:
        rows = [
            {"source": self.source, "kind": kind, "old_id": str(old), "new_id": new}
            for old, new in pairs
        ]
        for chunk in _chunks(rows):
            self.db.execute(sa.insert(_table(ImportedRow)), list(chunk))

    def _insert(self, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows`` (each with its ``id``, from :class:`Ids`) in batches."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            # psycopg takes a batch in one statement only if the same columns are NULL in
            # every row.
            groups[tuple(name for name, value in row.items() if value is None)].append(row)
        table = _table(model)
        for group in groups.values():
            for chunk in _chunks(group):
                self.db.execute(sa.insert(table), list(chunk))

    def _ids(
        self, model: type[Any], old_table: sa.TableClause | None = None, column: str = ""
    ) -> Ids:
        """The ids of ``model``'s new rows, made once per run; ``old_table``'s ``column``
        holds the old ids."""
        if model not in self.ids:
            top_old = 0
            if old_table is not None:
                top_old = int(self.old.scalar(sa.select(sa.func.max(old_table.c[column]))) or 0)
            self.ids[model] = Ids(self.db, _table(model), top_old)
        return self.ids[model]

    def _map(self, kind: str, pairs: Sequence[tuple[int, int]]) -> None:
        """Record the renumbered rows of ``kind``, for legacy requests naming old ids."""
        rows = [{"kind": kind, "old_id": old, "new_id": new} for old, new in pairs if old != new]
        for chunk in _chunks(rows):
            self.db.execute(sa.insert(_table(LegacyId)), list(chunk))
        if rows:
            self.report.tables[kind].changes.append(
                f"{len(rows)} {kind} got new ids (their old ids were taken here): legacy "
                "clients still reach them by their old ids"
            )

    def finish(self) -> None:
        """Move the sequences past the ids given out (a committed run only)."""
        for ids in self.ids.values():
            ids.finish(self.db)

    # -- the tables ----------------------------------------------------------------------

    def users(self) -> None:
        report = self.report.tables["users"]
        recorded = self._recorded("users", User.id)
        names = set(self.db.scalars(sa.select(User.username_key)))
        emails = {key for key in self.db.scalars(sa.select(User.email_key)) if key}
        done: list[tuple[int, int]] = []
        #: (old login, new id): old tokens name their user by login.
        logins: list[tuple[Any, int]] = []
        ids = self._ids(User, USERS, "idUser")
        for row in self.old.execute(sa.select(USERS).order_by(USERS.c.idUser)).all():
            old_id = row.idUser
            if old_id in recorded:
                self._earlier("users", old_id, recorded[old_id])
                continue
            label = f"{old_id} {row.login!r}"
            if not hash_usable(row.paswd):
                report.skip(_BAD_HASH, label)
                self.gone["users"][old_id] = "is skipped"
                continue
            username, renamed = username_for(row.login, old_id, names)
            email, no_email = email_for(row.email, emails)
            try:
                user = import_user(
                    username, row.paswd, email, commit=False, user_id=ids.for_old(old_id)
                )
            except AuthError as exc:
                raise ImportFailed(f"users row {old_id}: {exc}; nothing was imported") from None
            if renamed:
                aliased = self._alias(user, row.login)
                report.changes.append(
                    f"user {label} is now {username!r}: {'; '.join(renamed)}"
                    + (f"; logs in as {row.login!r} still (an alias)" if aliased else "")
                )
                self.report.notices.append(_notice(row.login, username, email, aliased, renamed))
            if no_email:
                report.changes.append(f"user {label} has no e-mail address: {no_email}")
            names.add(normalise_name(username))
            if email:
                emails.add(normalise_name(email))
            self.new["users"][old_id] = user.id
            done.append((old_id, user.id))
            if isinstance(row.login, str) and 0 < len(row.login) <= _MAX_LOGIN:
                logins.append((row.login, user.id))
        report.imported += len(done)
        self._record("users", done)
        self._record(LOGINS, logins)
        renumbered = sum(1 for old, new in done if old != new)
        if renumbered:
            report.changes.append(
                f"{renumbered} users got new ids (their old ids were taken here); they log "
                "in as before"
            )

    def _alias(self, user: User, login: object) -> bool:
        """Let ``user`` log in with its old ``login`` too, where auth takes it as a name
        (one renamed for a case clash); False where it does not (``@``, spaces...)."""
        if not isinstance(login, str):
            return False
        try:
            add_alias(user, login, commit=False)
        except AuthError:
            return False
        return True

    def surveys(self) -> None:
        report = self.report.tables["surveys"]
        recorded = self._recorded("surveys", Survey.id)
        olds: list[int] = []
        rows: list[dict[str, Any]] = []
        ids = self._ids(Survey, SURVEYS, "idSurvey")
        for row in self.old.execute(sa.select(SURVEYS).order_by(SURVEYS.c.idSurvey)).all():
            old_id = row.idSurvey
            if old_id in recorded:
                self._earlier("surveys", old_id, recorded[old_id])
                continue
            try:
                owner = self._parent("users", row.idUser, "surveys", old_id)
            except _Skip as skip:
                report.skip(skip.reason, old_id)
                self.gone["surveys"][old_id] = "is skipped"
                continue
            name, shortened = cut(row.name, service.MAX_NAME)
            if not name:
                name = f"Survey {old_id}"
                report.changes.append(f"survey {old_id} had no name: it is now {name!r}")
            elif shortened:
                report.changes.append(
                    f"survey {old_id}: its name is cut to {service.MAX_NAME} characters"
                )
            description, shortened = cut(row.desc, service.MAX_DESCRIPTION)
            if shortened:
                report.changes.append(
                    f"survey {old_id}: its description is cut to "
                    f"{service.MAX_DESCRIPTION} characters"
                )
            olds.append(old_id)
            rows.append(
                {
                    "id": ids.for_old(old_id),
                    "owner_id": owner,
                    "name": name,
                    "description": description,
                    "is_active": bool(row.isActive),
                    "due_at": utc(row.dueDate),
                    "one_per_respondent": False,
                    "submission_count": 0,
                }
            )
        self._insert(Survey, rows)
        pairs = [(old, row["id"]) for old, row in zip(olds, rows, strict=True)]
        self.new["surveys"].update(pairs)
        self.created = {new for _, new in pairs}
        report.imported += len(pairs)
        self._record("surveys", pairs)
        self._map("surveys", pairs)

    def revoked_tokens(self) -> None:
        """The old revocations, refused here too (old tokens are taken for a while:
        SURVEYS_LEGACY_TOKEN_GRACE), until the last old token they could refuse expires."""
        report = self.report.tables["revoked_tokens"]
        earlier = {
            old_id
            for old_id, _ in self.db.execute(
                sa.select(ImportedRow.old_id, ImportedRow.new_id).where(
                    ImportedRow.source == self.source, ImportedRow.kind == "revoked_tokens"
                )
            )
        }
        settings = current_app.extensions["surveys"].get_settings(current_app)
        until = utcnow() + dt.timedelta(seconds=max(settings.legacy_token_grace, _OLD_REFRESH))
        done: list[tuple[Any, int]] = []
        query = sa.select(TOKENS.c.id, TOKENS.c.jti).order_by(TOKENS.c.id)
        for token_id, jti in self.old.execute(query):
            if str(token_id) in earlier:
                report.already += 1
                continue
            try:
                revoke_token_id(jti, until=until, commit=False)
            except AuthError as exc:
                report.skip(f"{exc}; no old token carries it", token_id)
                continue
            done.append((token_id, 0))
        report.imported += len(done)
        self._record("revoked_tokens", done)

    def _recorded_questions(self) -> dict[int, _Target | None]:
        query = (
            sa.select(
                ImportedRow.old_id, Question.id, Question.survey_id, Question.kind, Question.options
            )
            .outerjoin(Question, Question.id == ImportedRow.new_id)
            .where(ImportedRow.source == self.source, ImportedRow.kind == "questions")
        )
        return {
            int(old_id): None if new_id is None else _Target(new_id, survey_id, kind, options)
            for old_id, new_id, survey_id, kind, options in self.db.execute(query)
        }

    def _next_position(self, survey_id: int, counts: dict[int, tuple[int, int]]) -> int:
        """The position of a new question of ``survey_id``; :class:`_Skip` past the limit."""
        if survey_id not in counts:
            if survey_id in self.created:
                counts[survey_id] = (0, 0)
            else:
                top, many = self.db.execute(
                    sa.select(sa.func.max(Question.position), sa.func.count()).where(
                        Question.survey_id == survey_id
                    )
                ).one()
                counts[survey_id] = (-1 if top is None else top) + 1, many
        position, many = counts[survey_id]
        if many >= service.MAX_QUESTIONS:
            raise _Skip(f"its survey has {service.MAX_QUESTIONS} questions, the most it may have")
        counts[survey_id] = position + 1, many + 1
        return position

    def questions(self) -> None:
        report = self.report.tables["questions"]
        recorded = self._recorded_questions()
        counts: dict[int, tuple[int, int]] = {}
        olds: list[int] = []
        rows: list[dict[str, Any]] = []
        ids = self._ids(Question, QUESTIONS, "idQuestion")
        query = sa.select(QUESTIONS).order_by(QUESTIONS.c.idQuestion)
        for row in self.old.execute(query).all():
            old_id = row.idQuestion
            if old_id in recorded:
                self._earlier("questions", old_id, recorded[old_id])
                continue
            try:
                survey_id = self._parent("surveys", row.idSurvey, "questions", old_id)
                typed = isinstance(row.type, str) and bool(row.type.strip())
                try:
                    question = service.legacy_question(
                        row.type if typed else "text", row.content, row.replyContent
                    )
                except InvalidInput as exc:
                    raise _Skip(f"the service refuses it: {exc}") from None
                position = self._next_position(survey_id, counts)
            except _Skip as skip:
                report.skip(skip.reason, old_id)
                self.gone["questions"][old_id] = "is skipped"
                continue
            if not typed:
                report.changes.append(f"question {old_id} had no type: it is a text question")
            if isinstance(row.content, str) and len(row.content) > service.MAX_CONTENT:
                report.changes.append(
                    f"question {old_id}: its content is cut to {service.MAX_CONTENT} characters"
                )
            olds.append(old_id)
            rows.append(
                {
                    "id": ids.for_old(old_id),
                    "survey_id": survey_id,
                    "position": position,
                    "kind": question.kind,
                    "legacy_type": question.legacy_type,
                    "content": question.content,
                    "required": False,
                    "options": question.options,
                    "settings": question.settings,
                }
            )
        self._insert(Question, rows)
        for old_id, values in zip(olds, rows, strict=True):
            self.new["questions"][old_id] = _Target(
                values["id"], values["survey_id"], values["kind"], values["options"]
            )
        pairs = [(old, row["id"]) for old, row in zip(olds, rows, strict=True)]
        report.imported += len(olds)
        self._record("questions", pairs)
        self._map("questions", pairs)

    def _recorded_replies(self) -> array[int]:
        """The old ids of the replies earlier runs imported, in order: compact, since
        there may be millions (and a query per batch would be slow)."""
        old_id = sa.cast(ImportedRow.old_id, sa.BigInteger)
        query = (
            sa.select(old_id)
            .where(ImportedRow.source == self.source, ImportedRow.kind == "replies")
            .order_by(old_id)
            .execution_options(yield_per=BATCH * 10)
        )
        ids = array("q")
        for chunk in self.db.scalars(query).partitions():
            ids.extend(chunk)
        return ids

    def replies(self) -> None:
        report = self.report.tables["replies"]
        added: Counter[int] = Counter()
        query = sa.select(REPLIES).order_by(REPLIES.c.idReply)
        result = self.old.execution_options(yield_per=BATCH).execute(query)
        earlier = self._recorded_replies()
        for batch in result.partitions():
            taken: list[tuple[int, _Target, kinds.Checked]] = []
            for row in batch:
                at = bisect.bisect_left(earlier, row.idReply)
                if at < len(earlier) and earlier[at] == row.idReply:
                    report.already += 1
                    continue
                try:
                    target = self._parent("questions", row.idQuestion, "replies", row.idReply)
                    if too_big(row.reply):
                        raise _Skip(
                            f"its JSON has over {service.MAX_LEGACY_JSON} characters, "
                            "more than a reply may have"
                        )
                except _Skip as skip:
                    report.skip(skip.reason, row.idReply)
                    continue
                taken.append(
                    (row.idReply, target, kinds.interpret(target.kind, target.options, row.reply))
                )
            self._store_replies(taken)
            added.update(target.survey_id for _, target, _ in taken)
            report.imported += len(taken)
        if added:
            table = _table(Survey)
            self.db.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("survey"))
                .values(submission_count=table.c.submission_count + sa.bindparam("added")),
                [{"survey": survey, "added": count} for survey, count in added.items()],
            )

    def _store_replies(self, taken: Sequence[tuple[int, _Target, kinds.Checked]]) -> None:
        """One submission of one answer per reply, as the legacy ``/addreply`` stores it."""
        if not taken:
            return
        now = utcnow()
        submission_ids, answer_ids = self._ids(Submission), self._ids(Answer)
        submissions = [submission_ids.fresh() for _ in taken]
        answers = [answer_ids.fresh() for _ in taken]
        self._insert(
            Submission,
            [
                {"id": sub, "survey_id": t.survey_id, "user_id": None, "created_at": now}
                for sub, (_, t, _) in zip(submissions, taken, strict=True)
            ],
        )
        self._insert(
            Answer,
            [
                {"id": answer, "submission_id": sub, "question_id": t.id, "value": c.value,
                 "number": c.number}
                for answer, sub, (_, t, c) in zip(answers, submissions, taken, strict=True)
            ],
        )  # fmt: skip
        choices = [
            {"answer_id": answer, "option": option, "question_id": t.id}
            for answer, (_, t, c) in zip(answers, taken, strict=True)
            for option in c.choices
        ]
        for chunk in _chunks(choices):
            self.db.execute(sa.insert(_table(Choice)), list(chunk))
        self._record(
            "replies", [(old, sub) for sub, (old, _, _) in zip(submissions, taken, strict=True)]
        )
