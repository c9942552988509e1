# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The website door: the registration, request and appointment forms.

The controller (``controllers/website_form.py``) checks what protects the
form and validates the post (``autoreg.web.form.validator``); the post is
stored here (key: the submission token the form page was rendered with, so
a double click registers once), then processed: a registration only
resolves the contact; a request or an order becomes a ticket; an
appointment books the chosen free time (``autoreg.booking``) before its
request is registered, and the request goes to the member who holds it. The
customer gets a confirmation email (with the invitation, for an
appointment).
"""

import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

# The fixed windows of the appointment form before online booking, kept to
# read and process the posts stored then: (key, start hour, label)
TIME_SLOTS = [("09", 9, "09:00–12:00"), ("12", 12, "12:00–15:00"), ("15", 15, "15:00–18:00")]
# The wording of the form's checkbox, kept with each consent.
WEB_CONSENT_TEXT = "Send me news and offers by email. I can unsubscribe at any time."
RECEIPTS_PER_DAY = 3


def company_tz(company):
    """The time zone the company's website slots are expressed in."""
    company = company.sudo()  # sudo: visitors only read the company's time zone
    return company.partner_id.tz or company.resource_calendar_id.tz or "UTC"


class AutoregDoorWebsite(models.AbstractModel):
    _name = "autoreg.door.website"
    _inherit = "autoreg.door"
    _description = "Intake Door: Website"

    @api.model
    def _channel(self):
        return self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")

    @api.model
    def _slot_selection(self):
        return [(key, label) for key, _hour, label in TIME_SLOTS]

    # ------------------------------------------------------------------
    # Store: a form post
    # ------------------------------------------------------------------

    @api.model
    def _store_post(self, token, values):
        """:return: ``(inbound, created)``"""
        return self.env["autoreg.inbound"]._store("website", f"web:{token}", values)

    @api.model
    def _post_of(self, token):
        """The post stored under ``token``, if any."""
        return self.env["autoreg.inbound"]._of_key("website", f"web:{token}")

    @api.model
    def _rate_limited(self, ip_address):
        """Count this post of ``ip_address``; whether its network posted more
        than the limit within the window (refused posts count too)."""
        settings = self.env["res.config.settings"]
        hits = self.env["autoreg.rate.limit"]._hit(
            ip_address, settings._autoreg_param("web_rate_window")
        )
        return hits > settings._autoreg_param("web_rate_limit")

    # ------------------------------------------------------------------
    # Process
    # ------------------------------------------------------------------

    @api.model
    def _registers_unknown_senders(self):
        return True  # a visitor who fills in the form registers themself

    @api.model
    def _process(self, inbound):
        if inbound.web_form == "register":
            self._register_contact(inbound)
        elif inbound.web_start:
            self._process_booking(inbound)
        else:
            inbound._run_corridor()
        if inbound.state == "done" and inbound.newsletter_consent:
            # typed by a visitor: confirmed by email first
            inbound._give_consent(WEB_CONSENT_TEXT, verified=False)

    @api.model
    def _process_booking(self, inbound):
        """An appointment: all (booking, request, event) or nothing; a time
        that cannot be booked any more ends the post with the reason, which
        the visitor is shown with the next free times, or emailed when the
        post was processed later by the intake job."""
        refusal = self.env["autoreg.booking"]._run_booked_corridor(inbound)
        if refusal and not self.env.context.get("autoreg_visitor_waits"):
            self._tell_refused(inbound)

    @api.model
    def _tell_refused(self, inbound):
        """The time could not be booked and the visitor left the page: an
        email with nothing they wrote, within the day's receipts."""
        if inbound.sender_email and self._receipts_today(inbound) < RECEIPTS_PER_DAY:
            template = self.env.ref("client_autoreg.mail_template_booking_refused")
            template.with_context(lang=inbound.partner_id.lang)._autoreg_send(inbound.id)

    @api.model
    def _register_contact(self, inbound):
        """A registration: the contact, no request."""
        partner = inbound._resolve_sender(inbound._intake_team())
        if partner:
            inbound.write(
                {"partner_id": partner.id, "state": "done",
                 "processed_date": fields.Datetime.now()}
            )

    @api.model
    def _register_request(self, inbound, team):
        if inbound.web_start:
            ticket, created = self.env["autoreg.booking"]._register_booked(
                inbound, team, super()._register_request
            )
        else:
            ticket, created = super()._register_request(inbound, team)
        category = inbound.web_service_id.category_id
        if created and category:
            ticket.category_id = category
        return ticket, created

    @api.model
    def _after_register(self, inbound, ticket, created):
        if not inbound.web_form:
            return
        if inbound.web_service_id.kind == "appointment" and not inbound.web_start:
            self._book_appointment(inbound)
        self._confirm(inbound)

    @api.model
    def _book_appointment(self, inbound):
        """A post of the former form (a preferred window, stored before
        online booking): a tentative event in the assignee's calendar."""
        ticket = inbound.ticket_id
        owner = ticket.user_id
        if not (owner and inbound.web_date and inbound.web_slot):
            return
        # The customer chose the slot in the company's local time.
        start = self._slot_start(inbound, company_tz(inbound.company_id))
        event = (
            self.env["calendar.event"]
            .with_context(no_mail_to_attendees=True, mail_create_nosubscribe=True)
            .create(
                {
                    "name": _("(Tentative) %(service)s – %(customer)s",
                              service=inbound.web_service_id.name,
                              customer=inbound.partner_id.name),
                    "start": start,
                    "stop": start + timedelta(hours=inbound.web_service_id.duration or 1.0),
                    "user_id": owner.id,
                    "partner_ids": [(6, 0, (owner.partner_id | inbound.partner_id).ids)],
                    "description": ticket.description,
                    "res_model_id": self.env["ir.model"]._get_id("helpdesk.ticket"),
                    "res_id": ticket.id,
                }
            )
        )
        event.attendee_ids.write({"state": "tentative"})
        inbound.calendar_event_id = event

    @api.model
    def _slot_start(self, inbound, tz_name):
        """Start of the preferred slot as a naive UTC datetime."""
        hour = next(hour for key, hour, _label in TIME_SLOTS if key == inbound.web_slot)
        local = pytz.timezone(tz_name).localize(datetime.combine(inbound.web_date, time(hour)))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _confirm(self, inbound):
        """Confirmation email to the customer, once per registered form.

        To an address nobody proved (typed by a visitor), the email carries
        nothing the visitor wrote and no link, and an address gets at most
        ``RECEIPTS_PER_DAY`` of them: the form cannot be used to send the
        company's mail to strangers."""
        partner = inbound.partner_id
        if not partner.email:
            return
        booking = self.env["autoreg.booking"].search(
            [("inbound_id", "=", inbound.id), ("state", "=", "booked")], limit=1
        )
        if booking:
            # nothing the visitor wrote, links only to manage this booking
            if partner._autoreg_email_proven() or (
                self._receipts_today(inbound) < RECEIPTS_PER_DAY
            ):
                booking._send_confirmation()
            return
        # The light layout shows the request's title, written by the visitor.
        layout = False
        if partner._autoreg_email_proven():
            template = self.env.ref("client_autoreg.mail_template_web_confirmation")
            layout = "mail.mail_notification_light"
        elif self._receipts_today(inbound) < RECEIPTS_PER_DAY:
            template = self.env.ref("client_autoreg.mail_template_web_receipt")
        else:
            return
        template.with_context(lang=partner.lang)._autoreg_send(
            inbound.ticket_id.id, email_layout_xmlid=layout
        )

    @api.model
    def _receipts_today(self, inbound):
        """Website requests registered for this address in the last day,
        this one aside."""
        return self.env["autoreg.inbound"].search_count([
            ("door", "=", "website"), ("state", "=", "done"), ("id", "!=", inbound.id),
            ("sender_email", "=", inbound.sender_email), ("ticket_id", "!=", False),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=1)),
        ])

    # ------------------------------------------------------------------
    # Portal account, offered after a request
    # ------------------------------------------------------------------

    @api.model
    def _may_invite(self, inbound):
        """Whether the visitor of this post may be invited to the portal: a
        contact with an email address and no user yet. The invitation goes
        to that address, so only its owner can use it."""
        partner = inbound.partner_id
        return bool(
            inbound.door == "website"
            and inbound.state == "done"
            and partner.email
            # only a contact this very post created: typing a customer's
            # address must not open an account in their name
            and partner.create_date >= inbound.create_date
            and not partner.with_context(active_test=False).user_ids
        )

    @api.model
    def _invite_to_portal(self, inbound):
        """Email the address of this post a way into the portal; only the
        owner of the address can use it, and the visitor is told the same
        whoever owns it:

        - the address is a customer's already (proven on their contact):
          that customer is invited, or sent a password reset if they have
          an account; the post's own contact stays apart;
        - else the contact this post created is invited.
        """
        if not self._may_invite(inbound):
            return False
        partner = inbound.partner_id
        owner = partner.search([
            ("email_normalized", "=", partner.email_normalized),
            ("id", "!=", partner.id),
            ("autoreg_email_proof", "!=", False),
            ("company_id", "in", [inbound.company_id.id, False]),
        ], order="id", limit=1)
        target = owner or partner
        users = target.with_context(active_test=False).user_ids
        try:
            with self.env.cr.savepoint():
                if users:
                    users[:1].action_reset_password()
                else:
                    wizard = self.env["portal.wizard"].create(
                        {"partner_ids": [(6, 0, target.ids)]}
                    )
                    wizard.user_ids.action_grant_access()
        except UserError as error:
            # e.g. the address is another user's login: nothing to send, and
            # the visitor is told the same as anyone
            _logger.info("Portal invitation for post %s not sent: %s", inbound.id, error)
        return True
