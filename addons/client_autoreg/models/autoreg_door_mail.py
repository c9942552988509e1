# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The mail door: every mail the gateway receives is stored first.

``mail.thread.message_process`` (fetchmail, the mailgate script) stores the
raw bytes before Odoo parses anything, then processes the stored mail: the
mail is parsed and routed by Odoo's own gateway, in one pass. Routes that
would create a helpdesk request enter the corridor inside the routing step
(``mail.thread._message_route_process``): the corridor filters the mail and
resolves its sender, and only then is the route handed on, with the contact
as author, to create the request. Other routes (replies to a request, other
applications) are handed on unchanged, and the mail is marked *passed on*.
A reviewer's approval replays the stored mail through the same step.
"""

import codecs
import email
import email.policy
import hashlib
import logging
import re
from email.parser import BytesHeaderParser

import authres

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import LazyTranslate

from ..tools.stored_text import to_json

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
THREAD_IDS = "client_autoreg.mail_thread_ids"
# A mail whose subject or first line is one of these asks for the newsletter.
SUBSCRIBE_WORDS = {"subscribe", "suscribir", "suscribirme", "alta", "सदस्यता"}
# ...and one of these takes the consent back (as easily as it was given).
STOP_WORDS = {"stop", "unsubscribe", "baja", "darme de baja", "cancelar", "सदस्यता समाप्त"}
# PostgreSQL text cannot hold U+0000, and mail can carry NUL bytes (a UTF-16
# body sent 8-bit, a broken client): such a mail is kept as latin-1 text
# with its NUL bytes written U+0100, a character latin-1 text never has, so
# that ``payload.encode(NUL_SAFE_ENCODING)`` gives back the bytes received.
NUL_SAFE_ENCODING = "x_autoreg_latin1_nul"
_NUL_SAFE_TABLE = "\u0100" + "".join(map(chr, range(1, 256)))
_NUL_SAFE_ENCODING_MAP = codecs.charmap_build(_NUL_SAFE_TABLE)
_NUL_SAFE_CODEC = codecs.CodecInfo(
    name=NUL_SAFE_ENCODING,
    encode=lambda text, errors="strict": codecs.charmap_encode(
        text, errors, _NUL_SAFE_ENCODING_MAP
    ),
    decode=lambda data, errors="strict": codecs.charmap_decode(data, errors, _NUL_SAFE_TABLE),
)
codecs.register(lambda name: _NUL_SAFE_CODEC if name == NUL_SAFE_ENCODING else None)


class AutoregDoorMail(models.AbstractModel):
    _name = "autoreg.door.mail"
    _inherit = "autoreg.door"
    _description = "Intake Door: Email"

    @api.model
    def _channel(self):
        # The xmlid lookup is cached by Odoo (and dropped with the record):
        # checked for every mail, it costs no query.
        channel_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "helpdesk_mgmt.helpdesk_ticket_channel_email", raise_if_not_found=False
        )
        return self.env["helpdesk.ticket.channel"].browse(channel_id)

    # ------------------------------------------------------------------
    # Store: the raw bytes, before Odoo parses them
    # ------------------------------------------------------------------

    @api.model
    def _store_raw(self, raw, model=None):
        """Store a mail as the gateway received it.

        :return: ``(inbound, created)``
        """
        payload, encoding = self._decode_raw(raw)
        return self.env["autoreg.inbound"]._store(
            "mail",
            self._idempotency_key(raw),
            {
                "payload": payload,
                "payload_encoding": encoding,
                "mail_gateway_model": model or False,
                "name": self._raw_subject(raw),
            },
        )

    @api.model
    def _idempotency_key(self, raw):
        """The Message-Id, read without Odoo's parser; a digest of the bytes
        when there is none (the same mail delivered twice has the same key).

        An 8-bit Message-Id (UTF-8, RFC 6532) is read from its bytes: two
        distinct ones never become the same key. One too long for the index
        is kept as its digest."""
        try:
            headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
            message_id = next(
                (value for name, value in headers.raw_items() if name.lower() == "message-id"),
                "",
            )
            message_id = message_id.encode("ascii", "surrogateescape").decode(
                "utf-8", "backslashreplace"
            )
            message_id = message_id.replace("\x00", "").strip()
        except Exception:  # noqa: BLE001 - a broken header is no reason to lose the mail
            message_id = ""
        if len(message_id.encode()) > 900:
            return f"message-id:sha256:{hashlib.sha256(message_id.encode()).hexdigest()}"
        return message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"

    @api.model
    def _raw_subject(self, raw):
        try:
            headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
            subject = str(headers.get("Subject") or "").replace("\x00", "")
            return subject[:200] or _("(no subject)")
        except Exception:  # noqa: BLE001 - only a label
            return _("(unreadable subject)")

    @api.model
    def _decode_raw(self, raw):
        if b"\x00" in raw:
            return raw.decode(NUL_SAFE_ENCODING), NUL_SAFE_ENCODING
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return raw.decode("latin-1"), "latin-1"

    # ------------------------------------------------------------------
    # Process: Odoo's gateway parses and routes the stored mail
    # ------------------------------------------------------------------

    @api.model
    def _process(self, inbound):
        MailThread = self.env["mail.thread"].with_context(autoreg_inbound_id=inbound.id)
        try:
            thread_id = MailThread.message_process(
                inbound.mail_gateway_model or None, inbound._mail_raw_bytes()
            )
        except Exception as error:
            reason = str(error)
            if "\x00" not in reason:
                raise
            # Odoo's gateway quotes the mail's headers in its errors: the
            # reason is kept without the NUL bytes PostgreSQL cannot store.
            raise UserError(f"{type(error).__name__}: {reason.replace(chr(0), '')}") from error
        self.env.cr.cache.setdefault(THREAD_IDS, {})[inbound.id] = thread_id
        if inbound.state == "received":
            # The gateway returned without routing: a duplicate Message-Id of
            # a mail it already has, or a mail loop.
            inbound._finish("ignored", _lt("Not routed by the mail gateway (duplicate or loop)"))

    @api.model
    def _thread_id_of(self, inbound):
        """The record the gateway delivered ``inbound`` to, in this transaction."""
        return self.env.cr.cache.get(THREAD_IDS, {}).pop(inbound.id, False)

    @api.model
    def _read_route(self, inbound, message, message_dict, route):
        """What the routing step knows of the mail, kept on the inbound."""
        name, address = tools.parse_contact_from_email(message_dict.get("email_from") or "")
        alias = route[4] or self.env["mail.alias"]
        team = self._route_team(route)
        inbound.write(
            {
                "sender_name": name or False,
                "sender_email": address or message_dict.get("email_from") or False,
                "subject": message_dict.get("subject") or False,
                "body": message_dict.get("body") or False,
                "team_id": inbound.team_id.id or team.id,
                "mail_alias_id": alias.id,
                "company_id": (
                    inbound.team_id.company_id or team.company_id or inbound.company_id
                ).id,
                "name": inbound._summarize(message_dict),
            }
        )
        if inbound.review_decision != "approved":
            self._read_signals(inbound, message)

    @api.model
    def _route_team(self, route):
        custom_values, alias = route[2] or {}, route[4]
        team = self.env["helpdesk.ticket.team"].browse(custom_values.get("team_id"))
        if not team and alias and alias.alias_parent_model_id.model == "helpdesk.ticket.team":
            team = team.browse(alias.alias_parent_thread_id)
        return team.exists()

    @api.model
    def _intake_route(self, inbound, team, route):
        """The route handed on to create the request: the team intake chose,
        no default assignee (assignment is the team action's job)."""
        custom_values = {
            **(route[2] or {}),
            "team_id": team.id,
            "user_id": False,
            "channel_id": inbound.channel_id.id,
            "partner_name": inbound.partner_id.name,
        }
        return (route[0], False, custom_values, route[3], route[4])

    @api.model
    def _keep_attachments(self, inbound, message_dict):
        """A held mail keeps its files for the reviewer (a forwarded message
        as an .eml file)."""
        attachments = []
        for attachment in message_dict.get("attachments") or []:
            content, name = attachment.content, attachment.fname or _("attachment")
            if isinstance(content, email.message.Message):
                content, name = content.as_bytes(), f"{name}.eml"
            elif isinstance(content, str):
                content = content.encode("utf-8")
            attachments.append({"name": name, "raw": content or b""})
        inbound._store_attachments(attachments)

    @api.model
    def _passed_on(self, inbound, routes, thread_id):
        """The gateway delivered the mail elsewhere (a reply to a request,
        another application): nothing for intake to register."""
        model = routes[0][0] if routes else False
        values = {"state": "passed", "processed_date": fields.Datetime.now(),
                  "filter_reason_data": to_json(_lt(
                      "Delivered by the mail gateway to %(model)s", model=model or "?"))}
        if model == "helpdesk.ticket" and thread_id:
            values["ticket_id"] = thread_id
        inbound.write(values)

    # ------------------------------------------------------------------
    # Filter: auto-replies, spam, authentication
    # ------------------------------------------------------------------

    @api.model
    def _registers_unknown_senders(self):
        return False  # the team's policy decides

    @api.model
    def _filter(self, inbound, message=None):
        reason = self._auto_reply_reason(message)
        if reason:
            return "ignored", reason
        reason = self._spam_reason(inbound, message)
        if reason:
            return "spam", reason
        words = self._first_words(inbound)  # the body is read once
        if words & STOP_WORDS:
            return self._unsubscribe(inbound)
        if words & SUBSCRIBE_WORDS:
            return self._subscribe(inbound)
        return False, False

    @api.model
    def _read_signals(self, inbound, message):
        """What the company's own mail server proved of the sender."""
        results = self._auth_results(message)
        if results is None and self._settings()._autoreg_param("mail_unauthenticated") == "review":
            inbound.write({"sender_unverified": True, "filter_reason_data": to_json(_lt(
                "No authentication results from the company's mail server"))})
            return
        reason = self._untrusted_reason(results or {})
        if reason:
            inbound.write({"sender_unverified": True, "filter_reason_data": to_json(reason)})
            return
        proof = "mail" if (results or {}).get("dmarc") == "pass" else "mailbox"
        inbound.sender_email_proof = proof

    @api.model
    def _settings(self):
        return self.env["res.config.settings"]

    @api.model
    def _auto_reply_reason(self, message):
        auto_submitted = (message.get("Auto-Submitted") or "").strip().lower()
        if auto_submitted and auto_submitted != "no":
            return _lt("Automatic message (Auto-Submitted: %s)", auto_submitted)
        precedence = (message.get("Precedence") or "").strip().lower()
        if precedence in ("bulk", "junk"):
            return _lt("Bulk mail (Precedence: %s)", precedence)
        for header in AUTO_REPLY_HEADERS:
            if message.get(header):
                return _lt("Automatic reply (%s)", header)
        if message.get_content_type() == "multipart/report":
            return _lt("Delivery report")
        sender = tools.email_normalize(message.get("From") or "") or ""
        if sender.partition("@")[0] in BOUNCE_SENDERS:
            return _lt("Bounce from %s", sender)
        return False

    @api.model
    def _spam_reason(self, inbound, message):
        if (message.get("X-Spam-Flag") or "").strip().lower() == "yes":
            return _lt("Marked as spam upstream (X-Spam-Flag)")
        if (message.get("X-Spam-Status") or "").strip().lower().startswith("yes"):
            return _lt("Marked as spam upstream (X-Spam-Status)")
        score = self._spam_score(message)
        threshold = self._spam_score_threshold()
        if score is not None and score >= threshold:
            return _lt("Spam score %(score)s reaches %(threshold)s",
                       score=score, threshold=threshold)
        if (self._auth_results(message) or {}).get("dmarc") == "fail":
            return _lt("DMARC check failed: the sender's address is forged")
        email_normalized = inbound._sender_email_normalized()
        if email_normalized and self.env["mail.blacklist"].sudo().search_count(
            [("email", "=", email_normalized)], limit=1
        ):
            return _lt("Sender is on the email blacklist")
        return False

    @api.model
    def _untrusted_reason(self, results):
        if results.get("dmarc") == "pass":
            return False
        failed = [check.upper() for check in ("spf", "dkim") if results.get(check) == "fail"]
        if failed:
            return _lt("%s check failed: sender not verified", " and ".join(failed))
        return False

    @api.model
    def _auth_results(self, message):
        """The verdicts (method: result) of the nearest Authentication-Results
        header (RFC 8601) added by one of the company's own servers, or None
        when there is none: headers from other servers, or anything the
        sender wrote, are not evidence."""
        # Read by the signals and by the spam filter: parsed once per mail.
        if "_autoreg_auth_results" not in vars(message):
            message._autoreg_auth_results = self._parse_auth_results(message)
        return message._autoreg_auth_results

    @api.model
    def _parse_auth_results(self, message):
        own = self._trusted_authserv_ids()
        if not own:
            return None
        for header in message.get_all("Authentication-Results") or []:
            try:
                parsed = authres.AuthenticationResultsHeader.parse(
                    f"Authentication-Results: {header}"
                )
            except Exception:  # noqa: BLE001 - a malformed header proves nothing
                continue
            if (parsed.authserv_id or "").lower() not in own:
                continue
            results = {}
            for result in parsed.results:
                results.setdefault(result.method.lower(), (result.result or "").lower())
            return results
        return None

    @api.model
    def _trusted_authserv_ids(self):
        value = self._settings()._autoreg_param("mail_authserv_ids") or ""
        return {part.strip().lower() for part in re.split(r"[,\s]+", value) if part.strip()}

    @api.model
    def _spam_score(self, message):
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
        return self._settings()._autoreg_param("spam_score_threshold")

    # ------------------------------------------------------------------
    # Newsletter: a mail saying SUBSCRIBE
    # ------------------------------------------------------------------

    @api.model
    def _first_words(self, inbound):
        """The subject and the first line of the mail, as bare words."""
        first_line = (tools.html2plaintext(inbound.body or "").strip().splitlines() or [""])[0]
        return {text.strip(" .!¡").lower() for text in (inbound.subject or "", first_line)}

    @api.model
    def _unsubscribe(self, inbound):
        """A mail saying STOP: every newsletter consent of this address is
        withdrawn (taking consent back needs no proof: it sends nothing)."""
        consents = self.env["autoreg.consent"].search([
            ("email", "=", inbound._sender_email_normalized()),
            ("state", "in", ("confirmed", "pending")),
        ])
        consents._withdraw(_("STOP received by email"))
        return "ignored", _lt("Newsletter consent withdrawn")

    @api.model
    def _subscribe(self, inbound):
        """A known sender asks for the newsletter: consent, no request. An
        unknown one goes on through the corridor (review)."""
        partner = inbound.partner_id or self.env["res.partner"]._autoreg_find_or_create(
            {"email": inbound.sender_email}, inbound.company_id,
            allow_create=False, verified=not inbound.sender_unverified,
            email_proof=inbound.sender_email_proof,
        )
        if not partner:
            return False, False
        inbound.partner_id = partner
        inbound._give_consent(
            _("Email asking to subscribe: %(subject)s", subject=inbound.subject or ""),
            verified=inbound.sender_email_proof == "mail",
        )
        return "ignored", _lt("Newsletter consent given")
