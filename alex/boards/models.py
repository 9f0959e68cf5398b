"""A participant's own things in an expedition: Vorhaben canvas, kanban cards, sprint notes, Logbuch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.db import Base, UTCDateTime, utcnow

# Board columns in order; the keys are the stable interface (forms, URLs, offline queue).
COLUMNS = ("ideas", "sprint", "doing", "learning", "done")
CARD_KINDS = ("task", "experiment")
VISIBILITIES = ("private", "zirkel")
TITLE_MAX = 200
TEXT_MAX = 10_000


class Vorhaben(Base):
    """A participant's learning goal canvas; every edit keeps the previous text (VorhabenVersion)."""

    __tablename__ = "vorhaben"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(Text, default="")  # what I want to learn or change
    why: Mapped[str] = mapped_column(Text, default="")  # why it matters to me
    success_signs: Mapped[str] = mapped_column(Text, default="")  # how I will notice I got there
    support_needed: Mapped[str] = mapped_column(Text, default="")
    first_steps: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    versions: Mapped[list[VorhabenVersion]] = relationship(
        back_populates="vorhaben",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="VorhabenVersion.id",
    )
    __mapper_args__ = {"version_id_col": version}


class VorhabenVersion(Base):
    """The canvas as it was before an edit, with the reason given for the change."""

    __tablename__ = "vorhaben_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    vorhaben_id: Mapped[int] = mapped_column(
        ForeignKey("vorhaben.id", ondelete="CASCADE"), index=True
    )
    what: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="")
    success_signs: Mapped[str] = mapped_column(Text, default="")
    support_needed: Mapped[str] = mapped_column(Text, default="")
    first_steps: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vorhaben: Mapped[Vorhaben] = relationship(back_populates="versions")


class Card(Base):
    """A card on a participant's personal kanban board.

    `version` is SQLAlchemy's optimistic lock: an UPDATE made against a stale version matches no
    row and raises StaleDataError, which the views answer with 409 and the fresh board.
    """

    __tablename__ = "card"
    __table_args__ = (Index("ix_card_board", "expedition_id", "owner_id", "column", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    notes: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    kind: Mapped[str] = mapped_column(String(16), default="task")  # CARD_KINDS
    column: Mapped[str] = mapped_column(String(16), default="ideas")  # COLUMNS
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0-based within the column
    sprint_number: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(16), default="zirkel")  # VISIBILITIES
    hypothesis: Mapped[str] = mapped_column(Text, default="")  # experiments: what I expect
    result: Mapped[str] = mapped_column(Text, default="")  # experiments: what happened
    learning: Mapped[str] = mapped_column(Text, default="")  # "Was habe ich gelernt?"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    checklist: Mapped[list[ChecklistItem]] = relationship(
        back_populates="card",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ChecklistItem.position",
    )
    moves: Mapped[list[CardMove]] = relationship(
        back_populates="card",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CardMove.id",
    )
    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def has_learning(self) -> bool:
        """Whether "Was habe ich gelernt?" is answered (the board prompts for it otherwise)."""
        return self.learning != ""

    @has_learning.inplace.expression
    @classmethod
    def _has_learning_expression(cls):
        return cls.learning != ""


class ChecklistItem(Base):
    """One line of a card's checklist."""

    __tablename__ = "checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(TITLE_MAX))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    card: Mapped[Card] = relationship(back_populates="checklist")


class CardMove(Base):
    """Every move of a card (and its creation: from_column None); progress is computed from these."""

    __tablename__ = "card_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"), index=True)
    from_column: Mapped[str | None] = mapped_column(String(16))
    to_column: Mapped[str] = mapped_column(String(16))
    sprint_number: Mapped[int | None] = mapped_column(
        Integer
    )  # the expedition's sprint at the time
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    card: Mapped[Card] = relationship(back_populates="moves")


class SprintReflection(Base):
    """Per person and sprint: the focus set at planning and the self-assessment at the end."""

    __tablename__ = "sprint_reflection"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id", "sprint_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    sprint_number: Mapped[int] = mapped_column(Integer)
    focus: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[int | None] = mapped_column(Integer)  # 1–10: reaching the Vorhaben
    assessment: Mapped[str] = mapped_column(Text, default="")  # one sentence at sprint end
    focus_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckIn(Base):
    """A Logbuch entry: done, learned, next, stuck; optionally asking the group for support."""

    __tablename__ = "check_in"
    __table_args__ = (
        Index("ix_check_in_expedition_user", "expedition_id", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done: Mapped[str] = mapped_column(Text, default="")
    learned: Mapped[str] = mapped_column(Text, default="")
    next: Mapped[str] = mapped_column(Text, default="")
    stuck: Mapped[str] = mapped_column(Text, default="")
    needs_support: Mapped[bool] = mapped_column(Boolean, default=False)
    support_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visibility: Mapped[str] = mapped_column(String(16), default="zirkel")  # VISIBILITIES
