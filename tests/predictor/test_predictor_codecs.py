"""Request templates and response decoding, checked on exact bytes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyzer.errors import ConfigError
from analyzer.formats.responses import CountMismatch, ResponseCodec, ResponseError
from analyzer.predictor.codecs import request_codec, response_codec
from predictor_servers import analysis_config

FRAME = pd.DataFrame({"Age": [39, 50], "Sex": ["Male", "Fe,male"], "Gain": [1.5, np.nan]})
NAMES = list(FRAME.columns)


def _encode(dataset_type: str = "text/csv", **predictor) -> str:
    config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", **predictor}, dataset_type=dataset_type)
    return request_codec(config, NAMES).encode(FRAME).decode()


def test_csv_request_has_no_header_and_quotes_only_when_needed():
    assert _encode() == '39,Male,1.5\n50,"Fe,male",\n'


def test_jsonlines_default_template_sends_the_feature_list():
    assert _encode(content_type="application/jsonlines") == '[39,"Male",1.5]\n[50,"Fe,male",null]'


def test_jsonlines_content_template():
    body = _encode(content_type="application/jsonlines", content_template='{"features":$features}')
    assert body.splitlines()[0] == '{"features":[39,"Male",1.5]}'


def test_json_records_with_kvp():
    body = _encode(content_type="application/json", content_template='{"instances":$records}',
                   record_template="$features_kvp")
    assert json.loads(body) == {"instances": [{"Age": 39, "Sex": "Male", "Gain": 1.5},
                                              {"Age": 50, "Sex": "Fe,male", "Gain": None}]}


def test_json_record_template_with_feature_names():
    body = _encode(content_type="application/json", record_template='{"data":$features,"names":$feature_names}')
    assert json.loads(body)[0] == {"data": [39, "Male", 1.5], "names": NAMES}


def test_json_per_feature_placeholders_own_their_quotes():
    body = _encode(content_type="application/json", content_template="$records",
                   record_template='{"age":"${Age}","sex":"${Sex}"}')
    assert json.loads(body) == [{"age": 39, "sex": "Male"}, {"age": 50, "sex": "Fe,male"}]


def test_json_single_record_template_sends_one_record_per_request():
    config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", "content_type": "application/json",
                              "content_template": '{"instances":[$record]}'}, dataset_type="text/csv")
    codec = request_codec(config, NAMES)
    assert codec.one_record_per_request
    assert json.loads(codec.encode(FRAME.iloc[:1])) == {"instances": [[39, "Male", 1.5]]}


@pytest.mark.parametrize("predictor, message", [
    ({"content_type": "application/jsonlines", "content_template": '{"x":1}'},
     "predictor.content_template: for application/jsonlines it must contain $features"),
    ({"content_type": "application/json", "content_template": '{"x":$features}'},
     "predictor.content_template: for application/json it must contain $record or $records"),
    ({"content_type": "application/json", "record_template": '{"a":"${Nope}"}'},
     "predictor.record_template: placeholder(s) ${Nope} name no feature"),
    ({"content_type": "application/json", "record_template": "[$features_kvp,$features_kvp]"},
     "predictor.record_template: $features_kvp may appear only once"),
    ({"content_type": "application/json", "record_template": '{"a":1}'},
     "predictor.record_template: must contain $features, $features_kvp"),
    ({"content_type": "application/json", "record_template": '{"a":$features'},
     "predictor.content_template/record_template: the request they make is not valid JSON"),
])
def test_template_mistakes_name_the_key(predictor, message):
    config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", **predictor})
    with pytest.raises(ConfigError) as caught:
        request_codec(config, NAMES)
    assert caught.value.message.startswith(message)


# ------------------------------------------------------------------------------------- responses

def test_csv_whole_row_is_the_scores():
    output = ResponseCodec("text/csv").decode(b"0.1,0.9\n0.8,0.2\n", 2)
    assert output.scores.tolist() == [[0.1, 0.9], [0.8, 0.2]]
    assert output.labels is None and output.score_names == ("label0", "label1")


def test_csv_scores_on_one_line_one_per_record():
    assert ResponseCodec("text/csv").decode(b"0.1,0.2,0.3", 3).scores.ravel().tolist() == [0.1, 0.2, 0.3]


def test_csv_columns_by_index_and_list_cells():
    codec = ResponseCodec("text/csv", label=0, probability=1, label_headers=("a", "b"))
    output = codec.decode(b'b,"[0.1, 0.9]"\na,"[0.7, 0.3]"\n', 2)
    assert output.labels.tolist() == ["b", "a"]
    assert output.scores.tolist() == [[0.1, 0.9], [0.7, 0.3]]
    assert output.score_names == ("a", "b")


def test_csv_text_labels_without_keys_are_labels():
    assert ResponseCodec("text/csv").decode(b"yes\nno\n", 2).labels.tolist() == ["yes", "no"]


def test_jsonlines_jmespath():
    codec = ResponseCodec("application/jsonlines", label="predicted_label", probability="score")
    output = codec.decode(b'{"predicted_label":1,"score":0.98}\n{"predicted_label":0,"score":0.1}\n', 2)
    assert output.labels.tolist() == [1, 0] and output.scores.ravel().tolist() == [0.98, 0.1]


def test_jsonlines_multiclass_lists():
    codec = ResponseCodec("application/jsonlines", label="labels", probability="scores")
    output = codec.decode(b'{"labels":["a","b"],"scores":[0.3,0.7]}\n', 1)
    assert output.labels[0] == ["a", "b"] and output.scores.tolist() == [[0.3, 0.7]]


def test_json_list_per_record_and_single_record_answers():
    codec = ResponseCodec("application/json", probability="predictions[*].score")
    assert codec.decode(b'{"predictions":[{"score":0.2},{"score":0.4}]}', 2).scores.ravel().tolist() == [0.2, 0.4]
    vector = ResponseCodec("application/json", probability="scores").decode(b'{"scores":[0.2,0.8]}', 1)
    assert vector.scores.tolist() == [[0.2, 0.8]]


def test_regression_values_are_scores():
    output = ResponseCodec("application/json", probability="predictions").decode(b'{"predictions":[12.5,7]}', 2)
    assert output.scores.ravel().tolist() == [12.5, 7.0]


def test_wrong_record_count_is_a_count_mismatch():
    with pytest.raises(CountMismatch, match="returned 1 predictions for a batch of 2 records"):
        ResponseCodec("application/jsonlines", probability="score").decode(b'{"score":1}\n', 2)


def test_objects_without_keys_ask_for_predictor_probability():
    with pytest.raises(ResponseError, match="set predictor.probability"):
        ResponseCodec("application/jsonlines").decode(b'{"score":1}\n', 1)


def test_missing_path_results_are_reported():
    with pytest.raises(ResponseError, match="returned no score"):
        ResponseCodec("application/jsonlines", probability="nope").decode(b'{"score":1}\n', 1)


def test_csv_label_must_be_an_index():
    with pytest.raises(ConfigError, match="predictor.label: with accept_type text/csv it must be a column index"):
        ResponseCodec("text/csv", label="x").decode(b"1\n", 1)


def test_explainability_only_label_locates_the_scores():
    """Clarify quirk (SDK model_scores): with SHAP only and no probability, label is the scores path."""
    config = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", "accept_type": "application/jsonlines",
                              "label": "score"}, methods={"shap": {"baseline": [[1, 2, 3]]}})
    codec = response_codec(config)
    assert (codec.label, codec.probability) == (None, "score")
    assert codec.probability_key == "label"      # errors name the key the user wrote
    bias = analysis_config({"endpoint_url": "http://127.0.0.1:1/x", "label": 0})
    assert (response_codec(bias).label, response_codec(bias).probability) == (0, None)


def test_every_lazy_export_resolves() -> None:
    """analyzer.predictor hands out its backends lazily: every name it exports must resolve."""
    import analyzer.predictor as package

    assert all(getattr(package, name) is not None for name in package.__all__)
