"""Links between items, and the items a text's cited 文号 name."""

from sqlalchemy.orm import Session


class LinkRepository:
    def __init__(self, session: Session):
        self.session = session
