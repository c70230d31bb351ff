"""A hostile target for benches/hostile.sh: every request gets one of
  huge   - a 200 answer streaming 1 GiB (chunked), as fast as the client reads;
  links  - a 200 JSON answer with 250,000 undocumented `_links` entries (about 8 MB).
Loopback only; it serves until killed."""
import json
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

MODE = sys.argv[1]
PORT = int(sys.argv[2])
CHUNK = b" " * (64 * 1024)
LINKS = (
    json.dumps({"outcome": "authorized", "_links": {f"r{i}": {"href": "x"} for i in range(250_000)}}).encode()
    if MODE == "links"
    else b""
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        try:
            if MODE == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                head = b"%x\r\n" % len(CHUNK)
                for _ in range(16 * 1024):
                    self.wfile.write(head + CHUNK + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.worldpay.payments-v7+json")
                self.send_header("Content-Length", str(len(LINKS)))
                self.end_headers()
                self.wfile.write(LINKS)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = answer


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
