"""Typed SQLAlchemy 2 models. Migrations under migrations/ must create exactly these."""

import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from appliance.domain.accounts import Role

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
NO_DEPARTMENT = ""  # stored for codes without department, so unique keys stay NOT NULL


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC, so say so."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FondsRow(Base):
    __tablename__ = "fonds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    scheme: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class CategoryRow(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class DepartmentRow(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("fonds_id", "code", name="uq_departments_fonds_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id"))
    code: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))


class ClassCounterRow(Base):
    """The highest item number ever given in a class: numbers are never reused."""

    __tablename__ = "class_counters"

    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    retention: Mapped[str] = mapped_column(String(4), primary_key=True)
    department: Mapped[str] = mapped_column(String(3), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("archival_code", name="uq_items_archival_code"),
        Index(
            "ix_items_class_number",
            "fonds_id",
            "year",
            "retention",
            "category",
            "department",
            "item_number",
            unique=True,
        ),
        CheckConstraint("state IN ('intake', 'archived', 'destroyed')", name="state"),
        CheckConstraint("pages >= 0", name="pages"),
        Index("ix_items_doc_number", "doc_number"),  # finds the item a document cites by its 文号
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id"))
    category: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    year: Mapped[int] = mapped_column(Integer)
    retention: Mapped[str] = mapped_column(String(4))
    department: Mapped[str] = mapped_column(String(3))
    item_number: Mapped[int] = mapped_column(Integer)
    archival_code: Mapped[str] = mapped_column(String(40))
    doc_number: Mapped[str] = mapped_column(String(100), default="")
    responsible: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(Text)
    supplied_title: Mapped[bool] = mapped_column(Boolean, default=False)
    date: Mapped[str] = mapped_column(String(8))
    access_label: Mapped[str] = mapped_column(String(8))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    destruction_list: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the 销毁清册 that ended it


class BlobRow(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    sm3: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    # the content was destroyed under a destruction list; the row stays as evidence of what there was
    purged_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ItemPageRow(Base):
    __tablename__ = "item_pages"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))


class AuditEventRow(Base):
    """Append-only: triggers in the migration refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id", "seq"),  # history in order, no sort
        Index("ix_audit_events_occurred_at", "occurred_at"),
        # the audit page's filters, newest first; LIKE 'prefix%' on PostgreSQL needs the pattern operator class
        Index("ix_audit_events_actor", "actor", "seq"),
        Index("ix_audit_events_source", "source", "seq"),
        Index("ix_audit_events_action", "action", "seq", postgresql_ops={"action": "varchar_pattern_ops"}),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, kept as text so it hashes the same
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain head, one row: appenders lock it, so concurrent writers never fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class ScanBatchRow(Base):
    """A scanned stack or an ingested set of files, with the splitter's report."""

    __tablename__ = "scan_batches"
    __table_args__ = (CheckConstraint("state IN ('scanning', 'finished', 'interrupted')", name="state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid from the agent
    agent: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(10))  # scan or file
    device: Mapped[str] = mapped_column(String(200), default="")
    operator: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    report: Mapped[str] = mapped_column(Text, default="{}")  # JSON from the agent's splitter


class IntakeDocumentRow(Base):
    """A document delivered by an agent; its key makes delivery idempotent."""

    __tablename__ = "intake_documents"
    __table_args__ = (
        UniqueConstraint("document_key", name="uq_intake_documents_document_key"),
        CheckConstraint("state IN ('filed', 'new-item', 'intake', 'merged')", name="state"),
        Index("ix_intake_documents_batch", "batch_id", "sequence"),
        Index("ix_intake_documents_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_key: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str] = mapped_column(ForeignKey("scan_batches.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    cover_payload: Mapped[str | None] = mapped_column(String(200), nullable=True)
    state: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    capture: Mapped[str] = mapped_column(Text, default="{}")  # JSON: preset, source, duplex
    received_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class IntakePageRow(Base):
    """A page as delivered, with its digitisation metadata (DA/T 31)."""

    __tablename__ = "intake_pages"

    document_id: Mapped[int] = mapped_column(ForeignKey("intake_documents.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    resolution: Mapped[int] = mapped_column(Integer)
    colour_mode: Mapped[str] = mapped_column(String(10))
    side: Mapped[str | None] = mapped_column(String(5), nullable=True)
    origin: Mapped[str] = mapped_column(String(300))


class AgentStatusRow(Base):
    """The last heartbeat of each scanner agent: its devices, batch in progress, outbox, last error."""

    __tablename__ = "agent_status"

    agent: Mapped[str] = mapped_column(String(100), primary_key=True)
    reported_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    state: Mapped[str] = mapped_column(Text, default="{}")  # JSON as the agent sent it, validated


class ScanRequestRow(Base):
    """A scan asked for in the appliance; the agent takes it with its next heartbeat."""

    __tablename__ = "scan_requests"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'taken', 'done', 'failed')", name="state"),
        Index("ix_scan_requests_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent: Mapped[str] = mapped_column(String(100))
    device: Mapped[str] = mapped_column(String(200))
    preset: Mapped[str] = mapped_column(String(20))
    duplex: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))
    batch_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class JobRow(Base):
    """The job queue of the worker: a table, so the box needs no broker."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_jobs_dedupe_key"),
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        Index("ix_jobs_state_run_after", "state", "run_after", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DerivativeRow(Base):
    """What a generator made from a source: OCR text and PDF of a page, the access copy of a document."""

    __tablename__ = "derivatives"

    source_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # page-ocr, access-pdf
    generator: Mapped[str] = mapped_column(String(100), primary_key=True)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


ROLE_VALUES = tuple(role.value for role in Role)  # migration 0003 holds the same list, frozen


class UserRow(Base):
    """A person's account; lockout and password age live here, roles and old hashes in their own tables."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username", name="uq_users_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    clearance: Mapped[str] = mapped_column(String(4), default="公开", server_default="公开")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # TOTP secrets are stored sealed (AES-GCM under a key file outside the database), never in the clear.
    totp_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_pending: Mapped[str | None] = mapped_column(String(200), nullable=True)  # offered, not yet confirmed
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # a code is good only once


class UserDepartmentRow(Base):
    """A user's department scope: with no rows the user is not limited to departments."""

    __tablename__ = "user_departments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    department: Mapped[str] = mapped_column(String(3), primary_key=True)


class UserRoleRow(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class PasswordHistoryRow(Base):
    """Hashes of a user's recent passwords, newest last, so a change cannot go back to one of them."""

    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hash: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A console sign-in. The cookie holds a random token; only its digest is stored: a leaked table opens nothing."""

    __tablename__ = "web_sessions"
    __table_args__ = (UniqueConstraint("token_digest", name="uq_web_sessions_token_digest"),
                      Index("ix_web_sessions_user", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)


class LoginThrottleRow(Base):
    """Login attempts per source address in the current window, shared by every web worker."""

    __tablename__ = "login_throttle"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)


class ApiTokenRow(Base):
    """A machine's API token: acts for its owner, narrowed to its scopes; stored as a digest, revocable."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_digest", name="uq_api_tokens_token_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_digest: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists, so a token can be recognised
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scopes: Mapped[str] = mapped_column(Text)  # actions, space-separated
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WorkflowRequestRow(Base):
    """A request that passes a chain of approvals; `version` makes two deciders at once end in one transition."""

    __tablename__ = "workflow_requests"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected', 'withdrawn')", name="state"),
        Index("ix_workflow_requests_state", "state", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))
    tier: Mapped[int] = mapped_column(Integer, default=0)
    chain: Mapped[str] = mapped_column(Text)  # JSON: the tiers fixed when the request was made
    requester: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str] = mapped_column(Text, default="[]")  # JSON: what was checked when it was asked for
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what is asked (a correction's new values)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class WorkflowRequestItemRow(Base):
    __tablename__ = "workflow_request_items"

    request_id: Mapped[int] = mapped_column(ForeignKey("workflow_requests.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)


class WorkflowStepRow(Base):
    """Each decision on a request, in order: who, which tier, what, why."""

    __tablename__ = "workflow_steps"
    __table_args__ = (Index("ix_workflow_steps_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("workflow_requests.id"))
    tier: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ViewingGrantRow(Base):
    """Leave to view an item's content until a moment, from an approved borrowing request (电子利用)."""

    __tablename__ = "viewing_grants"
    __table_args__ = (Index("ix_viewing_grants_user_item", "username", "item_id", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("workflow_requests.id"))
    username: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    may_download: Mapped[bool] = mapped_column(Boolean, default=False)
    may_print: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LegalHoldRow(Base):
    """A legal hold (法律冻结) on one item, or on a class: a fonds narrowed by any of category, year, retention and
    department. While it is not released, nothing it covers is appraised or destroyed."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_fonds", "fonds", "released_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fonds: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    category: Mapped[str | None] = mapped_column(String(4), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retention: Mapped[str | None] = mapped_column(String(4), nullable=True)
    department: Mapped[str | None] = mapped_column(String(3), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    released_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    release_reason: Mapped[str] = mapped_column(Text, default="")


class DestructionListRow(Base):
    """A numbered destruction list (销毁清册): approved through its request, witnessed, then executed; kept forever."""

    __tablename__ = "destruction_lists"
    __table_args__ = (
        UniqueConstraint("number", name="uq_destruction_lists_number"),
        UniqueConstraint("fonds", "year", "sequence", name="uq_destruction_lists_fonds"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    fonds: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[int] = mapped_column(ForeignKey("workflow_requests.id"))
    draft_pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), nullable=True)
    final_pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), nullable=True)
    compiled_by: Mapped[str] = mapped_column(String(200))
    compiled_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    destroyed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    purged_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DestructionWitnessRow(Base):
    """A witness (监销人) who confirmed, signed in as themselves, that a list's items were destroyed."""

    __tablename__ = "destruction_witnesses"

    list_id: Mapped[int] = mapped_column(ForeignKey("destruction_lists.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(32), primary_key=True)
    confirmed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class AppraisalDecisionRow(Base):
    """What the appraisal group decided for an item in an appraisal round; `current` marks the one in force."""

    __tablename__ = "appraisal_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('keep', 'extend', 'destroy')", name="decision"),
        Index("ix_appraisal_decisions_item", "item_id", "current"),
        Index("ix_appraisal_decisions_open", "decision", "current", "list_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    round_year: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(8))
    new_retention: Mapped[str | None] = mapped_column(String(4), nullable=True)
    review_year: Mapped[int | None] = mapped_column(Integer, nullable=True)  # due again then; None: never again
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    current: Mapped[bool] = mapped_column(Boolean)
    list_id: Mapped[int | None] = mapped_column(ForeignKey("destruction_lists.id"), nullable=True)


class PhysicalLoanRow(Base):
    """A paper file handed out at the desk under an approved borrowing request, and its return check."""

    __tablename__ = "physical_loans"
    __table_args__ = (
        CheckConstraint("return_check IN ('intact', 'pages_missing', 'altered')", name="return_check"),
        Index("ix_physical_loans_open", "returned_at", "due_at"),
        Index("ix_physical_loans_borrower", "borrower", "id"),
        Index("ix_physical_loans_item", "item_id", "returned_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("workflow_requests.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    borrower: Mapped[str] = mapped_column(String(32))
    issued_by: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    overdue_notified_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    returned_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pages_counted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    return_check: Mapped[str | None] = mapped_column(String(16), nullable=True)
    return_note: Mapped[str] = mapped_column(Text, default="")


class NotificationRow(Base):
    """A message for one person: shown in the console's inbox, and mailed when SMTP is set and they have an address."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("mail_state IN ('none', 'pending', 'sent', 'failed')", name="mail_state"),
        Index("ix_notifications_user", "username", "read_at", "id"),
        Index("ix_notifications_mail", "mail_state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    mail_state: Mapped[str] = mapped_column(String(8), default="none")
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class BackupRunRow(Base):
    """One run of a backup, prune, check (verify: with --verify-data) or restore drill, to a repository (twin or
    local): its progress while it runs, borg's figures and the outcome after."""

    __tablename__ = "backup_runs"
    __table_args__ = (
        CheckConstraint("kind IN ('backup', 'prune', 'check', 'verify', 'drill')", name="kind"),
        CheckConstraint("state IN ('running', 'ok', 'warning', 'failed')", name="state"),
        Index("ix_backup_runs_kind", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    repository: Mapped[str] = mapped_column(String(12))  # twin or local
    archive: Mapped[str | None] = mapped_column(String(200), nullable=True)
    state: Mapped[str] = mapped_column(String(10))
    trigger: Mapped[str] = mapped_column(String(12))  # schedule, documents, missed, manual
    started_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    progress: Mapped[str] = mapped_column(Text, default="{}")  # JSON: files and bytes so far, the current path
    stats: Mapped[str] = mapped_column(Text, default="{}")  # JSON: borg's figures (sizes, deduplicated, files)
    message: Mapped[str] = mapped_column(Text, default="")


class ItemKeywordRow(Base):
    """A keyword drawn from an item's text (jieba), offered as a tag: suggested until a person accepts or dismisses
    it. Accepted keywords are the item's tags (主题词)."""

    __tablename__ = "item_keywords"
    __table_args__ = (
        CheckConstraint("state IN ('suggested', 'accepted', 'dismissed')", name="state"),
        CheckConstraint("origin IN ('text', 'manual')", name="origin"),
        Index("ix_item_keywords_keyword", "keyword", "state"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, default=0.0)
    origin: Mapped[str] = mapped_column(String(8), default="text")
    state: Mapped[str] = mapped_column(String(10), default="suggested")
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FilingSuggestionRow(Base):
    """One value suggested for one field when filing an intake document (or an item), where it came from, and what
    the person did with it: the acceptance rate is counted from these rows."""

    __tablename__ = "filing_suggestions"
    __table_args__ = (
        CheckConstraint("source IN ('model', 'header')", name="source"),
        CheckConstraint("outcome IS NULL OR outcome IN ('accepted', 'changed', 'ignored')", name="outcome"),
        Index("ix_filing_suggestions_document", "document_id", "field"),
        Index("ix_filing_suggestions_outcome", "field", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("intake_documents.id"), nullable=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    field: Mapped[str] = mapped_column(String(16))  # department, retention, title, doc_number, date, responsible
    value: Mapped[str] = mapped_column(Text)
    rank: Mapped[int] = mapped_column(Integer, default=1)  # 1 = the first choice shown
    score: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(8))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion_models.id"), nullable=True)
    offered_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(8), nullable=True)
    final_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SuggestionModelRow(Base):
    """A trained filing model: when, on how many archived items, its held-out accuracy, and the file that holds it
    (under the home's models directory, named by its sha256)."""

    __tablename__ = "suggestion_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trained_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    trained_items: Mapped[int] = mapped_column(Integer)
    archived_watermark: Mapped[int] = mapped_column(Integer)  # archived items counted when training began
    metrics: Mapped[str] = mapped_column(Text, default="{}")  # JSON: top-1/top-3 accuracy per field, baseline
    file_sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class ItemLinkRow(Base):
    """A relation between two items: found where one cites the other's 文号, or added by hand."""

    __tablename__ = "item_links"
    __table_args__ = (
        UniqueConstraint("source_item_id", "target_item_id", "relation", name="uq_item_links_pair"),
        CheckConstraint("relation IN ('cites', 'replies', 'forwards', 'implements', 'related')", name="relation"),
        CheckConstraint("origin IN ('auto', 'manual')", name="origin"),
        CheckConstraint("source_item_id <> target_item_id", name="not_self"),
        Index("ix_item_links_target", "target_item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    target_item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(12))
    origin: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[str] = mapped_column(Text, default="")  # the cited 文号 as found in the text, or a person's note
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
