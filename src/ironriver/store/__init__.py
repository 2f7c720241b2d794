"""Statement store (SQLite or PostgreSQL), ledgers, datasets, judgements and the audit log.

Read through `ironriver.policy.View` only; write through `Store.writer()`.
"""

from ironriver.store.audit import AUDIT_ACTIONS, AuditEvent, AuditLog, EventFilter
from ironriver.store.audit_verify import VerifyResult
from ironriver.store.ids import MAX_ID_LENGTH
from ironriver.store.store import DatasetInfo, LabelRow, Store, Writer, open_store
from ironriver.store.unused import Removal, absent_paths, remove_unused

__all__ = [
    "AUDIT_ACTIONS",
    "MAX_ID_LENGTH",
    "AuditEvent",
    "AuditLog",
    "DatasetInfo",
    "EventFilter",
    "LabelRow",
    "Removal",
    "Store",
    "VerifyResult",
    "Writer",
    "absent_paths",
    "open_store",
    "remove_unused",
]
