# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Staff replies on a request that came from Telegram go back to the chat."""

from odoo import fields, models
from odoo.tools import html2plaintext

TELEGRAM_MAX_TEXT = 4096  # characters per message, the Bot API's limit


def _chunks(text, size):
    """``text`` in pieces Telegram accepts, cut at line ends where possible."""
    while text:
        if len(text) <= size:
            yield text
            return
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        yield text[:cut]
        text = text[cut:].lstrip("\n")


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    autoreg_telegram_chat_id = fields.Many2one(
        comodel_name="autoreg.telegram.chat",
        string="Telegram chat",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The chat the customer wrote from: replies to the customer are sent there.",
    )
    autoreg_telegram_message_ids = fields.One2many(
        comodel_name="autoreg.telegram.message",
        inverse_name="ticket_id",
        string="Telegram messages",
        readonly=True,
    )
    autoreg_telegram_undelivered = fields.Integer(
        compute="_compute_autoreg_telegram_undelivered",
        string="Telegram messages not delivered",
    )

    def _compute_autoreg_telegram_undelivered(self):
        counts = dict(
            self.env["autoreg.telegram.message"]._read_group(
                [("ticket_id", "in", self.ids), ("state", "in", ("error", "failed"))],
                ["ticket_id"],
                ["__count"],
            )
        )
        for ticket in self:
            ticket.autoreg_telegram_undelivered = counts.get(ticket, 0)

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if self._autoreg_is_reply_to_telegram(message):
            text = html2plaintext(message.body or "").strip()
            if message.attachment_ids:
                names = ", ".join(message.attachment_ids.mapped("name"))
                text = f"{text}\n\n📎 {names}".strip()
            # sudo: any employee answering the request may queue the reply;
            # the queue itself is for intake managers.
            chat = self.sudo().autoreg_telegram_chat_id
            for chunk in _chunks(text, TELEGRAM_MAX_TEXT):
                chat._say(chunk, ticket=self, message=message)
        return result

    def _autoreg_is_reply_to_telegram(self, message):
        """A public message by someone else than the customer, on a request
        with a Telegram chat."""
        self.ensure_one()
        # sudo: any agent answering the request may not read intake's chats
        chat = self.sudo().autoreg_telegram_chat_id
        return bool(
            chat
            and chat.state == "linked"
            and message.message_type == "comment"
            and message.subtype_id
            and not message.subtype_id.internal
            and message.author_id != self.partner_id
            and message.author_id != chat.partner_id
        )
