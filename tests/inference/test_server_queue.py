"""`slant serve` under load: the model serves one request at a time, first come first served; a
request keeps it from its scores to its trigger words; beyond `max_queue` waiting requests the
next one gets 503 with Retry-After at once; re-checks answered from the caches never queue."""

from __future__ import annotations

import threading
import time

import pytest

from slant.inference.server import ModelGate
from slant.models.errors import SlantError


def start(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_requests_take_the_model_in_arrival_order_and_the_queue_is_bounded():
    gate = ModelGate(max_queue=3)
    release, order = threading.Event(), []

    def holder():
        with gate.request():
            with gate:
                order.append("A")
                release.wait(10)

    def waiter(name):
        def run():
            with gate.request():
                with gate:
                    order.append(name)
        return run

    threads = [start(holder)]
    wait_until(lambda: order == ["A"])
    for name in ("B", "C"):  # queued behind A, in this order
        threads.append(start(waiter(name)))
        wait_until(lambda n=len(threads): gate.queued == n)
    with pytest.raises(SlantError, match=r"^\[E202\] the model is busy: 3 drafts are waiting") as refused:
        with gate:
            pass
    assert refused.value.fields["retry"] >= 1 and gate.refused == 1
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["A", "B", "C"] and gate.queued == 0


def test_a_request_keeps_the_model_from_its_first_call_to_its_end():
    gate = ModelGate(max_queue=4)
    with gate.request():
        with gate:
            pass
        assert gate.queued == 1  # still held between the scoring and the explaining call
        with gate:  # re-entered without waiting for itself
            with gate:
                pass
        assert gate.queued == 1
    assert gate.queued == 0
    with gate:  # outside a request each call takes and gives back the model
        assert gate.queued == 1
    assert gate.queued == 0


def test_retry_after_grows_with_the_queue_and_the_time_requests_hold_the_model():
    gate = ModelGate(max_queue=2)
    gate.hold_seconds = 1.5
    assert gate.retry_after(1) == 2 and gate.retry_after(20) == 30
    gate.hold_seconds = 0.01
    assert gate.retry_after(3) == 1


def test_the_api_answers_503_with_retry_after_when_the_queue_is_full_and_cached_rechecks_still_pass(tiny_model_dir):
    from fastapi.testclient import TestClient

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    app = create_app(Predictor.load(str(tiny_model_dir), threads=1), max_queue=1)
    client = TestClient(app)
    draft = {"text": "Critics say the reckless reform is a disaster. The council met.", "all_labels": True}
    assert client.post("/api/analyse", json=draft).status_code == 200  # scored and explained: now cached
    gate = app.state.analyser.gate
    with gate:  # the model is busy with another draft; the queue (1) is full
        busy = client.post("/api/analyse", json={**draft, "text": "A sentence never seen before."})
        again = client.post("/api/analyse", json=draft)
    assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
    assert busy.json()["code"] == "E202" and "try again in" in busy.json()["detail"]
    assert again.status_code == 200  # everything cached: no model work, no queue
    assert client.post("/api/analyse", json={**draft, "text": "A sentence never seen before."}).status_code == 200


def test_a_full_queue_refuses_a_new_draft_before_splitting_it(tiny_model_dir):
    from fastapi.testclient import TestClient

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    app = create_app(Predictor.load(str(tiny_model_dir), threads=1), max_queue=1)
    analyser = app.state.analyser
    client = TestClient(app)
    seen = {"text": "Critics say the reform is a disaster."}
    assert client.post("/api/analyse", json=seen).status_code == 200
    split = analyser.predictor.splitter
    analyser.predictor.splitter = lambda text: pytest.fail("split a draft the full queue refuses")
    with analyser.gate:
        assert client.post("/api/analyse", json={"text": "Never seen before."}).status_code == 503
        analyser.predictor.splitter = split
        assert client.post("/api/analyse", json=seen).status_code == 200  # answered before: from the caches
