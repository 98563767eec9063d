"""Random small CSV bias jobs whose columns mix numbers, text, blanks and look-alikes: the type edges
of data read in chunks (tests/stages/test_chunked.py) or in shards on Dask workers
(tests/distributed/test_bias_shards.py), each compared with a whole read."""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st

from analyzer.errors import AnalyzerError
from analyzer.output import to_json_text

CELLS = st.sampled_from(["0", "1", "2", "1.5", "-3", "", "x", "F", "M", "True", "NA", "01", " 1"])


@st.composite
def csv_jobs(draw: st.DrawFn) -> tuple[str, dict, int]:
    """A small CSV whose four columns mix numbers, text, blanks and look-alikes, a bias config over it
    (categorical values or a threshold per facet, with or without a group variable) and a chunk size."""
    n = draw(st.integers(1, 30))
    columns = {name: draw(st.lists(CELLS, min_size=n, max_size=n)) for name in ("f", "g", "y", "p")}
    text = "f,g,y,p\n" + "".join(",".join(columns[c][i] for c in "fgyp") + "\n" for i in range(n))
    facet = draw(st.one_of(st.just(None), st.lists(st.sampled_from(["1", "F", "x", 1, 0.5]), min_size=1,
                                                                 max_size=2, unique=True)))
    config = {"dataset_type": "text/csv", "label": "y", "predicted_label": "p",
              "label_values_or_threshold": draw(st.sampled_from([[1], ["1"], [0.5], ["F", "M"]])),
              "facet": [{"name_or_index": "f", **({"value_or_threshold": facet} if facet else {})}],
              "methods": {"pre_training_bias": {"methods": "all"},
                          "post_training_bias": {"methods": draw(st.sampled_from(["all", ["DPPL", "DI"]]))}}}
    if draw(st.booleans()):
        config["group_variable"] = "g"
    return text, config, draw(st.integers(1, n))


def outcome(run: Callable[[], Any]) -> str:
    """The bias sections ``run()`` gives as JSON text, or its error's class and one line."""
    try:
        return to_json_text({r.key: r.section for r in run()})
    except AnalyzerError as exc:
        return f"{type(exc).__name__}: {exc}"
