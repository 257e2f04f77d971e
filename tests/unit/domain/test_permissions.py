"""The role × action matrix, asserted as a table, and the rules of 三员分立 it must keep."""

from pathlib import Path

import pytest

from appliance.domain.accounts import ADMINISTRATOR_ROLES, Role
from appliance.domain.errors import ForbiddenError
from appliance.domain.permissions import MATRIX, RECORD_ACTIONS, Action, allowed_actions, matrix_table, require

DOCS = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
A = Action
# The documented matrix, written out again by hand: a change to MATRIX must be a change to this table too.
EXPECTED = {
    Role.SYSTEM_ADMIN: {A.CATALOGUE_CONFIGURE, A.SCANNERS_MANAGE, A.SCANNERS_VIEW, A.BACKUP_RUN, A.BACKUP_RESTORE,
                        A.SYSTEM_SETTINGS},
    Role.SECURITY_ADMIN: {A.ACCOUNTS_MANAGE, A.ROLES_ASSIGN, A.SECURITY_POLICY},
    Role.AUDIT_ADMIN: {A.AUDIT_READ, A.AUDIT_VERIFY, A.AUDIT_EXPORT},
    Role.ARCHIVIST: {A.ITEM_READ, A.ITEM_VIEW_CONTENT, A.ITEM_REGISTER, A.ITEM_EDIT_INTAKE, A.CATALOGUE_IMPORT,
                     A.CATALOGUE_EXPORT, A.COVERSHEET_PRINT, A.SCAN_START, A.FILES_INGEST, A.SCANNERS_VIEW,
                     A.INTAKE_VIEW, A.INTAKE_REVIEW, A.ARCHIVE_REQUEST, A.CORRECTION_REQUEST, A.BORROW_REQUEST,
                     A.BORROW_APPROVE, A.LOAN_ISSUE, A.APPRAISAL_DECIDE, A.HOLD_MANAGE, A.DESTRUCTION_WITNESS,
                     A.REPORTS_VIEW},
    Role.APPROVER: {A.ITEM_READ, A.ITEM_VIEW_CONTENT, A.ARCHIVE_APPROVE, A.CORRECTION_APPROVE, A.BORROW_REQUEST,
                    A.BORROW_APPROVE, A.DESTRUCTION_APPROVE, A.DESTRUCTION_WITNESS, A.HOLD_MANAGE, A.REPORTS_VIEW},
    Role.READER: {A.ITEM_READ, A.BORROW_REQUEST},
    Role.OPERATOR: {A.COVERSHEET_PRINT, A.SCAN_START, A.FILES_INGEST, A.SCANNERS_VIEW, A.INTAKE_VIEW},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_role_and_action_is_allowed_or_denied_as_documented(role, action):
    assert (action in allowed_actions([role])) == (action in EXPECTED[role])


def test_no_administrator_touches_a_record_by_virtue_of_the_role():
    for role in ADMINISTRATOR_ROLES:
        assert not MATRIX[role] & RECORD_ACTIONS, role


def test_the_three_administrators_share_no_action_and_no_business_role_administers():
    administrators = [MATRIX[role] for role in ADMINISTRATOR_ROLES]
    for first in administrators:
        for second in administrators:
            assert first is second or not first & second
    business = allowed_actions([role for role in Role if not role.is_administrator])
    assert not business & (MATRIX[Role.SECURITY_ADMIN] | MATRIX[Role.AUDIT_ADMIN])
    assert not business & {A.CATALOGUE_CONFIGURE, A.BACKUP_RESTORE, A.SYSTEM_SETTINGS}


def test_only_the_audit_administrator_reads_the_audit_log():
    assert [role for role in Role if A.AUDIT_READ in MATRIX[role]] == [Role.AUDIT_ADMIN]


def test_business_roles_add_up():
    assert allowed_actions([Role.READER, Role.OPERATOR]) == EXPECTED[Role.READER] | EXPECTED[Role.OPERATOR]


def test_a_forbidden_action_names_itself():
    require([Role.ARCHIVIST], A.ITEM_READ)
    with pytest.raises(ForbiddenError, match="audit administrator may not archive.approve"):
        require([Role.AUDIT_ADMIN], A.ARCHIVE_APPROVE, who="the audit administrator")
    with pytest.raises(ForbiddenError, match="may not item.view_content"):
        require([Role.READER], A.ITEM_VIEW_CONTENT)


def test_the_documentation_shows_the_matrix_the_code_applies():
    assert matrix_table() in DOCS.read_text(encoding="utf-8")
