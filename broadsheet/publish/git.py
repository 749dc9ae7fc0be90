"""The git target: one commit per publish on a branch of any git remote (GitHub Pages' gh-pages).

The git command line does the work, in a private bare repository under the site's
`.broadsheet/publish/<name>/`, so the user's own repository (if the site is in one) is never
touched, and credentials come from the user's git setup (SSH keys, credential helpers).
The commit is built with plumbing (hash-object, a throwaway index, write-tree,
commit-tree): no work tree is checked out, so a publish costs the files that changed,
not a copy of the site.

The remote only ever moves by one push that either lands whole or not at all: a push the
remote refuses (someone else pushed, a hook said no) leaves it as it was, and the next
publish starts again from what is there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from broadsheet.publish.local import LocalSite, redirected
from broadsheet.publish.outcome import Outcome, PublishError, PublishOptions
from broadsheet.publish.targets import GitTarget

PUBLISHED = "refs/broadsheet/published"  # in the scratch repository: the remote branch as last fetched
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
HASH_BATCH = 1000  # files per git hash-object: few processes, and a progress bar that moves
# Variables that would point git at another repository than the scratch one (set by a hook
# or a wrapper the user runs broadsheet from).
RELOCATING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
              "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_PREFIX")  # fmt: skip
# Who commits when the user's git knows no name: the commit is the site's, not a person's.
FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "Broadsheet", "GIT_AUTHOR_EMAIL": "broadsheet@localhost",
                     "GIT_COMMITTER_NAME": "Broadsheet", "GIT_COMMITTER_EMAIL": "broadsheet@localhost"}  # fmt: skip


def publish(
    target: GitTarget,
    site: LocalSite,
    options: PublishOptions,
    progress: Callable[[int, int], None] | None = None,
    *,
    scratch: Path | None = None,
    title: str = "",
    built: datetime | None = None,
) -> Outcome:
    """Commit exactly the output (plus .nojekyll and the configured CNAME) on
    `target.branch` and push it. `scratch` is the private repository kept between
    publishes (a temporary one when None); `title` and `built` (when the build wrote the
    output) name the build in the commit message."""
    if shutil.which("git") is None:
        raise PublishError(
            "git is not installed or not on PATH; the git target needs the git command line (https://git-scm.com)"
        )
    with _repository(scratch, options.dry_run) as repo:
        files = _files(target, site)
        previous = repo.fetch(target)
        tree = repo.tree(site, files, progress)
        old_tree, parents = repo.tree_of(previous), repo.parents(previous)
        outcome = repo.compare(old_tree or EMPTY_TREE, tree, files)
        outcome.redirects = redirected(site)
        squashed = target.history == "squash" and previous is not None and not parents
        if tree == old_tree and (target.history == "keep" or squashed):
            return outcome  # nothing changed: no commit, nothing pushed
        if options.dry_run:
            return outcome
        message = commit_message(len(files), title, built or datetime.fromtimestamp(site.root.stat().st_mtime, UTC))
        commit = repo.commit(tree, [] if target.history == "squash" or previous is None else [previous], message)
        repo.push(target, commit, previous)
        repo.git("update-ref", PUBLISHED, commit, check=False)  # only saves the next fetch some objects
        repo.git(
            "gc", "--auto", "--quiet", check=False
        )  # loose blobs packed now and then; the publish is done either way
        if progress:
            progress(len(files), len(files))
        return outcome


def commit_message(count: int, title: str, built: datetime) -> str:
    """ "Publish 12 files from The Digest, built 2026-11-30 11:50 UTC": the same for the same
    build, as the time is the build's, not the publish's."""
    when = built.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = " ".join(title.split())  # one subject line, whatever the settings hold
    return f"Publish {count:,} files from {title or 'the site'}, built {when}\n\nPublished by `broadsheet publish`.\n"


def _files(target: GitTarget, site: LocalSite) -> dict[str, bytes | Path]:
    """Path -> its bytes or where they are: the output, `.nojekyll` (so GitHub Pages serves
    folders starting with _ as they are) and the configured CNAME, which wins over one in
    the output (a lost CNAME takes the site off its domain)."""
    files: dict[str, bytes | Path] = {rel: f.source for rel, f in site.files.items()}
    files[".nojekyll"] = b""
    if target.cname:
        files["CNAME"] = target.cname.encode() + b"\n"
    for rel in files:
        if "\n" in rel or "\t" in rel:
            raise PublishError(f"{rel!r}: a file name with a line break or tab cannot be published to git")
    return dict(sorted(files.items()))


@contextmanager
def _repository(scratch: Path | None, dry_run: bool) -> Iterator[_Repo]:
    """The scratch repository, created when missing. A dry run works in a throwaway one that
    borrows the scratch repository's objects (read-only), so it fetches at most and leaves
    the site folder as it was."""
    if scratch is not None and not dry_run:
        repo = _Repo(scratch)
        if not (scratch / "HEAD").is_file():
            scratch.mkdir(parents=True, exist_ok=True)
            repo.git("init", "--bare", "--quiet", str(scratch), bare=True)
        yield repo
        return
    with tempfile.TemporaryDirectory(prefix="broadsheet-publish-") as temp:
        repo = _Repo(Path(temp) / "repo.git")
        repo.git("init", "--bare", "--quiet", str(repo.path), bare=True)
        if scratch is not None and (scratch / "objects").is_dir():
            (repo.path / "objects" / "info" / "alternates").write_text(str((scratch / "objects").resolve()) + "\n")
        yield repo


class _Repo:
    """git commands run against one bare repository, with their failures as PublishErrors."""

    def __init__(self, path: Path):
        self.path = path
        self.env = {k: v for k, v in os.environ.items() if k not in RELOCATING}
        self.env.update(LC_ALL="C", LANGUAGE="C")  # messages read below are git's English ones
        if not sys.stdin.isatty():  # no terminal to ask on: fail at once rather than wait for a password
            self.env.setdefault("GIT_TERMINAL_PROMPT", "0")

    def git(
        self, *args: str, input: bytes | None = None, bare: bool = False, env: dict | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        command = ["git", *([] if bare else ["--git-dir", str(self.path)]), *args]
        try:
            result = subprocess.run(
                command,
                input=input,
                capture_output=True,
                env={**self.env, **(env or {})},
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except OSError as exc:
            raise PublishError(f"git could not be run: {exc}") from None
        if check and result.returncode != 0:
            raise PublishError(f"git {args[0]} failed: {_git_message(result.stderr)}")
        return result

    def fetch(self, target: GitTarget) -> str | None:
        """The commit at the tip of the remote branch, fetched here; None when there is no branch yet."""
        ref = f"refs/heads/{target.branch}"
        listed = self.git("ls-remote", "--", target.remote, ref, check=False)
        if listed.returncode != 0:
            raise PublishError(f"cannot reach the git remote {target.remote}: {_git_message(listed.stderr)}")
        if not listed.stdout.strip():
            self.git("update-ref", "-d", PUBLISHED, check=False)
            return None
        fetched = self.git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--",
            target.remote,
            f"+{ref}:{PUBLISHED}",
            check=False,
        )
        if fetched.returncode != 0:
            raise PublishError(f"cannot fetch {target.branch} from {target.remote}: {_git_message(fetched.stderr)}")
        return self.git("rev-parse", "--verify", PUBLISHED + "^{commit}").stdout.decode().strip()

    def tree(self, site: LocalSite, files: dict[str, bytes | Path], progress: Callable[[int, int], None] | None) -> str:
        """The tree of exactly these files, its blobs written into the repository."""
        on_disk = {rel: data for rel, data in files.items() if isinstance(data, Path)}
        blobs = dict(zip(on_disk, self._hash_files(list(on_disk.values()), progress, len(files))))
        for rel, data in files.items():
            if isinstance(data, bytes):
                blobs[rel] = self.git("hash-object", "-w", "--stdin", input=data).stdout.decode().strip()
        entries = b"".join(f"100644 {blobs[rel]}\t".encode() + os.fsencode(rel) + b"\0" for rel in files)
        with tempfile.TemporaryDirectory(prefix="broadsheet-index-") as temp:
            index = {"GIT_INDEX_FILE": str(Path(temp) / "index")}
            self.git("update-index", "-z", "--add", "--index-info", input=entries, env=index)
            return self.git("write-tree", env=index).stdout.decode().strip()

    def _hash_files(self, paths: list[Path], progress: Callable[[int, int], None] | None, total: int) -> list[str]:
        """Blob ids of many files, a batch per git process (git skips a blob it already has);
        the batches drive the progress bar."""
        ids: list[str] = []
        for start in range(0, len(paths), HASH_BATCH):
            batch = paths[start : start + HASH_BATCH]
            result = self.git(
                "hash-object",
                "-w",
                "--no-filters",
                "--stdin-paths",
                input=b"".join(os.fsencode(p) + b"\n" for p in batch),
            )
            ids += result.stdout.decode().split()
            if progress:
                progress(len(ids), total)
        if len(ids) != len(paths):
            raise PublishError(f"git hash-object gave {len(ids)} ids for {len(paths)} files")
        return ids

    def tree_of(self, commit: str | None) -> str | None:
        return self.git("rev-parse", commit + "^{tree}").stdout.decode().strip() if commit else None

    def parents(self, commit: str | None) -> list[str]:
        return self.git("rev-list", "--parents", "-n", "1", commit).stdout.decode().split()[1:] if commit else []

    def compare(self, old_tree: str, new_tree: str, files: dict[str, bytes | Path]) -> Outcome:
        """What the new tree adds, changes and drops against the branch's last one."""
        out = self.git("diff-tree", "-r", "-z", "--no-renames", "--name-status", old_tree, new_tree).stdout
        words = os.fsdecode(out).split("\0")
        outcome = Outcome()
        for status, rel in zip(words[0::2], words[1::2]):
            {"A": outcome.uploaded, "M": outcome.replaced, "T": outcome.replaced, "D": outcome.deleted}.get(
                status, outcome.replaced
            ).append(rel)
        outcome.unchanged = len(files) - len(outcome.uploaded) - len(outcome.replaced)
        outcome.bytes_sent = sum(_size(files[rel]) for rel in outcome.uploaded + outcome.replaced if rel in files)
        return outcome

    def commit(self, tree: str, parents: list[str], message: str) -> str:
        known = self.git("var", "GIT_COMMITTER_IDENT", check=False).returncode == 0
        args = ["commit-tree", tree, *(a for p in parents for a in ("-p", p))]
        return self.git(*args, input=message.encode(), env=None if known else FALLBACK_IDENTITY).stdout.decode().strip()

    def push(self, target: GitTarget, commit: str, previous: str | None) -> None:
        """One push that lands whole or not at all. Squash replaces the branch, but only the
        one fetched (--force-with-lease): a push someone made meanwhile is never thrown away."""
        ref = f"refs/heads/{target.branch}"
        force = [f"--force-with-lease={ref}:{previous or ''}"] if target.history == "squash" else []
        pushed = self.git("push", "--quiet", "--porcelain", *force, "--", target.remote, f"{commit}:{ref}", check=False)
        if pushed.returncode != 0:
            raise PublishError(f"the git remote {target.remote} refused the push to {target.branch} ({_refusal(pushed)}); "
                               "it was left as it was: publish again to retry")  # fmt: skip


def _size(data: bytes | Path) -> int:
    return len(data) if isinstance(data, bytes) else data.stat().st_size


def _git_message(stderr: bytes) -> str:
    """git's own reason, in one line: its first fatal or error line (the advice after it,
    "Please make sure you have the correct access rights", says nothing new), else its last."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    reason = next(
        (line for line in lines if line.startswith(("fatal: ", "error: "))), lines[-1] if lines else "no message"
    )
    return reason.removeprefix("fatal: ").removeprefix("error: ")


def _refusal(result: subprocess.CompletedProcess) -> str:
    """Why the remote said no, from `git push --porcelain`: '!<tab>ref:ref<tab>[rejected] (fetch first)'."""
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("!"):
            reason = line.split("\t")[-1]
            found = re.search(r"\((.*)\)", reason)
            return found.group(1) if found else reason
    return _git_message(result.stderr)
