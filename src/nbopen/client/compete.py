"""``nbopen compete …``: host and take part in competitions over the HTTP API.

Same settings as the other client verbs (flags, ``HF_ENDPOINT``/``HF_TOKEN``, ``nbopen
login``). stdout is data (ids, JSON, the leaderboard), stderr is talk. The linked datasets
are downloaded with ``huggingface_hub``: accepting the terms is what lets it through.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from nbopen.client.config import _prepare_env, _settings


class ApiError(Exception):
    pass


def _call(
    args: argparse.Namespace,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    data: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    raw: bool = False,
) -> Any:
    endpoint, token = _settings(args)
    url = f"{endpoint}/api/v1/{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    headers = {"Accept": "application/json", "Accept-Language": _language()}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    if not url.startswith(("http://", "https://")):
        raise ApiError(f"the endpoint must be an http(s) URL: {endpoint}")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 (checked above)
            payload = response.read()
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            text = json.loads(text).get("error", text)
        raise ApiError(f"{exc.code}: {text}") from None
    except urllib.error.URLError as exc:
        raise ApiError(f"cannot reach {endpoint}: {exc.reason}") from None
    return payload.decode() if raw else json.loads(payload)


def _language() -> str:
    """The server answers reasons in Chinese unless asked otherwise: follow the terminal's
    locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), as the pages follow the browser's."""
    import os

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "zh-hans"


def _slug(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def create(args: argparse.Namespace) -> int:
    data: dict[str, Any] = {
        "organization": args.org,
        "slug": args.slug,
        "title": args.title or args.slug,
        "datasets": args.dataset or [],
        "metric": args.metric,
        "id_column": args.id_column,
        "target_column": args.target_column,
        "public_fraction": args.public_fraction,
        "daily_quota": args.daily_quota,
        "precision": args.precision,
    }
    for key in ("start", "end", "total_quota", "terms", *TEAM_OPTIONS):
        if getattr(args, key) is not None:
            data[key] = getattr(args, key)
    if args.scorer or args.lower_is_better:  # a custom metric's direction must be stated
        data["higher_is_better"] = not args.lower_is_better
    _call(args, "POST", "competitions", data=data)
    slug = _slug(args.slug)
    stored = _call(
        args, "PUT", f"competitions/{slug}/ground-truth", body=Path(args.ground_truth).read_bytes()
    )
    print(f"ground truth stored: {stored['rows']} rows", file=sys.stderr)
    if args.scorer:
        _call(args, "PUT", f"competitions/{slug}/scorer", body=Path(args.scorer).read_bytes())
    if not args.draft:
        _call(args, "POST", f"competitions/{slug}/publish", data={})
    print(args.slug)
    return 0


TEAM_OPTIONS = ("max_team_size", "final_submissions", "winners_publish", "team_merge_deadline")


def edit(args: argparse.Namespace) -> int:
    """Change a competition's options (the host); prints the state."""
    data: dict[str, Any] = {}
    for key in ("title", "terms", "metric", *TEAM_OPTIONS):
        if getattr(args, key, None) is not None:
            data[key] = getattr(args, key)
    info = _call(args, "PATCH", f"competitions/{_slug(args.slug)}", data=data)
    print(info["state"])
    return 0


def team(args: argparse.Namespace) -> int:
    """Show the team (JSON), or invite / accept / decline / leave / merge."""
    base = f"competitions/{_slug(args.slug)}/team"
    if args.action == "show":
        info = _call(args, "GET", base)
    else:
        needs = {"invite": "username", "accept": "team", "decline": "team", "merge": "code"}
        body: dict[str, Any] = {}
        if args.action in needs:
            if not args.value:
                raise ApiError(f"{args.action} needs a {needs[args.action]}")
            body[needs[args.action]] = args.value
        info = _call(args, "POST", f"{base}/{args.action}", data=body)
    print(json.dumps(info, ensure_ascii=False))
    return 0


def finals(args: argparse.Namespace) -> int:
    """Show or choose the final submissions (ids; ``--clear`` goes back to the default)."""
    path = f"competitions/{_slug(args.slug)}/finals"
    query = {"phase": args.phase} if args.phase else None
    if args.ids or args.clear:
        info = _call(args, "PUT", path, data={"ids": list(args.ids)}, query=query)
    else:
        info = _call(args, "GET", path, query=query)
    print(json.dumps(info, ensure_ascii=False))
    return 0


def winners(args: argparse.Namespace) -> int:
    """The winners and their repositories, or link one (``--link OWNER/NAME``)."""
    path = f"competitions/{_slug(args.slug)}/winners"
    if args.link:
        info = _call(args, "POST", path, data={"repository": args.link})
    else:
        info = _call(args, "GET", path)
    print(json.dumps(info, ensure_ascii=False))
    return 0


def close(args: argparse.Namespace) -> int:
    info = _call(args, "POST", f"competitions/{_slug(args.slug)}/close", data={})
    print(info["state"])
    return 0


def list_(args: argparse.Namespace) -> int:
    for item in _call(args, "GET", "competitions")["competitions"]:
        print(f"{item['slug']}\t{item['state']}\t{item['organization']}\t{item['title']}")
    return 0


def join(args: argparse.Namespace) -> int:
    info = _call(args, "GET", f"competitions/{_slug(args.slug)}")
    if info.get("terms") and not args.accept_terms:
        print(info["terms"], file=sys.stderr)
        print("nbopen: pass --accept-terms to accept these terms", file=sys.stderr)
        return 1
    body = {"team": args.team} if args.team else {"code": args.code} if args.code else {}
    joined = _call(args, "POST", f"competitions/{_slug(args.slug)}/join", data=body)
    print(f"team {joined['team']} (join code {joined['join_code']})", file=sys.stderr)
    print(joined["team"])
    return 0


def download(args: argparse.Namespace) -> int:
    info = _call(args, "GET", f"competitions/{_slug(args.slug)}")
    endpoint, token = _settings(args)
    _prepare_env(endpoint)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    for name in info["datasets"]:
        try:
            path = snapshot_download(
                name,
                repo_type="dataset",
                endpoint=endpoint,
                token=token or False,
                local_dir=str(Path(args.local_dir) / name) if args.local_dir else None,
            )
        except HfHubHTTPError as exc:  # e.g. the terms are not accepted yet
            raise ApiError(f"{name}: {exc}") from None
        print(path)
    return 0


def submit(args: argparse.Namespace) -> int:
    submission = _call(
        args,
        "POST",
        f"competitions/{_slug(args.slug)}/submissions",
        body=Path(args.file).read_bytes(),
        query={"message": args.message or ""},
    )
    print(submission["id"])
    return 0


def status(args: argparse.Namespace) -> int:
    base = f"competitions/{_slug(args.slug)}/submissions"
    if args.id is not None:
        print(json.dumps(_call(args, "GET", f"{base}/{args.id}"), ensure_ascii=False))
        return 0
    for item in _call(args, "GET", base)["submissions"]:
        print(json.dumps(item, ensure_ascii=False))
    return 0


def leaderboard(args: argparse.Namespace) -> int:
    query = {"split": "private" if args.private else "public"}
    board = _call(args, "GET", f"competitions/{_slug(args.slug)}/leaderboard", query=query)
    rows = [{"team": r["team"], "rank": r["rank"], "score": r["score"]} for r in board["rows"]]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['rank']}\t{row['team']}\t{row['score']}")
    return 0


def _guarded(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(handler(args))
        except ApiError as exc:
            print(f"nbopen: {exc}", file=sys.stderr)
            return 1

    return run


def register(sub: Any, common: Any) -> None:
    """``nbopen compete <verb>``."""
    verbs = sub.add_parser("compete", help="host or take part in data competitions")
    compete = verbs.add_subparsers(dest="verb", required=True)

    def verb(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        parser = compete.add_parser(name, help=help_text)
        common(parser)
        parser.set_defaults(client_handler=_guarded(handler))
        return parser

    c = verb("create", create, "create and publish a competition (organization admins)")
    c.add_argument("slug")
    c.add_argument("--org", required=True)
    c.add_argument("--title", default="")
    c.add_argument("--dataset", action="append", help="OWNER/NAME (repeatable)")
    c.add_argument("--ground-truth", required=True, help="CSV kept hidden on the server")
    c.add_argument("--id-column", default="id")
    c.add_argument("--target-column", default="target")
    c.add_argument("--metric", default="accuracy")
    c.add_argument("--scorer", default=None, help="Python file defining evaluate()")
    c.add_argument("--lower-is-better", action="store_true", help="for a custom metric")
    c.add_argument("--public-fraction", type=float, default=0.5)
    c.add_argument("--daily-quota", type=int, default=5)
    c.add_argument("--total-quota", type=int, default=None)
    c.add_argument("--precision", type=int, default=4)
    c.add_argument("--start", default=None)
    c.add_argument("--end", default=None)
    c.add_argument("--terms", default=None)
    c.add_argument("--draft", action="store_true", help="do not publish yet")
    _team_options(c)
    e = verb("edit", edit, "change a competition's options (organization admins)")
    e.add_argument("slug")
    e.add_argument("--title", default=None)
    e.add_argument("--terms", default=None)
    e.add_argument("--metric", default=None, help="only before any submission")
    _team_options(e)
    t = verb("team", team, "your team: show, invite USER, accept/decline TEAM, leave, merge CODE")
    t.add_argument("action", choices=["show", "invite", "accept", "decline", "leave", "merge"])
    t.add_argument("slug")
    t.add_argument("value", nargs="?", default=None, help="user, team or join code")
    f = verb("finals", finals, "show or choose your final submissions (ids)")
    f.add_argument("slug")
    f.add_argument("ids", nargs="*", type=int)
    f.add_argument("--phase", default=None)
    f.add_argument("--clear", action="store_true", help="back to the best public ones")
    w = verb("winners", winners, "the winners' repositories, or link yours (--link)")
    w.add_argument("slug")
    w.add_argument("--link", default=None, metavar="OWNER/NAME")
    verb("close", close, "end the running phase now and reveal the private ranking").add_argument(
        "slug"
    )
    verb("list", list_, "competitions you may see")
    j = verb("join", join, "accept the terms and join (or create) a team")
    j.add_argument("slug")
    j.add_argument("--team", default=None)
    j.add_argument("--code", default=None, help="a team's join code")
    j.add_argument("--accept-terms", action="store_true")
    d = verb("download", download, "download the competition's datasets")
    d.add_argument("slug")
    d.add_argument("--local-dir", default=None)
    s = verb("submit", submit, "submit a predictions file; prints the submission id")
    s.add_argument("slug")
    s.add_argument("file")
    s.add_argument("-m", "--message", default=None)
    st = verb("status", status, "your submissions (JSON lines), or one")
    st.add_argument("slug")
    st.add_argument("id", nargs="?", type=int, default=None)
    lb = verb("leaderboard", leaderboard, "the public (or --private) leaderboard")
    lb.add_argument("slug")
    lb.add_argument("--private", action="store_true")
    lb.add_argument("--json", action="store_true")


def _team_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-team-size", type=int, default=None)
    parser.add_argument("--final-submissions", type=int, default=None, help="per phase")
    parser.add_argument(
        "--winners-publish", type=int, default=None, help="top-k teams must link repositories"
    )
    parser.add_argument("--team-merge-deadline", default=None, help="ISO date-time")
