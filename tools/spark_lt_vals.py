"""spark_lt_vals.py — the lt_vals(doc, path) function the Spark script of
`llmtrail sql --dialect spark` calls (docs/scale-out.md, "Spark").

lt_vals(doc, path) gives the scalar values of a field of a JSON record, read
as llmtrail reads a Sigma field (and as the DuckDB script's lt_scalars /
lt_step / lt_top macros do, which tests/sql/lt_vals.sh proves equal on the
demo evidence): the path is `$."key"."key"...`; at every key the value found
so far is taken as it is and, when it is an array, also element by element
(one level), and the key is read from each of those that is an object; what is
left at the end is taken the same way, and the scalars are kept: strings as
they are, numbers as the text they have in the record, true/false as
"true"/"false", null as a null element. Objects and arrays are not values.

Spark's get_json_object cannot say whether a string looks like JSON or is
JSON, so no inline SQL gives this reading; register this as a UDF:

    from spark_lt_vals import register
    register(spark)          # then run the script's statements

Pure Python (the standard library's json), no dependency beyond pyspark for
register(); `python3 tools/spark_lt_vals.py < pairs.jsonl` prints, for each
line {"doc": "...", "path": "..."}, the JSON list of values (the test's use).
"""
import json
import sys


class _Num(str):
    """A JSON number kept as the text it has in the record."""


def _key_path(path):
    """The keys of `$."a"."b"` (a key may hold `""` for a quote)."""
    if not path.startswith("$"):
        raise ValueError("lt_vals: path must start with $: %r" % path)
    keys, i, n = [], 1, len(path)
    while i < n:
        if path[i] != "." or i + 1 >= n:
            raise ValueError("lt_vals: bad path %r" % path)
        i += 1
        if path[i] == '"':
            j, key = i + 1, []
            while j < n:
                if path[j] == '"' and j + 1 < n and path[j + 1] == '"':
                    key.append('"')
                    j += 2
                elif path[j] == '"':
                    break
                else:
                    key.append(path[j])
                    j += 1
            if j >= n:
                raise ValueError("lt_vals: unclosed key in %r" % path)
            keys.append("".join(key))
            i = j + 1
        else:
            j = i
            while j < n and path[j] != ".":
                j += 1
            keys.append(path[i:j])
            i = j
    return keys


_MISSING = object()


def _elems(x):
    """The value as it is and, for an array, each element too."""
    if x is _MISSING:
        return []
    if isinstance(x, list):
        return [x] + x
    return [x]


def _scalar(x):
    if x is None:
        return None
    if x is True:
        return "true"
    if x is False:
        return "false"
    return str(x)


def lt_vals(doc, path):
    """The scalar values of path in the JSON text doc (None when doc is None, not
    JSON, or nested too deep to parse: one bad record must not stop the query)."""
    if doc is None:
        return None
    try:
        root = json.loads(doc, parse_int=_Num, parse_float=_Num, parse_constant=_Num)
    except (ValueError, RecursionError):  # not JSON, or nested past Python's stack: no values
        return None
    cur = [root]
    for k in _key_path(path):
        nxt = []
        for j in cur:
            nxt.extend(_elems(j.get(k, _MISSING) if isinstance(j, dict) else _MISSING))
        cur = nxt
    return [_scalar(x) for x in cur if not isinstance(x, (dict, list))]


def register(spark, name="lt_vals"):
    """Registers lt_vals(doc STRING, path STRING) ARRAY<STRING> in a SparkSession."""
    from pyspark.sql.types import ArrayType, StringType  # pylint: disable=import-outside-toplevel
    spark.udf.register(name, lt_vals, ArrayType(StringType()))


def _main():
    for line in sys.stdin:
        if line.strip():
            q = json.loads(line)
            print(json.dumps(lt_vals(q["doc"], q["path"])))


if __name__ == "__main__":
    _main()
