"""JSON schemas of our own API's bodies, used by the route declarations (and so by the
OpenAPI document and the test that checks real responses against it).

Objects list the keys a client may rely on as ``required``; more keys may be added later
without breaking anyone (``additionalProperties`` stays open).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
ANY_OBJECT: Schema = {"type": "object"}
NULLABLE_STR: Schema = {"type": ["string", "null"]}


def obj(required: dict[str, Schema] | None = None, **optional: Schema) -> Schema:
    """An object whose ``required`` keys must be present, plus optional described keys."""
    required = required or {}
    schema: Schema = {"type": "object", "properties": {**required, **optional}}
    if required:
        schema["required"] = sorted(required)
    return schema


def arr(items: Schema) -> Schema:
    return {"type": "array", "items": items}


ERROR = obj({"error": STR})
EMPTY = {"type": "object"}

# --- repositories -------------------------------------------------------------------------
REPO_CREATED = obj({"url": STR, "name": STR, "id": STR})
REPO_CREATE_BODY = obj(
    {"name": STR},
    organization=STR,
    type={"enum": ["model", "dataset", "code"]},
    private=BOOL,
    visibility={"enum": ["public", "private"]},
)
REPO_DELETE_BODY = obj({"name": STR}, organization=STR, type={"enum": ["model", "dataset", "code"]})
FORK = obj(
    {
        "id": STR,
        "type": STR,
        "url": STR,
        "private": BOOL,
        "forked_from": NULLABLE_STR,
        "created_at": STR,
    }
)
FORKS = obj({"total": INT, "forks": arr(FORK)})
FORK_BODY = obj(organization=STR, name=STR)
PULL_MIRROR = obj(
    {
        "repository": STR,
        "url": STR,
        "interval_seconds": INT,
        "last_sync": NULLABLE_STR,
        "last_error": STR,
    }
)
PULL_MIRROR_BODY = obj({"url": STR}, interval=INT)
QUEUED = obj({"queued": BOOL})
GRANT = obj({"user": STR, "role": {"enum": ["read", "write", "admin"]}})
COLLABORATORS = obj({"collaborators": arr(GRANT)})
PERMISSION_BODY = obj(permission={"enum": ["read", "write", "admin"]})
TEAM = obj(
    {
        "name": STR,
        "display_name": STR,
        "description": STR,
        "members": arr(STR),
        "repos": arr(obj({"repo": STR, "role": STR})),
    }
)
TEAMS = obj({"teams": arr(TEAM)})
TEAM_BODY = obj({"name": STR}, description=STR, display_name=STR)
AUDIT_ENTRY = obj(
    {
        "id": INT,
        "created_at": STR,
        "action": STR,
        "actor": NULLABLE_STR,
        "repository": NULLABLE_STR,
        "ip": NULLABLE_STR,
        "detail": ANY_OBJECT,
    }
)
AUDIT = obj({"entries": arr(AUDIT_ENTRY), "next_before": {"type": ["integer", "null"]}})

# --- SSH keys (Gitea's PublicKey and DeployKey) ------------------------------------------
_KEY = {
    "id": INT,
    "key": STR,
    "url": STR,
    "title": STR,
    "fingerprint": STR,
    "created_at": STR,
    "read_only": BOOL,
    "key_type": {"enum": ["user", "deploy"]},
}
SSH_KEY = obj(_KEY, last_used_at=NULLABLE_STR)
SSH_KEYS = arr(SSH_KEY)
DEPLOY_KEY = obj({**_KEY, "key_id": INT}, last_used_at=NULLABLE_STR)
DEPLOY_KEYS = arr(DEPLOY_KEY)
KEY_BODY = obj({"key": STR}, title=STR, read_only=BOOL)

# --- search ---------------------------------------------------------------------------------
HIT = obj(
    {
        "type": STR,
        "id": STR,
        "title": STR,
        "description": STR,
        "score": NUM,
        "owner": STR,
        "likes": INT,
        "downloads": INT,
        "trending": NUM,
        "updated_at": NULLABLE_STR,
    },
    tags=arr(STR),
)
SEARCH = obj(
    {
        "total": INT,
        "total_relation": {"enum": ["eq", "gte"]},
        "page": INT,
        "per_page": INT,
        "matched": {"enum": ["all", "any"]},
        "corrected": NULLABLE_STR,
        "results": arr(HIT),
        "facets": {"type": "object", "additionalProperties": arr(ANY_OBJECT)},
        "facets_relation": {"enum": ["eq", "gte"]},
    }
)
SUGGEST = obj(
    {
        "q": STR,
        "results": arr(obj({"type": STR, "id": STR, "title": STR, "description": STR, "url": STR})),
    }
)

# --- data libraries -------------------------------------------------------------------------
DOMAIN = {
    "slug": STR,
    "name_zh": STR,
    "name_en": STR,
    "description_zh": STR,
    "description_en": STR,
    "created": STR,
}
LIBRARIES = arr(obj({**DOMAIN, "counts": ANY_OBJECT}))
LIBRARY = obj(
    {
        **DOMAIN,
        "counts": ANY_OBJECT,
        "contributors": INT,
        "growth": ANY_OBJECT,
        "top_organizations": arr(ANY_OBJECT),
        "licence_missing": arr(STR),
        "repositories": arr(
            obj({"id": STR, "type": STR, "private": BOOL, "license": NULLABLE_STR})
        ),
    }
)

# --- social ---------------------------------------------------------------------------------
OWNER = {"name": STR, "kind": {"enum": ["user", "org"]}}
FOLLOW = obj({**OWNER, "following": BOOL, "followers": INT})
FOLLOWERS = obj(
    {**OWNER, "total": INT, "page": INT, "results": arr(obj({"name": STR, "display_name": STR}))}
)
FOLLOWING = obj({**OWNER, "total": INT, "page": INT, "results": arr(obj(OWNER))})
WATCH = obj({"repo": STR, "watching": BOOL, "watchers": INT})
WATCHERS = obj({"repo": STR, "total": INT, "page": INT, "results": arr(obj({"name": STR}))})
EVENT = obj({"kind": STR})
OWNER_EVENTS = obj({**OWNER, "page": INT, "results": arr(ANY_OBJECT)})
FEED = obj({"page": INT, "results": arr(ANY_OBJECT)})

# --- analytics ------------------------------------------------------------------------------
METRICS_PAGE = {"month": NULLABLE_STR, "metrics": ANY_OBJECT, "formulas": ANY_OBJECT}
CITY = obj(
    {
        **METRICS_PAGE,
        "months": arr(STR),
        "trend": ANY_OBJECT,
        "kinds": {"type": ["object", "array"]},
        "top_repositories": arr(ANY_OBJECT),
        "top_developers": arr(ANY_OBJECT),
        "top_organizations": arr(ANY_OBJECT),
        "collaboration": arr(ANY_OBJECT),
    }
)
ORG_ANALYTICS = obj(
    {
        **METRICS_PAGE,
        "organization": STR,
        "kind": STR,
        "scope": {"enum": ["public", "members"]},
        "trend": ANY_OBJECT,
        "repositories": arr(ANY_OBJECT),
        "partners": arr(ANY_OBJECT),
    }
)
REPO_ANALYTICS = obj({**METRICS_PAGE, "repository": STR, "platform": STR, "trend": ANY_OBJECT})
VALUE = ANY_OBJECT
REGISTRY_ENTRY = obj({"platform": STR, "login": STR, "organization": NULLABLE_STR})
REGISTRY = obj({"entries": arr(REGISTRY_ENTRY)})
REGISTRY_BODY = obj({"platform": STR, "login": STR}, organization=STR)

# --- the dataset viewer (datasets-server shapes) --------------------------------------------
SPLIT_ID = {"dataset": STR, "config": STR, "split": STR}
IS_VALID = obj(
    {"preview": BOOL, "viewer": BOOL, "search": BOOL, "filter": BOOL, "statistics": BOOL}
)
SPLITS = obj({"splits": arr(obj(SPLIT_ID)), "pending": arr(ANY_OBJECT), "failed": arr(ANY_OBJECT)})
FEATURE = obj({"feature_idx": INT, "name": STR, "type": ANY_OBJECT})
ROW = obj({"row_idx": INT, "row": ANY_OBJECT, "truncated_cells": arr(STR)})
FIRST_ROWS = obj({**SPLIT_ID, "features": arr(FEATURE), "rows": arr(ROW)})
ROWS = obj(
    {
        "features": arr(FEATURE),
        "rows": arr(ROW),
        "num_rows_total": INT,
        "num_rows_per_page": INT,
        "partial": BOOL,
    }
)
PARQUET_FILE = obj({**SPLIT_ID, "url": STR, "filename": STR, "size": INT})
PARQUET = obj({"parquet_files": arr(PARQUET_FILE)})
SIZE = obj({"size": ANY_OBJECT})
INFO = obj({"dataset_info": ANY_OBJECT})

# --- open calls (nbopen.programs) ----------------------------------------------------------
NULLABLE_DATE: Schema = {"type": ["string", "null"], "format": "date"}
MILESTONE = obj({"name": STR, "amount": INT, "due": NULLABLE_DATE})
CALL = obj(
    {
        "id": INT,
        "organization": STR,
        "title": STR,
        "description": STR,
        "state": {
            "enum": [
                "draft",
                "review",
                "published",
                "applications",
                "shortlist",
                "negotiation",
                "contracted",
                "in_progress",
                "acceptance",
                "closed",
            ]
        },
        "budget": obj({"total": INT, "milestones": arr(MILESTONE)}),
        "deadline": NULLABLE_DATE,
        "tags": arr(STR),
        "timeline": arr(
            obj({"from": STR, "to": STR, "actor": NULLABLE_STR, "at": STR, "note": STR})
        ),
    },
    kpis=arr(ANY_OBJECT),
    deliverables=arr(STR),
    eligibility=arr(STR),
    next_states=arr(STR),
    publish_date=NULLABLE_DATE,
    execution_start=NULLABLE_DATE,
    execution_end=NULLABLE_DATE,
    html_url=STR,
    created_at=STR,
)
CALLS = arr(CALL)
_CALL_FIELDS: dict[str, Schema] = {
    "description": STR,
    "tags": arr(STR),
    "budget": {"oneOf": [INT, obj(total=INT, milestones=arr(ANY_OBJECT))]},
    "milestones": arr(ANY_OBJECT),
    "kpis": arr(ANY_OBJECT),
    "deliverables": arr(STR),
    "eligibility": arr(STR),
    "publish_date": STR,
    "deadline": STR,
    "execution_start": STR,
    "execution_end": STR,
}
CALL_CREATE_BODY = obj({"organization": STR, "title": STR}, **_CALL_FIELDS)
CALL_PATCH_BODY = obj(title=STR, **_CALL_FIELDS)
TRANSITION_BODY = obj({"to": STR}, note=STR)
APPLICATION = obj(
    {
        "id": INT,
        "call": INT,
        "applicant": obj({"type": {"enum": ["org", "user"]}, "name": STR}),
        "proposal": STR,
        "budget_plan": arr(obj({"item": STR, "amount": INT})),
        "evidence": arr(STR),
        "status": {"enum": ["submitted", "shortlisted", "accepted", "rejected"]},
        "decision_reasons": STR,
    },
    decided_at=NULLABLE_STR,
    created_at=STR,
)
APPLICATIONS = arr(APPLICATION)
APPLICATION_BODY = obj(
    {"proposal": STR}, organization=STR, budget_plan=arr(ANY_OBJECT), evidence=arr(STR)
)
DECISION_BODY = obj({"status": {"enum": ["shortlisted", "accepted", "rejected"]}, "reasons": STR})
REASON = obj(
    {"kind": {"enum": ["keywords", "tags", "repository"]}},
    terms=arr(STR),
    tags=arr(STR),
    repository=STR,
    downloads=INT,
)
MATCHES = arr(
    obj(
        {
            "candidate": obj({"type": {"enum": ["org", "user"]}, "name": STR}),
            "score": NUM,
            "reasons": arr(REASON),
        }
    )
)
MATCHED_CALLS = arr(
    obj(
        {
            "call": obj({"id": INT, "title": STR, "organization": STR}),
            "score": NUM,
            "reasons": arr(REASON),
        }
    )
)
