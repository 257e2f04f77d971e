"""Blob index and item pages: which stored blobs exist and which item's pages they are."""


from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import BlobRow, FondsRow, ItemPageRow, ItemRow
from appliance.domain.blobs import BlobRef


class BlobRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, ref: BlobRef) -> None:
        """Record a blob once; recording the same content again is a no-op, unless it was purged: the store holds
        it again now (the same bytes scanned anew after a destruction), so it is no longer marked purged."""
        row = self.session.get(BlobRow, ref.sha256)
        if row is None:
            self.session.add(BlobRow(sha256=ref.sha256, sm3=ref.sm3, size=ref.size, media_type=ref.media_type))
            self.session.flush()
        elif row.purged_at is not None:
            row.purged_at = None
            self.session.flush()

    def get(self, sha256: str) -> BlobRef | None:
        row = self.session.get(BlobRow, sha256)
        return None if row is None else BlobRef(row.sha256, row.sm3, row.size, row.media_type)

    def add_pages(self, item_id: int, digests: list[str]) -> None:
        start = self.session.scalar(
            select(func.coalesce(func.max(ItemPageRow.sequence), 0)).where(ItemPageRow.item_id == item_id)
        )
        for offset, sha256 in enumerate(digests, start=1):
            self.session.add(ItemPageRow(item_id=item_id, sequence=start + offset, blob_sha256=sha256))
        self.session.flush()

    def page_counts(self, fonds_code: str) -> dict[str, int]:
        """Stored page count per archival code, for the items of a fonds that have pages."""
        query = (
            select(ItemRow.archival_code, func.count(ItemPageRow.sequence))
            .join(ItemPageRow, ItemPageRow.item_id == ItemRow.id)
            .join(FondsRow, FondsRow.id == ItemRow.fonds_id)
            .where(FondsRow.code == fonds_code)
            .group_by(ItemRow.archival_code)
        )
        return dict(self.session.execute(query).all())
