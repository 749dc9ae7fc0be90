"""What `publish:` in broadsheet.yaml names: one settings record per kind of target.

Plain data, read and checked by config.py like every other setting; credentials never
appear here (git and SSH use the user's own setup, S3 the standard AWS variables and
profiles)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GitTarget:
    name: str
    remote: str  # any git URL, file:// included
    branch: str = "gh-pages"
    cname: str | None = None  # written as CNAME in every commit
    history: str = "keep"  # or "squash": the branch is replaced by one commit


@dataclass(frozen=True)
class S3Target:
    name: str
    bucket: str
    prefix: str = ""  # key prefix, "" or ending in "/"
    region: str | None = None
    endpoint: str | None = None  # for S3-compatible stores
    max_deletes: int = 100  # more deletions than this need --yes


@dataclass(frozen=True)
class RsyncTarget:
    name: str
    destination: str  # "user@host:/path" or a local path: the symlink the web server serves
    keep: int = 5  # releases kept for --rollback


Target = GitTarget | S3Target | RsyncTarget
