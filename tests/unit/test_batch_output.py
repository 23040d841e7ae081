"""The batch shard writer: extra columns that Arrow or Parquet cannot hold as one scalar
type (objects, lists, mixed types) are written as JSON text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from klantfocus.batch.output import _to_arrow, read_shard_record, write_shard


def test_always_empty_objects_are_written_as_json_text(tmp_path):
    frame = pd.DataFrame({"conversation_id": ["a", "a"], "leeg": [{}, {}]})
    path = tmp_path / "part-00000.parquet"
    write_shard(frame, path, {"rows": 2})  # pyarrow: "Cannot write struct type ... with no child"
    table = pq.read_table(path)
    assert str(table.schema.field("leeg").type) == "string"
    assert table.column("leeg").to_pylist() == ["{}", "{}"]
    assert read_shard_record(path) == {"rows": 2}


def test_nested_and_mixed_extra_columns_are_json_text_and_scalars_keep_their_type():
    frame = pd.DataFrame(
        {
            "nested": [{"a": 1}, {"b": [1, {}], "c": "é"}, np.nan],
            "lijst": [[], ["x", 2], np.array([1, 2])],
            "mix": [3, "drie", None],
            "getal": [1, 2, 3],
            "woord": ["a", None, "c"],
        }
    )
    table = _to_arrow(frame)
    types = {field.name: str(field.type) for field in table.schema}
    assert types["nested"] == types["lijst"] == types["mix"] == "string"
    assert types["getal"] == "int64"
    assert types["woord"] in ("string", "large_string")  # as pandas gives it
    assert table.column("nested").to_pylist() == ['{"a": 1}', '{"b": [1, {}], "c": "é"}', None]
    assert [json.loads(v) for v in table.column("lijst").to_pylist()] == [[], ["x", 2], [1, 2]]
    assert table.column("mix").to_pylist() == ["3", '"drie"', None]
    assert table.column("woord").to_pylist() == ["a", None, "c"]
