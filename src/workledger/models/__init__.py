"""SQLAlchemy models, one entity per module. Importing this package registers them all."""

from workledger.models.account import Account, CredentialChanges
from workledger.models.api_token import ApiToken
from workledger.models.applied_operation import AppliedOperation
from workledger.models.base import Base, ids_ending_in, new_id
from workledger.models.deployment import Deployment, deployment_vendors, deployment_work_items
from workledger.models.enhancement import Enhancement, EnhancementDependency
from workledger.models.history import Comment, Event, EventCounter, WorkLog
from workledger.models.ledger import ROLES, Ledger, Membership
from workledger.models.project_configuration import ProjectConfiguration
from workledger.models.vendor import Vendor
from workledger.models.work_item import (
    ArchivedWorkItem,
    WorkItem,
    WorkItemCount,
    WorkItemDependency,
)

__all__ = [
    "ROLES",
    "Account",
    "ApiToken",
    "AppliedOperation",
    "ArchivedWorkItem",
    "Base",
    "Comment",
    "CredentialChanges",
    "Deployment",
    "Enhancement",
    "EnhancementDependency",
    "Event",
    "EventCounter",
    "Ledger",
    "Membership",
    "ProjectConfiguration",
    "Vendor",
    "WorkItem",
    "WorkItemCount",
    "WorkItemDependency",
    "WorkLog",
    "deployment_vendors",
    "deployment_work_items",
    "ids_ending_in",
    "new_id",
]
