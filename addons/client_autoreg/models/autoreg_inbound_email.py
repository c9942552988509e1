# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Email specifics of the intake corridor: storing a routed mail, reading
its spam and authentication signals, and registering it through the mail
gateway so that the customer's replies thread into the request."""

import ast
import email
import email.policy
import logging
import re

from odoo import _, api, fields, models, tools

_logger = logging.getLogger(__name__)

AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
DEFAULT_SPAM_SCORE = 5.0
PARSED_MAIL_CACHE = "client_autoreg.parsed_mail"
# A mail whose subject or first line is one of these asks for the newsletter.
SUBSCRIBE_WORDS = {"subscribe", "suscribir", "suscribirme", "alta", "सदस्यता"}


class AutoregInbound(models.Model):
    _inherit = "autoreg.inbound"

    mail_alias_id = fields.Many2one(
        comodel_name="mail.alias", string="Alias", readonly=True, ondelete="set null"
    )
    payload_encoding = fields.Char(
        readonly=True,
        help="How the raw bytes were turned into text: utf-8 when they were valid "
        "UTF-8, else latin-1, which keeps every byte.",
    )

    @api.model
    def _email_channel(self):
        # The xmlid lookup is cached by Odoo (and dropped with the record):
        # checked for every routed mail, it costs no query.
        channel_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "helpdesk_mgmt.helpdesk_ticket_channel_email", raise_if_not_found=False
        )
        return self.env["helpdesk.ticket.channel"].browse(channel_id)

    # ------------------------------------------------------------------
    # Receiving a routed mail
    # ------------------------------------------------------------------

    @api.model
    def _intake_email(self, message, message_dict, route):
        """Store a mail routed to a new helpdesk request, then filter and
        register it (or hold it for review)."""
        channel = self._email_channel()
        alias = route[4] or self.env["mail.alias"]
        team = self._email_route_team(route)
        raw = self.env.context.get("autoreg_raw_message") or message.as_bytes()
        payload, encoding = self._decode_raw(raw)
        name, address = tools.parse_contact_from_email(message_dict.get("email_from") or "")
        inbound, created = self._receive(
            channel,
            message_dict["message_id"],
            {
                "payload": payload,
                "payload_encoding": encoding,
                "sender_name": name or False,
                "sender_email": address or message_dict.get("email_from") or False,
                "subject": message_dict.get("subject") or False,
                "body": message_dict.get("body") or False,
                "team_id": team.id,
                "mail_alias_id": alias.id,
                "company_id": (team.company_id or channel.company_id or self.env.company).id,
                "attachments": self._email_attachments(message_dict),
            },
        )
        if created:
            # The gateway parsed this mail already: registration reuses it
            # within this transaction instead of parsing the payload again.
            self.env.cr.cache.setdefault(PARSED_MAIL_CACHE, {})[inbound.id] = (
                message, dict(message_dict)
            )
            inbound._filter_and_process(message)
        return inbound

    @api.model
    def _email_route_team(self, route):
        custom_values, alias = route[2] or {}, route[4]
        team = self.env["helpdesk.ticket.team"].browse(custom_values.get("team_id"))
        if not team and alias and alias.alias_parent_model_id.model == "helpdesk.ticket.team":
            team = team.browse(alias.alias_parent_thread_id)
        return team.exists()

    @api.model
    def _decode_raw(self, raw):
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return raw.decode("latin-1"), "latin-1"

    def _raw_bytes(self):
        return self.payload.encode(self.payload_encoding or "utf-8")

    @api.model
    def _email_attachments(self, message_dict):
        attachments = []
        for attachment in message_dict.get("attachments") or []:
            content = attachment.content
            if isinstance(content, str):
                content = content.encode("utf-8")
            attachments.append({"name": attachment.fname or _("attachment"), "raw": content})
        return attachments

    # ------------------------------------------------------------------
    # Signals: auto-replies, spam, authentication
    # ------------------------------------------------------------------

    def _filter_and_process(self, message):
        self.ensure_one()
        reason = self._email_auto_reply_reason(message)
        if reason:
            self.write({"state": "ignored", "filter_reason": reason})
            return
        reason = self._email_spam_reason(message)
        if reason:
            self.write({"state": "spam", "filter_reason": reason})
            return
        reason = self._email_untrusted_reason(message)
        if reason:
            self.write({"sender_untrusted": True, "filter_reason": reason})
        self._process()

    @api.model
    def _email_auto_reply_reason(self, message):
        auto_submitted = (message.get("Auto-Submitted") or "").strip().lower()
        if auto_submitted and auto_submitted != "no":
            return _("Automatic message (Auto-Submitted: %s)", auto_submitted)
        precedence = (message.get("Precedence") or "").strip().lower()
        if precedence in ("bulk", "junk"):
            return _("Bulk mail (Precedence: %s)", precedence)
        for header in AUTO_REPLY_HEADERS:
            if message.get(header):
                return _("Automatic reply (%s)", header)
        if message.get_content_type() == "multipart/report":
            return _("Delivery report")
        sender = tools.email_normalize(message.get("From") or "") or ""
        if sender.partition("@")[0] in BOUNCE_SENDERS:
            return _("Bounce from %s", sender)
        return False

    def _email_spam_reason(self, message):
        if (message.get("X-Spam-Flag") or "").strip().lower() == "yes":
            return _("Marked as spam upstream (X-Spam-Flag)")
        if (message.get("X-Spam-Status") or "").strip().lower().startswith("yes"):
            return _("Marked as spam upstream (X-Spam-Status)")
        score = self._email_spam_score(message)
        threshold = self._spam_score_threshold()
        if score is not None and score >= threshold:
            return _("Spam score %(score)s reaches %(threshold)s", score=score, threshold=threshold)
        if self._email_auth_results(message).get("dmarc") == "fail":
            return _("DMARC check failed: the sender's address is forged")
        email_normalized = tools.email_normalize(self.sender_email or "")
        if email_normalized and self.env["mail.blacklist"].sudo().search_count(
            [("email", "=", email_normalized)], limit=1
        ):
            return _("Sender is on the email blacklist")
        return False

    @api.model
    def _email_untrusted_reason(self, message):
        results = self._email_auth_results(message)
        if results.get("dmarc") == "pass":
            return False
        failed = [check.upper() for check in ("spf", "dkim") if results.get(check) == "fail"]
        if failed:
            return _("%s check failed: sender not verified", " and ".join(failed))
        return False

    @api.model
    def _email_auth_results(self, message):
        """The verdicts of the nearest Authentication-Results header."""
        header = message.get("Authentication-Results") or ""
        results = {}
        for check, verdict in AUTH_RESULT.findall(str(header)):
            results.setdefault(check.lower(), verdict.lower())
        return results

    @api.model
    def _email_spam_score(self, message):
        for header in ("X-Spam-Score", "X-Rspamd-Score"):
            value = message.get(header)
            if value is not None:
                try:
                    return float(str(value).strip().split()[0])
                except (ValueError, IndexError):
                    continue
        status = str(message.get("X-Spam-Status") or "")
        match = re.search(r"score=(-?[\d.]+)", status)
        return float(match.group(1)) if match else None

    @api.model
    def _spam_score_threshold(self):
        value = self.env["ir.config_parameter"].sudo().get_param(
            "client_autoreg.spam_score_threshold"
        )
        try:
            return float(value) if value else DEFAULT_SPAM_SCORE
        except ValueError:
            return DEFAULT_SPAM_SCORE

    # ------------------------------------------------------------------
    # Registration through the gateway
    # ------------------------------------------------------------------

    def _parsed_mail(self, MailThread):
        parsed = self.env.cr.cache.get(PARSED_MAIL_CACHE, {}).pop(self.id, None)
        if parsed:
            return parsed
        message = email.message_from_bytes(self._raw_bytes(), policy=email.policy.SMTP)
        return message, MailThread.message_parse(message)

    def _process_one(self):
        if self.channel_id == self._email_channel() and self._email_asks_subscription():
            partner = self.partner_id or self._resolve_known_partner()
            if partner:
                self.env["autoreg.consent"]._record(
                    partner, self.channel_id, self,
                    _("Email asking to subscribe: %(subject)s", subject=self.subject or ""),
                    email=self.sender_email, verified=not self.sender_untrusted,
                )
                self.write({"partner_id": partner.id, "state": "ignored",
                            "filter_reason": _("Newsletter consent given"),
                            "processed_date": fields.Datetime.now()})
                return None
        return super()._process_one()

    def _email_asks_subscription(self):
        first_line = (tools.html2plaintext(self.body or "").strip().splitlines() or [""])[0]
        return any(
            text.strip(" .!¡").lower() in SUBSCRIBE_WORDS
            for text in (self.subject or "", first_line)
        )

    def _resolve_known_partner(self):
        """The sender's contact if they are known; nobody is created."""
        return self.env["res.partner"]._autoreg_find_or_create(
            {"email": self.sender_email}, self.company_id,
            allow_create=False, allow_match=not self.sender_untrusted,
        )

    def _register_request(self, team):
        if self.channel_id != self._email_channel() or not self.payload:
            return super()._register_request(team)
        MailThread = self.env["mail.thread"].with_context(autoreg_gateway_bypass=True)
        message, message_dict = self._parsed_mail(MailThread)
        # The gateway's routing found the author; the corridor has since
        # resolved it (or the reviewer created it).
        message_dict["author_id"] = self.partner_id.id
        # No default assignee: assignment is the team action's job.
        custom_values = {"team_id": team.id, "user_id": False, "channel_id": self.channel_id.id}
        if self.mail_alias_id.alias_defaults:
            custom_values = {**ast.literal_eval(self.mail_alias_id.alias_defaults), **custom_values}
        route = ("helpdesk.ticket", False, custom_values, self.env.uid, self.mail_alias_id)
        ticket = self.env["helpdesk.ticket"].browse(
            MailThread._message_route_process(message, message_dict, [route])
        )
        return ticket, True
