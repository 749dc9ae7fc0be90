"""The rsync target against real folders and a real sshd on 127.0.0.1: release folders,
hard links, the atomic switch, keep, rollback, refusals and a connection killed halfway."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from broadsheet.publish import rsync
from broadsheet.publish.local import LocalSite, read_output
from broadsheet.publish.outcome import PublishError, PublishOptions
from broadsheet.publish.targets import RsyncTarget

from conftest import SETTINGS, article, run_cli, tree_bytes, write_tree

pytestmark = pytest.mark.skipif(
    shutil.which("rsync") is None, reason="rsync is not installed (Debian: apt-get install rsync)"
)

RELEASE = re.compile(r"digest\.releases/(\d{8}T\d{6}Z-[0-9a-f]{8})")
ARTICLES = 60
EDITED = "content/world/story-7.md"


def articles(n: int, skip: int | None = None, body_of_7: str = "Body text.") -> dict[str, str]:
    return {
        f"content/world/story-{i}.md": article(
            f"Story number {i}",
            f"2025-06-{1 + i % 28:02d} 09:{i % 60:02d}",
            body_of_7 if i == 7 else f"Body of story {i}.",
        )
        for i in range(n)
        if i != skip
    }


def build(folder: Path, files: dict[str, str]) -> LocalSite:
    write_tree(folder, files)
    result = run_cli("build", "--site", folder)
    assert result.code == 0, result.err
    return read_output(folder / "site")


@dataclass(frozen=True)
class Sites:
    a: LocalSite  # the first digest
    a_edited: LocalSite  # a with one article's body edited
    b: LocalSite  # a new title (every page changes), one story gone, one new


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Sites:
    root = tmp_path_factory.mktemp("sources")
    a = {"broadsheet.yaml": SETTINGS, **articles(ARTICLES)}
    edited = {**a, EDITED: article("Story number 7", "2025-06-08 09:07", "Body text, with a same-size typo fix!")}
    b = {"broadsheet.yaml": SETTINGS.replace("Test Digest", "Evening Post"), **articles(ARTICLES, skip=3)}
    b["content/world/late.md"] = article("A late story", "2025-06-29 18:00")
    b["static/media/recording.bin"] = random.Random(17).randbytes(24 << 20)  # slows an upload enough to cut it halfway
    return Sites(build(root / "a", a), build(root / "a2", edited), build(root / "b", b))


def target(destination: str | Path, keep: int = 5) -> RsyncTarget:
    return RsyncTarget(name="server", destination=str(destination), keep=keep)


def publish(destination: str | Path, site: LocalSite, keep: int = 5, dry_run: bool = False, progress=None):
    return rsync.publish(target(destination, keep), site, PublishOptions(dry_run=dry_run), progress)


def served(link: Path) -> dict[str, bytes]:
    return tree_bytes(Path(os.path.realpath(link)))


def releases(link: Path) -> list[str]:
    folder = link.parent / (link.name + ".releases")
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []


def folders(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


def whole_tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path below a folder with its inode and modification time: 'nothing written' is this unchanged."""
    return {
        p.relative_to(folder).as_posix(): (p.lstat().st_ino, p.lstat().st_mtime_ns) for p in sorted(folder.rglob("*"))
    }


# --- a local folder -------------------------------------------------------------------------


def test_the_first_publish_makes_a_release_and_links_destination_to_it(tmp_path, sites):
    link = tmp_path / "www" / "digest"

    outcome = publish(link, sites.a)

    assert link.is_symlink()
    name = RELEASE.fullmatch(os.readlink(link)).group(1)  # relative, so the tree can move
    assert releases(link) == [name]
    assert served(link) == tree_bytes(sites.a.root)
    assert outcome.uploaded == list(sites.a.files) and outcome.unchanged == 0 and outcome.deleted == []
    manifest = link.parent / "digest.releases" / f"{name}.json"
    assert manifest.is_file() and "story-number-7" in manifest.read_text()  # beside the release, not served
    assert (tmp_path / "www" / "digest" / "index.html").stat().st_mode & 0o777 == 0o644


def test_unchanged_files_are_hard_links_into_the_previous_release(tmp_path, sites):
    link = tmp_path / "digest"
    publish(link, sites.a)
    first = Path(os.path.realpath(link))

    outcome = publish(link, sites.a_edited)

    second = Path(os.path.realpath(link))
    assert second != first and releases(link) == sorted([first.name, second.name])
    assert served(link) == tree_bytes(sites.a_edited.root)
    changed = sorted(p for p, f in sites.a_edited.files.items() if sites.a.files[p].sha256 != f.sha256)
    assert "2025/06/08/story-number-7/index.html" in changed and len(changed) < 20
    assert outcome.replaced == changed and outcome.uploaded == [] and outcome.deleted == []
    assert outcome.unchanged == len(sites.a_edited.files) - len(changed)
    for path in sites.a_edited.files:
        same_inode = (first / path).stat().st_ino == (second / path).stat().st_ino
        assert same_inode == (path not in changed), path


def test_an_identical_site_makes_no_new_release(tmp_path, sites):
    link = tmp_path / "digest"
    publish(link, sites.a)
    before = releases(link)
    outcome = publish(link, sites.a)
    assert releases(link) == before and outcome.unchanged == len(sites.a.files)
    assert outcome.uploaded == outcome.replaced == outcome.deleted == []


def test_a_same_size_edit_with_the_same_time_is_sent(tmp_path):
    """What `aws s3 sync` and rsync's own quick check miss: same size, same modification time."""
    out = write_tree(tmp_path / "out", {"index.html": "<p>teh news</p>", "about/index.html": "about"})
    link = tmp_path / "digest"
    publish(link, read_output(out))
    stat = (out / "index.html").stat()
    (out / "index.html").write_text("<p>the news</p>")
    os.utime(out / "index.html", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    outcome = publish(link, read_output(out))
    assert outcome.replaced == ["index.html"] and outcome.unchanged == 1
    assert (link / "index.html").read_text() == "<p>the news</p>"


def test_deleted_files_are_counted_against_the_served_release(tmp_path, sites):
    link = tmp_path / "digest"
    publish(link, sites.a)
    outcome = publish(link, sites.b)
    assert "2025/06/04/story-number-3/index.html" in outcome.deleted
    assert "2025/06/29/a-late-story/index.html" in outcome.uploaded
    assert served(link) == tree_bytes(sites.b.root)
    assert folders(Path(os.path.realpath(link))) == folders(sites.b.root)  # no empty folder left of a deleted page


def test_a_file_deleted_from_a_folder_that_stays_is_deleted(tmp_path):
    out = write_tree(tmp_path / "out", {"index.html": "home", "about/index.html": "about", "about/team.html": "team"})
    link = tmp_path / "digest"
    publish(link, read_output(out))
    (out / "about" / "team.html").unlink()
    outcome = publish(link, read_output(out))
    assert outcome.deleted == ["about/team.html"] and outcome.unchanged == 2
    assert tree_bytes(Path(os.path.realpath(link))) == {"about/index.html": b"about", "index.html": b"home"}


def test_a_dry_run_writes_nothing_and_says_what_would_change(tmp_path, sites):
    www = tmp_path / "www"
    www.mkdir()
    link = www / "digest"
    first = publish(link, sites.a, dry_run=True)
    assert first.uploaded == list(sites.a.files)
    assert list(www.iterdir()) == []

    publish(link, sites.a)
    before = whole_tree(www)
    outcome = publish(link, sites.b, dry_run=True)
    assert whole_tree(www) == before
    assert "2025/06/04/story-number-3/index.html" in outcome.deleted and "index.html" in outcome.replaced


def test_keep_n_releases_the_oldest_deleted_after_the_switch(tmp_path, sites):
    link = tmp_path / "digest"
    names = []
    for site in (sites.a, sites.a_edited, sites.b, sites.a):
        publish(link, site, keep=2)
        names.append(Path(os.path.realpath(link)).name)
    assert releases(link) == names[-2:]
    assert sorted(p.name for p in (tmp_path / "digest.releases").glob("*.json")) == [f"{n}.json" for n in names[-2:]]
    assert served(link) == tree_bytes(sites.a.root)


def test_rollback_serves_the_previous_release_and_says_which(tmp_path, sites):
    link = tmp_path / "digest"
    publish(link, sites.a)
    first = Path(os.path.realpath(link)).name
    publish(link, sites.b)
    second = Path(os.path.realpath(link)).name

    line = rsync.rollback(target(link))

    assert line == f"Rolled back server to release {first} (was {second})"
    assert served(link) == tree_bytes(sites.a.root)
    assert releases(link) == [first, second]  # the newer release is kept
    with pytest.raises(
        PublishError, match=f"^server: {first} is the oldest release kept at .*; nothing earlier to roll back to$"
    ):
        rsync.rollback(target(link))
    publish(link, sites.a_edited)  # the next publish links against the release served, and goes on top
    assert served(link) == tree_bytes(sites.a_edited.root)
    assert releases(link)[-1] == Path(os.path.realpath(link)).name


def test_rollback_with_nothing_published(tmp_path):
    with pytest.raises(PublishError, match="^server: nothing published to .*digest yet, so nothing to roll back to$"):
        rsync.rollback(target(tmp_path / "digest"))


def test_a_users_own_folder_is_refused_and_left_as_it_was(tmp_path, sites):
    link = tmp_path / "digest"
    write_tree(link, {"index.html": "<p>the user's own site</p>", "photos/me.jpg": b"\xff\xd8"})
    before = whole_tree(tmp_path)
    for dry_run in (True, False):
        with pytest.raises(PublishError) as refused:
            publish(link, sites.a, dry_run=dry_run)
        assert str(refused.value) == (
            f"server: {link} is a folder with files in it, not a link Broadsheet made; "
            "refusing to replace it (move it aside, or publish to a new path)"
        )
    with pytest.raises(PublishError, match="not a link Broadsheet made"):
        rsync.rollback(target(link))
    assert whole_tree(tmp_path) == before


def test_a_link_broadsheet_did_not_make_is_refused(tmp_path, sites):
    (tmp_path / "mine").mkdir()
    link = tmp_path / "digest"
    link.symlink_to("mine")
    with pytest.raises(
        PublishError, match=r"^server: .*digest is a link Broadsheet did not make \(to mine\); refusing to replace it$"
    ):
        publish(link, sites.a)
    assert os.readlink(link) == "mine" and not (tmp_path / "digest.releases").exists()


def test_an_empty_folder_is_replaced_by_the_link(tmp_path, sites):
    link = tmp_path / "digest"
    link.mkdir()
    publish(link, sites.a)
    assert link.is_symlink() and served(link) == tree_bytes(sites.a.root)


def test_a_manifest_broadsheet_did_not_write_is_one_line(tmp_path, sites):
    link = tmp_path / "digest"
    publish(link, sites.a)
    manifest = tmp_path / "digest.releases" / (Path(os.path.realpath(link)).name + ".json")
    manifest.write_text("<html>")
    with pytest.raises(
        PublishError,
        match="^server: the manifest of the release served at .*digest is not one Broadsheet wrote; publish to a new path$",
    ):
        publish(link, sites.b)
    assert served(link) == tree_bytes(sites.a.root)


def test_a_destination_without_a_path_is_refused(sites):
    with pytest.raises(
        PublishError,
        match=r"^server: destination 'deploy@host:' names no folder to serve \(write it like deploy@host:/var/www/digest\)$",
    ):
        publish("deploy@host:", sites.a)


def test_redirects_are_the_lines_of_redirects_whose_page_is_in_the_site(tmp_path):
    out = write_tree(
        tmp_path / "out",
        {
            "index.html": "home",
            "2025/06/old-slug/index.html": "<link rel=canonical href=/digest/2025/06/new-slug/>",
            "2025/06/new-slug/index.html": "story",
            "_redirects": "/digest/2025/06/old-slug/ /digest/2025/06/new-slug/ 301\n/gone/ /digest/ 301\n\n",
        },
    )
    outcome = publish(tmp_path / "digest", read_output(out), dry_run=True)
    assert outcome.redirects == ["/digest/2025/06/old-slug/"]


def test_a_destination_that_cannot_be_written_is_one_line_and_nothing_changes(tmp_path, sites):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere; run as a user to check a refused write")
    www = tmp_path / "www"
    www.mkdir()
    link = www / "digest"
    publish(link, sites.a)
    before = served(link)
    (www / "digest.releases").chmod(0o555)
    try:
        with pytest.raises(PublishError, match="^server: upload to .*: .*Permission denied"):
            publish(link, sites.b)
    finally:
        (www / "digest.releases").chmod(0o755)
    assert served(link) == before


def test_the_switch_is_atomic_for_a_reader_of_a_local_folder(tmp_path, sites):
    link = tmp_path / "digest"
    publish(link, sites.a)
    assert_never_mixed(link, sites, lambda: publish(link, sites.b))


def assert_never_mixed(link: Path, sites: Sites, publishing) -> None:
    """A reader resolving destination and reading the whole tree, over and over, while
    `publishing` runs, sees the old site or the new one, never a mix of the two."""
    old, new = tree_bytes(sites.a.root), tree_bytes(sites.b.root)
    seen: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            snapshot = served(link)
            seen.append(
                "old"
                if snapshot == old
                else "new"
                if snapshot == new
                else f"mixed: {sorted(set(snapshot.items()) ^ set(old.items()))[:3]}"
            )

    reader = threading.Thread(target=read)
    reader.start()
    try:
        while not seen:
            time.sleep(0.01)
        publishing()
    finally:
        stop.set()
        reader.join()
    assert [s for s in seen if s not in ("old", "new")] == []
    assert seen[0] == "old" and "old" not in seen[seen.index("new") if "new" in seen else len(seen) :]
    assert served(link) == new


# --- a real sshd on 127.0.0.1 -------------------------------------------------------------


def find_sshd() -> str | None:
    return shutil.which("sshd", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


@dataclass
class Sshd:
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.folder / "sshd.log", "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [find_sshd(), "-D", "-e", "-f", str(self.folder / "sshd_config")], stderr=log
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError((self.folder / "sshd.log").read_text())

    def kill(self) -> None:
        """sshd and every session it forked (they run in sessions of their own, so each is
        found by its parent, not its process group): the connection drops at once."""
        pids = descendants(self.process.pid) + [self.process.pid]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def destination(self, path: Path) -> str:
        return f"{os.environ.get('USER') or __import__('getpass').getuser()}@127.0.0.1:{path}"


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path, monkeypatch):
    if find_sshd() is None:
        pytest.skip("sshd is not installed (Debian: apt-get install openssh-server)")
    folder = tmp_path / "sshd"
    folder.mkdir()
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    shutil.copy(folder / "user_key.pub", folder / "authorized_keys")
    port = free_port()
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_key\nAuthorizedKeysFile {folder}/authorized_keys\n"
        "PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
    )
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {(folder / 'host_key.pub').read_text()}")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd as root wants its privilege-separation folder
    monkeypatch.setenv(
        "RSYNC_RSH",
        f"ssh -F /dev/null -p {port} -i {folder}/user_key -o IdentitiesOnly=yes -o BatchMode=yes "
        f"-o UserKnownHostsFile={folder}/known_hosts -o StrictHostKeyChecking=yes",
    )
    server = Sshd(folder, port)
    server.start()
    yield server
    server.kill()


def test_publish_and_rollback_over_ssh(tmp_path, sites, sshd):
    link = tmp_path / "www" / "digest"
    destination = sshd.destination(link)

    publish(destination, sites.a)
    first = Path(os.path.realpath(link))
    outcome = publish(destination, sites.a_edited)
    second = Path(os.path.realpath(link))

    assert served(link) == tree_bytes(sites.a_edited.root)
    assert 0 < len(outcome.replaced) < 20 and outcome.uploaded == []
    edited = "2025/06/08/story-number-7/index.html"
    assert (first / edited).stat().st_ino != (second / edited).stat().st_ino
    unchanged = "2025/06/02/story-number-1/index.html"
    assert (first / unchanged).stat().st_ino == (second / unchanged).stat().st_ino
    assert rsync.rollback(target(destination)) == f"Rolled back server to release {first.name} (was {second.name})"
    assert served(link) == tree_bytes(sites.a.root)


def test_the_switch_is_atomic_for_a_reader_over_ssh(tmp_path, sites, sshd):
    link = tmp_path / "digest"
    publish(sshd.destination(link), sites.a)
    assert_never_mixed(link, sites, lambda: publish(sshd.destination(link), sites.b))


def test_a_connection_killed_halfway_leaves_the_old_site_and_the_next_publish_completes(tmp_path, sites, sshd):
    link = tmp_path / "digest"
    destination = sshd.destination(link)
    publish(destination, sites.a)
    old = served(link)
    calls = []

    def kill_halfway(done: int, total: int) -> None:
        calls.append(done)
        if done == 1:
            sshd.kill()

    with pytest.raises(PublishError) as dropped:
        publish(destination, sites.b, progress=kill_halfway)
    message = str(dropped.value)
    assert message.startswith(f"server: upload to {destination} failed: ") and "\n" not in message
    assert len(calls) < len(sites.b.files)
    unfinished = link.parent / "digest.releases" / sorted(set(releases(link)) - {Path(os.path.realpath(link)).name})[0]
    assert not (unfinished / "media/recording.bin").exists()
    assert served(link) == old
    assert len(releases(link)) == 2  # the unfinished upload, never served

    sshd.start()
    publish(destination, sites.b)
    assert served(link) == tree_bytes(sites.b.root)
    assert len(releases(link)) == 2  # the unfinished upload was deleted, the first release kept


def test_an_unreachable_host_is_one_line(tmp_path, sites, sshd):
    sshd.kill()
    with pytest.raises(
        PublishError, match=r"^server: reading .*: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$"
    ):
        publish(sshd.destination(tmp_path / "digest"), sites.a)
    assert not (tmp_path / "digest.releases").exists()


def test_a_key_the_server_does_not_know_is_one_line(tmp_path, sites, sshd):
    (sshd.folder / "authorized_keys").write_text("")
    with pytest.raises(PublishError, match=r"^server: reading .*: .*Permission denied \(publickey\)\.$"):
        publish(sshd.destination(tmp_path / "digest"), sites.a)
