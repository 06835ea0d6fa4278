"""`serve --workers N`: N processes accepting on one listening socket, kept alive by the parent.

Each worker builds its App from the environment `serve` sets (asgi.config_from_env) and runs a Server. The parent
replaces a worker that dies, hands SIGHUP on to every worker (each re-reads the credentials file, without a restart),
and on SIGTERM or SIGINT stops them all (each stops gracefully) and exits 0.
Processes are spawned, not forked, so no worker inherits the parent's threads or open database handles.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading

log = logging.getLogger("codestar_local")


def _worker(sock, keep_alive: float, access_log: bool, log_level: str) -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from ..asgi import create_app
    from .server import Server

    Server(create_app(), keep_alive=keep_alive, access_log=access_log).run([sock])


class Workers:
    def __init__(self, count: int, sock, *, keep_alive: float = 5.0, access_log: bool = False, log_level: str = "warning"):
        self.count = count
        self.sock = sock
        self.args = (sock, keep_alive, access_log, log_level)
        self.context = multiprocessing.get_context("spawn")
        self.processes: list = []
        self.stopping = threading.Event()

    def _start_one(self):
        process = self.context.Process(target=_worker, args=self.args, name="codestar-local-worker", daemon=False)
        hup = signal.getsignal(signal.SIGHUP) if hasattr(signal, "SIGHUP") else None
        if hup is not None:
            # Ignored across the exec, until the worker's App installs its own handler: a SIGHUP handed on to a
            # worker still starting must not kill it.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            process.start()
        finally:
            if hup is not None:
                signal.signal(signal.SIGHUP, hup)
        return process

    def _hand_on(self, sig) -> None:
        for process in self.processes:
            if process.is_alive():
                try:
                    os.kill(process.pid, sig)
                except ProcessLookupError:
                    pass

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda sig, _: self._hand_on(sig))
        self.processes = [self._start_one() for _ in range(self.count)]
        while not self.stopping.wait(0.5):
            for i, process in enumerate(self.processes):
                if not process.is_alive() and not self.stopping.is_set():
                    log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    process.join()
                    self.processes[i] = self._start_one()
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker stops gracefully
        for process in self.processes:
            process.join(15)
            if process.is_alive():
                process.kill()
                process.join()
        return 0
