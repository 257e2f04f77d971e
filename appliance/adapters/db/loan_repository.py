"""Physical loans: issued at the desk, renewed, reminded, returned and checked."""

from sqlalchemy.orm import Session


class LoanRepository:
    def __init__(self, session: Session):
        self.session = session
