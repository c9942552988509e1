# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A Telegram Bot API server on loopback, for tests.

It speaks the HTTP protocol of https://core.telegram.org/bots/api for the
methods the module uses (getMe, setWebhook, deleteWebhook, getUpdates,
sendMessage, getFile and file downloads), checks the bot token, and records
every call. ``down`` makes it answer 502 like an unreachable Telegram.
Shared by the addon's tests and the end-to-end tests.
"""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

BOT_ID = 7000001
JSON_PARAMS = {"reply_markup", "allowed_updates", "entities"}


class BotApiServer:
    def __init__(self, token, username="autoreg_test_bot"):
        self.token = token
        self.username = username
        self.calls = []  # (method, params)
        self.updates = []  # queued for getUpdates
        self.files = {}  # file_id: (file_path, bytes)
        self.webhook = {}
        self.down = False
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    # -- what tests look at -------------------------------------------------

    def sent(self, method="sendMessage"):
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def add_file(self, file_id, content, file_path):
        self.files[file_id] = (file_path, content)

    # -- the protocol -------------------------------------------------------

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_GET(self):
                self._dispatch()

            def do_POST(self):
                self._dispatch()

            def _dispatch(self):
                if server.down:
                    return self._reply(502, {"ok": False, "error_code": 502,
                                             "description": "Bad Gateway"})
                # httpx escapes the token's colon in file URLs (%3A)
                path = unquote(self.path.split("?")[0])
                file_prefix = f"/file/bot{server.token}/"
                if path.startswith(file_prefix):
                    return self._download(path[len(file_prefix):])
                prefix, _sep, method = path.partition("/")[2].partition("/")
                if prefix != f"bot{server.token}":
                    return self._reply(401, {"ok": False, "error_code": 401,
                                             "description": "Unauthorized"})
                params = self._params()
                with server._lock:
                    server.calls.append((method, params))
                handler = getattr(server, f"_api_{method}", None)
                if not handler:
                    return self._reply(404, {"ok": False, "error_code": 404,
                                             "description": "Not Found"})
                status, result = handler(params)
                if status != 200:
                    return self._reply(status, {"ok": False, "error_code": status,
                                                "description": result})
                self._reply(200, {"ok": True, "result": result})

            def _params(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    return json.loads(body or b"{}")
                params = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
                for key in JSON_PARAMS.intersection(params):
                    params[key] = json.loads(params[key])  # objects are sent as JSON
                return params

            def _download(self, file_path):
                for path, content in server.files.values():
                    if path == file_path:
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(content)))
                        self.end_headers()
                        self.wfile.write(content)
                        return
                self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})

            def _reply(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _api_getMe(self, _params):
        return 200, {"id": BOT_ID, "is_bot": True, "first_name": "Autoreg test",
                     "username": self.username, "can_join_groups": False,
                     "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_setWebhook(self, params):
        if not params.get("url", "").startswith(("https://", "http://127.0.0.1")):
            return 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"
        self.webhook = params
        return 200, True

    def _api_answerCallbackQuery(self, params):
        if not params.get("callback_query_id"):
            return 400, ("Bad Request: query is too old and response timeout expired "
                         "or query ID is invalid")
        return 200, True

    def _api_deleteWebhook(self, _params):
        self.webhook = {}
        return 200, True

    def _api_getUpdates(self, params):
        if self.webhook:
            return 409, "Conflict: can't use getUpdates method while webhook is active"
        offset = int(params.get("offset") or 0)
        with self._lock:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return 200, list(self.updates[: int(params.get("limit") or 100)])

    def _api_sendMessage(self, params):
        if not params.get("text"):
            return 400, "Bad Request: message text is empty"
        return 200, {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Autoreg test"},
            "text": params["text"],
        }

    def _api_getFile(self, params):
        file_id = params.get("file_id")
        if file_id not in self.files:
            return 400, "Bad Request: invalid file_id"
        path, content = self.files[file_id]
        return 200, {"file_id": file_id, "file_unique_id": f"u{file_id}",
                     "file_size": len(content), "file_path": path}


class UpdateFactory:
    """Telegram updates as a customer's app produces them."""

    def __init__(self, first_update_id=1000):
        self._ids = itertools.count(first_update_id)

    def message(self, user, **content):
        """``user``: dict with id, first_name, language_code..."""
        update_id = next(self._ids)
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": user["id"], "type": "private",
                         "first_name": user.get("first_name")},
                "from": {"is_bot": False, **user},
                **content,
            },
        }

    def text(self, user, text):
        return self.message(user, text=text)

    def contact(self, user, phone, owner_id=None, first_name=None):
        contact = {"phone_number": phone, "first_name": first_name or user["first_name"]}
        if user.get("last_name") and not first_name:
            contact["last_name"] = user["last_name"]
        contact["user_id"] = user["id"] if owner_id is None else owner_id
        return self.message(user, contact=contact)

    def photo(self, user, file_id, caption=None):
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}s", "width": 90,
             "height": 90},
            {"file_id": file_id, "file_unique_id": f"{file_id}u", "width": 800, "height": 800},
        ]
        return self.message(user, photo=sizes, **({"caption": caption} if caption else {}))
