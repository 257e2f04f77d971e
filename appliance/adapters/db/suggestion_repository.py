"""Filing suggestions offered, their outcomes, and the trained filing models."""

from sqlalchemy.orm import Session


class SuggestionRepository:
    def __init__(self, session: Session):
        self.session = session
