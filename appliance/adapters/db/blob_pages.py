"""The stored blobs, page by page in digest order: what the fixity check walks without holding a million rows."""

from sqlalchemy import Engine, select

from appliance.adapters.db.engine import READ_ONLY
from appliance.adapters.db.tables import BlobRow


class StoredBlobPages:
    """Keyset pages of the blobs whose content the store must hold (purged ones excluded), each in a short read."""

    def __init__(self, engine: Engine):
        self.engine = engine.execution_options(**{READ_ONLY: True})  # SQLite: a reader never takes the write lock

    def stored_after(self, after: str, limit: int) -> list[tuple[str, int]]:
        """(sha256, size) of up to `limit` stored blobs whose digest sorts after `after`, in digest order."""
        query = (select(BlobRow.sha256, BlobRow.size)
                 .where(BlobRow.purged_at.is_(None), BlobRow.sha256 > after)
                 .order_by(BlobRow.sha256).limit(limit))
        with self.engine.connect() as connection:
            return [(sha256, size) for sha256, size in connection.execute(query)]

    def still_stored(self, digests: list[str]) -> dict[str, int]:
        """sha256 -> size of those of `digests` the store must still hold (a purge may have come meanwhile)."""
        query = select(BlobRow.sha256, BlobRow.size).where(BlobRow.purged_at.is_(None), BlobRow.sha256.in_(digests))
        with self.engine.connect() as connection:
            return {sha256: size for sha256, size in connection.execute(query)}
