"""The unit of work: one transaction, the repositories bound to it, commit or roll back."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appliance.adapters.db.account_repository import AccountRepository
from appliance.adapters.db.appraisal_repository import AppraisalRepository
from appliance.adapters.db.audit_repository import AuditRepository
from appliance.adapters.db.backup_repository import BackupRepository
from appliance.adapters.db.blob_repository import BlobRepository
from appliance.adapters.db.catalogue_repository import CatalogueRepository
from appliance.adapters.db.destruction_repository import DestructionRepository
from appliance.adapters.db.engine import READ_ONLY
from appliance.adapters.db.hold_repository import HoldRepository
from appliance.adapters.db.intake_repository import IntakeRepository
from appliance.adapters.db.job_repository import JobRepository
from appliance.adapters.db.keyword_repository import KeywordRepository
from appliance.adapters.db.link_repository import LinkRepository
from appliance.adapters.db.loan_repository import LoanRepository
from appliance.adapters.db.notification_repository import NotificationRepository
from appliance.adapters.db.report_repository import ReportRepository
from appliance.adapters.db.search_repository import SearchRepository
from appliance.adapters.db.session_repository import SessionRepository
from appliance.adapters.db.suggestion_repository import SuggestionRepository
from appliance.adapters.db.workflow_repository import WorkflowRepository


class SqlAlchemyUnitOfWork:
    """Use as `with uow:`; nothing is kept unless `commit()` is called inside the block."""

    def __init__(self, session_factory: sessionmaker, mail_enabled: bool = False):
        self._session_factory = session_factory
        self._mail_enabled = mail_enabled
        self.session: Session | None = None

    def __enter__(self) -> "SqlAlchemyUnitOfWork":
        self.session = self._session_factory()
        self.catalogue = CatalogueRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.blobs = BlobRepository(self.session)
        self.intake = IntakeRepository(self.session)
        self.jobs = JobRepository(self.session)
        self.accounts = AccountRepository(self.session)
        self.sessions = SessionRepository(self.session)
        self.workflows = WorkflowRepository(self.session)
        self.holds = HoldRepository(self.session)
        self.appraisals = AppraisalRepository(self.session)
        self.destruction = DestructionRepository(self.session)
        self.loans = LoanRepository(self.session)
        self.backups = BackupRepository(self.session)
        self.notifications = NotificationRepository(self.session, self._mail_enabled)
        self.search = SearchRepository(self.session)
        self.keywords = KeywordRepository(self.session)
        self.suggestions = SuggestionRepository(self.session)
        self.links = LinkRepository(self.session)
        self.reports = ReportRepository(self.session)
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()
        self.session = None

    def commit(self) -> None:
        self.audit.flush()
        self.session.commit()
        self.audit.forget()

    def rollback(self) -> None:
        self.session.rollback()
        self.audit.forget()


class UnitOfWorkFactory:
    """Makes units of work.

    - writers: SQLite takes its write lock up front; PostgreSQL reads committed.
    - read-only, consistent (the default): one snapshot for every read (PostgreSQL: repeatable
      read), for what must add up, such as the audit chain and its head.
    - read-only, not consistent: on PostgreSQL each statement commits by itself, which saves the
      BEGIN and ROLLBACK round trips of a short page view; each statement sees the latest data.
    """

    def __init__(self, engine: Engine, mail_enabled: bool = False):
        self.engine = engine
        self.mail_enabled = mail_enabled  # SMTP is set: notifications for people with an address are mailed
        reader = engine.execution_options(**{READ_ONLY: True})
        quick_reader = reader
        if engine.dialect.name == "postgresql":
            reader = reader.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            quick_reader = quick_reader.execution_options(isolation_level="AUTOCOMMIT")
        self._writer = sessionmaker(bind=engine, expire_on_commit=False)
        self._reader = sessionmaker(bind=reader, expire_on_commit=False)
        self._quick_reader = sessionmaker(bind=quick_reader, expire_on_commit=False)

    def __call__(self, read_only: bool = False, consistent: bool = True) -> SqlAlchemyUnitOfWork:
        if not read_only:
            return SqlAlchemyUnitOfWork(self._writer, self.mail_enabled)
        return SqlAlchemyUnitOfWork(self._reader if consistent else self._quick_reader)
