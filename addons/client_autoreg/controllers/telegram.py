# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Telegram webhook: check the secret, store the update, answer at once.

Processing (contact, request, answers) runs right after in the intake job,
so Telegram gets its answer fast and never needs to resend; when it does
resend, the update's ``update_id`` makes the replay a no-op.
"""

import logging

from odoo import http
from odoo.http import request

from ..models.autoreg_door_telegram import MAX_UPDATE_BYTES

_logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramWebhook(http.Controller):
    @http.route(
        [
            "/customer/telegram/<int:bot_id>/webhook",
            # the address of webhooks set before 18.0.1.1.0, still answered
            "/client_autoreg/telegram/<int:bot_id>/webhook",
        ],
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,  # called by Telegram, authenticated by the secret token
        save_session=False,
    )
    def telegram_webhook(self, bot_id, **_kwargs):
        # sudo: the caller is Telegram, not a user; the secret token checked
        # below is what authenticates it.
        bot = request.env["autoreg.telegram.bot"].sudo().search_fetch(
            [("id", "=", bot_id), ("mode", "=", "webhook")],
            ["webhook_secret", "channel_id", "team_id", "company_id"], limit=1)
        if not bot:
            return request.make_json_response({"ok": False}, status=404)
        if not bot._check_webhook_secret(request.httprequest.headers.get(SECRET_HEADER)):
            _logger.warning("Telegram webhook of bot %s: wrong secret token", bot_id)
            return request.make_json_response({"ok": False}, status=403)
        # cached: when Odoo replays the request after a serialization
        # conflict (Telegram redelivering while the first delivery is being
        # stored), the body is read again from the cache, not from the
        # consumed stream.
        raw = request.httprequest.get_data(cache=True)
        if len(raw) > MAX_UPDATE_BYTES:
            return request.make_json_response({"ok": False, "error": "too large"}, status=413)
        try:
            text = raw.decode("utf-8")
            inbound, created = bot._receive_update(text)
        except (UnicodeDecodeError, ValueError) as error:
            _logger.warning("Telegram webhook of bot %s: bad update: %s", bot_id, error)
            return request.make_json_response({"ok": False, "error": str(error)}, status=400)
        return request.make_json_response({"ok": True, "stored": created})
