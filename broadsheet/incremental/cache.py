"""The persistent build cache: what one run of `broadsheet build` leaves for the next.

Where: inside the site folder, `.broadsheet/cache/<output name>-<hash>/`, one folder per
output (the hash is of the output's path), so two outputs of one site keep their own;
resized images, the same for every output, in `.broadsheet/cache/images/`.
Not beside the output: an output in a shared folder such as /tmp would put the cache
where anyone may plant one. Not in the user's cache folder (XDG_CACHE_HOME) either: the
site folder is what its owner already controls and deletes, and a cache that follows the
site when it is copied or moved costs nothing (an entry for another path is not used).

What: plain data in MessagePack (lists, maps, strings, numbers, bytes), turned back into
records by `codec.py`, which checks every value; loading can never run code. A file from
another version, for another output, truncated or edited is not used: the caller is told
why in one line, and the build starts afresh. The cache is only a short cut, safe to
delete at any time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

import msgpack

from broadsheet import __version__
from broadsheet.build import sitefiles
from broadsheet.build.collector import cycle_collector_paused
from broadsheet.incremental import codec, groupings
from broadsheet.incremental.fingerprint import Memo
from broadsheet.incremental.state import BuildState
from broadsheet.outputs.images import CopyCache
from broadsheet.problems import display_path

if TYPE_CHECKING:
    from broadsheet.outputs.search import SearchIndex
    from broadsheet.outputs.search_pieces import StoredIndex

ROOT = Path(".broadsheet") / "cache"  # in the site folder
STATE_FILE = "state.msgpack"
MAGIC = "broadsheet build cache"
FORMAT = 6  # how the file is laid out (see FIELDS); the fields of the records are in the label apart (codec.layout)


def output_key(output: Path) -> Path:
    """The output as the cache knows it: its folder resolved, its own name as given. The
    output itself may be a symlink that each build points elsewhere: its target must not
    change which cache is used."""
    absolute = Path(os.path.abspath(output))
    return absolute.parent.resolve() / absolute.name


def folder(site_dir: Path, output: Path) -> Path:
    """This output's cache folder: a readable name, and a hash that keeps apart outputs of
    the same name in different places."""
    key = output_key(output)
    digest = hashlib.sha256(os.fsencode(key)).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", key.name)[:40].lstrip(".") or "output"
    return site_dir.absolute() / ROOT / f"{name}-{digest}"


def cache_file(site_dir: Path, output: Path) -> Path:
    return folder(site_dir, output) / STATE_FILE


def images_folder(site_dir: Path) -> Path:
    """Resized copies of bundle photos, files of their own, named by the source's digest
    and the width: the same for every output, so shared by all of them."""
    return site_dir.absolute() / ROOT / "images"


def _label(output: Path) -> dict[str, Any]:
    """What the file says it is, first: a cache of another version, layout or output is
    told at once, without reading the rest."""
    return {
        "magic": MAGIC, "format": FORMAT, "broadsheet": __version__, "fields": FIELDS, "layout": codec.layout(),
        "output": str(output_key(output)),
    }  # fmt: skip


def load(site_dir: Path, output: Path, lazy: bool = False) -> tuple[BuildState, str | None]:
    """The state the last build of this output left, or a fresh one when there is none to
    trust; with a one-line note saying why a cache that is there was not used.

    `lazy`: read only the head (the content files' stamps, the output's, what the last
    build was made from), all a build with nothing to do needs; the rest is read when the
    build asks for it (BuildState.read_rest), and noted in `state.notes` if unusable."""
    path = cache_file(site_dir, output)
    fresh = BuildState(image_copies=CopyCache(images_folder(site_dir)), store_cards=True)
    try:
        with sitefiles.open_regular(path) as file, cycle_collector_paused():
            state, reader, size = _read_head(file, output)
            if lazy:
                state.unread = _Rest(path, output, _identity(os.fstat(file.fileno())), reader.tell())
            else:
                _read_rest(reader, state, size, output)
    except FileNotFoundError:
        return fresh, None  # the first build: nothing to say
    except Exception as exc:
        return fresh, _why(path, exc)
    state.image_copies, state.store_cards = fresh.image_copies, True
    return state, None


TextsLost = codec.TextsLost  # raised by a build that read an article's texts it could not use (load(lazy=True))


def afresh(site_dir: Path, output: Path, lost: codec.TextsLost) -> tuple[BuildState, str]:
    """After a build stopped by TextsLost (it wrote nothing): a fresh state for the build
    to run again from scratch, and the one line that says why."""
    fresh = BuildState(image_copies=CopyCache(images_folder(site_dir)), store_cards=True)
    return fresh, _note(cache_file(site_dir, output), str(lost))


def _why(path: Path, exc: Exception) -> str:
    if isinstance(exc, OSError):
        return _note(path, exc.strerror or str(exc))
    if isinstance(exc, codec.Unreadable):
        return _note(path, str(exc))
    # anything at all in bytes from outside: the cache is a short cut, never a reason to fail
    return _note(path, f"{type(exc).__name__}: {exc}"[:200])


def _note(path: Path, reason: str) -> str:
    return f"build cache at {display_path(path)} unreadable ({reason}); building from scratch"


# The file is a sequence of MessagePack values: the label, then the state's fields in this
# order. The head (up to "outcome") is all a build with nothing to do reads; the articles
# and search documents (nearly all of the rest) are read and checked one at a time, so
# their plain form never piles up in memory beside the records. The story grouping is in
# the rest: only a build with work restores it (groupings.py), and so is where the search
# index's pieces lie in its file (restored, against the live output's file, only when a
# build makes the index again: `_last_search_index`).
FIELDS = (
    "files", "settled_before", "racy_reads", "stamps", "outcome", "fingerprints", "produced", "search keys", "grouping",
    "search index", "related", "templates", "parsed", "search documents",
)  # fmt: skip
HEAD: dict[str, Callable[[Any], Any]] = {  # each decoder checks its field and returns its own type
    "files": codec.decode_files,
    "settled_before": lambda v: codec.decode_int(v, "settled_before"),
    "racy_reads": codec.decode_racy_reads,
    "stamps": codec.decode_stamps,
    "outcome": codec.decode_outcome,
}
REST: dict[str, Callable[[Any], Any]] = {
    "fingerprints": codec.decode_fingerprints,
    "produced": codec.decode_produced,
    "search_keys": codec.decode_search_keys,
    "stored_grouping": codec.decode_grouping,
    "stored_search": codec.decode_search_index,
    "stored_related": codec.decode_related,
}


def unpacker(file: BinaryIO, size: int) -> msgpack.Unpacker:
    # Without an ext_hook nothing but plain values can come out; the limits keep a forged
    # length from making it allocate more than the file could hold.
    return msgpack.Unpacker(
        file,
        raw=False,
        use_list=False,
        strict_map_key=True,
        max_buffer_size=max(size, 1),
        read_size=min(max(size, 1), 1 << 20),
    )


@contextmanager
def unpacking(what: str = "build cache file") -> Iterator[None]:
    """msgpack's complaints as the one kind of error a cache that cannot be used raises."""
    try:
        yield
    except msgpack.OutOfData:
        raise codec.Unreadable("cut short") from None
    except (ValueError, msgpack.UnpackException) as exc:
        if isinstance(exc, codec.Unreadable):
            raise
        raise codec.Unreadable(f"not a {what}") from None


def _read_head(file: BinaryIO, output: Path) -> tuple[BuildState, msgpack.Unpacker, int]:
    size = os.fstat(file.fileno()).st_size
    reader = unpacker(file, size)
    with unpacking():
        _check_label(reader.unpack(), output)
        state = BuildState(**{name: decode(reader.unpack()) for name, decode in HEAD.items()})
    return state, reader, size


def _read_rest(
    reader: msgpack.Unpacker,
    state: BuildState,
    size: int,
    output: Path,
    start: int = 0,
    spans: Spans | None = None,
    texts: codec.TextSource | None = None,
) -> None:
    """The fields after the head into `state`; `start`: where in the file the reader began;
    `spans`: filled with where each parsed article's key and value lie in the file;
    `texts`: the file again, for the articles' texts to be passed over and read from
    there when first asked for (codec.LazyTexts), else they are read now."""
    with unpacking():
        for name, decode in REST.items():
            setattr(state, name, decode(reader.unpack()))
        named, stay = codec.decode_templates(reader.unpack())
        for _ in range(reader.read_map_header()):
            begins = reader.tell()
            key = reader.unpack()
            entry = _parsed_entry(reader, key, start, texts)
            if entry is not None:
                state.parsed[key] = entry
                if spans is not None:
                    spans.where[key] = (entry, start + begins, start + reader.tell())
        documents = {}
        for _ in range(reader.read_map_header()):
            begins = reader.tell()
            fingerprint = reader.unpack()
            key = ("search document", fingerprint)
            document = documents[key] = codec.decode_search_document(fingerprint, reader.unpack())
            if spans is not None:
                spans.where[key] = (document, start + begins, start + reader.tell())
    if start + reader.tell() != size:
        raise codec.Unreadable("bytes after its end")
    state.memo.seed({**documents, **stay})
    state.memo.templates.update(named)
    if state.stored_search is not None:
        state.search_previous = functools.partial(
            _last_search_index, state.stored_search, state.search_keys, documents, output
        )


def _parsed_entry(
    reader: msgpack.Unpacker, key: Any, start: int, texts: codec.TextSource | None
) -> tuple[Any, list] | None:
    """One parsed file's value (codec.encode_parsed: article, problems, texts; or nothing
    stored), read part by part so that its texts, last, can be passed over."""
    parts = reader.read_array_header()
    if parts == 0:
        return None
    if parts != 3:
        raise codec.Unreadable("unexpected parsed file")
    article, problems = reader.unpack(), reader.unpack()
    if article is None:  # a file that did not parse: no texts (checked)
        return codec.decode_parsed(key, article, problems, reader.unpack())
    if texts is None:
        return codec.decode_parsed(key, article, problems, codec.decode_texts(reader.unpack()))
    begins = reader.tell()
    reader.skip()
    return codec.decode_parsed(key, article, problems, codec.LazyTexts(texts, start + begins, start + reader.tell()))


def _last_search_index(
    stored: StoredIndex, keys: tuple[tuple[str, bytes], ...], documents: dict[tuple, Any], output: Path
) -> SearchIndex | None:
    """The last build's search index, from where the cache says its pieces lie in the live
    output's file and from the documents it was made of (the last build's search keys):
    None when that file is not the one the index made, to the byte, or a document is missing."""
    from broadsheet.outputs.search import INDEX_PATH, SearchIndex  # here: a build with nothing to do needs none

    try:
        indexed = [documents["search document", key] for _, key in keys]
        data = (output / INDEX_PATH).read_bytes()
    except (KeyError, OSError):
        return None
    try:
        return SearchIndex.restored(stored, indexed, data)
    except UnicodeDecodeError:
        return None


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class _Rest:
    """The part of a cache file a lazy load left unread: read from the same file, found
    again by its path (no file is held open between), or not at all when another build
    has replaced it since."""

    path: Path
    output: Path
    identity: tuple[int, ...]
    start: int  # where the head ends

    def __call__(self, state: BuildState) -> str | None:
        try:
            with sitefiles.open_regular(self.path) as file, cycle_collector_paused():
                st = os.fstat(file.fileno())
                if _identity(st) != self.identity:
                    raise codec.Unreadable("replaced since it was read")
                file.seek(self.start)
                spans = Spans(self.path, self.identity, {})
                # Texts left in the file hold it open till the process ends: not on Windows,
                # where a file held open cannot be replaced (the save at the build's end)
                texts = codec.TextSource(os.dup(file.fileno()), str(self.path)) if os.name != "nt" else None
                _read_rest(unpacker(file, st.st_size), state, st.st_size, self.output, self.start, spans, texts)
        except Exception as exc:  # as load(): the build goes on from scratch (what it read so far is dropped)
            state.fingerprints, state.produced, state.parsed, state.memo = {}, {}, {}, Memo()
            state.search_keys, state.stored_grouping = (), None
            state.stored_search, state.search_previous, state.stored_related = None, None, None
            return _why(self.path, exc)
        state.spans = spans
        return None


@dataclass(frozen=True)
class Spans:
    """Where each parsed article and search document of a cache file lies in it, with the
    record read from there: one a build kept as it was read (the same object) is saved by
    copying its bytes, already checked, instead of encoding it again (10,000 articles:
    0.2 s; 10,000 documents: about 0.05 s)."""

    path: Path
    identity: tuple[int, ...]
    where: dict[Any, tuple[Any, int, int]]  # cache key (memo key of a document) -> (the record, first byte, end)

    def source(self) -> BinaryIO | None:
        """The file they were read from, when it is still the same; else None."""
        try:
            file = sitefiles.open_regular(self.path)  # closed by _write, or here
        except OSError:
            return None
        if _identity(os.fstat(file.fileno())) != self.identity:
            file.close()
            return None
        return file


def _check_label(label: Any, output: Path) -> None:
    expected = _label(output)
    if type(label) is not dict or label.get("magic") != MAGIC:
        raise codec.Unreadable("not a build cache file")
    for name, what in (("broadsheet", "written by broadsheet {}"), ("format", "cache format {}")):
        if label.get(name) != expected[name]:
            raise codec.Unreadable(what.format(label.get(name)))
    if label.get("fields") != expected["fields"] or label.get("layout") != expected["layout"]:
        raise codec.Unreadable("records of another layout")
    if label.get("output") != expected["output"]:
        raise codec.Unreadable(f"made for the output {label.get('output')}")


def _write(file: IO[bytes], output: Path, state: BuildState) -> None:
    # Tuples, bytes and maps of strings pack as they are; records go through the codec.
    # Written a value at a time: no copy of the whole cache is ever made in memory.
    packer = msgpack.Packer(use_bin_type=True)
    head = (
        _label(output), state.files, state.settled_before, state.racy_reads, state.stamps,
        codec.encode_outcome(state.outcome),
    )  # fmt: skip
    # the grouping a build made (with its articles' keys as saved below), else the one read
    grouping = groupings.stored(state.grouping, state.parsed) if state.grouping is not None else state.stored_grouping
    stored_search = codec.encode_search_index(state.stored_search)
    related = codec.encode_related(state.stored_related)
    templates = codec.encode_templates(state.memo.templates, state.memo.kept(("bodies stay",)))
    for value in (
        *head, state.fingerprints, state.produced, state.search_keys, codec.encode_grouping(grouping), stored_search,
        related, templates,
    ):  # fmt: skip
        file.write(packer.pack(value))
    spans: Spans | None = state.spans
    source = spans.source() if spans is not None else None
    where = spans.where if spans is not None and source is not None else {}
    try:
        file.write(packer.pack_map_header(len(state.parsed)))
        _copied_or_packed(
            file, source, where, state.parsed.items(), lambda k, v: packer.pack(k) + packer.pack(codec.encode_parsed(v))
        )
        # Search documents are slow to make (plain text and terms of every body) and small to
        # keep; feed items are quick to make and as big as the articles.
        documents = state.memo.kept(("search document",))
        file.write(packer.pack_map_header(len(documents)))
        _copied_or_packed(
            file,
            source,
            where,
            documents.items(),
            lambda k, v: packer.pack(k[1]) + packer.pack(codec.encode_search_document(v)),
        )
    finally:
        if source is not None:
            source.close()


def _copied_or_packed(
    file: IO[bytes],
    source: BinaryIO | None,
    where: dict[Any, tuple[Any, int, int]],
    items: Iterable[tuple[Any, Any]],
    packed: Callable[[Any, Any], bytes],
) -> None:
    """Each item as key then value: copied from the file it was read from where it is the
    same record (runs of neighbours in one read), else packed."""
    run = (0, 0)  # bytes of the source still to copy

    def copy(begins: int, ends: int) -> None:
        if begins == ends:
            return
        assert source is not None  # a run is only started from a span of the source
        source.seek(begins)
        while begins < ends:
            chunk = source.read(min(ends - begins, 1 << 20))
            if not chunk:
                raise codec.Unreadable("cut short while it was copied")
            file.write(chunk)
            begins += len(chunk)

    for key, value in items:
        span = where.get(key)
        if span is not None and span[0] is value:
            if span[1] != run[1]:
                copy(*run)
                run = (span[1], span[1])
            run = (run[0], span[2])
            continue
        copy(*run)
        run = (0, 0)
        file.write(packed(key, value))
    copy(*run)


def save(site_dir: Path, output: Path, state: BuildState) -> str | None:
    """Write the cache atomically: a killed build leaves the old cache or the new one.
    The cache is only a short cut, so a failure to save it (a full disk, a read-only
    folder) is no failure of the build: it is returned as a reason, and nothing half
    written is left behind."""
    state.read_rest()  # what a lazy load left unread is carried over, not dropped
    path = cache_file(site_dir, output)
    try:
        write_atomically(path, lambda file: _write(file, output, state))
        state.spans = None  # of the file just replaced
    except codec.TextsLost as exc:  # an article's texts, unread so far, now unreadable
        return f"the last build cache changed while it was read ({exc})"
    except (OSError, TypeError, ValueError, OverflowError) as exc:
        return unsaved_reason(exc, path)
    return None


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """`write` into a new file beside `path`, renamed over it once complete; raised
    through (Ctrl-C too) with nothing half written left behind."""
    with AtomicFile(path) as atomic:
        write(atomic.file)
        atomic.commit()


class AtomicFile:
    """A new file beside `path` (`file`), renamed over it by `commit`; removed when the
    `with` block ends without a commit (an error, Ctrl-C, a full disk), and so are the
    folders made for it: a build that fails leaves no trace in the site folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._made = []  # folders made for it, the deepest first
        folder = path.parent
        while not folder.exists():
            self._made.append(folder)
            folder = folder.parent
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.file = tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp")  # noqa: SIM115
        except BaseException:
            self._remove_folders()
            raise

    def commit(self) -> None:
        self.file.close()
        os.replace(self.file.name, self.path)

    def abort(self) -> None:
        with suppress(OSError):  # a full disk: closing flushes, and fails; the file is closed all the same
            self.file.close()
        Path(self.file.name).unlink(missing_ok=True)
        self._remove_folders()

    def _remove_folders(self) -> None:
        for folder in self._made:
            with suppress(OSError):
                folder.rmdir()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.file.closed or Path(self.file.name).exists():
            self.abort()


def unsaved_reason(exc: Exception, path: Path) -> str:
    """Why a short cut's file was not saved, in a few words."""
    if not isinstance(exc, OSError):  # a value with no plain-data spelling: a bug, but only of a short cut
        return f"cannot store {type(exc).__name__}: {exc}"
    return f"{exc.strerror or exc} ({exc.filename or path.parent})"
