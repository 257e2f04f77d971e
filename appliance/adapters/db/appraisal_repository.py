"""Appraisal decisions per item and round; the one in force is marked current."""

from sqlalchemy.orm import Session


class AppraisalRepository:
    def __init__(self, session: Session):
        self.session = session
