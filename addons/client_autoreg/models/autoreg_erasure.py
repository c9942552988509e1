# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Erasure of a person (GDPR art. 17, DPDP s. 12), or blocking first
(LOPDGDD art. 32).

One erasure case per request: opened on a contact by an intake manager or
the data-protection officer (``res.partner.action_autoreg_erasure``), or by
the customer from the portal (``controllers/privacy.py``). It finds
everything intake holds on the person (``_find``) and shows the count per
model; then it

- **blocks** it: every record gets a *Blocked until* date, the record rules
  hide it from everyone but the officer, the bot stops writing and the
  addresses join the mail blacklist; the nightly job destroys it when the
  date has passed (``_cron_destroy_expired_blocks``);
- or **erases** it: intake's records are deleted, and what must stay for the
  books is anonymised in place: the requests keep their number, stage and
  dates but lose the person's name, address and text, the contact keeps its
  id (the requests point to it) and loses everything else.

Each run writes an ``autoreg.erasure.log`` line: who, when, how, and the
count per model, never the data.

A contact merged into another is followed: Odoo's merge moved its records
to the contact kept, and the merged pair remembers the duplicate's name and
shared address, which are searched too. A contact with an open request is
not erased silently: the case says so and the user chooses to close the
requests and go on, or to refuse.
"""

import secrets
from collections import OrderedDict

from markupsafe import Markup

from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import consteq

from .autoreg_erasure_block import BLOCKABLE_MODELS

STATES = [
    ("to_confirm", "Waiting for the customer's confirmation"),
    ("draft", "To decide"),
    ("blocked", "Blocked"),
    ("erased", "Erased"),
    ("refused", "Refused"),
]
MODES = [("block", "Block"), ("erase", "Erase")]
# What is found, in the order it is erased (the contact last: the others
# point to it). Labels are translated where shown.
FOUND_MODELS = OrderedDict([
    ("helpdesk.ticket", "Requests (anonymised)"),
    ("mail.message", "Messages in the requests (anonymised)"),
    ("autoreg.inbound", "Inbound messages and their raw payloads"),
    ("ir.attachment", "Files"),
    ("autoreg.telegram.message", "Telegram messages"),
    ("autoreg.telegram.chat", "Telegram chats"),
    ("autoreg.consent", "Newsletter consents"),
    ("autoreg.sender.rule", "Sender rules"),
    ("autoreg.duplicate", "Likely duplicates"),
    ("mailing.contact", "Mailing contacts"),
    ("res.partner", "Contact (anonymised)"),
])
DPO_GROUP = "client_autoreg.group_autoreg_dpo"
MANAGER_GROUP = "client_autoreg.group_autoreg_manager"
# What users may change on a case they decide (the rest is its record).
USER_FIELDS = {"open_requests", "blocked_until"}


class AutoregErasure(models.Model):
    _name = "autoreg.erasure"
    _description = "Erasure of a Person"
    _order = "id desc"
    _rec_name = "subject_ref"

    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Contact", readonly=True, ondelete="set null",
        index="btree_not_null",
    )
    subject_ref = fields.Char(
        string="Person", readonly=True,
        help="The contact's number: what the case and its log keep of the person.",
    )
    state = fields.Selection(selection=STATES, required=True, readonly=True, default="draft")
    origin = fields.Selection(
        selection=[("staff", "Staff"), ("portal", "Customer, from the portal")],
        required=True, readonly=True, default="staff",
    )
    line_ids = fields.One2many(
        comodel_name="autoreg.erasure.line", inverse_name="erasure_id", string="Found",
        readonly=True,
    )
    open_request_count = fields.Integer(
        string="Open requests", readonly=True,
        help="Requests of the person that are not closed yet.",
    )
    open_requests = fields.Selection(
        selection=[("close", "Close them and anonymise"), ("refuse", "Refuse the erasure")],
        string="With open requests", default="close",
        help="What to do when the person still has open requests.",
    )
    blocked_until = fields.Date(
        help="Blocked data is destroyed after this date (end of the limitation periods).",
        default=lambda self: self._default_blocked_until(),
    )
    done_date = fields.Datetime(readonly=True)
    done_uid = fields.Many2one(comodel_name="res.users", string="Done by", readonly=True)
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, readonly=True,
        default=lambda self: self.env.company,
    )

    @api.model
    def _default_blocked_until(self):
        days = self.env["res.config.settings"]._autoreg_param("erasure_block_days")
        return fields.Date.add(fields.Date.context_today(self), days=days)

    # ------------------------------------------------------------------
    # Who may
    # ------------------------------------------------------------------

    @api.model
    def _check_caller(self, blocked=False):
        """Intake managers and the data-protection officer erase and block;
        only the officer touches data already blocked."""
        if self.env.su:
            return
        user = self.env.user
        if user.has_group(DPO_GROUP):
            return
        if user.has_group(MANAGER_GROUP) and not blocked:
            return
        raise AccessError(_(
            "Only intake managers and the data-protection officer may erase or block "
            "a person's data; data already blocked, only the officer."
        ))

    # ------------------------------------------------------------------
    # Opening a case
    # ------------------------------------------------------------------

    @api.model
    def _open_for(self, partner, origin="staff", state="draft"):
        """A case for ``partner`` with what was found (``partner`` as the
        contact is, blocked or not)."""
        self._check_caller(blocked=bool(partner.sudo().autoreg_blocked_until))
        # sudo: the case is written for the caller checked above; the contact
        # may be hidden from them once blocked
        erasure = self.sudo().create({
            "partner_id": partner.id,
            "subject_ref": _("Contact #%(id)s", id=partner.id),
            "origin": origin,
            "state": state,
            "company_id": self.env.company.id,
        })
        erasure._scan()
        return erasure.with_env(self.env)

    def action_scan(self):
        self._check_caller(blocked=self._is_blocked())
        self._scan()
        return True

    def _is_blocked(self):
        return any(
            erasure.state == "blocked" or erasure.partner_id.autoreg_blocked_until
            for erasure in self.sudo()
        )

    def write(self, vals):
        """Users choose the options of a case they may still decide; the
        rest is written by the case itself (as superuser)."""
        if not self.env.su:
            if set(vals) - USER_FIELDS:
                raise AccessError(_("The case records what was done: it cannot be edited."))
            if any(erasure.state != "draft" for erasure in self):
                raise UserError(_("This case is closed already."))
        return super().write(vals)

    def _scan(self):
        for erasure in self.sudo():
            found = erasure._find()
            erasure.line_ids.unlink()
            erasure.write({
                "line_ids": [
                    (0, 0, {"model": model, "count": len(records)})
                    for model, records in found.items() if records
                ],
                "open_request_count": len(found["helpdesk.ticket"].filtered(
                    lambda ticket: not ticket.closed)),
            })

    # ------------------------------------------------------------------
    # What intake holds on the person
    # ------------------------------------------------------------------

    def _identifiers(self):
        """The person's contacts (the contact, and those merged into it that
        still exist), emails, phone numbers and names, with what the merged
        pairs remember of the contacts merged away."""
        self.ensure_one()
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        partners = Partner.browse(self.partner_id.id).exists()
        duplicates = self.env["autoreg.duplicate"].sudo().search(
            ["|", ("partner_id", "in", partners.ids), ("duplicate_id", "in", partners.ids)]
        )
        emails, phones, names = set(), set(), set()
        for partner in partners:
            emails.add(partner.email_normalized)
            phones.update((partner.phone_sanitized, _e164(partner, partner.mobile)))
            names.add(partner.name)
        for pair in duplicates.filtered(lambda rec: rec.state == "merged"):
            key = emails if pair.reason == "email_normalized" else phones
            key.add(pair.key_value)
            names.add(pair.duplicate_name)
        return partners, emails - {False, None, ""}, phones - {False, None, ""}, \
            names - {False, None, ""}

    def _find(self):
        """Everything intake holds on the person: ``{model: records}`` (sudo)."""
        self.ensure_one()
        env = self.sudo().with_context(active_test=False).env
        partners, emails, phones, _names = self._identifiers()
        found = OrderedDict((model, env[model]) for model in FOUND_MODELS)
        if not partners:
            return found
        found["res.partner"] = partners
        email_domain = _any("email", emails)
        tickets = env["helpdesk.ticket"].search(
            ["|", ("partner_id", "in", partners.ids)] + _any("partner_email", emails, "=ilike")
        )
        found["helpdesk.ticket"] = tickets
        chats = env["autoreg.telegram.chat"].search(
            ["|", ("partner_id", "in", partners.ids), ("phone", "in", list(phones) or [""])]
        )
        found["autoreg.telegram.chat"] = chats
        inbound = env["autoreg.inbound"].search(
            ["|", "|", "|", "|",
             ("partner_id", "in", partners.ids),
             ("ticket_id", "in", tickets.ids),
             ("telegram_chat_id", "in", chats.ids),
             ("sender_phone", "in", list(phones) or [""])]
            + _any("sender_email", emails, "=ilike")
        )
        found["autoreg.inbound"] = inbound
        found["ir.attachment"] = env["ir.attachment"].search(
            [("res_model", "=", "autoreg.inbound"), ("res_id", "in", inbound.ids)]
        ) | self._ticket_files(tickets, partners, inbound)
        found["mail.message"] = env["mail.message"].search([
            ("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids),
            "|", ("author_id", "in", partners.ids)] + _any("email_from", emails, "ilike"))
        found["autoreg.telegram.message"] = env["autoreg.telegram.message"].search(
            [("chat_id", "in", chats.ids)]
        )
        found["autoreg.consent"] = env["autoreg.consent"].search(
            ["|", ("partner_id", "in", partners.ids)] + email_domain
        )
        found["autoreg.sender.rule"] = env["autoreg.sender.rule"].search(
            ["|", ("inbound_id", "in", inbound.ids), "&", ("kind", "=", "address")]
            + _any("value", emails, "=ilike")
        )
        found["autoreg.duplicate"] = env["autoreg.duplicate"].search(
            ["|", "|", ("partner_id", "in", partners.ids), ("duplicate_id", "in", partners.ids),
             ("key_value", "in", list(emails | phones) or [""])]
        )
        found["mailing.contact"] = env["mailing.contact"].search(
            [("email_normalized", "in", list(emails) or [""])]
        )
        return found

    def _ticket_files(self, tickets, partners, inbound):
        """Files on the requests that came from the person: those of their
        messages and the copies intake made of the inbound files."""
        Attachment = self.env["ir.attachment"].sudo()
        if not tickets:
            return Attachment
        checksums = Attachment.search(
            [("res_model", "=", "autoreg.inbound"), ("res_id", "in", inbound.ids)]
        ).mapped("checksum")
        messages = self.env["mail.message"].sudo().search([
            ("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids),
            ("author_id", "in", partners.ids),
        ])
        return messages.attachment_ids | Attachment.search([
            ("res_model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids),
            ("checksum", "in", checksums or [""]),
        ])

    # ------------------------------------------------------------------
    # Blocking
    # ------------------------------------------------------------------

    def action_block(self):
        self._check_caller(blocked=self._is_blocked())
        for erasure in self.sudo():
            if erasure.state not in ("draft", "blocked"):
                raise UserError(_("This case is closed already."))
            if not erasure.blocked_until or erasure.blocked_until <= fields.Date.today():
                raise UserError(_("Set the date until which the data stays blocked."))
            erasure._block()
        return True

    def _block(self):
        self.ensure_one()
        found = self._find()
        Blockable = self.env["autoreg.blockable"]
        for model in BLOCKABLE_MODELS:
            Blockable._autoreg_block(found[model], self.blocked_until)
        # Blocked contacts get no campaign (every mass mailing skips the
        # blacklist) and no newsletter: their consents are withdrawn.
        found["autoreg.consent"]._withdraw(_("Data blocked at the person's request"),
                                           how="erasure")
        Blacklist = self.env["mail.blacklist"].sudo()
        for email in self._identifiers()[1]:
            Blacklist._add(email, message=_("Blocked at the person's request (erasure)."))
        self._log("block", found)
        self.write({"state": "blocked", "done_date": fields.Datetime.now(),
                    "done_uid": self.env.uid})

    # ------------------------------------------------------------------
    # Erasing
    # ------------------------------------------------------------------

    def action_erase(self):
        self._check_caller(blocked=self._is_blocked())
        for erasure in self.sudo():
            if erasure.state not in ("draft", "blocked"):
                raise UserError(_("This case is closed already."))
            erasure._erase()
        return True

    def action_refuse(self):
        self._check_caller(blocked=self._is_blocked())
        for erasure in self.sudo().filtered(lambda rec: rec.state in ("draft", "to_confirm")):
            erasure._log("refused", erasure._find())
            erasure.write({"state": "refused", "done_date": fields.Datetime.now(),
                           "done_uid": self.env.uid})
        return True

    def _erase(self):
        """Erase what was found; :return: the counts per model."""
        self.ensure_one()
        found = self._find()
        partners = found["res.partner"]
        if partners.user_ids.filtered(lambda user: not user.share):
            raise UserError(_(
                "This contact is a user of the company: remove the user first."
            ))
        tickets = found["helpdesk.ticket"]
        open_tickets = tickets.filtered(lambda ticket: not ticket.closed)
        if open_tickets and self.open_requests == "refuse":
            self._log("refused", found)
            self.write({"state": "refused", "done_date": fields.Datetime.now(),
                        "done_uid": self.env.uid})
            return {}
        counts = {model: len(records) for model, records in found.items()}
        self._close(open_tickets)
        found["autoreg.consent"]._withdraw(_("Erased at the person's request"), how="erasure")
        found["ir.attachment"].unlink()
        found["autoreg.telegram.message"].unlink()
        found["autoreg.sender.rule"].unlink()
        found["autoreg.duplicate"].unlink()
        found["autoreg.consent"].unlink()
        found["autoreg.inbound"].exists().unlink()
        found["autoreg.telegram.chat"].exists().unlink()
        found["mailing.contact"].unlink()
        self._anonymise_messages(found["mail.message"])
        self._anonymise_tickets(tickets)
        self._anonymise_partners(partners)
        self._log("erase", found, counts)
        self.write({"state": "erased", "done_date": fields.Datetime.now(),
                    "done_uid": self.env.uid})
        return counts

    def _close(self, tickets):
        for ticket in tickets:
            stage = ticket.team_id._get_applicable_stages().filtered("closed")[:1] or (
                self.env["helpdesk.ticket.stage"].sudo().search([("closed", "=", True)], limit=1)
            )
            if not stage:
                raise UserError(_("No closing stage: the open requests cannot be closed."))
            ticket.with_context(tracking_disable=True).stage_id = stage

    def _anonymise_messages(self, messages):
        erased = Markup("<p>%s</p>") % _("Erased at the person's request.")
        messages.attachment_ids.unlink()
        messages.write({"body": erased, "email_from": False, "subject": False,
                        "author_id": False, "reply_to": False})

    def _anonymise_tickets(self, tickets):
        for ticket in tickets.with_context(tracking_disable=True):
            ticket.write({
                "name": _("Request %(number)s (erased)", number=ticket.number),
                "description": Markup("<p>%s</p>") % _("Erased at the person's request."),
                "partner_name": False,
                "partner_email": False,
                "autoreg_blocked_until": False,
            })

    def _anonymise_partners(self, partners):
        """The contact stays (the requests point to it) with nothing of the person."""
        # as superuser: the customer who asked from the portal archives their
        # own account, which Odoo refuses to the user themself
        for user in partners.with_context(active_test=False).user_ids.filtered("share"):
            user.with_user(SUPERUSER_ID).write({
                "login": f"__erased_{user.id}_{secrets.token_hex(8)}",
                "password": "",
                "active": False,
            })
        Partner = self.env["res.partner"].with_context(tracking_disable=True, autoreg_proof=False)
        for partner in Partner.browse(partners.ids):
            self.env["mail.message"].sudo().search(
                [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
            ).unlink()
            partner.message_follower_ids.unlink()
            self.env["mail.followers"].sudo().search([("partner_id", "=", partner.id)]).unlink()
            partner.write({
                "name": _("Erased contact #%(id)s", id=partner.id),
                "email": False, "phone": False, "mobile": False, "street": False,
                "street2": False, "city": False, "zip": False, "website": False,
                "function": False, "comment": False, "vat": False, "image_1920": False,
                "ref": False, "autoreg_email_proof": False, "autoreg_phone_proof": False,
                "autoreg_blocked_until": False, "active": False,
            })

    def _log(self, mode, found, counts=None):
        counts = counts or {model: len(records) for model, records in found.items()}
        # sudo: the log is written by intake for every case and changed by nobody
        self.env["autoreg.erasure.log"].sudo().create({
            "erasure_id": self.id,
            "subject_ref": self.subject_ref,
            "mode": mode,
            "origin": self.origin,
            "user_id": self.env.uid,
            "counts": "\n".join(
                f"{model}: {count}" for model, count in counts.items() if count
            ),
        })

    # ------------------------------------------------------------------
    # Asked by the customer from the portal
    # ------------------------------------------------------------------

    @api.model
    def _request_from_portal(self, user):
        """The signed-in customer ``user`` asks to be erased: a case waits
        for the confirmation by the link mailed to their address.

        :return: the case, or False when the contact cannot be erased from
            the portal (a user of the company, or no address to confirm by)
        """
        partner = user.partner_id
        if not user.share or not partner.email_normalized:
            return False
        # sudo: the customer asks for their own contact only (the signed-in
        # user's), which they may not read through intake's models
        Erasure = self.sudo()
        erasure = Erasure.search(
            [("partner_id", "=", partner.id), ("state", "=", "to_confirm")], limit=1
        ) or Erasure.create({
            "partner_id": partner.id,
            "subject_ref": _("Contact #%(id)s", id=partner.id),
            "origin": "portal",
            "state": "to_confirm",
            "company_id": user.company_id.id,
        })
        erasure._send_confirmation()
        return erasure

    def _portal_token(self):
        self.ensure_one()
        return tools.hmac(self.env(su=True), "autoreg-erasure",
                          f"{self.id}:{self.partner_id.id}")

    def _portal_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/customer/privacy/erasure/{self.id}/{self._portal_token()}"

    def _send_confirmation(self):
        self.ensure_one()
        partner = self.partner_id
        env = self.with_context(lang=partner.lang).env
        body = Markup(
            "<p>%s</p><p><a href='%s'>%s</a></p><p>%s</p>"
        ) % (
            env._("You asked us to erase your personal data. Please confirm it with "
                  "this link (you will be asked to sign in):"),
            self._portal_url(),
            env._("Confirm the erasure of my data"),
            env._("If you did not ask for it, ignore this message: nothing is erased."),
        )
        self.env["mail.mail"].sudo().create({
            "subject": env._("Confirm the erasure of your personal data"),
            "email_to": partner.email_formatted,
            "recipient_ids": [(4, partner.id)],
            "body_html": body,
            "auto_delete": True,
        })

    def _portal_check(self, token, user):
        """Whether ``user`` may confirm this case with ``token``: the case
        waits for confirmation, the token is its own, and ``user`` is the
        contact. Every failure looks the same to the caller."""
        erasure = self.sudo().exists()
        return bool(
            erasure and erasure.state == "to_confirm" and erasure.partner_id
            and consteq(erasure._portal_token(), token or "")
            and user.partner_id == erasure.partner_id
        )

    def _portal_confirm(self, token, user):
        """The customer confirmed: the case goes to the officer, or is run at
        once as the company set (``erasure_portal_mode``).

        :return: the case's state, or False when refused
        """
        if not self._portal_check(token, user):
            return False
        erasure = self.sudo()
        erasure.state = "draft"
        mode = self.env["res.config.settings"]._autoreg_param("erasure_portal_mode")
        if mode == "block":
            erasure._block()
        elif mode == "erase":
            erasure.open_requests = "close"
            erasure._erase()
        return erasure.state

    # ------------------------------------------------------------------
    # Blocked data whose date passed
    # ------------------------------------------------------------------

    @api.model
    def _cron_destroy_expired_blocks(self):
        """Blocked data is destroyed once its date has passed; data blocked
        apart from any case (a record found later) too."""
        today = fields.Date.context_today(self)
        cases = self.sudo().search(
            [("state", "=", "blocked"), ("blocked_until", "<", today)]
        )
        for erasure in cases:
            erasure.open_requests = "close"
            erasure._erase()
        for model in BLOCKABLE_MODELS:
            if model in ("res.partner", "helpdesk.ticket"):
                continue  # only through a case: they are anonymised, not deleted
            leftovers = self.env[model].sudo().with_context(active_test=False).search(
                [("autoreg_blocked_until", "<", today)]
            )
            leftovers.unlink()
        return len(cases)


class AutoregErasureLine(models.Model):
    _name = "autoreg.erasure.line"
    _description = "What an Erasure Found"
    _order = "id"

    erasure_id = fields.Many2one(
        comodel_name="autoreg.erasure", required=True, ondelete="cascade", index=True
    )
    model = fields.Selection(
        selection=list(FOUND_MODELS.items()), string="What", required=True, readonly=True
    )
    count = fields.Integer(readonly=True)


def _any(field_name, values, operator="="):
    """A domain: ``field_name`` equals one of ``values`` (false when none)."""
    values = sorted(values)
    if not values:
        return [("id", "=", 0)]
    return ["|"] * (len(values) - 1) + [(field_name, operator, value) for value in values]


def _e164(partner, number):
    if not number:
        return False
    return partner._phone_format(number=number, country=partner.country_id,
                                 force_format="E164") or False

