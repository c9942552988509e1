# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Website specifics of the intake corridor: the registration, request and
appointment forms.

The form post is stored first (key: the submission token the form page was
rendered with, so a double click registers once), then processed: a
registration only resolves the contact; a request or an order becomes a
ticket; an appointment also gets a tentative calendar event for the
assignee. The customer gets a confirmation email.
"""

from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError

WEB_FORMS = [
    ("register", "Registration"),
    ("request", "Request"),
    ("appointment", "Online order / appointment"),
]
# Preferred time slots of appointments: (key, start hour, label)
TIME_SLOTS = [("09", 9, "09:00–12:00"), ("12", 12, "12:00–15:00"), ("15", 15, "15:00–18:00")]
# The wording of the form's checkbox, kept with each consent.
WEB_CONSENT_TEXT = "Send me news and offers by email. I can unsubscribe at any time."
RATE_LIMIT = 10  # submissions per address...
RATE_WINDOW_MINUTES = 10  # ...within this many minutes


def company_tz(company):
    """The time zone the company's website slots are expressed in."""
    company = company.sudo()  # sudo: visitors only read the company's time zone
    return company.partner_id.tz or company.resource_calendar_id.tz or "UTC"


class AutoregInbound(models.Model):
    _inherit = "autoreg.inbound"

    web_form = fields.Selection(selection=WEB_FORMS, string="Website form", readonly=True)
    sender_ip = fields.Char(
        string="Sender IP address", readonly=True, index="btree_not_null",
        help="Address the form was posted from (rate limiting).",
    )
    newsletter_consent = fields.Boolean(
        readonly=True, help="The visitor ticked the newsletter box of the form."
    )
    web_service_id = fields.Many2one(
        comodel_name="autoreg.web.service", string="Service", readonly=True, ondelete="restrict"
    )
    web_date = fields.Date(string="Preferred date", readonly=True)
    web_slot = fields.Selection(
        selection=[(key, label) for key, _hour, label in TIME_SLOTS],
        string="Preferred time",
        readonly=True,
    )
    calendar_event_id = fields.Many2one(
        comodel_name="calendar.event", string="Appointment", readonly=True, ondelete="set null"
    )

    @api.model
    def _web_channel(self):
        return self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")

    @api.model
    def _web_rate_limited(self, ip_address):
        """Whether ``ip_address`` posted too many forms lately."""
        params = self.env["ir.config_parameter"].sudo()
        limit = int(params.get_param("client_autoreg.web_rate_limit", RATE_LIMIT))
        minutes = int(params.get_param("client_autoreg.web_rate_window", RATE_WINDOW_MINUTES))
        since = fields.Datetime.now() - timedelta(minutes=minutes)
        recent = self.search_count(
            [("sender_ip", "=", ip_address), ("create_date", ">=", since)], limit=limit
        )
        return recent >= limit

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    def _process_one(self):
        if self.web_form == "register":
            result = self._web_register_contact()
        else:
            result = super()._process_one()
            if self.web_form and self.state == "done" and self.ticket_id:
                if self.web_service_id.kind == "appointment":
                    self._web_book_appointment()
                self._web_confirm()
        if self.web_form and self.state == "done" and self.newsletter_consent:
            self.env["autoreg.consent"]._record(
                self.partner_id, self.channel_id, self, WEB_CONSENT_TEXT,
                email=self.sender_email,
                verified=False,  # typed by a visitor: confirmed by email first
            )
        return result

    def _web_register_contact(self):
        """A registration: the contact, no request."""
        partner = self._resolve_sender(self._intake_team())
        if not partner:
            return None
        self.write(
            {"partner_id": partner.id, "state": "done", "processed_date": fields.Datetime.now()}
        )

    def _register_request(self, team):
        ticket, created = super()._register_request(team)
        category = self.web_service_id.category_id
        if created and category:
            ticket.category_id = category
        return ticket, created

    def _web_book_appointment(self):
        """A tentative event in the assignee's calendar, with the customer."""
        ticket = self.ticket_id
        owner = ticket.user_id
        if not (owner and self.web_date and self.web_slot):
            return
        # The customer chose the slot in the company's local time.
        start = self._web_slot_start(company_tz(self.company_id))
        event = (
            self.env["calendar.event"]
            .with_context(no_mail_to_attendees=True, mail_create_nosubscribe=True)
            .create(
                {
                    "name": _("(Tentative) %(service)s – %(customer)s",
                              service=self.web_service_id.name,
                              customer=self.partner_id.name),
                    "start": start,
                    "stop": start + timedelta(hours=self.web_service_id.duration or 1.0),
                    "user_id": owner.id,
                    "partner_ids": [(6, 0, (owner.partner_id | self.partner_id).ids)],
                    "description": ticket.description,
                    "res_model_id": self.env["ir.model"]._get_id("helpdesk.ticket"),
                    "res_id": ticket.id,
                }
            )
        )
        event.attendee_ids.write({"state": "tentative"})
        self.calendar_event_id = event

    def _web_slot_start(self, tz_name):
        """Start of the preferred slot as a naive UTC datetime."""
        hour = next(hour for key, hour, _label in TIME_SLOTS if key == self.web_slot)
        local = pytz.timezone(tz_name).localize(datetime.combine(self.web_date, time(hour)))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    def _web_confirm(self):
        """Confirmation email to the customer, once per registered form."""
        template = self.env.ref("client_autoreg.mail_template_web_confirmation")
        if self.partner_id.email:
            template.with_context(lang=self.partner_id.lang).send_mail(
                self.ticket_id.id, email_layout_xmlid="mail.mail_notification_light"
            )

    # ------------------------------------------------------------------
    # Portal account, offered after a request
    # ------------------------------------------------------------------

    def _web_may_invite(self):
        """Whether the visitor of this post may be invited to the portal: a
        contact with an email address and no user yet. The invitation goes
        to that address, so only its owner can use it."""
        self.ensure_one()
        partner = self.partner_id
        return bool(
            self.web_form
            and self.state == "done"
            and partner.email
            # only a contact this very post created: typing a customer's
            # address must not open an account in their name
            and partner.create_date >= self.create_date
            and not partner.with_context(active_test=False).user_ids
        )

    def _web_invite_to_portal(self):
        """Grant portal access to the contact; Odoo emails the invitation."""
        self.ensure_one()
        if not self._web_may_invite():
            return False
        wizard = self.env["portal.wizard"].create({"partner_ids": [(6, 0, self.partner_id.ids)]})
        try:
            with self.env.cr.savepoint():
                wizard.user_ids.action_grant_access()
        except UserError:
            return False  # e.g. the address belongs to another user already
        return True
