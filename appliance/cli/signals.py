"""Stop a long-running command cleanly on SIGTERM (systemd) or SIGINT (Ctrl-C)."""

import contextlib
import signal
import threading


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event):
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
