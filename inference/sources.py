"""Input readers: a corpus file or folder becomes a stream of `Document`s and `Reject`s.

Every record the reader meets comes out exactly once, in input order, as either a `Document`
(ready to score) or a `Reject` (with a reason and where it was), so a run can always account for
`read = scored + rejected`. Nothing is held beyond the current record: files are read line by
line (JSONL, CSV), batch by batch (Parquet) or file by file (a folder of `.txt`), and a
`.gz` file is decompressed on the fly.

Record numbers start at 1 and are stable across runs, which is what makes resuming possible:
JSONL's record number is its line number, CSV's is its data row (the header is row 0), Parquet's
is its row, and a folder's is the position of the file in sorted order.

A record's other fields (source, date, url, ...) travel with it as `Document.meta`, as text,
when `keep_fields` names them (`ALL_FIELDS`, "*", keeps every field the input has; a folder of
`.txt` files has `folder`, plus the fields of an optional `<name>.json` beside each file).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator, Sequence

from slant.models.errors import SlantError

DEFAULT_MAX_CHARS = 1_000_000
FORMATS = ("jsonl", "csv", "parquet", "txt")
ALL_FIELDS = "*"  # keep_fields: every field of the input other than the id and the text

# Reject codes; `Reject.reason` carries the detail.
EMPTY_TEXT = "empty_text"
BAD_ENCODING = "bad_encoding"
MISSING_FIELD = "missing_field"
OVERSIZED = "oversized"
BAD_RECORD = "bad_record"  # not a JSON object, text not a string, and the like
DUPLICATE_ID = "duplicate_id"
NO_SENTENCES = "no_sentences"  # raised later, by the scorer
UNSUPPORTED_LANGUAGE = "unsupported_language"  # raised later, by the scorer (inference/language.py)


@dataclass(frozen=True)
class Document:
    record_no: int
    doc_id: str
    text: str
    location: str  # "line 12", "row 7", "a/b.txt": what a person looks up in the input
    position: int  # how far into the input this record ends, in `Source.unit`s (for progress)
    meta: dict = field(default_factory=dict, hash=False)  # kept fields -> text (or None)


@dataclass(frozen=True)
class Reject:
    record_no: int
    location: str
    code: str
    reason: str
    doc_id: str | None = None
    position: int = 0


@dataclass(frozen=True)
class _Raw:
    """One record as a reader found it, before the shared checks."""

    record_no: int
    location: str
    position: int
    fields: dict | None = None
    problem: tuple[str, str] | None = None  # (code, reason) when the reader could not parse it
    doc_id: str | None = None  # known even for a problem record when the id is its name (a folder's file)


class Source:
    """Base reader: subclasses yield `_Raw` records; this class applies the shared checks.

    `id_field=None` uses the record number as the document id.
    """

    format = ""  # the name users pass as --input-format
    unit = "B"  # what `size` and `Document.position` count: bytes, rows or files

    def __init__(self, path: str | Path, id_field: str | None = "id", text_field: str = "text",
                 max_chars: int = DEFAULT_MAX_CHARS, keep_fields: str | Sequence[str] | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise SlantError("E004", path=str(path))
        if max_chars < 1:
            raise SlantError("E023", name="max_chars", value=max_chars, problem="must be at least 1")
        self.id_field = id_field or None
        self.text_field = text_field
        self.max_chars = max_chars
        self._keep_request = keep_fields
        self._keep: list[str] | None = None

    @property
    def keep_fields(self) -> list[str]:
        """The other fields each `Document.meta` carries, resolved (and checked) on first use."""
        if self._keep is None:
            request = self._keep_request
            if not request:
                self._keep = []
            else:
                available = [f for f in self._available_fields() if f not in (self.id_field, self.text_field)]
                if request == ALL_FIELDS:
                    self._keep = available
                else:
                    wanted = [request] if isinstance(request, str) else list(request)
                    for name in wanted:
                        if name not in available:
                            raise SlantError("E101", path=str(self.path), field=name, option="--keep-fields",
                                             columns=", ".join(available) or "(none besides the id and the text)")
                    self._keep = list(dict.fromkeys(wanted))
        return self._keep

    def _available_fields(self) -> list[str]:
        """Every field name in the input, in order of first appearance (one pass by default)."""
        names: dict[str, None] = {}
        for raw in self._records():
            if raw.fields:
                names.update(dict.fromkeys(raw.fields))
        return list(names)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def fingerprint(self) -> dict:
        """What identifies this input, so a resumed run can tell that it has not changed."""
        stat = self.path.stat()
        return {"path": str(self.path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def __iter__(self) -> Iterator[Document | Reject]:
        seen: dict[str, int] = {}
        for raw in self._records():
            item = self._check(raw)
            if isinstance(item, Document):
                first = seen.setdefault(item.doc_id, item.record_no)
                if first != item.record_no:
                    item = Reject(item.record_no, item.location, DUPLICATE_ID,
                                  f"id {item.doc_id!r} already used by record {first}", item.doc_id, item.position)
            yield item

    def _records(self) -> Iterator[_Raw]:
        raise NotImplementedError

    def _check(self, raw: _Raw) -> Document | Reject:
        def reject(code: str, reason: str, doc_id: str | None = None) -> Reject:
            return Reject(raw.record_no, raw.location, code, reason, doc_id, raw.position)

        if raw.problem:
            return reject(*raw.problem, raw.doc_id)
        fields = raw.fields
        if self.id_field is None:
            doc_id = str(raw.record_no)
        else:
            value = fields.get(self.id_field)
            if value is None or value == "":
                return reject(MISSING_FIELD, f"no {self.id_field!r} field")
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                return reject(BAD_RECORD, f"{self.id_field!r} is a {type(value).__name__}, expected text or integer")
            doc_id = str(value)
            if not _encodable(doc_id):
                return reject(BAD_ENCODING, f"{self.id_field!r} holds unpaired surrogates")
        text = fields.get(self.text_field)
        if text is None:
            return reject(MISSING_FIELD, f"no {self.text_field!r} field", doc_id)
        if not isinstance(text, str):
            return reject(BAD_RECORD, f"{self.text_field!r} is a {type(text).__name__}, expected text", doc_id)
        if len(text) > self.max_chars:
            return reject(OVERSIZED, f"{len(text):,} characters, over the limit of {self.max_chars:,}", doc_id)
        if not text.strip():
            return reject(EMPTY_TEXT, "text is empty or whitespace", doc_id)
        if not _encodable(text):  # e.g. a JSON "\ud800" escape: valid JSON, not writable as UTF-8
            return reject(BAD_ENCODING, "text holds unpaired surrogates", doc_id)
        meta = {name: _as_text(fields.get(name)) for name in self.keep_fields}
        for name, value in meta.items():
            if value is not None and not _encodable(value):
                return reject(BAD_ENCODING, f"{name!r} holds unpaired surrogates", doc_id)
        return Document(raw.record_no, doc_id, text, raw.location, raw.position, meta)


def _as_text(value) -> str | None:
    """A kept field's value as stored: text as is, null as null, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(stream to read, raw file whose `tell()` gives the position in the file on disk)."""
    raw = open(path, "rb")
    if path.suffix == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


class JsonlSource(Source):
    """One JSON object per line. A line longer than the size limit is rejected without being read
    into memory whole."""

    format = "jsonl"

    def _max_line_bytes(self) -> int:
        # A character can take 6 bytes as a JSON escape; leave room for the other fields.
        return 6 * self.max_chars + (1 << 20)

    def _records(self) -> Iterator[_Raw]:
        stream, raw_file = _open_binary(self.path)
        limit = self._max_line_bytes()
        with raw_file, stream:
            line_no = 0
            while True:
                line = stream.readline(limit)
                if not line:
                    return
                line_no += 1
                oversized = len(line) >= limit and not line.endswith(b"\n")
                while oversized and line and not line.endswith(b"\n"):
                    line = stream.readline(limit)  # skip the rest of the line, chunk by chunk
                yield self._parse(line if not oversized else None, line_no, raw_file.tell())

    def _parse(self, line: bytes | None, line_no: int, position: int) -> _Raw:
        where = f"line {line_no}"
        if line is None:
            return _Raw(line_no, where, position, problem=(OVERSIZED, f"line is over {self._max_line_bytes():,} bytes"))
        try:
            decoded = line.decode("utf-8-sig" if line_no == 1 else "utf-8")
        except UnicodeDecodeError as error:
            return _Raw(line_no, where, position, problem=(BAD_ENCODING, f"not UTF-8 at byte {error.start}"))
        if not decoded.strip():
            return _Raw(line_no, where, position, problem=(BAD_RECORD, "blank line"))
        try:
            value = json.loads(decoded)
        except json.JSONDecodeError as error:
            return _Raw(line_no, where, position, problem=(BAD_RECORD, f"invalid JSON: {error.msg} at column {error.colno}"))
        if not isinstance(value, dict):
            return _Raw(line_no, where, position, problem=(BAD_RECORD, f"expected a JSON object, got {type(value).__name__}"))
        return _Raw(line_no, where, position, fields=value)


class CsvSource(Source):
    """A CSV (or, for `.tsv`, tab-separated) file with a header row naming the fields."""

    format = "csv"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.delimiter = "\t" if ".tsv" in [s.lower() for s in self.path.suffixes] else ","
        csv.field_size_limit(2**31 - 1)  # oversized fields are rejected after reading, with a reason
        with self._rows() as (reader, _):
            header = next(reader, [])
        for name, which in ((self.id_field, "--id-field"), (self.text_field, "--text-field")):
            if name is not None and name not in header:
                raise SlantError("E101", path=str(self.path), field=name, option=which, columns=", ".join(header))
        self._header = header

    def _available_fields(self) -> list[str]:
        return list(self._header)

    @contextmanager
    def _rows(self):
        stream, raw_file = _open_binary(self.path)
        # Undecodable bytes become lone surrogates, so one bad row is rejected, not the file.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        with raw_file, text:
            yield csv.reader(text, delimiter=self.delimiter), raw_file

    def _records(self) -> Iterator[_Raw]:
        with self._rows() as (reader, raw_file):
            header = next(reader)
            row_no, line = 0, reader.line_num + 1
            for row in reader:
                row_no += 1
                where, line = f"line {line}", reader.line_num + 1
                if not all(_encodable(cell) for cell in row):
                    yield _Raw(row_no, where, raw_file.tell(), problem=(BAD_ENCODING, "not UTF-8"))
                    continue
                yield _Raw(row_no, where, raw_file.tell(), fields=dict(zip(header, row)))


class ParquetSource(Source):
    """A Parquet file, read a row group batch at a time; only the two needed columns are loaded."""

    format = "parquet"
    unit = "rows"
    batch_rows = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import pyarrow.parquet as pq

        try:
            self._file = pq.ParquetFile(self.path)
        except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ...: all mean unreadable
            raise SlantError("E001", path=str(self.path), reason=str(error).splitlines()[0]) from None
        names = self._file.schema_arrow.names
        for name, which in ((self.id_field, "--id-field"), (self.text_field, "--text-field")):
            if name is not None and name not in names:
                raise SlantError("E101", path=str(self.path), field=name, option=which, columns=", ".join(names))

    def _available_fields(self) -> list[str]:
        return list(self._file.schema_arrow.names)

    @property
    def size(self) -> int:
        return self._file.metadata.num_rows

    def _records(self) -> Iterator[_Raw]:
        import pyarrow as pa

        columns = [c for c in (self.id_field, self.text_field) if c is not None]
        columns += [c for c in self.keep_fields if c not in columns]
        row_no = 0
        for batch in self._file.iter_batches(batch_size=self.batch_rows, columns=columns):
            values = {}
            for name in columns:
                column = batch.column(name)
                if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                    # Decode in Python so that one invalid UTF-8 value rejects its row only.
                    column = column.cast(pa.large_binary() if pa.types.is_large_string(column.type) else pa.binary())
                elif name not in (self.id_field, self.text_field):
                    column = _kept_as_text(column)
                values[name] = column.to_pylist()
            for i in range(batch.num_rows):
                row_no += 1
                fields, problem = {}, None
                for name in columns:
                    value = values[name][i]
                    if isinstance(value, bytes):
                        try:
                            value = value.decode("utf-8")
                        except UnicodeDecodeError as error:
                            problem = (BAD_ENCODING, f"{name!r} is not UTF-8 at byte {error.start}")
                    fields[name] = value
                yield _Raw(row_no, f"row {row_no}", row_no, fields=None if problem else fields, problem=problem)


def _kept_as_text(column):
    """A kept Parquet column that is not text, as text: Arrow's own cast (numbers, dates,
    timestamps in ISO form), or JSON for nested values."""
    import pyarrow as pa

    try:
        return column.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([_as_text(v) for v in column.to_pylist()], pa.string())


class TextFolderSource(Source):
    """A folder of `.txt` (or `.txt.gz`) files, one document each, searched recursively.

    The document id is the path under the folder without the suffix (`2019/article1`); other
    files are not documents and are not read, except `<name>.json` beside `<name>.txt`: a JSON
    object of the document's other fields, read when fields are kept. Every document also has
    the field `folder`, the folder it lies in under the input folder ('' at the top).
    """

    format = "txt"
    unit = "files"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.id_field = "id"  # always the file name; the record carries it in `fields`
        self._files = sorted(
            p for p in self.path.rglob("*") if p.is_file() and (p.name.endswith(".txt") or p.name.endswith(".txt.gz"))
        )
        if not self._files:
            raise SlantError("E102", path=str(self.path))

    @property
    def size(self) -> int:
        return len(self._files)

    def fingerprint(self) -> dict:
        stats = [(str(p.relative_to(self.path)), p.stat().st_size, p.stat().st_mtime_ns) for p in self._files]
        return {"path": str(self.path.resolve()), "files": len(stats),
                "size": sum(s for _, s, _ in stats), "mtime_ns": max(m for _, _, m in stats)}

    @staticmethod
    def _sidecar(path: Path) -> Path:
        stem = path.name[: -len(".txt.gz")] if path.name.endswith(".gz") else path.name[: -len(".txt")]
        return path.with_name(stem + ".json")

    def _read_sidecar(self, path: Path) -> dict:
        """The fields in `<name>.json` beside a document ({} when there is none)."""
        sidecar = self._sidecar(path)
        if not sidecar.is_file():
            return {}
        name = sidecar.relative_to(self.path).as_posix()
        try:
            value = json.loads(sidecar.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"cannot read the fields in {name}: {error}") from None
        if not isinstance(value, dict):
            raise ValueError(f"{name} holds a JSON {type(value).__name__}, expected an object of fields")
        return value

    def _available_fields(self) -> list[str]:
        names = {"folder": None}
        for path in self._files:
            try:
                names.update(dict.fromkeys(self._read_sidecar(path)))
            except ValueError:
                continue  # that document is rejected with the reason when it is read
        return list(names)

    def _records(self) -> Iterator[_Raw]:
        for number, path in enumerate(self._files, start=1):
            name = path.relative_to(self.path).as_posix()
            doc_id = name[: -len(".txt.gz")] if name.endswith(".gz") else name[: -len(".txt")]
            extra = {}
            if self.keep_fields:
                try:
                    folder = path.parent.relative_to(self.path).as_posix()
                    extra = {"folder": "" if folder == "." else folder, **self._read_sidecar(path)}
                except ValueError as error:
                    yield _Raw(number, name, number, problem=(BAD_RECORD, str(error)), doc_id=doc_id)
                    continue
            try:
                size = path.stat().st_size
                if size > 4 * self.max_chars and path.suffix != ".gz":
                    yield _Raw(number, name, number, problem=(OVERSIZED, f"{size:,} bytes, over the limit of {self.max_chars:,} characters"), doc_id=doc_id)
                    continue
                data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                yield _Raw(number, name, number, problem=(BAD_RECORD, f"cannot read: {error}"), doc_id=doc_id)
                continue
            try:
                text = codecs.decode(data, "utf-8-sig")
            except UnicodeDecodeError as error:
                yield _Raw(number, name, number, problem=(BAD_ENCODING, f"not UTF-8 at byte {error.start}"), doc_id=doc_id)
                continue
            yield _Raw(number, name, number, fields={**extra, "id": doc_id, "text": text})


_READERS = {"jsonl": JsonlSource, "csv": CsvSource, "parquet": ParquetSource, "txt": TextFolderSource}


def detect_format(path: str | Path) -> str:
    """The input format from the path: a folder is `txt`; otherwise the suffix before any `.gz`."""
    path = Path(path)
    if path.is_dir():
        return "txt"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    found = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "csv",
             ".parquet": "parquet", ".pq": "parquet"}.get(suffix)
    if found is None:
        raise SlantError("E100", path=str(path))
    return found


def open_source(path: str | Path, input_format: str | None = None, *, id_field: str | None = "id",
                text_field: str = "text", max_chars: int = DEFAULT_MAX_CHARS,
                keep_fields: str | Sequence[str] | None = None) -> Source:
    """A reader for `path`; `input_format` (one of FORMATS) overrides detection from the name.

    `keep_fields`: the other fields to carry in `Document.meta` (names, `ALL_FIELDS`, or none).
    A named field the input lacks is a one-line error (E101) here, before anything is read.
    """
    if not Path(path).exists():
        raise SlantError("E004", path=str(path))
    input_format = input_format or detect_format(path)
    if input_format not in _READERS:
        raise SlantError("E023", name="input format", value=input_format, problem=f"choose one of {', '.join(FORMATS)}")
    if input_format == "txt" and not Path(path).is_dir():
        raise SlantError("E001", path=str(path), reason="the txt format reads a folder of .txt files")
    if input_format != "txt" and Path(path).is_dir():
        raise SlantError("E001", path=str(path), reason=f"is a folder; the {input_format} format reads one file")
    source = _READERS[input_format](path, id_field=id_field, text_field=text_field, max_chars=max_chars,
                                    keep_fields=keep_fields)
    source.keep_fields  # resolve and check the kept fields now, not in the middle of a run
    return source


__all__ = [
    "Document", "Reject", "Source", "JsonlSource", "CsvSource", "ParquetSource", "TextFolderSource",
    "open_source", "detect_format", "FORMATS", "DEFAULT_MAX_CHARS", "ALL_FIELDS",
]
