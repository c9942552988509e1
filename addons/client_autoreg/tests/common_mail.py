# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import email
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from odoo.addons.mail.tests.common import MailCommon


class AutoregMailCase(MailCommon):
    """A support team whose alias receives real RFC 822 messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_notrack=True))
        cls.Inbound = cls.env["autoreg.inbound"]
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Support",
                "alias_name": "support",
                "autoreg_reviewer_id": cls.user_employee.id,
            }
        )
        cls.support_address = f"support@{cls.alias_domain}"
        cls.email_channel = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email")
        cls.customer = cls.env["res.partner"].create(
            {"name": "Known Customer", "email": "known@customer.example"}
        )

    @staticmethod
    def build_mail(sender, subject="Printer broken", body="It does not print.",
                   headers=None, to=None, attachments=(), html=None, msg_id=None):
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-Id"] = msg_id or make_msgid(domain="customer.example")
        for name, value in (headers or {}).items():
            message[name] = value
        if html is not None:
            message.set_content(html, subtype="html")
        else:
            message.set_content(body)
        for filename, content, mimetype in attachments:
            maintype, subtype = mimetype.split("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        return message

    def deliver(self, sender, subject="Printer broken", raw=None, **kwargs):
        """Hand a message to the gateway as fetchmail and the mailgate do."""
        if raw is None:
            message = self.build_mail(sender, subject, to=self.support_address, **kwargs)
            raw = message.as_bytes()
            msg_id = message["Message-Id"]
        else:
            msg_id = email.message_from_bytes(raw)["Message-Id"]
        latest = self._inbound(None)
        with self.mock_mail_gateway():
            self.env["mail.thread"].sudo().message_process(None, raw)
        if msg_id:
            return self._inbound(msg_id)
        return self._inbound(None) - latest

    def _inbound(self, msg_id):
        """The email inbound of this Message-Id, or the latest one."""
        domain = [("channel_id", "=", self.email_channel.id)]
        if msg_id:
            return self.Inbound.search(domain + [("idempotency_key", "=", msg_id)])
        return self.Inbound.search(domain, order="id desc", limit=1)

    @staticmethod
    def named(name, address):
        return formataddr((name, address))
