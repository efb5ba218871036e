"""Writes and workflows of the registry. Import the functions from here."""

from accounts.services import account_sessions_end, user_password_changed

from .accounts import (
    AccountNotFound,
    account_create,
    account_reset_password,
    account_set_active,
    accounts_create_for_roster,
    credential_sheet_count,
    credential_sheet_pop,
    credential_sheet_store,
    credential_sheet_xlsx,
)
from .registry import enterprise_check_editable, enterprise_update

__all__ = [
    "AccountNotFound",
    "account_create",
    "account_reset_password",
    "account_sessions_end",
    "account_set_active",
    "accounts_create_for_roster",
    "credential_sheet_count",
    "credential_sheet_pop",
    "credential_sheet_store",
    "credential_sheet_xlsx",
    "enterprise_check_editable",
    "enterprise_update",
    "user_password_changed",
]
