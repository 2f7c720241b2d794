"""Policy: principals, TLP 2.0 markings, releasability, and `View`, the only read path."""

from ironriver.policy.ledger_listing import LedgerDamage, LedgerListing
from ironriver.policy.ledger_rows import LedgerRow, LedgerRows
from ironriver.policy.markings import (
    AccessLabel,
    Marking,
    Principal,
    can_see,
    parse_country,
    parse_releasable,
    releasable_text,
)
from ironriver.policy.principals import (
    DEFAULT_PRINCIPALS_YAML,
    ROLES,
    get_principal,
    load_principals,
    nearest_principal,
    parse_principals,
)
from ironriver.policy.retract import Retraction, retract
from ironriver.policy.retract_ledger import LedgerRetraction, retract_ledger_file
from ironriver.policy.rights import (
    agency_countries,
    audited_agencies,
    authorize_export,
    authorize_ingest,
    listed_event,
    require_role,
)
from ironriver.policy.search import SEARCH_COUNT_TO, SearchHit, SearchPage
from ironriver.policy.view import (
    Counts,
    DatasetSummary,
    EntityPage,
    LinkEnd,
    Neighbour,
    SchemaConflict,
    StatementRecord,
    View,
    entity_dict,
    not_visible,
)

__all__ = [
    "DEFAULT_PRINCIPALS_YAML",
    "ROLES",
    "SEARCH_COUNT_TO",
    "AccessLabel",
    "Counts",
    "DatasetSummary",
    "EntityPage",
    "LedgerDamage",
    "LedgerListing",
    "LedgerRetraction",
    "LedgerRow",
    "LedgerRows",
    "LinkEnd",
    "Marking",
    "Neighbour",
    "Principal",
    "Retraction",
    "SchemaConflict",
    "SearchHit",
    "SearchPage",
    "StatementRecord",
    "View",
    "agency_countries",
    "audited_agencies",
    "authorize_export",
    "authorize_ingest",
    "can_see",
    "entity_dict",
    "get_principal",
    "listed_event",
    "load_principals",
    "nearest_principal",
    "not_visible",
    "parse_country",
    "parse_principals",
    "parse_releasable",
    "releasable_text",
    "require_role",
    "retract",
    "retract_ledger_file",
]
