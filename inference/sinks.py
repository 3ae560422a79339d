"""Chunked, crash-safe output for `slant score`, and reading it back.

An output folder holds three tables (four with a span head), each as numbered part files, plus a
manifest:

    scores/
      manifest.json                      the run's settings and every committed chunk
      sentences/part-000000.parquet      one row per sentence (or .jsonl)
      documents/part-000000.parquet      one row per scored document
      rejects/part-000000.jsonl          one row per rejected record (always JSONL: read by people)
      spans/part-000000.parquet          one row per technique span (models with a span head)

A chunk covers a contiguous range of input records. Its parts are written to hidden temporary
files and renamed into place, then the manifest, rewritten atomically the same way, records the
chunk: that rename is the commit. A run killed at any moment leaves either a chunk in the
manifest with all of its files, or parts that the manifest does not name; the next run with the
same settings deletes those, skips every record up to the last committed one, and goes on. So
each input record ends up in exactly one committed chunk, once.

Only files the manifest names are results: read them with `read_table`/`read_frame`, which
also work while a run is going on.

One run at a time: a writer holds an exclusive lock on `.slant-lock` in the folder (released by
the kernel when its process ends, even by `kill -9`), so a second run into the same folder is
refused at once (E110) instead of redoing the same chunks. Slant deletes only files it names
itself (`part-NNNNNN.*`, their hidden temporaries, the manifest); anything else in the folder is
the user's and is never removed: `--overwrite` refuses (E111) before it deletes anything.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from slant.models.errors import SlantError

MANIFEST = "manifest.json"
LOCK = ".slant-lock"
# The only files Slant writes (and so the only ones it ever deletes).
_PART = re.compile(r"\.?part-\d{6}\.(parquet|jsonl)(\.tmp)?")
_OWN_TOP = {MANIFEST, f".{MANIFEST}.tmp", LOCK}
FORMAT_VERSION = 1
OUTPUT_FORMATS = ("parquet", "jsonl")
TABLES = ("sentences", "documents", "rejects", "spans")


@dataclass
class Totals:
    read: int = 0
    scored: int = 0
    rejected: int = 0
    sentences: int = 0

    def add(self, other: "Totals"):
        self.read += other.read
        self.scored += other.scored
        self.rejected += other.rejected
        self.sentences += other.sentences

    def line(self) -> str:
        return f"read {self.read:,} = scored {self.scored:,} + rejected {self.rejected:,} ({self.sentences:,} sentences)"


@dataclass
class Manifest:
    settings: dict
    output_format: str = "parquet"
    engine: str = "local"
    chunks: list[dict] = field(default_factory=list)
    complete: bool = False

    @property
    def last_record(self) -> int:
        return self.chunks[-1]["last_record"] if self.chunks else 0

    @property
    def position(self) -> int:
        """How far into the input the committed chunks reach, in the source's units (0 if unknown)."""
        return self.chunks[-1].get("position", 0) if self.chunks else 0

    @property
    def totals(self) -> Totals:
        totals = Totals()
        for chunk in self.chunks:
            totals.add(Totals(**chunk["totals"]))
        return totals

    def files(self, table: str) -> list[str]:
        return [name for chunk in self.chunks for name in chunk["files"].get(table, [])]

    def to_json(self) -> dict:
        return {"format_version": FORMAT_VERSION, "engine": self.engine, "output_format": self.output_format,
                "complete": self.complete, "totals": vars(self.totals), "settings": self.settings,
                "chunks": self.chunks}

    @classmethod
    def read(cls, folder: Path) -> "Manifest | None":
        path = folder / MANIFEST
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SlantError("E001", path=str(path), reason=f"{error}; move the folder aside and start again") from None
        return cls(settings=data["settings"], output_format=data["output_format"], engine=data.get("engine", "local"),
                   chunks=data["chunks"], complete=data["complete"])

    def write(self, folder: Path):
        _atomic_write(folder / MANIFEST, json.dumps(self.to_json(), indent=1, ensure_ascii=False).encode("utf-8"))


class ChunkedWriter:
    """Commits chunks of result tables into an output folder, resuming the run already there.

    `settings` identify the run (input fingerprint, model, thresholds, fields...): a folder
    holding a run with different settings is refused unless `overwrite`. The writer holds the
    folder's lock until `close()` (or the end of a `with` block, or of the process).
    """

    def __init__(self, folder: str | Path, settings: dict, output_format: str = "parquet",
                 overwrite: bool = False, engine: str = "local"):
        if output_format not in OUTPUT_FORMATS:
            raise SlantError("E023", name="--format", value=output_format, problem="choose parquet or jsonl")
        self.folder = Path(folder)
        self.settings = json.loads(json.dumps(settings))  # as it will read back from the manifest
        self.output_format = output_format
        self.engine = engine
        self._lock = _lock(self.folder)
        try:
            self.manifest = self._open(overwrite)
        except BaseException:
            self.close()
            raise
        self.resumed_from = self.manifest.last_record  # 0 for a new run

    def close(self):
        """Release the folder's lock (another run may then use it)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> "ChunkedWriter":
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def last_record(self) -> int:
        """Records up to this number are committed; a resumed run starts after it."""
        return self.manifest.last_record

    @property
    def totals(self) -> Totals:
        return self.manifest.totals

    @property
    def complete(self) -> bool:
        return self.manifest.complete

    def _open(self, overwrite: bool) -> Manifest:
        manifest = Manifest.read(self.folder)
        if manifest is not None and overwrite:
            foreign = foreign_files(self.folder)
            if foreign:  # checked before anything is deleted
                raise SlantError("E111", path=str(self.folder), first=foreign[0])
            clear(self.folder)
            manifest = None
        if manifest is None:
            if foreign_files(self.folder):
                raise SlantError("E104", path=str(self.folder))
            clear(self.folder)  # parts of a run killed before its first manifest, if any
            manifest = Manifest(self.settings, self.output_format, self.engine)
            try:
                for table in TABLES:
                    (self.folder / table).mkdir(parents=True, exist_ok=True)
                manifest.write(self.folder)
            except OSError as error:
                raise SlantError("E108", path=str(self.folder), reason=error.strerror) from None
            return manifest
        difference = _difference(manifest, self.settings, self.output_format)
        if difference:
            raise SlantError("E103", path=str(self.folder), difference=difference)
        self._remove_uncommitted(manifest)
        manifest.engine = self.engine
        return manifest

    def _remove_uncommitted(self, manifest: Manifest):
        """Delete parts a killed run wrote but never committed (and its temporary files); files
        Slant did not write are left alone."""
        committed = {name for table in TABLES for name in manifest.files(table)}
        for table in TABLES:
            folder = self.folder / table
            folder.mkdir(exist_ok=True)
            for path in folder.iterdir():
                if _PART.fullmatch(path.name) and f"{table}/{path.name}" not in committed:
                    path.unlink()

    def commit(self, last_record: int, sentences: pa.Table, documents: pa.Table, rejects: pa.Table,
               position: int | None = None, spans: pa.Table | None = None) -> Totals:
        """Write one chunk covering records (last committed, last_record] and commit it;
        `position` is how far into the input it reaches (source units), for a resumed run's note."""
        if self.manifest.complete:
            raise RuntimeError("the run is already complete")
        first_record = self.last_record + 1
        if documents.num_rows + rejects.num_rows != last_record - first_record + 1:
            raise RuntimeError(
                f"chunk {first_record}..{last_record} holds {documents.num_rows} documents and "
                f"{rejects.num_rows} rejects; every record must be in exactly one of them"
            )
        index = len(self.manifest.chunks)
        files = {}
        for table, rows, fmt in (("sentences", sentences, self.output_format),
                                 ("documents", documents, self.output_format), ("rejects", rejects, "jsonl"),
                                 ("spans", spans, self.output_format)):
            if rows is not None and rows.num_rows:
                name = f"{table}/part-{index:06d}.{fmt}"
                _atomic_write_table(self.folder / name, rows, fmt)
                files[table] = [name]
        totals = Totals(read=last_record - first_record + 1, scored=documents.num_rows,
                        rejected=rejects.num_rows, sentences=sentences.num_rows)
        self.manifest.chunks.append({"index": index, "first_record": first_record, "last_record": last_record,
                                     "engine": self.engine, "totals": vars(totals), "files": files,
                                     **({"position": int(position)} if position is not None else {})})
        self.manifest.write(self.folder)
        return totals

    def finish(self) -> Totals:
        """Mark the run complete; nothing more is written, so the folder's lock is released."""
        self.manifest.complete = True
        self.manifest.write(self.folder)
        self.close()
        return self.totals


def foreign_files(folder: Path) -> list[str]:
    """Files in an output folder that Slant did not write (relative paths, sorted)."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name in TABLES and path.is_dir():
            found += [f"{path.name}/{p.name}" for p in sorted(path.iterdir()) if not _PART.fullmatch(p.name)]
        elif path.name not in _OWN_TOP:
            found.append(path.name)
    return found


def clear(folder: Path):
    """Remove a previous run's results: only the files a run writes (see `foreign_files`)."""
    for table in TABLES:
        if (folder / table).is_dir():
            for path in (folder / table).iterdir():
                if _PART.fullmatch(path.name):
                    path.unlink()
    (folder / MANIFEST).unlink(missing_ok=True)


def preflight(folder: str | Path, overwrite: bool = False):
    """The refusals a writer would make that do not depend on the run's settings (E109, E110,
    E111, E104), checked without creating or changing anything: a command calls this before it
    loads a model, so a folder it cannot use is refused at once. The writer checks again."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise SlantError("E109", path=str(folder))
    holder = _holder(folder)
    if holder is not None:
        raise SlantError("E110", path=str(folder), holder=holder)
    foreign = foreign_files(folder)
    if foreign and (folder / MANIFEST).exists() and overwrite:
        raise SlantError("E111", path=str(folder), first=foreign[0])
    if foreign and not (folder / MANIFEST).exists():
        raise SlantError("E104", path=str(folder))


class _Lock:
    """An exclusive `flock` on the folder's lock file; the kernel drops it when the process ends."""

    def __init__(self, file):
        self.file = file

    def close(self):
        self.file.close()


def _holder(folder: Path) -> str | None:
    """" (process N)" (or "") when another process holds the folder's lock, else None; changes nothing."""
    try:
        import fcntl

        with open(folder / LOCK, encoding="utf-8") as file:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pid = file.read().strip()
                return f" (process {pid})" if pid.isdigit() else ""
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)
    except (ImportError, OSError):  # no lock file, or no flock here: nothing holds it
        pass
    return None


def _lock(folder: Path) -> _Lock | None:
    """Take the folder's lock, creating the folder; a folder in use by another run is E110."""
    if folder.exists() and not folder.is_dir():
        raise SlantError("E109", path=str(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        file = open(folder / LOCK, "a+", encoding="utf-8")
    except OSError as error:
        raise SlantError("E108", path=str(folder), reason=error.strerror or str(error)) from None
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (documented)
        return _Lock(file)
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        file.seek(0)
        holder = file.read().strip()
        file.close()
        raise SlantError("E110", path=str(folder), holder=f" (process {holder})" if holder.isdigit() else "") from None
    file.seek(0)
    file.truncate()
    file.write(str(os.getpid()))
    file.flush()
    return _Lock(file)


def _difference(manifest: Manifest, settings: dict, output_format: str) -> str:
    """What differs between the run in the folder and this one, most telling first, as words."""
    # The engine may change between runs: both write the same rows.
    if manifest.output_format != output_format:
        return f"the output format was {manifest.output_format}, now {output_format}"
    changed = _changed(manifest.settings, settings)
    keys = {key for key, _, _ in changed}
    if "weights" not in keys:  # the same weights under another name (a folder moved, models:/x/3 for @alias)
        changed = [c for c in changed if c[0] != "model"]
    if "registered_version" in keys:  # another version has other weights: one change, not two
        changed = [c for c in changed if c[0] != "weights"]
    if not changed:
        return ""
    changed.sort(key=lambda c: _RANK.get(c[0].split(".")[0], len(_RANK)))
    more = f" (and {len(changed) - 1} other setting(s))" if len(changed) > 1 else ""
    return _describe(changed[0], manifest.settings, settings) + more


# What a person most needs to hear first: their input changed, then the model, then the rest.
_RANK = {"input": 0, "registered_version": 1, "registered_name": 1, "weights": 2, "model": 3}


def _describe(change: tuple[str, object, object], old: dict, new: dict) -> str:
    key, before, after = change
    if key.startswith("input."):
        what = old.get("input", {}).get("path", "the input")
        return f"the input {what} changed since that run began ({_input_change(old.get('input', {}), new.get('input', {}))})"
    if key == "registered_version":
        name = new.get("registered_name")
        return (f"--model {new.get('model')} now resolves to version {after} of {name!r}, but that run was scored "
                f"with version {before} (finish it with --model models:/{name}/{before})")
    if key == "weights":
        return f"the weights of model {new.get('model')} changed since that run began (digest {before} -> {after})"
    return f"{key} was {before!r}, now {after!r}"


def _input_change(old: dict, new: dict) -> str:
    parts = []
    if old.get("path") != new.get("path"):
        parts.append(f"now {new.get('path')}")
    if old.get("files") != new.get("files") and "files" in old:
        parts.append(f"{old.get('files'):,} -> {new.get('files'):,} files")
    if old.get("size") != new.get("size"):
        parts.append(f"{old.get('size'):,} -> {new.get('size'):,} bytes")
    if old.get("mtime_ns") != new.get("mtime_ns"):
        parts.append(f"modified {_when(old.get('mtime_ns'))}, now {_when(new.get('mtime_ns'))}")
    return ", ".join(parts) or "its fingerprint differs"


def _when(mtime_ns) -> str:
    if not isinstance(mtime_ns, int):
        return "?"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime_ns / 1e9))


def _changed(old: dict, new: dict, prefix: str = "") -> list[tuple[str, object, object]]:
    """(dotted key, old value, new value) for every leaf that differs."""
    out = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _changed(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append((f"{prefix}{key}", a, b))
    return out


# -- writing files atomically ----------------------------------------------------------
def _atomic_write(path: Path, data: bytes):
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _fsync_dir(path.parent)
    except OSError as error:
        raise SlantError("E108", path=str(path), reason=error.strerror) from None


def _atomic_write_table(path: Path, table: pa.Table, fmt: str):
    if fmt == "jsonl":
        _atomic_write(path, jsonl_bytes(table))
        return
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(table, temporary, compression="zstd")
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _fsync_dir(path.parent)
    except OSError as error:
        raise SlantError("E108", path=str(path), reason=error.strerror) from None


def _fsync_dir(folder: Path):
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def jsonl_bytes(table: pa.Table) -> bytes:
    """Rows as JSON lines; float32 values keep their shortest exact form (0.25, not 0.2500000119)."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_float32(column.type) and column.null_count == 0:
            columns[name] = [float(v) for v in column.to_numpy().astype(str)]
        else:
            columns[name] = column.to_pylist()
    names = table.column_names
    lines = (json.dumps(dict(zip(names, values)), ensure_ascii=False) for values in zip(*(columns[n] for n in names)))
    return "".join(line + "\n" for line in lines).encode("utf-8")


# -- reading results back -----------------------------------------------------------------
def read_manifest(folder: str | Path) -> Manifest:
    manifest = Manifest.read(Path(folder))
    if manifest is None:
        raise SlantError("E004", path=str(Path(folder) / MANIFEST))
    return manifest


def read_table(folder: str | Path, table: str = "documents") -> pa.Table:
    """A committed table of an output folder, rows in input order (by record, then sentence)."""
    if table not in TABLES:
        raise SlantError("E023", name="table", value=table, problem=f"choose one of {', '.join(TABLES)}")
    from slant.inference import rows

    folder = Path(folder)
    manifest = read_manifest(folder)
    labels = manifest.settings["labels"]
    keep_fields = manifest.settings.get("keep_fields", [])  # the input's other fields, kept
    schema = {"sentences": rows.sentence_schema(labels), "documents": rows.document_schema(labels, keep_fields),
              "rejects": rows.REJECT_SCHEMA, "spans": rows.SPAN_SCHEMA}[table]
    parts = []
    for name in manifest.files(table):
        path = folder / name
        if name.endswith(".parquet"):
            parts.append(pq.read_table(path).select(schema.names).cast(schema))
        else:
            with open(path, encoding="utf-8") as file:
                parts.append(pa.Table.from_pylist([json.loads(line) for line in file if line.strip()], schema=schema))
    merged = pa.concat_tables(parts) if parts else schema.empty_table()
    keys = [("record_no", "ascending")] + ([("sentence_index", "ascending")] if table in ("sentences", "spans") else [])
    if table == "spans":
        keys += [("start", "ascending"), ("end", "ascending"), ("label", "ascending")]
    return merged.sort_by(keys)


def read_frame(folder: str | Path, table: str = "documents"):
    """`read_table` as a pandas DataFrame."""
    return read_table(folder, table).to_pandas()


__all__ = ["ChunkedWriter", "Manifest", "Totals", "read_table", "read_frame", "read_manifest", "preflight",
           "OUTPUT_FORMATS", "TABLES", "jsonl_bytes"]
