"""Builders for the incubator and standards tests: real repositories, real commits (one per
author, back-dated where the test needs history) and real tags, through the services."""

from __future__ import annotations

from datetime import datetime

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.repos.models import Repository
from nbopen.repos.uploads import Upload, upload_files
from nbopen.repos.writes import refs

APACHE = (
    "                                 Apache License\n"
    "                           Version 2.0, January 2004\n"
    "                        http://www.apache.org/licenses/\n"
)
MIT = "MIT License\n\nPermission is hereby granted, free of charge, to any person ...\n"


def commit(
    repo: Repository, user: User, path: str, text: str, *, when: datetime | None = None
) -> str:
    return upload_files(
        actor=Principal(user=user),
        repo=repo,
        branch=repo.default_branch,
        uploads=[Upload(path, data=text.encode())],
        message=f"{user.username}: {path}",
        when=when,
    )


def tag(repo: Repository, user: User, name: str, target: str) -> None:
    refs.create_tag(repo=repo, actor=user, tag=name, target=target)
