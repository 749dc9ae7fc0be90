"""What one publish did (or, with --dry-run, would do), and the line that says so."""

from __future__ import annotations

from dataclasses import dataclass, field


class PublishError(Exception):
    """A publish that cannot go on: its message is the one line the user sees."""


@dataclass(frozen=True)
class PublishOptions:
    dry_run: bool = False  # touch nothing remote or local; the outcome lists what would happen
    yes: bool = False  # allow more deletions than the target's cap


@dataclass
class Outcome:
    uploaded: list[str] = field(default_factory=list)  # new paths, relative to the output, "/"-separated
    replaced: list[str] = field(default_factory=list)  # paths whose bytes changed
    deleted: list[str] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)  # old paths now answered by a redirect
    unchanged: int = 0
    bytes_sent: int = 0


def size(count: int) -> str:
    n = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} B"  # not reached


def summary_line(target: str, outcome: Outcome, seconds: float, dry_run: bool = False) -> str:
    """`Published to bucket: 12 uploaded (340 KB), 2 deleted, 14,032 unchanged, 1 redirect, in 3.1 s`"""
    sent = len(outcome.uploaded) + len(outcome.replaced)
    verb = "Would publish to" if dry_run else "Published to"
    return (
        f"{verb} {target}: {sent:,} uploaded ({size(outcome.bytes_sent)}), {len(outcome.deleted):,} deleted, "
        f"{outcome.unchanged:,} unchanged, {len(outcome.redirects):,} redirect{'s' * (len(outcome.redirects) != 1)}, in {seconds:.1f} s"
    )
