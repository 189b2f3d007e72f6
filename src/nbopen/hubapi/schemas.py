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
TRAFFIC_ROW = obj(
    {
        "upstream": {"type": ["string", "null"]},
        "bytes_upstream": INT,
        "files_upstream": INT,
        "bytes_local": INT,
        "files_local": INT,
        "saved_share": {"type": ["number", "null"]},
    }
)
MIRROR_TRAFFIC = obj({"days": INT, "upstreams": arr(TRAFFIC_ROW), "total": TRAFFIC_ROW})
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
CODE_LINE = obj({"line": INT, "fragment": STR, "text": STR})
CODE_HIT = obj(
    {
        "repo": STR,
        "path": STR,
        "line": INT,
        "fragment": STR,  # escaped HTML; matching words in <mark>
        "language": STR,
        "url": STR,
        "matches": arr(CODE_LINE),
    },
    repo_type=STR,
    score=NUM,
)
CODE_SEARCH = obj(
    {
        "total": INT,
        "total_relation": {"enum": ["eq", "gte"]},
        "page": INT,
        "limit": INT,
        "results": arr(CODE_HIT),
        "facets": obj(
            {
                "language": arr(obj({"value": STR, "label": STR, "count": INT})),
                "repo": arr(obj({"value": STR, "count": INT})),
            }
        ),
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

# --- competitions ----------------------------------------------------------------------------
NULLABLE_INT: Schema = {"type": ["integer", "null"]}
COMPETITION_PHASE = obj(
    {"name": STR, "start": STR, "end": NULLABLE_STR, "ended": BOOL, "daily_quota": INT}
)
COMPETITION = obj(
    {
        "slug": STR,
        "title": STR,
        "organization": STR,
        "state": {"enum": ["draft", "published", "running", "finished", "archived"]},
        "datasets": arr(STR),
        "metric": STR,
        "phases": arr(COMPETITION_PHASE),
        "is_host": BOOL,
    },
    me={"type": ["object", "null"]},
)
COMPETITIONS = obj({"competitions": arr(COMPETITION)})
COMPETITION_BODY = obj(
    {"organization": STR, "slug": STR, "metric": STR},
    title=STR,
    datasets=arr(STR),
    id_column=STR,
    target_column=STR,
    public_fraction=NUM,
    daily_quota=INT,
    total_quota=INT,
    concurrent_quota=INT,
    start=STR,
    end=STR,
    precision=INT,
    higher_is_better=BOOL,
    overview=STR,
    evaluation=STR,
    rules=STR,
    terms=STR,
    max_team_size=INT,
    final_submissions=INT,
    winners_publish=INT,
    team_merge_deadline=NULLABLE_STR,
    phases=arr(
        obj(
            {"name": STR, "start": STR},
            end=NULLABLE_STR,
            daily_quota=INT,
            total_quota=NULLABLE_INT,
            concurrent_quota=INT,
        )
    ),
)
COMPETITION_UPDATE = {**COMPETITION_BODY, "required": []}
COMPETITION_TEAM = obj(
    {"team": NULLABLE_STR, "members": arr(STR), "invitations": arr(obj(team=STR, by=STR))},
    join_code=NULLABLE_STR,
    invited=arr(STR),
    merge=arr(obj(phase=STR, used=INT, allowed=INT, days=INT)),
    merge_deadline=NULLABLE_STR,
)
COMPETITION_TEAM_BODY = obj(username=STR, team=STR, code=STR)
FINALS = obj(
    {"phase": STR, "limit": INT, "selected": arr(INT), "counting": arr(INT)},
)
FINALS_BODY = obj({"ids": arr(INT)}, phase=STR)
WINNERS = obj(
    {
        "required": INT,
        "winners": arr(obj(rank=INT, team=STR, repositories=arr(obj(name=STR, type=STR)))),
    }
)
WINNER_BODY = obj({"repository": STR})
WINNER_LINKED = obj({"team": STR, "repository": STR, "type": STR})
JOIN_BODY = obj(team=STR, code=STR)
JOINED = obj({"team": STR, "join_code": STR})
COMPETITION_SUBMISSION = obj(
    {
        "id": INT,
        "state": {"enum": ["submitted", "queued", "running", "finished", "failed"]},
        "team": STR,
        "created_at": STR,
        "scores": ANY_OBJECT,
        "reason": STR,
    },
    log=STR,
)
COMPETITION_SUBMISSIONS = obj({"submissions": arr(COMPETITION_SUBMISSION)})
LEADERBOARD = obj(
    {
        "phase": STR,
        "split": STR,
        "rows": arr(
            obj(
                {"rank": INT, "team": STR, "score": NUM, "submitted_at": STR, "entries": INT},
                repositories=arr(obj(name=STR, type=STR)),
            )
        ),
    }
)
GROUND_TRUTH_STORED = obj(rows=INT)


# Gitea's API v1 (field names and types of Gitea's swagger definitions).
GITEA_ERROR = obj({"message": STR, "url": STR})
GITEA_USER = obj(
    {"id": INT, "login": STR, "full_name": STR, "email": STR, "avatar_url": STR},
    html_url=STR,
    is_admin=BOOL,
    language=STR,
    created=STR,
    username=STR,
)
_NAMES = arr(STR)
BRANCH_PROTECTION_FIELDS: dict[str, Schema] = {
    "branch_name": STR,
    "rule_name": STR,
    "priority": INT,
    "enable_push": BOOL,
    "enable_push_whitelist": BOOL,
    "push_whitelist_usernames": _NAMES,
    "push_whitelist_teams": _NAMES,
    "enable_force_push": BOOL,
    "enable_merge_whitelist": BOOL,
    "merge_whitelist_usernames": _NAMES,
    "merge_whitelist_teams": _NAMES,
    "enable_status_check": BOOL,
    "status_check_contexts": _NAMES,
    "required_approvals": INT,
    "block_on_rejected_reviews": BOOL,
    "block_on_outdated_branch": BOOL,
    "dismiss_stale_approvals": BOOL,
}
BRANCH_PROTECTION = obj(
    {
        **{k: v for k, v in BRANCH_PROTECTION_FIELDS.items() if k != "priority"},
        "created_at": STR,
        "updated_at": STR,
    },
    priority=INT,
)
BRANCH_PROTECTIONS = arr(BRANCH_PROTECTION)
BRANCH_PROTECTION_BODY = obj(**BRANCH_PROTECTION_FIELDS)
STATUS_STATE: Schema = {"enum": ["pending", "success", "error", "failure", "warning"]}
COMMIT_STATUS = obj(
    {
        "id": INT,
        "status": STATUS_STATE,
        "state": STATUS_STATE,
        "target_url": STR,
        "description": STR,
        "url": STR,
        "context": STR,
        "created_at": STR,
        "updated_at": STR,
    },
    creator={"anyOf": [GITEA_USER, {"type": "null"}]},
)
COMMIT_STATUSES = arr(COMMIT_STATUS)
COMMIT_STATUS_BODY = obj({"state": STATUS_STATE}, context=STR, target_url=STR, description=STR)
COMBINED_STATUS = obj(
    {
        "state": STATUS_STATE,
        "sha": STR,
        "total_count": INT,
        "statuses": COMMIT_STATUSES,
        "commit_url": STR,
        "url": STR,
    }
)
GITEA_VERSION = obj({"version": STR})
GITEA_REPO = obj(
    {
        "id": INT,
        "owner": GITEA_USER,
        "name": STR,
        "full_name": STR,
        "private": BOOL,
        "default_branch": STR,
        "html_url": STR,
        "clone_url": STR,
        "permissions": obj({"admin": BOOL, "push": BOOL, "pull": BOOL}),
    }
)
GITEA_LABEL = obj({"id": INT, "name": STR, "color": STR, "description": STR, "url": STR})
GITEA_LABELS = arr(GITEA_LABEL)
GITEA_LABEL_BODY = obj({"name": STR}, color=STR, description=STR)
GITEA_LABEL_EDIT_BODY = obj(name=STR, color=STR, description=STR)
_NULLABLE_USER: Schema = {"anyOf": [GITEA_USER, {"type": "null"}]}
GITEA_ISSUE = obj(
    {
        "id": INT,
        "number": INT,
        "title": STR,
        "body": STR,
        "state": {"enum": ["open", "closed"]},
        "labels": arr(GITEA_LABEL),
        "comments": INT,
        "html_url": STR,
        "created_at": STR,
        "updated_at": STR,
    },
    user=_NULLABLE_USER,
    pull_request={"type": ["object", "null"]},
)
GITEA_ISSUES = arr(GITEA_ISSUE)
GITEA_ISSUE_BODY = obj(
    title=STR,
    body=STR,
    state={"enum": ["open", "closed"]},
    labels=arr({}),
    assignees=arr(STR),
    milestone={"type": ["integer", "null"]},
)
GITEA_COMMENT = obj(
    {"id": INT, "body": STR, "html_url": STR, "created_at": STR, "updated_at": STR},
    user=_NULLABLE_USER,
)
GITEA_COMMENTS = arr(GITEA_COMMENT)
GITEA_COMMENT_BODY = obj({"body": STR})
_BRANCH = obj({"label": STR, "ref": STR, "sha": STR, "repo_id": INT})
GITEA_PULL = obj(
    {
        "id": INT,
        "number": INT,
        "title": STR,
        "body": STR,
        "state": {"enum": ["open", "closed"]},
        "merged": BOOL,
        "mergeable": BOOL,
        "base": _BRANCH,
        "head": _BRANCH,
        "diff_url": STR,
        "patch_url": STR,
        "html_url": STR,
    },
    merge_commit_sha=NULLABLE_STR,
    user=_NULLABLE_USER,
)
GITEA_PULLS = arr(GITEA_PULL)
GITEA_PULL_BODY = obj(head=STR, base=STR, title=STR, body=STR, state=STR, labels=arr({}))
GITEA_MERGE_BODY = obj(
    {"Do": {"enum": ["merge", "squash", "rebase", "fast-forward-only"]}}, head_commit_id=STR
)
GITEA_FILES = arr(
    obj({"filename": STR, "status": STR, "additions": INT, "deletions": INT, "changes": INT})
)
GITEA_COMMITS = arr(obj({"sha": STR, "url": STR, "commit": ANY_OBJECT}))
GITEA_REVIEW = obj(
    {
        "id": INT,
        "state": {"enum": ["APPROVED", "REQUEST_CHANGES", "COMMENT"]},
        "body": STR,
        "commit_id": STR,
        "stale": BOOL,
        "comments_count": INT,
    },
    user=_NULLABLE_USER,
)
GITEA_REVIEWS = arr(GITEA_REVIEW)
GITEA_REVIEW_BODY = obj(
    event={"enum": ["APPROVED", "REQUEST_CHANGES", "COMMENT"]},
    body=STR,
    commit_id=STR,
    comments=arr(obj(path=STR, body=STR, new_position=INT)),
)

GITEA_MILESTONE = obj(
    {
        "id": INT,
        "title": STR,
        "description": STR,
        "state": {"enum": ["open", "closed"]},
        "open_issues": INT,
        "closed_issues": INT,
        "created_at": STR,
        "updated_at": STR,
    },
    closed_at=NULLABLE_STR,
    due_on=NULLABLE_STR,
)
GITEA_MILESTONES = arr(GITEA_MILESTONE)
GITEA_MILESTONE_BODY = obj(
    title=STR, description=STR, due_on=NULLABLE_STR, state={"enum": ["open", "closed"]}
)
GITEA_REACTION = obj({"content": STR, "created_at": STR}, user=_NULLABLE_USER)
GITEA_REACTIONS = arr(GITEA_REACTION)
GITEA_REACTION_BODY = obj(
    {"content": {"enum": ["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"]}}
)
GITEA_ISSUE_TEMPLATES = arr(
    obj(
        {
            "name": STR,
            "title": STR,
            "about": STR,
            "labels": arr(STR),
            "assignees": arr(STR),
            "content": STR,
            "file_name": STR,
        },
        ref=STR,
    )
)


# --- webhooks (Gitea's ``Hook``) -----------------------------------------------------------
HOOK_CONFIG = obj({"url": STR, "content_type": STR})
HOOK = obj(
    {
        "id": INT,
        "type": STR,
        "config": HOOK_CONFIG,
        "events": arr(STR),
        "active": BOOL,
        "branch_filter": STR,
        "created_at": STR,
        "updated_at": STR,
    }
)
HOOKS = arr(HOOK)
HOOK_BODY = obj(
    type=STR,
    config=obj(url=STR, content_type={"enum": ["json", "form"]}, secret=STR),
    events=arr(STR),
    branch_filter=STR,
    active=BOOL,
)

# --- notifications (Gitea's ``NotificationThread``) ---------------------------------------
NOTIFICATION_SUBJECT = obj(
    {
        "title": STR,
        "url": STR,
        "html_url": STR,
        "latest_comment_url": STR,
        "latest_comment_html_url": STR,
        "type": {"enum": ["Issue", "Pull"]},
        "state": {"enum": ["open", "closed", "merged"]},
    }
)
NOTIFICATION = obj(
    {
        "id": INT,
        "repository": ANY_OBJECT,
        "subject": NOTIFICATION_SUBJECT,
        "unread": BOOL,
        "pinned": BOOL,
        "updated_at": STR,
        "url": STR,
    }
)
NOTIFICATIONS = arr(NOTIFICATION)
NOTIFICATIONS_NEW = obj({"new": INT})
# --- open calls (nbopen.programs) ----------------------------------------------------------
NULLABLE_DATE: Schema = {"type": ["string", "null"], "format": "date"}
MILESTONE = obj({"name": STR, "amount": INT, "due": NULLABLE_DATE}, paid=BOOL, paid_at=STR)
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
    competition=NULLABLE_STR,
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
    "competition": NULLABLE_STR,
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
    {"kind": {"enum": ["keywords", "tags", "repository", "competition", "meaning"]}},
    similarity=NUM,
    text=STR,
    competition=STR,
    rank=INT,
    linked=BOOL,
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
CRITERION = obj({"name": STR, "weight": NUM})
PANEL = obj(
    {
        "criteria": arr(CRITERION),
        "published": BOOL,
        "reviewers": {"type": ["array", "null"], "items": STR},
    },
    conflicts=arr(
        obj(
            {
                "reviewer": STR,
                "application": INT,
                "reasons": arr(
                    obj(
                        {
                            "kind": {"enum": ["organization", "coauthorship", "declared"]},
                            "detail": STR,
                        }
                    )
                ),
            }
        )
    ),
)
PANEL_BODY = obj(criteria=arr(CRITERION), published=BOOL)
CALL_REVIEW = obj(
    {
        "id": INT,
        "application": INT,
        "reviewer": STR,
        "scores": {"type": "object", "additionalProperties": INT},
        "total": NUM,
        "comment": STR,
        "submitted_at": STR,
    }
)
CALL_REVIEWS = arr(CALL_REVIEW)
REVIEW_BODY = obj({"scores": {"type": "object", "additionalProperties": INT}}, comment=STR)
CONFLICT_BODY = obj(reason=STR)
MATCHED_CALLS = arr(
    obj(
        {
            "call": obj({"id": INT, "title": STR, "organization": STR}),
            "score": NUM,
            "reasons": arr(REASON),
        }
    )
)
