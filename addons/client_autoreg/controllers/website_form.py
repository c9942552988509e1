# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The website forms: registration, request, online order / appointment.

Thin on purpose: check what protects the form (CSRF by Odoo, rate limit,
captcha, honeypot), validate (``autoreg.web.form.validator``), hand the post to the
website door (``autoreg.door.website``), show the result.

Every route of the module starts with ``/customer/``.
"""

import logging
import random
import re
import secrets
import time
from datetime import datetime, timedelta

import pytz

from odoo import fields, http, tools
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import LazyTranslate
from odoo.tools.misc import hmac

from ..models.autoreg_door_website import company_tz
from ..tools.stored_text import to_json

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

FORMS = {
    "register": "/customer/register",
    "request": "/customer/request",
    "appointment": "/customer/appointment",
}
HONEYPOT = "website_url"  # hidden from people, filled by bots
FORM_TITLES = {
    "register": lambda env: env._("Register as a customer"),
    "request": lambda env: env._("Send us a request"),
    "appointment": lambda env: env._("Book a service"),
}
CAPTCHA_ACTION = "autoreg_form"
PROCESS_TRIES = 4
SLOT_DAYS = 7  # days of free times the appointment page lists at once


class CustomerForms(http.Controller):
    @http.route(FORMS["register"], type="http", auth="public", website=True,
                methods=["GET", "POST"], sitemap=True)
    def register(self, **params):
        return self._form("register", params)

    @http.route(FORMS["request"], type="http", auth="public", website=True,
                methods=["GET", "POST"], sitemap=True)
    def customer_request(self, **params):
        return self._form("request", params)

    @http.route(FORMS["appointment"], type="http", auth="public", website=True,
                methods=["GET", "POST"], sitemap=True)
    def appointment(self, **params):
        return self._form("appointment", params)

    @http.route("/customer/account/invite", type="http", auth="public", website=True,
                methods=["POST"], sitemap=False)
    def invite(self, submission_token=None, **_params):
        inbound = self._inbound_of(submission_token)
        sent = bool(inbound) and inbound._door()._invite_to_portal(inbound)
        return request.render("client_autoreg.web_invite_done", {"sent": sent})

    # ------------------------------------------------------------------

    def _form(self, form, params):
        if request.httprequest.method != "POST":
            return self._render_form(form, params)
        # CSRF was checked by Odoo before this method runs.
        # sudo: visitors store their post through the intake corridor, which
        # creates what they may not (contacts, requests) by itself.
        door = request.env["autoreg.door.website"].sudo()
        ip_address = request.httprequest.remote_addr
        if door._rate_limited(ip_address):
            _logger.warning("Website form %s: rate limit hit by %s", form, ip_address)
            return self._render_form(form, params, status=429, errors={
                "form": request.env._("You sent many forms in a short time. Please try "
                                      "again in a few minutes.")})
        captcha_error = self._captcha_error()
        if captcha_error:
            return self._render_form(form, params, status=400, errors={"form": captcha_error})
        token = params.get("submission_token") or ""
        if not self._valid_token(token):
            return self._render_form(form, params, status=400, errors={
                "form": request.env._("This form has expired. Please send it again.")})
        partner = self._customer()
        values, errors = request.env["autoreg.web.form.validator"]._parse(
            form, params, request.httprequest.files.getlist("attachments"), partner
        )
        if errors:
            return self._render_form(form, params, status=422, errors=errors)
        values.update({"sender_ip": ip_address, "company_id": request.website.company_id.id})
        if params.get(HONEYPOT):
            inbound = self._store_as_spam(door, token, values)
        elif form == "appointment":
            # the visitor waits for the answer: a time taken meanwhile is
            # said on the page, not by email
            inbound = self._store_and_process(
                door.with_context(autoreg_visitor_waits=True), token, values)
        else:
            inbound = self._store_and_process(door, token, values)
        if inbound.web_form == "appointment" and inbound.state == "ignored":
            # the time was taken meanwhile: nothing was booked; the page
            # lists the free times now, with a new token for a new post
            return self._render_form(form, params, status=409, new_token=True,
                                     errors={"start": inbound.filter_reason})
        # One root template per form: the website caches its header, with the
        # highlighted menu item, per root template.
        return request.render(f"client_autoreg.web_form_done_{form}", {
            "form": form,
            "inbound": inbound,
            "offer_account": not partner and door._may_invite(inbound),
            "booking_when": self._booking_when(inbound, params),
        })

    def _render_form(self, form, params, status=200, errors=None, new_token=False):
        partner = self._customer()
        values = {
            "form": form,
            "action": FORMS[form],
            "params": params,
            "errors": errors or {},
            "partner": partner,
            # A post shown again with its errors keeps its token (sent back
            # by the same session); a page opened anew gets a new one, never
            # one taken from the address bar.
            "submission_token": (
                params["submission_token"]
                if request.httprequest.method == "POST" and not new_token
                and self._valid_token(params.get("submission_token") or "")
                else self._new_token()
            ),
            "honeypot": HONEYPOT,
            "countries": request.env["res.country"].sudo().search([]),
            "default_country": request.website.company_id.country_id,
            "services": request.env["autoreg.web.service"].sudo().search([
                ("company_id", "in", [request.website.company_id.id, False]),
                ("kind", "=", "order" if form == "request" else "appointment"),
            ]),
            # the tab's title, before the website's name
            "additional_title": FORM_TITLES[form](request.env),
            # never ask for a consent that goes nowhere
            "newsletter_lists": request.env["autoreg.door.website"].sudo()._channel()
            .autoreg_mailing_list_ids,
        }
        if form == "appointment":
            values["booking"] = self._booking_values(values["services"], params, errors or {})
        return request.render(f"client_autoreg.web_form_page_{form}", values, status=status)

    def _booking_values(self, services, params, errors):
        """The free times of the chosen service (default the first one) and
        member (default any), for ``SLOT_DAYS`` days from ``after``, in the
        visitor's time zone."""
        tz_name = self._visitor_tz(params.get("tz"))
        service = services.filtered(lambda svc: str(svc.id) == params.get("service_id"))[:1]
        service = service or services[:1]
        values = {"service": service, "tz": tz_name, "days": [], "next_free": [],
                  "members": request.env["res.users"], "member": request.env["res.users"]}
        if not service:
            return values
        slots = request.env["autoreg.booking.slot"].sudo()  # sudo: free times only
        members = service._autoreg_members()
        member = members.filtered(lambda user: str(user.id) == params.get("member_id"))
        local = pytz.timezone(tz_name)
        today = datetime.now(local).date()
        try:
            first_day = max(fields.Date.from_string(params.get("after")), today)
        except (TypeError, ValueError):
            first_day = today
        first_day = min(first_day, today + timedelta(days=max(service.horizon_days, 0)))
        begin = local.localize(datetime.combine(first_day, datetime.min.time()))
        begin = begin.astimezone(pytz.utc).replace(tzinfo=None)
        free = slots._free_slots(service, begin, begin + timedelta(days=SLOT_DAYS),
                                 member if member else None)
        days = {}
        for slot in free:
            moment = pytz.utc.localize(slot.start).astimezone(local)
            days.setdefault(moment.date(), []).append(
                (slot.start.strftime("%Y-%m-%dT%H:%M"),
                 tools.format_time(request.env, moment.time(), tz=tz_name, time_format="short"))
            )
        values.update({
            "members": members,
            "member": member,
            "days": [(tools.format_date(request.env, day, date_format="EEEE d MMMM"), times)
                     for day, times in sorted(days.items())],
            "later": (first_day + timedelta(days=SLOT_DAYS)).isoformat(),
            "earlier": (first_day - timedelta(days=SLOT_DAYS)).isoformat()
            if first_day > today else False,
        })
        if errors.get("start"):
            values["next_free"] = [
                tools.format_datetime(request.env, slot.start, tz=tz_name, dt_format="medium")
                for slot in slots._next_free(service, members=member if member else None)
            ]
        return values

    def _booking_when(self, inbound, params):
        """When the appointment booked by this post is, in the visitor's
        time zone (or False)."""
        if not (inbound.web_start and inbound.calendar_event_id):
            return False
        tz_name = self._visitor_tz(params.get("tz"))
        when = tools.format_datetime(request.env, inbound.web_start, tz=tz_name,
                                     dt_format="full")
        return f"{when} ({tz_name})"

    def _visitor_tz(self, wanted=None):
        """The visitor's time zone: chosen on the page, else their browser's
        (the ``tz`` cookie), their account's, else the company's."""
        for tz_name in (wanted, request.httprequest.cookies.get("tz"),
                        None if request.env.user._is_public() else request.env.user.tz):
            if tz_name and tz_name in pytz.all_timezones_set:
                return tz_name
        return company_tz(request.website.company_id)

    def _customer(self):
        """The logged-in customer, whose contact data the forms use."""
        if request.env.user._is_public():
            return request.env["res.partner"]
        return request.env.user.partner_id

    def _captcha_error(self):
        """Odoo's captcha hook: reCAPTCHA (google_recaptcha) or any module
        overriding it (Turnstile); without a configured key it passes."""
        try:
            if request.env["ir.http"]._verify_request_recaptcha_token(CAPTCHA_ACTION):
                return None
        except (UserError, ValidationError) as error:
            return str(error.args[0])
        return request.env._("The captcha check failed. Please try again.")

    @staticmethod
    def _token_signature(nonce):
        """16 hex characters binding ``nonce`` to the visitor's session."""
        # su: the signing key is the database secret, read to sign only
        env = request.env(su=True)
        return hmac(env, "client_autoreg-submission", f"{nonce}:{request.session.sid}")[:16]

    def _new_token(self):
        nonce = secrets.token_hex(8)
        return nonce + self._token_signature(nonce)

    def _valid_token(self, token):
        """A token this session was given: 16 random hex characters and
        their signature."""
        if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
            return False
        return secrets.compare_digest(token[16:], self._token_signature(token[:16]))

    def _store_and_process(self, door, token, values):
        """Persist the post in its own transaction, then process it.

        A post is never lost once the visitor has sent it: processing that
        collides with concurrent intakes (the team's round-robin turn, a
        member's counter) is retried on a fresh snapshot, and after a few
        tries the stored post is left to the intake job (triggered now); the
        visitor is thanked all the same and gets the number by email.
        """
        inbound, _created = door._store_post(token, values)
        if inbound.state != "received":
            return inbound  # a double click: already processed
        request.env.cr.commit()
        for attempt in range(1, PROCESS_TRIES + 1):
            try:
                inbound._process()
                return inbound
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                request.env.cr.rollback()
                request.env.invalidate_all()
                time.sleep(random.uniform(0.02, 0.1) * attempt)
        _logger.info("Website post %s left to the intake job (concurrent intake)", inbound.id)
        inbound._trigger_intake_job()
        return inbound

    def _store_as_spam(self, door, token, values):
        """A bot filled the hidden field: keep its post as spam, tell it
        nothing."""
        # Its files are not kept: nothing a bot sends is stored beyond the text.
        values = dict(values, state="spam",
                      filter_reason_data=to_json(_lt("Honeypot field filled")),
                      attachments=[])
        inbound, _created = door._store_post(token, values)
        return inbound

    def _inbound_of(self, token):
        if not self._valid_token(token or ""):
            return request.env["autoreg.inbound"]
        # sudo: the token of the visitor's own post identifies it
        return request.env["autoreg.door.website"].sudo()._post_of(token)
