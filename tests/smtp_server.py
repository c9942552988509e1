"""An SMTP server on loopback, for the end-to-end tests.

It speaks enough of RFC 5321 for Python's smtplib (what Odoo's
``ir.mail_server`` uses): EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
``mode`` says how it answers, switched while it runs:

- ``accept``: every mail is taken and recorded in ``received``;
- ``busy``: ``451 4.3.0`` to MAIL FROM, as a server short of resources or
  greylisting does (temporary: the sender must keep the mail and retry);
- ``closed``: ``554 5.3.2`` in the greeting, as a server refusing all
  service does.

No third-party package (aiosmtpd) is needed.
"""

import socketserver
import threading
from email import message_from_bytes, policy

MODES = ("accept", "busy", "closed")


class SmtpServer:
    def __init__(self, mode="accept"):
        self.mode = mode
        self.received = []  # email.message.EmailMessage, in arrival order
        self.refused = []  # (code, envelope sender) of each refused attempt
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True

    @property
    def port(self):
        return self._server.server_address[1]

    def set_mode(self, mode):
        assert mode in MODES, mode
        self.mode = mode

    def recipients(self):
        """Every recipient of every mail taken, once per delivery."""
        with self._lock:
            return [rcpt for message in self.received for rcpt in message["X-Rcpt-To"].split(",")]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc):
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(f"{line}\r\n".encode())
                self.wfile.flush()

            def handle(self):
                if server.mode == "closed":
                    with server._lock:
                        server.refused.append((554, None))
                    self.reply("554 5.3.2 No SMTP service here at the moment")
                    return
                self.reply("220 loopback ESMTP test server")
                sender, recipients = None, []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("utf-8", "replace").strip()
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-loopback")
                        self.reply("250-8BITMIME")
                        self.reply("250 SMTPUTF8")
                    elif verb == "HELO":
                        self.reply("250 loopback")
                    elif verb == "MAIL":
                        if server.mode == "busy":
                            with server._lock:
                                server.refused.append((451, command))
                            self.reply("451 4.3.0 Temporary failure, try again later")
                            continue
                        sender, recipients = command[10:].strip(), []
                        self.reply("250 2.1.0 Ok")
                    elif verb == "RCPT":
                        recipients.append(command[8:].split(">")[0].strip("<: "))
                        self.reply("250 2.1.5 Ok")
                    elif verb == "DATA":
                        if not (sender and recipients):
                            self.reply("503 5.5.1 Bad sequence of commands")
                            continue
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        self._take(self._read_data(), recipients)
                        sender, recipients = None, []
                        self.reply("250 2.0.0 Ok: queued")
                    elif verb == "RSET":
                        sender, recipients = None, []
                        self.reply("250 2.0.0 Ok")
                    elif verb == "NOOP":
                        self.reply("250 2.0.0 Ok")
                    elif verb == "QUIT":
                        self.reply("221 2.0.0 Bye")
                        return
                    else:
                        self.reply("502 5.5.2 Command not recognized")

            def _read_data(self):
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        return b"".join(lines)
                    lines.append(line[1:] if line.startswith(b"..") else line)

            def _take(self, data, recipients):
                message = message_from_bytes(data, policy=policy.default)
                message["X-Rcpt-To"] = ",".join(recipients)
                with server._lock:
                    server.received.append(message)

        return Handler
