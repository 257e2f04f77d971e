"""The figures behind the reports: counts grouped by year, category, retention, department, day."""

from sqlalchemy.orm import Session


class ReportRepository:
    def __init__(self, session: Session):
        self.session = session
