"""Writing one split's Parquet output: batches in, files with sha256 and row counts out.

Row groups are kept small (``ROW_GROUP_ROWS``) so that ``/rows`` reads only the few
kilobytes around the requested page, as the Hub's converter does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 10_000
IN_FLIGHT = 2


class SchemaMismatch(ValueError):
    pass


@dataclass
class OutputFile:
    filename: str
    size: int
    sha256: str
    num_rows: int

    def as_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
            "num_rows": self.num_rows,
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class ParquetSink:
    """Append record batches; every source file of a split must share the first schema."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.schema: pa.Schema | None = None
        self.files: list[OutputFile] = []
        self._writer: pq.ParquetWriter | None = None
        self._path: Path | None = None
        self._rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-write")
        self._inflight: deque[Future[None]] = deque()
        # Size of the data as Arrow in memory: the Hub's "num_bytes_memory".
        self.bytes_memory = 0

    def _next_path(self) -> Path:
        return self.out_dir / f"{len(self.files):04d}.parquet"

    def conform(self, batch: pa.RecordBatch, origin: str) -> pa.RecordBatch:
        if self.schema is None:
            self.schema = batch.schema
            return batch
        if batch.schema.equals(self.schema):
            return batch
        if set(batch.schema.names) != set(self.schema.names):
            raise SchemaMismatch(
                f"{origin}: columns {batch.schema.names} differ from {self.schema.names}"
                " in the other files of this split"
            )
        try:
            return pa.RecordBatch.from_arrays(
                [
                    batch.column(name).cast(self.schema.field(name).type)
                    for name in self.schema.names
                ],
                schema=self.schema,
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SchemaMismatch(
                f"{origin}: column types differ from the other files: {exc}"
            ) from exc

    def write(self, batch: pa.RecordBatch, origin: str = "") -> None:
        batch = self.conform(batch, origin)
        if batch.num_rows == 0:
            return
        self._pending.append(batch)
        self.bytes_memory += batch.nbytes
        self._pending_rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        assert self.schema is not None
        if self._writer is None:
            self._path = self._next_path()
            self._writer = pq.ParquetWriter(
                self._path, self.schema, compression="zstd", write_page_index=True
            )
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        # Parsing and Parquet encoding both release the GIL: encode on a second thread while
        # the reader parses the next block. At most IN_FLIGHT tables wait, so memory is bounded.
        while len(self._inflight) >= IN_FLIGHT:
            self._inflight.popleft().result()
        self._inflight.append(
            self._pool.submit(self._writer.write_table, table, row_group_size=ROW_GROUP_ROWS)
        )
        self._rows += table.num_rows
        self._pending = []
        self._pending_rows = 0

    def _drain(self) -> None:
        while self._inflight:
            self._inflight.popleft().result()

    def _close_file(self) -> None:
        self._flush()
        self._drain()
        if self._writer is not None:
            self._writer.close()
            assert self._path is not None
            self.files.append(
                OutputFile(
                    self._path.name, self._path.stat().st_size, sha256_file(self._path), self._rows
                )
            )
        self._writer = None
        self._path = None
        self._rows = 0

    def add_file(self, source: Path, origin: str) -> None:
        """Reuse an existing Parquet file as it is (after checking its schema matches)."""
        self._close_file()
        schema = pq.read_schema(source)
        if self.schema is None:
            self.schema = schema
        elif not schema.equals(self.schema):
            raise SchemaMismatch(f"{origin}: schema differs from the other files of this split")
        target = self._next_path()
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        meta = pq.ParquetFile(target).metadata
        rows = meta.num_rows
        self.bytes_memory += sum(
            meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)
        )
        self.files.append(OutputFile(target.name, target.stat().st_size, sha256_file(target), rows))

    def ensure_schema(self, schema: pa.Schema) -> None:
        """Know the columns even when a source has a header and no rows."""
        if self.schema is None:
            self.schema = schema

    def close(self) -> list[OutputFile]:
        self._close_file()
        if not self.files and self.schema is not None:
            path = self._next_path()
            pq.write_table(self.schema.empty_table(), path, compression="zstd")
            self.files.append(OutputFile(path.name, path.stat().st_size, sha256_file(path), 0))
        self._pool.shutdown(wait=True)
        return self.files

    def abort(self) -> None:
        for future in self._inflight:
            future.cancel()
        with contextlib.suppress(Exception):
            self._drain()
        self._pool.shutdown(wait=True)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
