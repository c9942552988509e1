# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Newsletter consent collected by the intake doors, kept for audit.

Each consent says who agreed (contact and address), to which mailing list,
through which channel and message, with which words, and when. A contact is
put on a list only with a consent, never when the address is blacklisted,
and only once they confirm by the link sent by email when anyone could have
typed the address (website visitors, Telegram), when the company asks for
double opt-in, or when the person unsubscribed from that list before.
"""

import hmac
import secrets
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError

STATES = [
    ("pending", "Waiting for confirmation"),
    ("confirmed", "Subscribed"),
    ("refused", "Not subscribed"),
    ("withdrawn", "Withdrawn"),
]
CONFIRMATION_DAYS = 7
LEGAL_BASES = [
    ("consent", "Prior express consent (LSSI art. 21.1, GDPR art. 6(1)(a))"),
    ("existing_customer", "Existing customer, similar products (LSSI art. 21.2)"),
]
GIVEN_HOW = [
    ("website", "Website form checkbox"),
    ("telegram", "Telegram /subscribe"),
    ("mail", "Email asking for it"),
    ("staff", "Entered by staff"),
    ("existing_customer", "Recorded by staff: existing customer"),
]
WITHDRAWN_HOW = [
    ("telegram", "/stop in Telegram"),
    ("mail", "STOP by email"),
    ("unsubscribe", "Unsubscribe link of a newsletter"),
    ("erasure", "Erasure or block of the person's data"),
    ("staff", "Staff"),
]
# The context key the doors set to say how a consent is withdrawn.
WITHDRAWN_HOW_CONTEXT = "autoreg_withdrawn_how"


class AutoregConsent(models.Model):
    _name = "autoreg.consent"
    _description = "Newsletter Consent"
    _order = "id desc"
    _rec_name = "email"

    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Contact", required=True, readonly=True,
        index=True, ondelete="cascade",
    )
    email = fields.Char(required=True, readonly=True, help="The address that was agreed for.")
    mailing_list_id = fields.Many2one(
        comodel_name="mailing.list", string="Mailing list", required=True, readonly=True,
        ondelete="cascade",
    )
    channel_id = fields.Many2one(
        comodel_name="helpdesk.ticket.channel", string="Channel", readonly=True,
        ondelete="set null",
    )
    inbound_id = fields.Many2one(
        comodel_name="autoreg.inbound", string="Message", readonly=True, ondelete="set null",
        help="The form post, chat message or mail in which the consent was given.",
    )
    consent_text = fields.Text(
        string="Wording", readonly=True, help="What the person agreed to, as shown to them."
    )
    consent_date = fields.Datetime(readonly=True, default=fields.Datetime.now)
    notice_id = fields.Many2one(
        comodel_name="autoreg.consent.notice", string="Notice", readonly=True,
        ondelete="restrict", help="The notice the person read before agreeing.",
    )
    notice_version = fields.Integer(
        readonly=True, help="The version of the notice when the consent was given."
    )
    legal_basis = fields.Selection(
        selection=LEGAL_BASES, required=True, readonly=True, default="consent",
        help="Why the company may send the newsletter: the person's consent, or the "
        "existing-customer exception, which staff record explicitly, never assumed.",
    )
    given_how = fields.Selection(selection=GIVEN_HOW, string="Given by", readonly=True)
    withdrawn_how = fields.Selection(
        selection=WITHDRAWN_HOW, string="Withdrawn by", readonly=True
    )
    proof = fields.Text(compute="_compute_proof", help="What the record proves, in words.")
    state = fields.Selection(selection=STATES, required=True, readonly=True, default="pending")
    state_reason = fields.Char(string="Reason", readonly=True)
    confirmed_date = fields.Datetime(readonly=True)
    withdrawn_date = fields.Datetime(readonly=True)
    token = fields.Char(readonly=True, copy=False, groups="base.group_system")
    company_id = fields.Many2one(
        comodel_name="res.company", readonly=True, default=lambda self: self.env.company
    )

    def _compute_proof(self):
        for consent in self:
            consent.proof = consent._proof() if consent.id else False

    # ------------------------------------------------------------------
    # Recording consent
    # ------------------------------------------------------------------

    @api.model
    def _record(self, partner, channel, inbound, text, email=None, verified=False):
        """The contact agreed, in ``inbound`` on ``channel``, to the lists
        of that channel.

        :param email: the address agreed for; default: the contact's
        :param verified: whether the channel proved that the person owns the
            address (a signed-in customer, a mail that passed SPF/DKIM/DMARC);
            an address typed by anyone is confirmed by email first
        :return: the consent records, one per list
        """
        email = tools.email_normalize(email or partner.email or "")
        consents = self.browse()
        company = inbound.company_id or self.env.company
        lang = self.env.context.get("lang") or partner.lang
        for mailing_list in channel.autoreg_mailing_list_ids:
            notice = self.env["autoreg.consent.notice"]._current(
                mailing_list, channel, lang, company
            )
            values = {
                "partner_id": partner.id,
                "email": email or partner.email or "-",
                "mailing_list_id": mailing_list.id,
                "channel_id": channel.id,
                "inbound_id": inbound.id,
                "consent_text": text,
                "notice_id": notice.id,
                "notice_version": notice.version,
                "given_how": inbound.door or "staff",
                "company_id": company.id,
            }
            refusal = self._refusal(email)
            if refusal:
                consents |= self.create(dict(values, state="refused", state_reason=refusal))
                continue
            consent = self.create(values)
            if not verified or self._needs_confirmation(email, mailing_list, consent.company_id):
                consent._ask_confirmation()
            else:
                consent._subscribe()
            consents |= consent
        return consents

    @api.model
    def _refusal(self, email):
        if not email:
            return _("The contact has no valid email address.")
        if self.env["mail.blacklist"].sudo().search_count(
            [("email", "=", email), ("active", "=", True)], limit=1
        ):
            return _("The address is on the email blacklist.")
        return False

    @api.model
    def _needs_confirmation(self, email, mailing_list, company):
        """Double opt-in when the company wants it, and always for an address
        that unsubscribed from this list before."""
        return company.autoreg_double_optin or bool(
            self.env["mailing.subscription"].sudo().search_count(
                [
                    ("list_id", "=", mailing_list.id),
                    ("contact_id.email_normalized", "=", email),
                    ("opt_out", "=", True),
                ],
                limit=1,
            )
        )

    def _ask_confirmation(self):
        self.ensure_one()
        self.sudo().token = secrets.token_urlsafe(24)
        self.env.ref("client_autoreg.mail_template_consent_confirmation").sudo().with_context(
            lang=self.partner_id.lang
        )._autoreg_send(self.id, email_layout_xmlid="mail.mail_notification_light")

    def _confirmation_url(self):
        self.ensure_one()
        base = self.get_base_url()
        return f"{base}/customer/consent/{self.id}/{self.sudo().token}"

    def _subscribe(self):
        """Put the address on the list (a mailing contact and a subscription)."""
        self.ensure_one()
        Contact = self.env["mailing.contact"].sudo()
        contact = Contact.search([("email_normalized", "=", self.email)], limit=1) or (
            Contact.create({"name": self.partner_id.name, "email": self.email})
        )
        subscription = contact.subscription_ids.filtered(
            lambda sub: sub.list_id == self.mailing_list_id
        )
        if subscription:
            subscription.write({"opt_out": False})
        else:
            contact.write({"subscription_ids": [(0, 0, {"list_id": self.mailing_list_id.id})]})
        self.write(
            {"state": "confirmed", "confirmed_date": fields.Datetime.now(), "state_reason": False}
        )

    def _withdraw(self, reason, how=None):
        """The person takes the consent back (DPDP: as easily as they gave
        it): the address leaves the list; the record stays as the proof of
        both. ``how``: a key of ``WITHDRAWN_HOW`` (default: what the door
        says in the context, else staff)."""
        how = how or self.env.context.get(WITHDRAWN_HOW_CONTEXT) or "staff"
        for consent in self.filtered(lambda rec: rec.state in ("confirmed", "pending")):
            # sudo: the mailing contacts belong to the marketing app
            subscriptions = self.env["mailing.subscription"].sudo().search([
                ("list_id", "=", consent.mailing_list_id.id),
                ("contact_id.email_normalized", "=", consent.email),
            ])
            subscriptions.with_context(**{WITHDRAWN_HOW_CONTEXT: how}).write({"opt_out": True})
            consent.write({"state": "withdrawn", "state_reason": reason, "withdrawn_how": how,
                           "withdrawn_date": fields.Datetime.now()})
        return True

    @api.model
    def _record_existing_customer(self, partner, mailing_list):
        """Staff record that ``partner`` is an existing customer who may get
        ``mailing_list`` about products similar to what they had (LSSI art.
        21.2), with the opt-out every newsletter carries. Recorded as its own
        legal basis, and only for a contact with a request of their own."""
        self.env.user._autoreg_check_manager(
            _("Only intake managers record the existing-customer exception."))
        email = tools.email_normalize(partner.email or "")
        if not self.env["helpdesk.ticket"].sudo().search_count(
                [("partner_id", "=", partner.id)], limit=1):
            raise UserError(_(
                "%(name)s has no request with the company: they are no existing "
                "customer. Ask for their consent.", name=partner.display_name))
        refusal = self._refusal(email)
        if refusal:
            raise UserError(refusal)
        consent = self.sudo().create({
            "partner_id": partner.id,
            "email": email,
            "mailing_list_id": mailing_list.id,
            "legal_basis": "existing_customer",
            "given_how": "existing_customer",
            "consent_text": _(
                "Existing customer (LSSI art. 21.2): newsletter about products or services "
                "similar to those contracted, with an opt-out in every message. Recorded "
                "by %(user)s.", user=self.env.user.name),
            "company_id": self.env.company.id,
        })
        consent._subscribe()
        return consent.with_env(self.env)

    def _proof(self):
        """What the consent proves, as a text a regulator can read."""
        self.ensure_one()
        consent = self.sudo()
        lines = [
            _("Address: %(email)s (contact #%(id)s)", email=consent.email,
              id=consent.partner_id.id),
            _("List: %(list)s", list=consent.mailing_list_id.name),
            _("Legal basis: %(basis)s",
              basis=dict(consent._fields["legal_basis"]._description_selection(self.env))[
                  consent.legal_basis]),
            _("Given on %(date)s, through %(channel)s (%(how)s)", date=consent.consent_date,
              channel=consent.channel_id.name or "-", how=consent.given_how or "-"),
            _("Notice: version %(version)s", version=consent.notice_version or "-"),
            consent.notice_id.text or consent.consent_text or "",
        ]
        if consent.confirmed_date:
            lines.append(_("Confirmed on %(date)s", date=consent.confirmed_date))
        if consent.withdrawn_date:
            lines.append(_("Withdrawn on %(date)s (%(how)s): %(reason)s",
                           date=consent.withdrawn_date, how=consent.withdrawn_how or "-",
                           reason=consent.state_reason or ""))
        return "\n".join(lines)

    # ------------------------------------------------------------------
    # Double opt-in
    # ------------------------------------------------------------------

    def _link_outcome(self, token):
        """What the confirmation link would do, changing nothing (a mail
        scanner opening the link must not subscribe anyone).

        :return: ``ask`` (pending, the person may confirm), ``already``,
            ``expired``, ``refused`` or ``invalid`` (unknown consent or wrong
            token)
        """
        consent = self.sudo().exists()
        if not consent or not consent.token or not hmac.compare_digest(
            consent.token.encode(), (token or "").encode("utf-8", "surrogateescape")):
            return "invalid"
        if consent.state == "confirmed":
            return "already"
        if consent.state != "pending":
            return "refused"
        if consent.consent_date < fields.Datetime.now() - timedelta(days=CONFIRMATION_DAYS):
            return "expired"
        return "ask"

    def _confirm(self, token):
        """The person pressed *Confirm* on the page of the link.

        :return: ``confirmed``, or what ``_link_outcome`` says
        """
        outcome = self._link_outcome(token)
        if outcome != "ask":
            return outcome
        consent = self.sudo()
        refusal = self._refusal(consent.email)
        if refusal:
            consent.write({"state": "refused", "state_reason": refusal})
            return "refused"
        consent._subscribe()
        return "confirmed"
