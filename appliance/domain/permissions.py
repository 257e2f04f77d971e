"""Who may do what: the role × action matrix as data, the one place the console, the API and the services ask.

三员分立 (GB/T 22239-2019 level 3): the system administrator runs the box, the security administrator keeps
accounts, roles and policy, the audit administrator reads the audit log — and none of them reads a record by
virtue of the role. Business roles work with records; what a user sees among records is further narrowed by the
access label (公开/内部/受控) against the user's clearance and department scope, which this matrix does not cover.
"""

import enum

from appliance.domain.accounts import Role
from appliance.domain.errors import ForbiddenError


class Action(enum.StrEnum):
    # records
    ITEM_READ = "item.read"  # catalogue entries: lists, counts, search results, the item page
    ITEM_VIEW_CONTENT = "item.view_content"  # page images and the access copy, watermarked, logged
    ITEM_REGISTER = "item.register"
    ITEM_EDIT_INTAKE = "item.edit_intake"  # describe items not yet archived
    CATALOGUE_IMPORT = "catalogue.import"
    CATALOGUE_EXPORT = "catalogue.export"
    # capture
    COVERSHEET_PRINT = "coversheet.print"
    SCAN_START = "scan.start"
    FILES_INGEST = "files.ingest"
    SCANNERS_VIEW = "scanners.view"
    INTAKE_VIEW = "intake.view"
    INTAKE_REVIEW = "intake.review"  # fix, split, merge, file intake documents
    # workflows
    ARCHIVE_REQUEST = "archive.request"
    ARCHIVE_APPROVE = "archive.approve"
    CORRECTION_REQUEST = "correction.request"
    CORRECTION_APPROVE = "correction.approve"
    BORROW_REQUEST = "borrow.request"
    BORROW_APPROVE = "borrow.approve"
    LOAN_ISSUE = "loan.issue"  # hand out and take back physical files
    APPRAISAL_DECIDE = "appraisal.decide"
    HOLD_MANAGE = "hold.manage"  # place and release legal holds, which stop appraisal and destruction
    DESTRUCTION_APPROVE = "destruction.approve"
    DESTRUCTION_WITNESS = "destruction.witness"
    REPORTS_VIEW = "reports.view"
    # the system administrator
    CATALOGUE_CONFIGURE = "catalogue.configure"  # fonds, categories, departments, classification schemes
    SCANNERS_MANAGE = "scanners.manage"
    BACKUP_RUN = "backup.run"
    BACKUP_RESTORE = "backup.restore"
    SYSTEM_SETTINGS = "system.settings"
    # the security administrator
    ACCOUNTS_MANAGE = "accounts.manage"  # create, disable, unlock, reset passwords
    ROLES_ASSIGN = "roles.assign"
    SECURITY_POLICY = "security.policy"
    # the audit administrator
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_EXPORT = "audit.export"


RECORD_ACTIONS = frozenset({
    Action.ITEM_READ, Action.ITEM_VIEW_CONTENT, Action.ITEM_REGISTER, Action.ITEM_EDIT_INTAKE,
    Action.CATALOGUE_IMPORT, Action.CATALOGUE_EXPORT, Action.INTAKE_REVIEW, Action.ARCHIVE_REQUEST,
    Action.ARCHIVE_APPROVE, Action.CORRECTION_REQUEST, Action.CORRECTION_APPROVE, Action.BORROW_REQUEST,
    Action.BORROW_APPROVE, Action.LOAN_ISSUE, Action.APPRAISAL_DECIDE, Action.HOLD_MANAGE,
    Action.DESTRUCTION_APPROVE, Action.DESTRUCTION_WITNESS,
})  # what touches the content or description of records: never an administrator's

_ARCHIVIST = {
    Action.ITEM_READ, Action.ITEM_VIEW_CONTENT, Action.ITEM_REGISTER, Action.ITEM_EDIT_INTAKE,
    Action.CATALOGUE_IMPORT, Action.CATALOGUE_EXPORT, Action.COVERSHEET_PRINT, Action.SCAN_START,
    Action.FILES_INGEST, Action.SCANNERS_VIEW, Action.INTAKE_VIEW, Action.INTAKE_REVIEW, Action.ARCHIVE_REQUEST,
    Action.CORRECTION_REQUEST, Action.BORROW_REQUEST, Action.BORROW_APPROVE, Action.LOAN_ISSUE,
    Action.APPRAISAL_DECIDE, Action.HOLD_MANAGE, Action.DESTRUCTION_WITNESS, Action.REPORTS_VIEW,
}
MATRIX: dict[Role, frozenset[Action]] = {
    Role.SYSTEM_ADMIN: frozenset({Action.CATALOGUE_CONFIGURE, Action.SCANNERS_MANAGE, Action.SCANNERS_VIEW,
                                  Action.BACKUP_RUN, Action.BACKUP_RESTORE, Action.SYSTEM_SETTINGS}),
    Role.SECURITY_ADMIN: frozenset({Action.ACCOUNTS_MANAGE, Action.ROLES_ASSIGN, Action.SECURITY_POLICY}),
    Role.AUDIT_ADMIN: frozenset({Action.AUDIT_READ, Action.AUDIT_VERIFY, Action.AUDIT_EXPORT}),
    Role.ARCHIVIST: frozenset(_ARCHIVIST),
    Role.APPROVER: frozenset({Action.ITEM_READ, Action.ITEM_VIEW_CONTENT, Action.ARCHIVE_APPROVE,
                              Action.CORRECTION_APPROVE, Action.BORROW_REQUEST, Action.BORROW_APPROVE,
                              Action.DESTRUCTION_APPROVE, Action.DESTRUCTION_WITNESS, Action.HOLD_MANAGE,
                              Action.REPORTS_VIEW}),
    Role.READER: frozenset({Action.ITEM_READ, Action.BORROW_REQUEST}),  # content only through an approved grant
    Role.OPERATOR: frozenset({Action.COVERSHEET_PRINT, Action.SCAN_START, Action.FILES_INGEST,
                              Action.SCANNERS_VIEW, Action.INTAKE_VIEW}),
}


def allowed_actions(roles) -> frozenset[Action]:
    """Everything a holder of these roles may do."""
    return frozenset().union(*(MATRIX[Role(role)] for role in roles))


def is_allowed(roles, action: Action) -> bool:
    return Action(action) in allowed_actions(roles)


def require(roles, action: Action, who: str = "this account") -> None:
    """Raise ForbiddenError, naming the action, unless one of the roles allows it."""
    if not is_allowed(roles, action):
        raise ForbiddenError(f"{who} may not {Action(action).value}")


def matrix_table() -> str:
    """The matrix as a Markdown table, actions down, roles across: the documentation is generated from this."""
    roles = list(Role)
    header = "| action | " + " | ".join(f"{role.label('zh')} `{role.value}`" for role in roles) + " |"
    rule = "|---|" + "---|" * len(roles)
    rows = [f"| `{action.value}` | " + " | ".join("✓" if action in MATRIX[role] else "" for role in roles) + " |"
            for action in Action]
    return "\n".join([header, rule, *rows])


if __name__ == "__main__":
    print(matrix_table())
