"""Publishing to a server over SSH, or to a local folder, with the system rsync.

The layout, for `destination: deploy@host:/var/www/digest` (or the local path /var/www/digest):

    /var/www/digest -> digest.releases/20261130T120501Z-3fa94c1e    the link the web server serves
    /var/www/digest.releases/20261130T120501Z-3fa94c1e/              one release: the whole output
    /var/www/digest.releases/20261130T120501Z-3fa94c1e.json          its manifest: each file's SHA-256

A publish compares the output with the served release's manifest by SHA-256 (never size or
time, so a same-size typo fix is sent), makes the new release folder on the server as a copy
of the served one in hard links (`cp -al`, or rsync's `--link-dest` where cp is not GNU's),
rsyncs the new and changed files into it and deletes the gone ones, writes the manifest,
then makes a new link and renames it over `destination` (rename is atomic), so the web
server sees the old site or the new one, never a mix. Releases beyond `keep` are deleted
after the switch. A release folder without a manifest is an upload that did not finish: it
is never served, and the next publish deletes it. The server needs sh, rsync and GNU `mv -T`
(any Linux).

The manifest lives beside the release, not in it, so the web server does not serve it. The
outcome is the local output compared with the served release's manifest (hashes, so a dry
run needs to read one small file and nothing else; rsync's itemized output would need a
dry-run transfer that checksums every file on the server).

Every step on the destination is a short `sh` script, run with `sh -c` for a local path and
with `ssh HOST sh -c SCRIPT` for a remote one, so both take the same code path. ssh is the
user's: its command (port, key, options) comes from RSYNC_RSH, as for rsync itself, and
~/.ssh/config; nothing about it is read from broadsheet.yaml.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from broadsheet.publish.local import LocalSite, redirected
from broadsheet.publish.outcome import Outcome, PublishError, PublishOptions
from broadsheet.publish.targets import RsyncTarget

RELEASE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")  # UTC time of the publish, then the manifest's hash
STAMP = "%Y%m%dT%H%M%SZ"
NEW_LINK = ".broadsheet-new"  # the link made beside destination, then renamed over it
RSYNC_TIMEOUT = 120  # seconds without I/O before rsync gives up on a silent connection


@dataclass(frozen=True)
class Place:
    """Where destination is: `host` is None for a local path."""

    text: str  # as the user wrote it, for messages
    host: str | None
    path: str  # the link the web server serves, no trailing slash

    @property
    def releases(self) -> str:
        return self.path + ".releases"

    def link_text(self, release: str) -> str:
        """What the link holds: relative, so the tree can be moved or mounted elsewhere."""
        return f"{posixpath.basename(self.path)}.releases/{release}"

    def rsync_path(self, release: str) -> str:
        folder = f"{self.releases}/{release}/"
        return f"{self.host}:{folder}" if self.host else folder


@dataclass(frozen=True)
class Served:
    """What is at destination now, read in one round trip."""

    state: str  # "link", "missing", "empty" (an empty folder), "occupied"
    target: str | None  # what the link holds
    releases: list[str]  # finished releases (with a manifest), oldest first
    unfinished: list[str]  # release folders without a manifest
    manifest: dict[str, str] | None  # path -> sha256 of the served release

    def current(self, place: Place) -> str | None:
        """The release served, if destination is a link Broadsheet made."""
        if self.target is None:
            return None
        name = posixpath.basename(self.target)
        if self.target == place.link_text(name) and name in self.releases and self.manifest is not None:
            return name
        return None


def parse_destination(text: str, name: str) -> Place:
    """`user@host:/path` (or `host:path`, relative to the remote home) or a local path,
    told apart as rsync does: a colon before the first slash."""
    match = re.fullmatch(r"([^/:]+):(.*)", text)
    host, path = (match.group(1), match.group(2)) if match else (None, os.path.abspath(text))
    path = path.rstrip("/")
    if not path or posixpath.basename(path) in ("", ".", ".."):
        raise PublishError(
            f"{name}: destination {text!r} names no folder to serve (write it like deploy@host:/var/www/digest)"
        )
    return Place(text, host, path)


def ssh_command() -> list[str]:
    """The user's ssh, as rsync itself runs it: RSYNC_RSH when set (tests give a port and key there)."""
    return shlex.split(os.environ.get("RSYNC_RSH") or "ssh")


def shell(place: Place, script: str) -> list[str]:
    if place.host is None:
        return ["sh", "-c", script]
    # The remote login shell may not be sh; the script is quoted once for it.
    return [*ssh_command(), place.host, "sh -c " + shlex.quote(script)]


def run_script(place: Place, script: str, doing: str, stdin: bytes = b"", after: str = "") -> str:
    try:
        done = subprocess.run(shell(place, script), input=stdin, capture_output=True)
    except FileNotFoundError as exc:
        raise PublishError(f"{doing}: {exc.filename} is not installed") from None
    if done.returncode != 0:
        raise PublishError(f"{doing}: {first_line(done.stderr)}{after}")
    return done.stdout.decode("utf-8", errors="replace")


def first_line(stderr: bytes) -> str:
    """The line that names the cause: ssh's and rsync's first complaint, not their summary."""
    lines = [line.strip() for line in stderr.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return lines[0] if lines else "failed without saying why"


def variables(place: Place, **more: str) -> str:
    values = {"D": place.path, "R": place.releases, **more}
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())


# Read-only: what destination is, the releases beside it, and the served release's manifest.
INSPECT = """\
if [ -L "$D" ]; then echo state link; printf 'target %s\\n' "$(readlink "$D")"
elif [ ! -e "$D" ]; then echo state missing
elif [ -d "$D" ] && c=$(ls -A -- "$D") && [ -z "$c" ]; then echo state empty
else echo state occupied; fi
if [ -d "$R" ]; then ls -1A -- "$R" | sed 's/^/entry /'; fi
if [ -L "$D" ]; then n=$(basename -- "$(readlink "$D")"); if [ -f "$R/$n.json" ]; then echo ---; cat -- "$R/$n.json"; fi; fi
"""


def inspect(place: Place, name: str) -> Served:
    text = run_script(place, variables(place) + INSPECT, f"{name}: reading {place.text}")
    head, _, manifest = text.partition("---\n")
    state, target, entries = "occupied", None, set()
    for line in head.splitlines():
        key, _, value = line.partition(" ")
        if key == "state":
            state = value
        elif key == "target":
            target = value
        elif key == "entry":
            entries.add(value)
    folders = sorted(e for e in entries if RELEASE.fullmatch(e))
    finished = [f for f in folders if f + ".json" in entries]
    unfinished = [f for f in folders if f + ".json" not in entries]
    return Served(
        state, target, finished, unfinished, read_manifest(manifest, place, name) if manifest.strip() else None
    )


def read_manifest(text: str, place: Place, name: str) -> dict[str, str]:
    try:
        files = json.loads(text)["files"]
        if isinstance(files, dict) and all(isinstance(v, str) for v in files.values()):
            return files
    except (ValueError, KeyError, TypeError):
        pass
    raise PublishError(
        f"{name}: the manifest of the release served at {place.text} is not one Broadsheet wrote; publish to a new path"
    )


def check_ours(place: Place, served: Served, name: str) -> None:
    """A user's own folder or link is never replaced: the project lost a user's files that way once."""
    if served.state == "occupied":
        raise PublishError(
            f"{name}: {place.text} is a folder with files in it, not a link Broadsheet made; "
            "refusing to replace it (move it aside, or publish to a new path)"
        )
    if served.state == "link" and served.current(place) is None:
        raise PublishError(
            f"{name}: {place.text} is a link Broadsheet did not make (to {served.target}); refusing to replace it"
        )


def compare(site: LocalSite, before: dict[str, str]) -> Outcome:
    outcome = Outcome()
    for path, file in site.files.items():
        if path not in before:
            outcome.uploaded.append(path)
        elif before[path] != file.sha256:
            outcome.replaced.append(path)
        else:
            outcome.unchanged += 1
    outcome.deleted = sorted(set(before) - set(site.files))
    outcome.bytes_sent = sum(site.files[p].size for p in outcome.uploaded + outcome.replaced)
    outcome.redirects = redirected(site)
    return outcome


def manifest_bytes(site: LocalSite) -> bytes:
    files = {path: file.sha256 for path, file in site.files.items()}
    return json.dumps({"files": files}, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def release_name(manifest: bytes, served: Served, now: datetime) -> str:
    """Names sort in publish order: a clock behind the last release's (another machine, or
    two publishes in one second) is moved on a second past it."""
    stamp = now.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    made = sorted(served.releases + served.unfinished)
    if made:
        last = datetime.strptime(made[-1][:16], STAMP)
        stamp = max(stamp, last + timedelta(seconds=1))
    return f"{stamp.strftime(STAMP)}-{hashlib.sha256(manifest).hexdigest()[:8]}"


def prepare(place: Place, release: str, previous: str | None, name: str) -> None:
    """The new release folder, made on the server as a copy of the served release in hard
    links (nothing crosses the network). `cp -al` where cp is GNU's (three times faster than
    rsync at linking 15,000 files), else rsync's own `--link-dest`."""
    script = "set -e\n" + variables(place, N=release, P=previous or "") + 'mkdir -p -- "$R"\nrm -rf -- "$R/$N"\n'
    if previous:
        script += 'cp -al -- "$R/$P" "$R/$N" 2>/dev/null || { rm -rf -- "$R/$N"; rsync -r --link-dest="../$P" -- "$R/$P/" "$R/$N/"; }\n'
    else:
        script += 'mkdir -- "$R/$N"\n'
    run_script(place, script, f"{name}: preparing a release at {place.releases}", after=STILL_OLD)


def paths(names: list[str]) -> bytes:
    return b"".join(name.encode() + b"\0" for name in names)


def gone(before: dict[str, str], site: LocalSite) -> list[str]:
    """What the new release must lose: deleted files, or their highest folder that is gone."""
    gone_folders = folders(before) - folders(site.files)
    top = {d for d in gone_folders if not any(up in gone_folders for up in parents(d))}
    files = [p for p in before if p not in site.files and not any(up in gone_folders for up in parents(p))]
    return sorted(top | set(files))


def folders(files) -> set[str]:
    return {up for path in files for up in parents(path)}


def parents(path: str) -> list[str]:
    """ "a/b/c.html" -> ["a", "a/b"]"""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def upload(
    place: Place, site: LocalSite, release: str, send: list[str], remove: list[str], name: str, progress
) -> None:
    """rsync the new and changed files (told by their hashes against the manifest, never by
    size and time, so a same-size typo fix goes up: --ignore-times) into the new release,
    where the names missing here are deleted (--delete-missing-args). Times are not kept, so a
    file's time on the server is that of its first upload, and rights are fixed (rwxr-xr-x
    folders, rw-r--r-- files) for the web server to read."""
    command = ["rsync", "--from0", "--ignore-times", "--delete-missing-args", "--force", "--perms", "--chmod=D755,F644"]
    command += [f"--timeout={RSYNC_TIMEOUT}", "--out-format=%n"]
    names = sorted(set(send) | set(remove))
    with tempfile.NamedTemporaryFile() as listing, tempfile.TemporaryFile() as errors:
        listing.write(paths(names))
        listing.flush()
        command += [f"--files-from={listing.name}", str(site.root) + "/", place.rsync_path(release)]
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise PublishError(f"{name}: rsync is not installed (Debian: apt-get install rsync)") from None
        done = 0
        assert child.stdout is not None  # stdout=PIPE
        for line in child.stdout:
            if progress and not line.rstrip().endswith(b"/"):
                done += 1
                progress(min(done, len(names)), len(names))
        if child.wait() != 0:
            errors.seek(0)
            raise PublishError(f"{name}: upload to {place.text} failed: {first_line(errors.read())}{STILL_OLD}")


STILL_OLD = "; the previous release is still served, publish again to finish"


def finish(place: Place, release: str | None, manifest: bytes, remove: list[str], name: str) -> None:
    """Manifest, then the switch (a new link renamed over the old: atomic), then old releases."""
    script = "set -e\n"
    if release:
        script += variables(place, N=release, L=place.link_text(release))
        script += 'cat > "$R/$N.json.part"\nmv -f -- "$R/$N.json.part" "$R/$N.json"\n'
        script += SWITCH
    else:
        script += variables(place)
    script += "".join(f'rm -rf -- "$R/"{shlex.quote(r)} "$R/"{shlex.quote(r + ".json")}\n' for r in remove)
    run_script(place, script, f"{name}: switching {place.text}", stdin=manifest)


# An empty folder at destination (checked empty before) is removed first: rmdir fails on one
# that is not, and a rename cannot replace a folder with a link.
SWITCH = """\
rm -f -- "$D%s"
ln -s -- "$L" "$D%s"
if [ -d "$D" ] && [ ! -L "$D" ]; then rmdir -- "$D"; fi
mv -T -- "$D%s" "$D"
""" % ((NEW_LINK,) * 3)


def to_remove(served: Served, release: str | None, serving: str | None, keep: int) -> list[str]:
    """Finished releases past the newest `keep` (never the one served), and unfinished uploads."""
    finished = sorted(set(served.releases) | ({release} if release else set()))
    old = [r for r in finished[: max(len(finished) - max(keep, 1), 0)] if r != serving]
    return sorted(old + [r for r in served.unfinished if r != release])


def publish(
    target: RsyncTarget, site: LocalSite, options: PublishOptions, progress: Callable[[int, int], None] | None = None
) -> Outcome:
    place = parse_destination(target.destination, target.name)
    served = inspect(place, target.name)
    check_ours(place, served, target.name)
    previous = served.current(place)
    outcome = compare(site, served.manifest or {})
    if options.dry_run:
        return outcome
    changed = bool(outcome.uploaded or outcome.replaced or outcome.deleted) or previous is None
    manifest = manifest_bytes(site)
    release = release_name(manifest, served, datetime.now(UTC)) if changed else None
    if release:
        send, remove = outcome.uploaded + outcome.replaced, gone(served.manifest or {}, site)
        prepare(place, release, previous, target.name)
        if send or remove:
            upload(place, site, release, send, remove, target.name, progress)
    old = to_remove(served, release, release or previous, target.keep)
    if release or old:
        finish(place, release, manifest, old, target.name)
    return outcome


def rollback(target: RsyncTarget) -> str:
    """Serve the release made before the one served now; the newer one is kept."""
    place = parse_destination(target.destination, target.name)
    served = inspect(place, target.name)
    check_ours(place, served, target.name)
    current = served.current(place)
    if current is None:
        raise PublishError(f"{target.name}: nothing published to {place.text} yet, so nothing to roll back to")
    index = served.releases.index(current)
    if index == 0:
        raise PublishError(
            f"{target.name}: {current} is the oldest release kept at {place.text}; nothing earlier to roll back to"
        )
    earlier = served.releases[index - 1]
    script = "set -e\n" + variables(place, L=place.link_text(earlier)) + SWITCH
    run_script(place, script, f"{target.name}: switching {place.text}")
    return f"Rolled back {target.name} to release {earlier} (was {current})"
