"""The notes plugin: one model, two revisions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_plugboard import Plugin
from flask_plugboard.db import plugin_metadata


class Base(DeclarativeBase):
    metadata = plugin_metadata()


class Note(Base):
    __tablename__ = "notes_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    pinned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Notes(Plugin):
    name = "notes"
    version = "1.0.0"
    description = "Keeps notes."
    metadata = Base.metadata
