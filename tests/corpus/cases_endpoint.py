"""Model endpoints that fail (exit 4): HTTP errors, silence, trickling, dropped connections and
answers that cannot be predictions. The message names the endpoint and what it did."""
from __future__ import annotations

from corpus_base import (
    ENDPOINT,
    MODEL_HOST,
    MODELLED,
    PREDICTOR,
    SECRET_ATTRIBUTE,
    SECRET_PASSWORD,
    SHAP,
    Case,
    DATA_FILE,
    with_,
)

URL = "http://127.0.0.1:"
FAST = {**PREDICTOR, "request_timeout_seconds": 1, "max_retries": 0}

#: behaviour -> fragment of the first line (after the endpoint's URL)
_FAULTS = {
    "status_400": "HTTP 400: injected 400",
    "status_401": "refused the request (HTTP 401",
    "status_403": "refused the request (HTTP 403",
    "status_404": "refused the request (HTTP 404",
    "status_405": "refused the request (HTTP 405",
    "status_413": "too large",
    "status_415": "HTTP 415",
    "status_429": "HTTP 429",
    "status_500": "HTTP 500: injected 500",
    "status_502": "HTTP 502",
    "status_503": "HTTP 503",
    "status_504": "HTTP 504",
    "hang": "no complete answer within 1 s",
    "trickle": "no complete answer within 1 s",
    "trickle_headers": "no complete answer within 1 s",
    "close": "connection failed",
    "redirect": "HTTP 302",
    "nan": "returned NaN or infinite scores for 15 of 15 records",
    "inf": "NaN or infinite scores",
    "one_nan": "returned NaN or infinite scores for 1 of 15 records",
    "short": "returned 14 predictions for a batch of 15 records",
    "long": "returned 16 predictions for a batch of 15 records",
    "empty": "returned 0 predictions",
    "html": "predictions",
    "non_utf8": "not UTF-8 text",
    "json_objects": "predicted label 'predicted_label': str, 1 distinct",
    "huge_number": "NaN or infinite scores",
    "wide": "predicted label 'predicted_label': int64, 1 distinct (0 ×60)",
    "ragged": "score lists of different lengths",
    "echo_secret": "HTTP 400",
    "giant_error": "HTTP 500: EEEE",
    "multiline_error": "HTTP 500: Traceback (most recent call last): File x ValueError: boom",
}


#: Answers that Clarify's rules read as labels (text, or the argmax of a score vector): the model
#: worked, the analysis finds no positive prediction (exit 6, with the values seen).
ANSWERS_AS_LABELS = ("json_objects", "wide")


def endpoint_cases() -> list[Case]:
    cases = [Case(f"model_{b}", ENDPOINT, 6 if b in ANSWERS_AS_LABELS else 4, frag,
                  config=with_(MODELLED, "predictor", FAST), files=DATA_FILE,
                  model=b) for b, frag in _FAULTS.items()]
    cases += [
        Case("model_words_for_shap", ENDPOINT, 4, "SHAP and PDP explain numeric model outputs",
             config=with_(SHAP, "predictor", FAST), files=DATA_FILE, model="words"),
        Case("model_deep_json", ENDPOINT, 4, "nested too deeply",
             config=with_(MODELLED, "predictor", {**FAST, "accept_type": "application/json"}), files=DATA_FILE,
             model="deep"),
        Case("model_refused", ENDPOINT, 4, "Connection refused",
             config=with_(MODELLED, "predictor", {**FAST, "endpoint_url": "http://127.0.0.1:9/invocations"}),
             files=DATA_FILE),
        Case("model_no_such_host", ENDPOINT, 4, "no-such-host.invalid",
             config=with_(MODELLED, "predictor", {**FAST, "endpoint_url": "http://no-such-host.invalid/x"}),
             files=DATA_FILE),
        Case("model_password_in_url", ENDPOINT, 4, "http://***@127.0.0.1:",
             config=with_(MODELLED, "predictor", {**FAST, "endpoint_url": f"http://admin:{SECRET_PASSWORD}@{MODEL_HOST}/x"}),
             files=DATA_FILE, model="status_403"),
        Case("model_custom_attributes", ENDPOINT, 4, "HTTP 500",
             config=with_(MODELLED, "predictor", {**FAST, "custom_attributes": SECRET_ATTRIBUTE}), files=DATA_FILE,
             model="status_500", args=("--verbose",)),
        Case("model_ok_with_secret_attributes", ENDPOINT, 0, "Completed",
             config=with_(MODELLED, "predictor", {**FAST, "custom_attributes": SECRET_ATTRIBUTE}), files=DATA_FILE,
             model="ok", args=("--verbose",)),
        Case("model_ok_password_in_url", ENDPOINT, 0, "Completed",
             config=with_(MODELLED, "predictor", {**FAST, "endpoint_url": f"http://user:{SECRET_PASSWORD}@{MODEL_HOST}/x"}),
             files=DATA_FILE, model="ok"),
    ]
    return cases
