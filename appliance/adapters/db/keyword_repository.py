"""Keywords drawn from items' text, offered as tags, and what people decided about them."""

from sqlalchemy.orm import Session


class KeywordRepository:
    def __init__(self, session: Session):
        self.session = session
