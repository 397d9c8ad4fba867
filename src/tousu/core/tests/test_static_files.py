"""The pages' CSS and htmx are served by the running server (gunicorn, DEBUG off), as a browser fetches them."""

import os
import re
import subprocess
import sys
import urllib.request

from django.conf import settings

from tousu.testing.processes import kill_group, wait_until
from tousu.testing.servers import free_port


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


def test_every_asset_a_page_links_is_served_by_the_running_server():
    port = free_port()
    env = {**os.environ, "TOUSU_DATA_DIR": str(settings.DATA_DIR / "static-serve"), "TOUSU_DEBUG": "0"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "tousu.cli", "migrate", "--noinput"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    serve = subprocess.Popen([sys.executable, "-m", "tousu.cli", "serve", "--port", str(port), "--workers", "1",
                              "--no-consumer"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _get(base + "/public/")[0] == 200, 60), "the server did not answer"
        page = _get(base + "/public/")[1].decode()
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        assert any(a.endswith(".css") for a in assets) and any("htmx" in a for a in assets)
        for asset in assets:
            status, body = _get(base + asset)
            assert status == 200 and body, f"{asset} answered {status}"
        assert b".card" in _get(base + "/static/tousu/tousu.css")[1]
    finally:
        kill_group(serve)
