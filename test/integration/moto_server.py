"""
moto 5.2.1's server, with what devenv's integration tests need and moto lacks (docs/aws-behaviour.md#moto-differences):

- AWS Backup selections (Create/Get/List/DeleteBackupSelection: moto answers HTTP 500), kept per
  plan, with CreatorRequestId idempotency as AWS documents it; an unknown selection answers
  InvalidParameterValueException, as AWS does.
- ListRecoveryPointsByBackupVault (moto has no recovery points: always an empty list).
- A deleted backup plan's name can be used again (moto refuses it with AlreadyExistsException).
- ListTags of any Backup resource (moto reads the ARN from the path's second-to-last segment,
  expecting a trailing slash the SDK does not send, and so answers no tags).
- The two AWS managed policies of AWS Backup's service role, loaded without the other ~1,500
  (MOTO_IAM_LOAD_MANAGED_POLICIES loads them all: +0.6 s per reset).

Run as `python3 moto_server.py <moto.server's arguments>`.
"""

import json
import os
import sys
import uuid
from urllib.parse import unquote

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import moto.iam.models as iam_models  # noqa: E402
from moto.backup import urls as backup_urls  # noqa: E402
from moto.backup.exceptions import (  # noqa: E402
    AlreadyExistsException,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from moto.backup.models import BackupBackend, Plan  # noqa: E402
from moto.backup.responses import BackupResponse  # noqa: E402
from moto.core.utils import unix_time  # noqa: E402
from moto.server import main  # noqa: E402

BACKUP_POLICIES = ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")
iam_models.aws_managed_policies_data = json.dumps(
    {k: v for k, v in json.loads(iam_models.aws_managed_policies_data).items() if k in BACKUP_POLICIES}
)


def _selections(backend: BackupBackend) -> dict:
    # Made on first use: a reset re-creates the backend, and with it this store.
    if not hasattr(backend, "devenv_selections"):
        backend.devenv_selections = {}
    return backend.devenv_selections


def _live_plan(backend: BackupBackend, plan_id: str) -> Plan:
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg=f"Backup plan {plan_id} not found")
    return plan


def _selection(backend: BackupBackend, plan_id: str, selection_id: str) -> dict:
    found = _selections(backend).get(selection_id)
    if found is None or found["BackupPlanId"] != plan_id:
        raise InvalidParameterValueException(msg=f"Invalid selection ID {selection_id} for plan {plan_id}")
    return found


def _plan_and_selection_ids(path: str) -> tuple[str, str]:
    parts = path.split("/plans/")[-1].strip("/").split("/")
    return parts[0], (parts[2] if len(parts) > 2 else "")


def create_backup_selection(self: BackupResponse) -> str:
    backend = self.backup_backend
    plan_id, _ = _plan_and_selection_ids(self.path)
    _live_plan(backend, plan_id)
    params = json.loads(self.body)
    token = params.get("CreatorRequestId")
    for s in _selections(backend).values():
        if token and s["CreatorRequestId"] == token and s["BackupPlanId"] == plan_id:
            return json.dumps({"SelectionId": s["SelectionId"], "BackupPlanId": plan_id, "CreationDate": s["CreationDate"]})
    selection = {
        "SelectionId": str(uuid.uuid4()),
        "BackupPlanId": plan_id,
        "BackupSelection": params["BackupSelection"],
        "CreatorRequestId": token,
        "CreationDate": unix_time(),
    }
    _selections(backend)[selection["SelectionId"]] = selection
    return json.dumps({"SelectionId": selection["SelectionId"], "BackupPlanId": plan_id, "CreationDate": selection["CreationDate"]})


def get_backup_selection(self: BackupResponse) -> str:
    plan_id, selection_id = _plan_and_selection_ids(self.path)
    return json.dumps(_selection(self.backup_backend, plan_id, selection_id))


def delete_backup_selection(self: BackupResponse) -> str:
    plan_id, selection_id = _plan_and_selection_ids(self.path)
    _selection(self.backup_backend, plan_id, selection_id)
    del _selections(self.backup_backend)[selection_id]
    return "{}"


def list_backup_selections(self: BackupResponse) -> str:
    plan_id, _ = _plan_and_selection_ids(self.path)
    _live_plan(self.backup_backend, plan_id)
    found = [
        {
            "SelectionId": s["SelectionId"],
            "SelectionName": s["BackupSelection"]["SelectionName"],
            "BackupPlanId": plan_id,
            "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            "CreationDate": s["CreationDate"],
            "CreatorRequestId": s["CreatorRequestId"],
        }
        for s in _selections(self.backup_backend).values()
        if s["BackupPlanId"] == plan_id
    ]
    return json.dumps({"BackupSelectionsList": found})


def list_recovery_points_by_backup_vault(self: BackupResponse) -> str:
    name = self.path.split("/backup-vaults/")[-1].split("/")[0]
    self.backup_backend.describe_backup_vault(name)  # ResourceNotFoundException for a missing vault
    return json.dumps({"RecoveryPoints": []})


def list_tags(self: BackupResponse) -> str:
    resource_arn = unquote(self.path.rstrip("/").split("/")[-1])
    return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})


moto_create_backup_plan = BackupBackend.create_backup_plan


def create_backup_plan(self: BackupBackend, backup_plan, backup_plan_tags, creator_request_id):  # type: ignore[no-untyped-def]
    live = [p for p in self.plans.values() if p.deletion_date is None]
    if any(p.backup_plan["BackupPlanName"] == backup_plan["BackupPlanName"] for p in live):
        raise AlreadyExistsException(msg="Backup plan with the same plan document already exists")
    deleted = {k: p for k, p in self.plans.items() if p.deletion_date is not None}
    for k in deleted:
        del self.plans[k]
    try:
        return moto_create_backup_plan(self, backup_plan, backup_plan_tags, creator_request_id)
    finally:
        self.plans.update(deleted)


for f in (list_tags, create_backup_selection, get_backup_selection, delete_backup_selection, list_backup_selections, list_recovery_points_by_backup_vault):
    setattr(BackupResponse, f.__name__, f)
BackupBackend.create_backup_plan = create_backup_plan
backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/?$"] = backup_urls.response.dispatch

if __name__ == "__main__":
    main(sys.argv[1:])
