"""Converting one split's source files to Parquet, whatever their format."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from nbopen.datasets.convert.excel import read_sheet
from nbopen.datasets.convert.sink import OutputFile, ParquetSink, SchemaMismatch
from nbopen.datasets.convert.tabular import (
    ConversionError,
    Progress,
    ReadPlan,
    Widen,
    read_csv,
    read_json,
    read_text,
)

__all__ = ["ConversionError", "Source", "SplitOutput", "convert_split"]

Reader = Callable[[Path, str, dict[str, str], ReadPlan, Progress], Iterator[pa.RecordBatch]]
READERS: dict[str, Reader] = {"csv": read_csv, "json": read_json, "text": read_text}


@dataclass(frozen=True)
class Source:
    origin: str  # path in the repository, for messages
    path: Path  # readable local file
    size: int


@dataclass
class SplitOutput:
    files: list[OutputFile]
    schema: pa.Schema
    bytes_memory: int

    @property
    def num_rows(self) -> int:
        return sum(f.num_rows for f in self.files)


def _batches(
    fmt: str, src: Source, options: dict[str, str], plan: ReadPlan, progress: Progress
) -> Iterator[pa.RecordBatch]:
    if fmt == "excel":
        return read_sheet(src.path, src.origin, options.get("sheet", ""), plan, progress)
    return READERS[fmt](src.path, src.origin, options, plan, progress)


def convert_split(
    *,
    fmt: str,
    sources: list[Source],
    out_dir: Path,
    options: dict[str, str],
    on_progress: Callable[[float], None] = lambda fraction: None,
) -> SplitOutput:
    """Write ``sources`` as Parquet files under ``out_dir`` (replacing what was there)."""
    plan = ReadPlan()
    total = max(1, sum(s.size for s in sources))
    for _attempt in range(256):
        shutil.rmtree(out_dir, ignore_errors=True)
        sink = ParquetSink(out_dir)
        try:
            done = 0
            for src in sources:

                def progress(pos: int, base: int = done) -> None:
                    on_progress(min(1.0, (base + pos) / total))

                if fmt == "parquet":
                    try:
                        pq.ParquetFile(src.path)
                    except (pa.ArrowInvalid, OSError) as exc:
                        raise ConversionError(
                            f"{src.origin}: not a valid Parquet file ({exc})"
                        ) from None
                    sink.add_file(src.path, src.origin)
                else:
                    # Later files of a split are read with the types of the first one.
                    known = {f.name: f.type for f in sink.schema} if sink.schema is not None else {}
                    file_plan = ReadPlan({**known, **plan.overrides})
                    for batch in _batches(fmt, src, options, file_plan, progress):
                        sink.write(batch, src.origin)
                done += src.size
                on_progress(min(1.0, done / total))
            files = sink.close()
            if sink.schema is None:
                raise ConversionError(
                    "no rows and no columns in " + ", ".join(s.origin for s in sources)
                )
            return SplitOutput(files, sink.schema, sink.bytes_memory)
        except Widen as widen:
            sink.abort()
            if plan.overrides.get(widen.column) == widen.to:
                raise ConversionError(f"column {widen.column!r}: values of mixed types") from None
            plan.overrides[widen.column] = widen.to
        except SchemaMismatch as exc:
            sink.abort()
            raise ConversionError(str(exc)) from None
        except BaseException:
            sink.abort()
            raise
    raise ConversionError("too many column type changes")
