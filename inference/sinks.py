"""Chunked, crash-safe output for `slant score`, and reading it back.

An output folder holds three tables, each as numbered part files, plus a manifest:

    scores/
      manifest.json                      the run's settings and every committed chunk
      sentences/part-000000.parquet      one row per sentence (or .jsonl)
      documents/part-000000.parquet      one row per scored document
      rejects/part-000000.jsonl          one row per rejected record (always JSONL: read by people)

A chunk covers a contiguous range of input records. Its parts are written to hidden temporary
files and renamed into place, then the manifest, rewritten atomically the same way, records the
chunk: that rename is the commit. A run killed at any moment leaves either a chunk in the
manifest with all of its files, or parts that the manifest does not name; the next run with the
same settings deletes those, skips every record up to the last committed one, and goes on. So
each input record ends up in exactly one committed chunk, once.

Only files the manifest names are results: read them with `read_table`/`read_frame`, which
also work while a run is going on.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from slant.models.errors import SlantError

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
OUTPUT_FORMATS = ("parquet", "jsonl")
TABLES = ("sentences", "documents", "rejects")


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
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(settings=data["settings"], output_format=data["output_format"], engine=data.get("engine", "local"),
                   chunks=data["chunks"], complete=data["complete"])

    def write(self, folder: Path):
        _atomic_write(folder / MANIFEST, json.dumps(self.to_json(), indent=1, ensure_ascii=False).encode("utf-8"))


class ChunkedWriter:
    """Commits chunks of result tables into an output folder, resuming the run already there.

    `settings` identify the run (input fingerprint, model, thresholds, fields...): a folder
    holding a run with different settings is refused unless `overwrite`.
    """

    def __init__(self, folder: str | Path, settings: dict, output_format: str = "parquet",
                 overwrite: bool = False, engine: str = "local"):
        if output_format not in OUTPUT_FORMATS:
            raise SlantError("E021", key="--output-format", value=output_format, problem="choose parquet or jsonl")
        self.folder = Path(folder)
        self.settings = json.loads(json.dumps(settings))  # as it will read back from the manifest
        self.output_format = output_format
        self.engine = engine
        self.manifest = self._open(overwrite)

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
        manifest = Manifest.read(self.folder) if self.folder.exists() else None
        if manifest is not None and overwrite:
            clear(self.folder)
            manifest = None
        if manifest is None:
            if self.folder.exists() and any(self.folder.iterdir()):
                raise SlantError("E104", path=str(self.folder))
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
        """Delete parts a killed run wrote but never committed (and its temporary files)."""
        committed = {name for table in TABLES for name in manifest.files(table)}
        for table in TABLES:
            for path in (self.folder / table).iterdir():
                if f"{table}/{path.name}" not in committed:
                    path.unlink()

    def commit(self, last_record: int, sentences: pa.Table, documents: pa.Table, rejects: pa.Table) -> Totals:
        """Write one chunk covering records (last committed, last_record] and commit it."""
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
                                 ("documents", documents, self.output_format), ("rejects", rejects, "jsonl")):
            if rows.num_rows:
                name = f"{table}/part-{index:06d}.{fmt}"
                _atomic_write_table(self.folder / name, rows, fmt)
                files[table] = [name]
        totals = Totals(read=last_record - first_record + 1, scored=documents.num_rows,
                        rejected=rejects.num_rows, sentences=sentences.num_rows)
        self.manifest.chunks.append({"index": index, "first_record": first_record, "last_record": last_record,
                                     "engine": self.engine, "totals": vars(totals), "files": files})
        self.manifest.write(self.folder)
        return totals

    def finish(self) -> Totals:
        self.manifest.complete = True
        self.manifest.write(self.folder)
        return self.totals


def clear(folder: Path):
    """Remove a previous run's results (only the files a run writes)."""
    for table in TABLES:
        shutil.rmtree(folder / table, ignore_errors=True)
    (folder / MANIFEST).unlink(missing_ok=True)


def _difference(manifest: Manifest, settings: dict, output_format: str) -> str:
    # The engine may change between runs: both write the same rows.
    if manifest.output_format != output_format:
        return f"output format {manifest.output_format}, not {output_format}"
    changed = _changed(manifest.settings, settings)
    if not changed:
        return ""
    key, old, new = changed[0]
    more = f"; {len(changed) - 1} more change(s)" if len(changed) > 1 else ""
    return f"{key} was {old!r}, now {new!r}{more}"


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
        raise SlantError("E021", key="table", value=table, problem=f"choose one of {', '.join(TABLES)}")
    from slant.inference import rows

    folder = Path(folder)
    manifest = read_manifest(folder)
    labels = manifest.settings["labels"]
    schema = {"sentences": rows.sentence_schema(labels), "documents": rows.document_schema(labels),
              "rejects": rows.REJECT_SCHEMA}[table]
    parts = []
    for name in manifest.files(table):
        path = folder / name
        if name.endswith(".parquet"):
            parts.append(pq.read_table(path).select(schema.names).cast(schema))
        else:
            with open(path, encoding="utf-8") as file:
                parts.append(pa.Table.from_pylist([json.loads(line) for line in file if line.strip()], schema=schema))
    merged = pa.concat_tables(parts) if parts else schema.empty_table()
    keys = [("record_no", "ascending")] + ([("sentence_index", "ascending")] if table == "sentences" else [])
    return merged.sort_by(keys)


def read_frame(folder: str | Path, table: str = "documents"):
    """`read_table` as a pandas DataFrame."""
    return read_table(folder, table).to_pandas()


__all__ = ["ChunkedWriter", "Manifest", "Totals", "read_table", "read_frame", "read_manifest",
           "OUTPUT_FORMATS", "TABLES", "jsonl_bytes"]
