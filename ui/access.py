"""Who may do what: asking is open to every citizen (at a fair rate); changing the documents
is an administrator's action once the server listens beyond this machine.

* :class:`RateLimiter`: at most N questions per client in any sliding minute.
* :func:`admin_allowed`: the token an upload or removal carries matches ``QA_ADMIN_TOKEN``
  (always allowed on loopback without a configured token).
* :func:`start_refusal`: why the server must not start (a non-loopback address, the documents
  tab on, and no token), or None.

One process keeps its own counts; behind a load balancer, the balancer (or a shared store
such as Redis) limits rates across workers — see deploy/README.md.
"""

from __future__ import annotations

import collections
import hmac
import ipaddress
import threading
import time

RATE_LIMITED = "提问太频繁了，请稍等一分钟再试。"
ADMIN_REQUIRED = "上传和移除文档需要管理员口令；请在“管理员口令”一栏填写正确的口令。"


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_refusal(host: str, admin_token: str, documents_tab: bool) -> str | None:
    if documents_tab and not is_loopback(host) and not admin_token:
        return (
            f"拒绝在 {host} 上启动：文档上传和移除会对网络开放。请设置 QA_ADMIN_TOKEN（管理员口令），"
            "或用 --no-documents 关闭文档页，或只在 127.0.0.1 上监听。"
        )
    return None


def admin_allowed(given: str | None, expected: str, host: str) -> bool:
    """Whether a document change is allowed: the right token, or no token configured on loopback."""
    if not expected:
        return is_loopback(host)
    return hmac.compare_digest((given or "").encode(), expected.encode())


class RateLimiter:
    """Sliding-window limit per client; ``per_minute <= 0`` disables it."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(client, collections.deque())
            while seen and now - seen[0] >= 60.0:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return False
            seen.append(now)
            if len(self._seen) > 10_000:  # forget idle clients
                for key in [k for k, v in self._seen.items() if not v or now - v[-1] >= 60.0]:
                    del self._seen[key]
            return True


def client_of(request) -> str:
    """The client's address from a gradio Request (or "local" without one)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "local"
