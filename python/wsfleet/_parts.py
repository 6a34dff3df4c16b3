"""A study point's rows as a Parquet part: the column types (inferred from the values, widened when
a later point needs it), the conversion of rows to an Arrow table and its encoding. pyarrow only (no
pandas): a sweep worker imports it to encode its own point's part (wsfleet._task.run_part), and the
result store (wsfleet._store) uses the same functions, so the bytes are the same wherever they are
made."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["Encoded", "infer_type", "merge_type", "to_table", "encode", "encode_row"]


def infer_type(values: Sequence[Any]) -> pa.DataType:
    """The column type of these values (None are missing; all missing: double)."""
    present = [v for v in values if v is not None]
    if not present:
        return pa.float64()
    if all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if any(isinstance(v, str) for v in present):
        return pa.string()
    if all(isinstance(v, int) for v in present):
        return pa.int64()
    return pa.float64()


def merge_type(known: pa.DataType, new: pa.DataType) -> pa.DataType:
    """The type of a column that held `known` and now gets values of type `new`."""
    if known == new:
        return known
    if {known, new} <= {pa.int64(), pa.float64()}:
        return pa.float64()
    return pa.string() if pa.string() in (known, new) else known


def to_table(rows: List[Dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """pa.Table.from_pylist(rows, schema=schema), converted as one struct array: the same table in
    half the time (from_pylist converts, and looks up its settings, column by column)."""
    array = pa.array(rows, type=pa.struct(list(schema)))
    return pa.Table.from_batches([pa.RecordBatch.from_struct_array(array)], schema=schema)


def encode(table: pa.Table) -> bytes:
    """The Parquet file of a part."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, write_statistics=False, use_dictionary=False)
    return sink.getvalue().to_pybytes()


@dataclass(frozen=True)
class Encoded:
    """A one-row part made where the row was computed (a sweep worker): the row, its columns (name,
    type) as inferred from it, and the Parquet bytes. The store writes the bytes as they are when it
    would have made the same part (the same row and columns), and encodes the row itself otherwise."""
    row: Dict[str, Any]
    columns: Tuple[Tuple[str, str], ...]
    data: bytes


def encode_row(row: Dict[str, Any]) -> Encoded:
    """The part of one row, each column's type inferred from its value."""
    fields = [(name, infer_type([value])) for name, value in row.items()]
    data = encode(to_table([row], pa.schema(fields)))
    return Encoded(row, tuple((name, str(t)) for name, t in fields), data)
