"""What the calling Terraform version allows resource code to do."""

from __future__ import annotations

# Before 1.3, `terraform destroy` first runs an ordinary plan of the whole configuration
# (PlanResourceChange for every resource, creates included), and any error there stops the
# destroy. Checks that fail a plan on a missing server would then block destroying everything
# else. From 1.3 the pre-destroy refresh plans no changes.
_PLAN_CHECKS_FROM = (1, 3)


def plan_checks_allowed(terraform_version: str) -> bool:
    """Whether a failed existence check may fail PlanResourceChange without also blocking
    `terraform destroy`. True for an unknown version ("", as in in-process tests)."""
    if not terraform_version:
        return True
    parts = []
    for piece in terraform_version.split("-")[0].split(".")[:2]:
        if not piece.isdigit():
            return True
        parts.append(int(piece))
    return tuple(parts) >= _PLAN_CHECKS_FROM
