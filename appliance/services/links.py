"""Related records: links between items, found where one cites another's 文号, or added by hand (issue 8)."""


def link_citations(uow, item_id: int, text: str) -> None:
    """Inside a unit of work: link the item to the items whose 文号 its text cites. Being built."""
