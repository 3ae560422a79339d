"""`slant score --engine ray`: the same scorer on a Ray cluster, through Ray Data.

    slant score corpus.jsonl --out scores/ --engine ray                      # a local Ray
    slant score corpus.jsonl --out scores/ --engine ray --address auto       # an existing cluster

The plan is read -> split and score -> write:

* one read task streams the corpus with the same readers as the local engine (so record
  numbers, ids and rejects are identical), in blocks of `chunk_size` records;
* `map_batches` over an actor pool, one model per actor, splits and scores each block with
  `Scorer.score_chunk` and builds the same Arrow rows as the local engine, packed into one
  table (Ray Data maps one table to one table);
* the driver receives the scored blocks in input order (`preserve_order`) and commits them
  with the same `ChunkedWriter`, so the output folder, its manifest and resuming after a kill
  are exactly those of the local engine, and either engine may resume the other's run.

Ray is an optional extra: `pip install 'slant[cluster]'`. The model path must be readable by
every worker (a shared or identical path on each node).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from slant.inference import rows
from slant.inference.sinks import ChunkedWriter, Totals
from slant.inference.sources import ALL_FIELDS, DEFAULT_MAX_CHARS, Document, Reject, open_source
from slant.models.errors import SlantError

try:
    import ray
    from ray.data import Datasource, ReadTask
    from ray.data.block import BlockMetadata
except ImportError:  # the cluster extra is not installed; score_with_ray says how to get it
    ray = None
    Datasource = object

_TABLE = "_table"  # which output table a packed row belongs to
_POSITION = "_position"  # how far into the input the block reaches, for progress

_RECORD_SCHEMA = pa.schema([("record_no", pa.int64()), ("doc_id", pa.string()), ("text", pa.string()),
                            ("location", pa.string()), ("code", pa.string()), ("reason", pa.string()),
                            ("position", pa.int64()), ("meta", pa.string())])  # kept fields, as JSON


class CorpusDatasource(Datasource):
    """A Ray Data source over `open_source`: one streaming read task, blocks of `block_rows`."""

    def __init__(self, path: str, input_format: str | None, id_field: str | None, text_field: str, max_chars: int,
                 after: int = 0, block_rows: int = 128, keep_fields: list[str] | None = None):
        self.options = dict(input_format=input_format, id_field=id_field, text_field=text_field, max_chars=max_chars,
                            keep_fields=keep_fields)
        self.path, self.after, self.block_rows = path, after, block_rows

    def estimate_inmemory_data_size(self):
        return None

    def get_read_tasks(self, parallelism: int, per_task_row_limit=None, data_context=None) -> list:
        metadata = BlockMetadata(num_rows=None, size_bytes=None, input_files=[self.path], exec_stats=None)
        return [ReadTask(self._read, metadata, schema=_RECORD_SCHEMA)]

    def _read(self):
        source = open_source(self.path, **self.options)
        block = []
        for item in source:
            if item.record_no <= self.after:
                continue
            if isinstance(item, Document):
                block.append({"record_no": item.record_no, "doc_id": item.doc_id, "text": item.text,
                              "location": item.location, "code": None, "reason": None, "position": item.position,
                              "meta": json.dumps(item.meta, ensure_ascii=False)})
            else:
                block.append({"record_no": item.record_no, "doc_id": item.doc_id, "text": None,
                              "location": item.location, "code": item.code, "reason": item.reason,
                              "position": item.position})
            if len(block) >= self.block_rows:
                yield pa.Table.from_pylist(block, schema=_RECORD_SCHEMA)
                block = []
        if block:
            yield pa.Table.from_pylist(block, schema=_RECORD_SCHEMA)


class ScoreActor:
    """One model per actor; turns a block of records into packed result rows."""

    def __init__(self, model: str, backend: str, threads: int, threshold: float | None, max_chars: int,
                 keep_fields: list[str] | None = None, any_language: bool = False, spans: bool = True):
        from slant.inference.batch import Scorer

        self.scorer = Scorer.load(model, backend=backend, threads=threads, threshold=threshold, max_chars=max_chars,
                                  any_language=any_language, spans=spans)
        self.keep_fields = list(keep_fields or [])

    def __call__(self, batch: pa.Table) -> pa.Table:
        from slant.inference.batch import split_or_reject

        documents, spans, rejects = [], [], []
        for record in batch.to_pylist():
            if record["code"] is None:
                item = Document(record["record_no"], record["doc_id"], record["text"], record["location"],
                                record["position"], json.loads(record.get("meta") or "{}"))
            else:
                item = Reject(record["record_no"], record["location"], record["code"], record["reason"],
                              record["doc_id"], record["position"])
            split = split_or_reject(item, self.scorer.any_language)
            if isinstance(split, Reject):
                rejects.append(split)
            else:
                documents.append(item)
                spans.append(split)
        scored = self.scorer.score_chunk([d.record_no for d in documents], [d.doc_id for d in documents],
                                         [d.text for d in documents], spans, [d.meta for d in documents],
                                         self.keep_fields)
        position = max(batch.column("position").to_pylist(), default=0)
        tables = {"sentences": rows.sentence_table(scored),
                  "documents": rows.document_table(scored, self.scorer.strongest_k),
                  "rejects": rows.reject_table(rejects)}
        if scored.technique_spans is not None:
            tables["spans"] = rows.span_table(scored)
        return pack(tables, position)


def pack(tables: dict[str, pa.Table], position: int) -> pa.Table:
    """Several tables as one: their columns side by side (named `table/column`, so a kept input
    field such as `start` never meets a sentence column of another type), plus which table each
    row is from."""
    tagged = [t.rename_columns([f"{name}/{c}" for c in t.column_names])
              .append_column(_TABLE, pa.array([name] * t.num_rows, pa.string())) for name, t in tables.items()]
    packed = pa.concat_tables(tagged, promote_options="default")
    return packed.append_column(_POSITION, pa.array([position] * packed.num_rows, pa.int64()))


def unpack(packed: pa.Table, name: str, schema: pa.Schema) -> pa.Table:
    rows_of = packed.filter(pc.equal(packed.column(_TABLE), name)).select([f"{name}/{c}" for c in schema.names])
    return rows_of.rename_columns(schema.names).cast(schema)


def score_with_ray(input_path: str | Path, out: str | Path, *, model: str | None = None, backend: str = "auto",
                   threshold: float | None = None, max_chars: int = DEFAULT_MAX_CHARS, threads: int | None = None,
                   address: str | None = None, actors: int | None = None, input_format: str | None = None,
                   id_field: str | None = "id", text_field: str = "text", output_format: str = "parquet",
                   chunk_size: int = 128, overwrite: bool = False, quiet: bool = False,
                   keep_fields: str | list[str] | None = ALL_FIELDS, any_language: bool = False,
                   spans: bool = True) -> Totals:
    """Score a corpus on Ray into an output folder laid out as the local engine's."""
    if ray is None:
        raise SlantError("E105", feature="--engine ray", package="Ray", extra="cluster")
    from slant.inference.batch import Scorer, resume_note
    from slant.inference.progress import Progress, note
    from slant.models.encoder import resolve_model

    # Load once on the driver: bad models fail here with a one-line error, an ONNX export is
    # cached before the actors start, and the run settings match the local engine's exactly
    # (a models:/name@alias is resolved here, once: every actor loads that same version).
    resolved = resolve_model(model)
    source = open_source(input_path, input_format, id_field=id_field, text_field=text_field, max_chars=max_chars,
                         keep_fields=keep_fields)
    keep_fields = source.keep_fields  # resolved once here; the read task and actors get the list
    probe = Scorer.load(resolved, backend=backend, threads=1, threshold=threshold, max_chars=max_chars,
                        any_language=any_language, spans=spans)
    spans = probe.spans  # only where the model has a span head
    backend = probe.classifier.backend.name  # `auto` chosen once, here: every actor loads the same backend
    with ChunkedWriter(out, probe.run_settings(source, input_format), output_format, overwrite=overwrite,
                       engine="ray") as writer:
        labels = probe.labels
        del probe
        note(resume_note(writer, source), "off" if quiet else "auto")
        if writer.complete:
            return writer.totals
        meter = Progress(source.size, source.unit, mode="off" if quiet else "auto", description="slant score (ray)",
                         start=writer.manifest.position)
        return _score(writer, source, meter, labels, resolved.path, backend=backend, threshold=threshold,
                      max_chars=max_chars, threads=threads, address=address, actors=actors,
                      input_path=input_path, input_format=input_format, id_field=id_field, text_field=text_field,
                      chunk_size=chunk_size, keep_fields=keep_fields, any_language=any_language, spans=spans)


def _score(writer: ChunkedWriter, source, meter, labels: list[str], model_path: str, *, backend, threshold,
           max_chars, threads, address, actors, input_path, input_format, id_field, text_field, chunk_size,
           keep_fields, any_language, spans) -> Totals:
    """The Ray part of `score_with_ray`: start (or join) Ray, run the plan, commit in order."""
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # blocks reach the driver in record order
    context.enable_progress_bars = False
    threads = threads or 1
    if actors is None:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        actors = max(1, (cpus - 1) // threads)  # one CPU left for the read task

    schemas = {"sentences": rows.sentence_schema(labels), "documents": rows.document_schema(labels, keep_fields),
               "rejects": rows.REJECT_SCHEMA, **({"spans": rows.SPAN_SCHEMA} if spans else {})}
    dataset = ray.data.read_datasource(
        CorpusDatasource(str(input_path), input_format, id_field, text_field, max_chars, after=writer.last_record,
                         block_rows=chunk_size, keep_fields=keep_fields),
        override_num_blocks=1,
    ).map_batches(
        ScoreActor, batch_format="pyarrow", batch_size=chunk_size, concurrency=actors, num_cpus=threads,
        fn_constructor_kwargs=dict(model=model_path, backend=backend, threads=threads, threshold=threshold,
                                   max_chars=max_chars, keep_fields=keep_fields, any_language=any_language,
                                   spans=spans),
    )
    try:
        for packed in dataset.iter_batches(batch_format="pyarrow", batch_size=None, prefetch_batches=1):
            tables = {name: unpack(packed, name, schema) for name, schema in schemas.items()}
            numbers = pc.max(pa.concat_arrays([tables["documents"].column("record_no").combine_chunks(),
                                               tables["rejects"].column("record_no").combine_chunks()]))
            if not numbers.is_valid:
                continue
            position = pc.max(packed.column(_POSITION)).as_py()
            added = writer.commit(numbers.as_py(), tables["sentences"], tables["documents"], tables["rejects"],
                                  position=position, spans=tables.get("spans"))
            meter.update(position, added.scored, added.sentences)
        return writer.finish()
    finally:
        meter.close()
        if started_here:
            ray.shutdown()
