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
from datetime import timedelta

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.misc import hmac

from ..models.autoreg_door_website import TIME_SLOTS

_logger = logging.getLogger(__name__)

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
        else:
            inbound = self._store_and_process(door, token, values)
        return request.render("client_autoreg.web_form_done", {
            "form": form,
            "inbound": inbound,
            "offer_account": not partner and door._may_invite(inbound),
        })

    def _render_form(self, form, params, status=200, errors=None):
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
                if request.httprequest.method == "POST"
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
            "date_min": fields.Date.context_today(request.env.user),
            "date_max": fields.Date.context_today(request.env.user) + timedelta(days=365),
            # never ask for a consent that goes nowhere
            "newsletter_lists": request.env["autoreg.door.website"].sudo()._channel()
            .autoreg_mailing_list_ids,
            "slots": [(key, label) for key, _hour, label in TIME_SLOTS],
        }
        return request.render("client_autoreg.web_form_page", values, status=status)

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
        values = dict(values, state="spam", filter_reason="Honeypot field filled",
                      attachments=[])
        inbound, _created = door._store_post(token, values)
        return inbound

    def _inbound_of(self, token):
        if not self._valid_token(token or ""):
            return request.env["autoreg.inbound"]
        # sudo: the token of the visitor's own post identifies it
        return request.env["autoreg.door.website"].sudo()._post_of(token)
