"""What a Dask worker keeps between a job's tasks (analyzer.distributed.tasks)."""
from __future__ import annotations

import pytest

from analyzer.config import parse_config
from analyzer.distributed.tasks import WorkerModel, close_model, model_on_worker
from analyzer.errors import EndpointError


def test_a_task_that_starts_after_its_job_ended_opens_no_model() -> None:
    """A cancelled job's task may still start on a worker: it must not open (and leave open) a model
    session after the leader closed the job's models."""
    config = parse_config({"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
                           "methods": {"shap": {"baseline": [[0]]}},
                           "predictor": {"endpoint_url": "http://127.0.0.1:9/invocations"}})
    model = WorkerModel("ended-job", config, ("x",))
    assert close_model(model.token) is False   # nothing was open
    with pytest.raises(EndpointError, match="the job has ended"):
        model_on_worker(model)
