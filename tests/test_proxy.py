"""Behind a corporate proxy: HTTPS_PROXY and NO_PROXY as requests users expect, loopback never.

The proxy here is a recorder on 127.0.0.1 that writes down every byte it receives and refuses
every tunnel: enough to see where the tap sends what, without reaching any other host.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import TAP, run_tap

REMOTE = "https://api.kombo.invalid/v1"


class RecordingProxy:
    """Accepts connections, records what arrives until the end of the headers, answers 502."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.first = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                    data += chunk
                self.received.append(data)
                self.first.set()
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy():
    recorder = RecordingProxy()
    yield recorder
    recorder.close()


def proxied_env(proxy_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return {**env, "HTTPS_PROXY": proxy_url, "HTTP_PROXY": proxy_url, "ALL_PROXY": proxy_url,
            **extra}


def test_loopback_never_goes_through_the_proxy(sandbox, tmp_path, proxy, monkeypatch):
    config = sandbox.config("kombo")
    for key, value in proxied_env(proxy.url).items():
        monkeypatch.setenv(key, value)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    assert [m for m in messages if m["type"] == "RECORD"]
    assert proxy.received == []


def start(config: dict, tmp_path: Path, env: dict[str, str]) -> subprocess.Popen:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(config))
    return subprocess.Popen([TAP, "--config", str(cfg)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def test_a_remote_api_is_tunnelled_and_the_proxy_sees_no_credential(sandbox, tmp_path, proxy):
    config = sandbox.config("kombo", api_url=REMOTE)
    auth = base64.b64encode(b"corp:proxy-secret").decode()
    env = proxied_env(proxy.url.replace("://", "://corp:proxy-secret@"))
    proc = start(config, tmp_path, env)
    try:
        assert proxy.first.wait(60), "the tap never reached the proxy"
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=30)
    seen = b"".join(proxy.received)
    assert seen.startswith(b"CONNECT api.kombo.invalid:443 HTTP/1."), seen[:200]
    assert config["api_key"].encode() not in seen
    assert b"Authorization: Bearer" not in seen and b"X-Integration-Id" not in seen
    assert f"Proxy-Authorization: Basic {auth}".encode() in seen  # only the proxy's own
    assert "proxy-secret" not in err


def test_no_proxy_sends_that_host_direct(sandbox, tmp_path, proxy):
    config = sandbox.config("kombo", api_url=REMOTE)
    proc = start(config, tmp_path, proxied_env(proxy.url, NO_PROXY="api.kombo.invalid"))
    try:
        for line in proc.stderr:  # the first attempt has failed once its retry is announced
            if "Retrying GET /v1/ats/" in line:
                break
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert "ConnectionError" in line, line
    assert proxy.received == []
