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


def test_mixed_load_launches_an_unlimited_server_with_the_bench_index(monkeypatch, tmp_path):
    import contextlib

    import eval.load
    import ui.launcher
    from eval.load import LoadResult, mixed_load
    from qa.settings import Settings

    launched = {}

    @contextlib.contextmanager
    def fake_server(env, log_path, timeout_s=600, extra_args=()):
        launched.update(env=env, args=list(extra_args))
        yield "http://127.0.0.1:9/"

    def fake_run_load(url, questions, users=20, seconds=120, mode="extractive", max_requests=10_000,
                      generative_share=0.0):  # fmt: skip
        launched.update(url=url, users=users, seconds=seconds, mode=mode, share=generative_share)
        result = LoadResult(users=users, seconds=seconds, requests=3)
        result.latencies_ms = [100.0, 200.0, 300.0]
        result.by_mode = {"extractive": [100.0, 200.0], "generative": [300.0]}
        return result

    monkeypatch.setattr(ui.launcher, "running_server", fake_server)
    monkeypatch.setattr(eval.load, "run_load", fake_run_load)
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    out = mixed_load(settings, ["q1", "q2"], 12.0)
    assert launched["env"] == {"QA_UI_RATE_PER_MINUTE": "0"}
    assert launched["args"][:4] == ["--corpus", str(tmp_path / "corpus"), "--index-dir", str(tmp_path / "index")]
    assert (launched["users"], launched["seconds"], launched["mode"], launched["share"]) == (
        10,
        12.0,
        "extractive",
        0.3,
    )
    assert out["generative_share"] == 0.3 and out["seconds_asked"] == 12.0 and out["requests"] == 3
    assert out["by_mode"]["generative"]["requests"] == 1 and out["p50_ms"] == 200.0

    @contextlib.contextmanager
    def broken_server(env, log_path, timeout_s=600, extra_args=()):
        raise RuntimeError("ui server exited early: port taken")
        yield

    monkeypatch.setattr(ui.launcher, "running_server", broken_server)
    assert mixed_load(settings, ["q"], 5.0)["error"] == "ui server exited early: port taken"
