"""The tags plugin: tags on the notes of the notes plugin, which it requires."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from flask_plugboard import Plugin
from flask_plugboard.db import plugin_metadata

from ..notes import Note


class Base(DeclarativeBase):
    metadata = plugin_metadata()


# Another plugin's table is referred to by its column: a string only finds tables in
# this plugin's own MetaData.
note_tag = sa.Table(
    "tags_note_tag",
    Base.metadata,
    sa.Column(
        "note_id", sa.ForeignKey(Note.__table__.c.id, ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("tag_id", sa.ForeignKey("tags_tag.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tags_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    # The class itself, not its name: names resolve only within this plugin's base.
    notes: Mapped[list[Note]] = relationship(Note, secondary=note_tag)


class Tags(Plugin):
    name = "tags"
    version = "1.0.0"
    description = "Tags notes."
    requires = ("notes",)
    metadata = Base.metadata
