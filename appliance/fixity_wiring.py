"""Wiring for fixity: the blobs table's paged reader built from the box's engine, handed to the fixity and repair
services (which may not import adapters themselves)."""

import datetime

from appliance.adapters.borg import Borg
from appliance.adapters.db.blob_pages import StoredBlobPages
from appliance.bootstrap import Appliance
from appliance.domain.actors import Actor
from appliance.domain.backup import RepositoryName
from appliance.domain.fixity import FixityReport, RepairReport
from appliance.services.fixity import FIXITY_ACTOR, Progress, check_fixity
from appliance.services.repair import repair_blobs


def stored_blobs(appliance: Appliance) -> StoredBlobPages:
    return StoredBlobPages(appliance.engine)


def fixity_now(appliance: Appliance, now: datetime.datetime, progress: Progress | None = None) -> FixityReport:
    """Check every stored blob of this box against its digest; audited, and told when something is wrong."""
    return check_fixity(appliance.uow_factory, appliance.blob_store, now, stored=stored_blobs(appliance),
                        progress=progress)


def repair_now(appliance: Appliance, borg: Borg, digests: list[str], repository: RepositoryName,
               actor: Actor = FIXITY_ACTOR) -> RepairReport:
    """Bring `digests` back from the newest archive of `repository` holding them intact."""
    return repair_blobs(appliance, borg, digests, stored=stored_blobs(appliance), repository=repository, actor=actor)
