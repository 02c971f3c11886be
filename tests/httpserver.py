"""A throwaway HTTP server on 127.0.0.1 serving one folder, for the downloader tests."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-file (a cancelled or interrupted download) is what
        these tests do on purpose: nothing to print."""


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve folder until the block ends; yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused at once)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@contextmanager
def stalled_server() -> Iterator[str]:
    """A server that accepts connections and never answers, as a hung mirror does."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append(connection)  # held open, never read or answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


@contextmanager
def misbehaving_server(mode: str) -> Iterator[str]:
    """A local server (127.0.0.1 only) that answers every request wrongly, in one way:
    ``trickle``   a large Content-Length, then one byte every 50 ms, forever;
    ``endless``   200 with no length, then data as fast as it can, forever;
    ``garbage``   a status line that is not HTTP;
    ``headers``   200 with 150 headers;
    ``oversize``  a Content-Length of a terabyte;
    ``missing``   404 Not Found."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        try:
            connection.settimeout(5)
            connection.recv(65536)  # the request
            if mode == "trickle":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9000000\r\n\r\n")
                while not stop.is_set():
                    connection.sendall(b"\0")
                    stop.wait(0.05)
            elif mode == "endless":
                connection.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
                block = b"\0" * 65536
                while not stop.is_set():
                    connection.sendall(block)
            elif mode == "garbage":
                connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            elif mode == "headers":
                lines = b"".join(b"X-Header-%d: x\r\n" % i for i in range(150))
                connection.sendall(b"HTTP/1.1 200 OK\r\n" + lines + b"\r\n")
            elif mode == "oversize":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
            elif mode == "missing":
                connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass  # the client gave up, as it should
        finally:
            connection.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
