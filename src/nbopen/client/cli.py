"""``nbopen login``, ``nbopen download`` and ``nbopen upload``: the Hub client, pointed at NBopen.

Why wrap ``huggingface_hub`` instead of re-implementing it: the protocol, resumable downloads,
the cache layout and progress bars are exactly what users already get from it; NBopen only
supplies the endpoint and token. Large files go through Xet when ``hf_xet`` is installed
(deduplicated chunks: re-uploading a fine-tune sends only what changed) and through Git LFS
otherwise — the server's preupload answer decides, as on huggingface.co (docs/hub-compat.md).

Settings come from flags, then ``HF_ENDPOINT``/``HF_TOKEN``, then what ``nbopen login`` stored
in ``~/.config/nbopen/client.json`` (mode 0600).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from nbopen.client.config import _prepare_env, _settings, config_path

LFS_HEADERS = {"X-NBopen-Lfs": "1"}


def login(args: argparse.Namespace) -> int:
    endpoint, token = _settings(args)
    if not token:
        import getpass

        token = getpass.getpass(f"Access token for {endpoint}: ").strip()
    _prepare_env(endpoint)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        me = HfApi(endpoint=endpoint, token=token).whoami()
    except HfHubHTTPError as exc:
        print(f"nbopen: login failed: {exc}", file=sys.stderr)
        return 1
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"endpoint": endpoint, "token": token}, fh)
    print(f"Logged in to {endpoint} as {me['name']}", file=sys.stderr)
    return 0


def download(args: argparse.Namespace) -> int:
    endpoint, token = _settings(args)
    _prepare_env(endpoint)
    from huggingface_hub import hf_hub_download, snapshot_download

    common: dict[str, Any] = {
        "repo_type": args.repo_type,
        "revision": args.revision,
        "endpoint": endpoint,
        "token": token or False,
    }
    if args.local_dir:
        common["local_dir"] = args.local_dir
    if args.files:
        for name in args.files:
            print(hf_hub_download(args.repo, name, **common))
    else:
        print(snapshot_download(args.repo, **common))
    return 0


def upload(args: argparse.Namespace) -> int:
    endpoint, token = _settings(args)
    if not token:
        print("nbopen: upload needs a token (nbopen login, --token or HF_TOKEN)", file=sys.stderr)
        return 1
    _prepare_env(endpoint)
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=token, headers=LFS_HEADERS)
    api.create_repo(args.repo, repo_type=args.repo_type, private=args.private, exist_ok=True)
    source = Path(args.path)
    kwargs: dict[str, Any] = {
        "repo_id": args.repo,
        "repo_type": args.repo_type,
        "revision": args.revision,
        "commit_message": args.message,
    }
    if source.is_dir():
        info = api.upload_folder(folder_path=source, path_in_repo=args.path_in_repo, **kwargs)
    elif source.is_file():
        info = api.upload_file(
            path_or_fileobj=str(source), path_in_repo=args.path_in_repo or source.name, **kwargs
        )
    else:
        print(f"nbopen: no such file or folder: {source}", file=sys.stderr)
        return 1
    print(info.commit_url)
    return 0


def register(sub: Any) -> None:
    """Add the client verbs to the ``nbopen`` argument parser."""

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--endpoint", help="NBopen URL (default: HF_ENDPOINT or login)")
        parser.add_argument("--token", help="access token (default: HF_TOKEN or login)")

    lg = sub.add_parser("login", help="store an NBopen endpoint and access token")
    common(lg)
    lg.set_defaults(client_handler=login)

    dl = sub.add_parser("download", help="download a model or dataset (or some of its files)")
    dl.add_argument("repo")
    dl.add_argument("files", nargs="*")
    dl.add_argument("--revision", default=None)
    dl.add_argument("--repo-type", default="model", choices=["model", "dataset"])
    dl.add_argument("--local-dir", default=None)
    common(dl)
    dl.set_defaults(client_handler=download)

    up = sub.add_parser("upload", help="upload a file or folder to a model or dataset")
    up.add_argument("repo")
    up.add_argument("path")
    up.add_argument("--path-in-repo", default=None)
    up.add_argument("--repo-type", default="model", choices=["model", "dataset"])
    up.add_argument("--revision", default=None)
    up.add_argument("--private", action="store_true", help="create the repository as private")
    up.add_argument("-m", "--message", default=None, help="commit message")
    common(up)
    up.set_defaults(client_handler=upload)

    from nbopen.client import compete

    compete.register(sub, common)
