import pytest

from eval.load import require_loopback, run_load


@pytest.mark.parametrize("url", ["http://10.0.0.1:7860/", "http://192.168.1.2/", "http://example.com/"])
def test_only_loopback_targets(url):
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(url)


def test_loopback_targets_accepted():
    for url in ("http://127.0.0.1:7860/", "http://localhost:1/", "http://[::1]:80/"):
        require_loopback(url)


@pytest.mark.model
def test_short_load_run_serves_everything(ui_server):
    result = run_load(
        ui_server[0], ["今年地区生产总值增长目标是多少？", "过去五年贫困人口脱贫了多少？"], users=4, seconds=5
    )
    summary = result.summary()
    assert summary["requests"] >= 4 and summary["errors"] == 0, summary
    assert summary["p50_ms"] is not None and summary["p95_ms"] >= summary["p50_ms"]
