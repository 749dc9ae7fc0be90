"""Publishing to an S3 bucket or any S3-compatible store, with boto3.

What is in the bucket is known by the SHA-256 of each object's bytes, stored in its
metadata (`x-amz-meta-sha256`), never by size, time or ETag: an ETag is not an MD5 for
multipart or encrypted uploads, and a same-size typo fix must still go up. Listing a
bucket does not return metadata, and asking each object (HEAD) costs a request per file,
so every publish ends by writing a manifest (`.broadsheet-manifest.json` under the prefix)
that records each object's hash beside the ETag the store gave it. The next publish lists
the prefix (1,000 keys a request) and trusts the manifest's hash for an object only while
the listed ETag is still the one recorded: an object changed since by anyone (a hand
upload, a publish cut off halfway) has a new ETag and is asked for its metadata instead.
A missing or unreadable manifest means asking every object we would otherwise skip.

Order makes a cut-off publish safe: new and changed assets first, then pages and feeds,
then deletions, then the manifest; so a page is never live before the files it needs,
and nothing is removed while an old page may still link to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from broadsheet.publish.local import LocalFile, LocalSite, redirect_pages
from broadsheet.publish.media import Media, media, publishable
from broadsheet.publish.outcome import Outcome, PublishError, PublishOptions
from broadsheet.publish.targets import S3Target

MANIFEST = ".broadsheet-manifest.json"
MANIFEST_FORMAT = 1

WORKERS = 8  # requests in flight: a publish is bound by round trips, not bandwidth
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
ACCESS_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AllAccessDisabled"}


@dataclass(frozen=True)
class Upload:
    path: str  # relative to the output
    file: LocalFile
    media: Media
    redirect: str | None  # WebsiteRedirectLocation: the new address of a moved page
    moved_from: str | None  # its old address as served, from `_redirects`

    def headers(self) -> str:
        """A digest of the headers we set, so a changed rule (or a page becoming a
        redirect) sends the object again even when its bytes are the same."""
        said = "\n".join(
            [self.media.content_type, self.media.cache_control, self.media.content_encoding or "", self.redirect or ""]
        )
        return hashlib.sha256(said.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Known:
    sha256: str
    headers: str
    etag: str


@dataclass
class Plan:
    uploads: list[Upload] = field(default_factory=list)  # assets first, then documents
    deletions: list[str] = field(default_factory=list)
    keep: dict[str, Known] = field(default_factory=dict)  # unchanged objects, for the next manifest
    manifest_current: bool = False  # the manifest there already says exactly `keep`
    outcome: Outcome = field(default_factory=Outcome)


def publish(
    target: S3Target, site: LocalSite, options: PublishOptions, progress: Callable[[int, int], None] | None = None
) -> Outcome:
    with _errors(target) as state:
        client = _client(target)
        listed = _list(client, target)
        manifest = _read_manifest(client, target, listed)
        uploads = _uploads(site)
        known = _known(client, target, listed, manifest, set(uploads))
        plan = _plan(uploads, listed, known)
        plan.manifest_current = manifest == plan.keep
        _check_deletions(target, options, plan)
        if options.dry_run:
            return plan.outcome
        _apply(client, target, plan, progress, state)
    return plan.outcome


# --- what is there -------------------------------------------------------------------------


def _client(target: S3Target):
    import boto3  # imported here: only publishing to S3 pays for it
    import botocore.session
    from botocore.config import Config

    core = botocore.session.get_session()
    # Listing dates are never used, and botocore parses each with dateutil: at 15,000 objects
    # that was 5 of the 7 seconds a listing took. Keep them as the strings they came as.
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
    session = boto3.session.Session(
        botocore_session=core, region_name=target.region
    )  # AWS_PROFILE and the standard variables apply
    if session.get_credentials() is None:
        raise PublishError(
            f"publish.{target.name}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or AWS_PROFILE naming a profile in ~/.aws/credentials"
        )
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=WORKERS,
        # Stores other than AWS are reached by path: their buckets rarely have DNS names.
        s3={"addressing_style": "path" if target.endpoint else "auto"},
    )
    try:
        return session.client("s3", endpoint_url=target.endpoint, config=config)
    except ValueError as exc:  # botocore's word for an endpoint URL it cannot use
        raise PublishError(f"publish.{target.name}.endpoint: {exc}") from None


def _list(client, target: S3Target) -> dict[str, str]:
    """Every object under the prefix: path relative to the prefix -> ETag."""
    listed = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
        for obj in page.get("Contents", ()):
            listed[obj["Key"][len(target.prefix) :]] = _etag(obj["ETag"])
    return listed


def _read_manifest(client, target: S3Target, listed: dict[str, str]) -> dict[str, Known]:
    """What the last whole publish recorded; {} when there is none we can read."""
    if MANIFEST not in listed:
        return {}
    body = client.get_object(Bucket=target.bucket, Key=target.prefix + MANIFEST)["Body"].read()
    try:
        data = json.loads(body)
        if data.get("format") != MANIFEST_FORMAT:
            return {}
        return {path: Known(*entry) for path, entry in data["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}  # written by someone else, or cut short: ask the objects instead


def _known(
    client, target: S3Target, listed: dict[str, str], manifest: dict[str, Known], wanted: set[str]
) -> dict[str, Known]:
    """The hash of each listed object we may keep: from the manifest while its ETag still
    matches, else from the object's own metadata (one HEAD each, in parallel)."""
    known, ask = {}, []
    for path, etag in listed.items():
        entry = manifest.get(path)
        if entry is not None and entry.etag == etag:
            known[path] = entry
        elif path in wanted:  # an object we are deleting anyway needs no hash
            ask.append(path)
    for path, entry in _parallel(lambda p: _head(client, target, p, listed[p]), ask):
        if entry is not None:
            known[path] = entry
    return known


def _head(client, target: S3Target, path: str, etag: str) -> Known | None:
    meta = {
        k.lower(): v
        for k, v in client.head_object(Bucket=target.bucket, Key=target.prefix + path).get("Metadata", {}).items()
    }
    if "sha256" not in meta:
        return None  # not put there by us: send ours
    return Known(meta["sha256"], meta.get("broadsheet-headers", ""), etag)


def _etag(value: str) -> str:
    return value.strip('"')


# --- what to do ----------------------------------------------------------------------------


def _uploads(site: LocalSite) -> dict[str, Upload]:
    redirects = redirect_pages(site)
    return {
        path: Upload(
            path, file, media(path), redirects.get(path, (None, None))[1], redirects.get(path, (None, None))[0]
        )
        for path, file in site.files.items()
        if publishable(path) and path != MANIFEST
    }


def _plan(uploads: dict[str, Upload], listed: dict[str, str], known: dict[str, Known]) -> Plan:
    plan = Plan()
    outcome = plan.outcome
    for path, up in uploads.items():
        have = known.get(path)
        if up.moved_from is not None:  # set with up.redirect, from the same _redirects rule
            outcome.redirects.append(up.moved_from)
        if have is not None and have.sha256 == up.file.sha256 and have.headers == up.headers():
            plan.keep[path] = have
            outcome.unchanged += 1
            continue
        plan.uploads.append(up)
        (outcome.replaced if path in listed else outcome.uploaded).append(path)
        outcome.bytes_sent += up.file.size
    plan.uploads.sort(key=lambda up: (up.media.document, up.path))  # assets before the pages that use them
    plan.deletions = sorted(p for p in listed if p not in uploads and p != MANIFEST)
    outcome.deleted = list(plan.deletions)
    outcome.redirects.sort()
    return plan


def _check_deletions(target: S3Target, options: PublishOptions, plan: Plan) -> None:
    count = len(plan.deletions)
    if count > target.max_deletes and not options.yes:
        raise PublishError(
            f"publish.{target.name}: {count:,} files would be deleted from s3://{target.bucket}/{target.prefix}, "
            f"more than max_deletes ({target.max_deletes:,}); check the output, then run again with --yes"
        )


# --- doing it ------------------------------------------------------------------------------


def _apply(client, target: S3Target, plan: Plan, progress, state: dict) -> None:
    if not plan.uploads and not plan.deletions and plan.manifest_current:
        return  # nothing to do is done without writing anything
    total = len(plan.uploads) + len(plan.deletions)
    state["total"] = total
    written: dict[str, Known] = dict(plan.keep)

    def tick(n: int = 1) -> None:
        state["done"] += n
        if progress is not None:
            progress(state["done"], total)

    assets = [up for up in plan.uploads if not up.media.document]
    documents = [up for up in plan.uploads if up.media.document]
    for phase in (assets, documents):  # every asset is up before the first page goes
        for up, etag in _parallel(lambda up: _put(client, target, up), phase):
            written[up.path] = Known(up.file.sha256, up.headers(), etag)
            tick()
    for start in range(0, len(plan.deletions), DELETE_BATCH):
        batch = plan.deletions[start : start + DELETE_BATCH]
        _delete(client, target, batch)
        tick(len(batch))
    _write_manifest(client, target, written)


def _parallel(work, items: list) -> Iterator[tuple]:
    """(item, work(item)) in the items' order, WORKERS at a time. The first failure stops
    the rest: requests not yet started are cancelled, not each left to time out."""
    pool = ThreadPoolExecutor(WORKERS)
    try:
        futures = [pool.submit(work, item) for item in items]
        for item, future in zip(items, futures):
            yield item, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _put(client, target: S3Target, up: Upload) -> str:
    extra = {"WebsiteRedirectLocation": up.redirect} if up.redirect else {}
    if up.media.content_encoding:
        extra["ContentEncoding"] = up.media.content_encoding
    answer = client.put_object(
        Bucket=target.bucket,
        Key=target.prefix + up.path,
        Body=up.file.source.read_bytes(),
        ContentType=up.media.content_type,
        CacheControl=up.media.cache_control,
        Metadata={"sha256": up.file.sha256, "broadsheet-headers": up.headers()},
        **extra,
    )
    return _etag(answer["ETag"])


def _delete(client, target: S3Target, paths: list[str]) -> None:
    answer = client.delete_objects(
        Bucket=target.bucket, Delete={"Objects": [{"Key": target.prefix + p} for p in paths], "Quiet": True}
    )
    failed = [e for e in answer.get("Errors", ()) if e.get("Code") != "NoSuchKey"]
    if failed:
        first = failed[0]
        raise PublishError(
            f"publish.{target.name}: could not delete {first.get('Key')}: {first.get('Code')}: {first.get('Message')}"
        )


def _write_manifest(client, target: S3Target, written: dict[str, Known]) -> None:
    files = {path: [k.sha256, k.headers, k.etag] for path, k in sorted(written.items())}
    body = json.dumps({"format": MANIFEST_FORMAT, "files": files}, separators=(",", ":"), sort_keys=True).encode()
    client.put_object(
        Bucket=target.bucket,
        Key=target.prefix + MANIFEST,
        Body=body,
        ContentType="application/json",
        CacheControl="no-store",  # only for the next publish; never worth caching
    )


# --- what went wrong -----------------------------------------------------------------------


@contextlib.contextmanager
def _errors(target: S3Target) -> Iterator[dict]:
    """boto3's exceptions -> one line the user can act on."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    state = {"done": 0, "total": 0}
    where = f"s3://{target.bucket}/{target.prefix}" + (f" at {target.endpoint}" if target.endpoint else "")
    try:
        yield state
    except (NoCredentialsError, PartialCredentialsError, ProfileNotFound) as exc:
        raise PublishError(f"publish.{target.name}: AWS credentials: {exc}") from None
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        if code == "NoSuchBucket":
            raise PublishError(
                f"publish.{target.name}.bucket: no bucket named {target.bucket!r}"
                + (f" at {target.endpoint}" if target.endpoint else "")
            ) from None
        if code in ACCESS_CODES:
            raise PublishError(
                f"publish.{target.name}: access denied to {where} ({code}); check the AWS credentials and the bucket's policy"
            ) from None
        raise PublishError(f"publish.{target.name}: {where}: {code}: {message}{_halfway(state)}") from None
    except BotoCoreError as exc:
        if state["total"]:
            raise PublishError(
                f"publish.{target.name}: lost the connection to {where}: {exc}{_halfway(state)}"
            ) from None
        raise PublishError(f"publish.{target.name}: cannot reach {where}: {exc}") from None


def _halfway(state: dict) -> str:
    if not state["total"]:
        return ""
    return (
        f" (after {state['done']:,} of {state['total']:,} files; the pages there still have their assets;"
        " publish again to finish)"
    )
