import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Tousu with gunicorn on 127.0.0.1 and run a background-task consumer beside it."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--no-consumer", action="store_true", help="do not start a task consumer")

    def handle(self, *args, port: int, host: str, workers: int, no_consumer: bool, **options):
        # Stopped by Ctrl-C or by a SIGTERM (a process manager, `timeout`): stop both children too, or the
        # server would keep the port and the consumer the queue after this process is gone. The handler
        # is in place before the first child starts, so no signal falls between the two.
        signal.signal(signal.SIGTERM, _interrupt)
        consumer = server = None
        try:
            if not no_consumer:
                consumer = subprocess.Popen([sys.executable, "-m", "tousu.cli", "run_huey", "--workers", "1"])
            self.stdout.write(f"Tousu: http://{host}:{port}/  (public page: http://{host}:{port}/public/)")
            server = subprocess.Popen([
                sys.executable, "-m", "gunicorn", "tousu.wsgi:application", "--bind", f"{host}:{port}",
                "--workers", str(workers), "--access-logfile", "-", "--timeout", "300",
                *(["--reload"] if settings.DEBUG else []),
            ])
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in (server, consumer):
                if child is not None and child.poll() is None:
                    child.terminate()
                    child.wait()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
