"""Destruction lists (销毁清册), their witnesses, and what executing one purges."""

from sqlalchemy.orm import Session


class DestructionRepository:
    def __init__(self, session: Session):
        self.session = session
