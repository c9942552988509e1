# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's signed links to an appointment: see it, move it, cancel it;
and the portal's list of upcoming appointments.

``/customer/booking/<id>/<token>`` (the token compared in constant time);
changes are POSTs, with Odoo's CSRF check. A link of a booking cancelled or
moved already says so, and changes nothing.
"""

from datetime import datetime, timedelta

import pytz

from odoo import fields, http, tools
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import UserError
from odoo.http import request

from ..models.autoreg_booking import BookingRefused

BOOKING_PATH = "/customer/booking/<int:booking_id>/<string:token>"
RESCHEDULE_DAYS = 14


class CustomerBooking(http.Controller):
    @http.route(BOOKING_PATH, type="http", auth="public", website=True,
                methods=["GET"], sitemap=False)
    def booking_page(self, booking_id, token, **params):
        booking = self._booking(booking_id, token)
        return self._render(booking, params)

    @http.route(f"{BOOKING_PATH}/cancel", type="http", auth="public", website=True,
                methods=["GET", "POST"], sitemap=False)
    def cancel(self, booking_id, token, **params):
        booking = self._booking(booking_id, token)
        if request.httprequest.method != "POST":
            return self._render(booking, params, confirm_cancel=True)
        try:
            booking._cancel()
        except UserError as error:
            return self._render(booking, params, error=error.args[0], status=409)
        return self._render(booking, params, done=request.env._(
            "Your appointment is cancelled. We look forward to seeing you another time."))

    @http.route(f"{BOOKING_PATH}/reschedule", type="http", auth="public", website=True,
                methods=["GET", "POST"], sitemap=False)
    def reschedule(self, booking_id, token, start=None, **params):
        booking = self._booking(booking_id, token)
        if request.httprequest.method != "POST":
            return self._render(booking, params, choose_time=True)
        try:
            moment = datetime.strptime(start or "", "%Y-%m-%dT%H:%M")
        except ValueError:
            return self._render(booking, params, choose_time=True, status=422,
                                error=request.env._("Please choose a time."))
        try:
            new = booking._reschedule(moment)
        except BookingRefused as refusal:
            return self._render(booking, params, choose_time=True, status=409,
                                error=refusal.args[0])
        except UserError as error:
            return self._render(booking, params, error=error.args[0], status=409)
        new._send_confirmation()
        return self._render(new, params, done=request.env._(
            "Your appointment is moved. We sent you the new confirmation by email."))

    # ------------------------------------------------------------------

    def _booking(self, booking_id, token):
        booking = request.env["autoreg.booking"]._of_token(booking_id, token)
        if not booking:
            raise request.not_found()
        return booking

    def _render(self, booking, params, status=200, **values):
        tz_name = self._tz(booking, params.get("tz"))
        refusal = booking._usable_refusal()
        days = []
        if values.get("choose_time") and not refusal:
            days = self._free_days(booking, tz_name)
        return request.render("client_autoreg.booking_manage_page", {
            "booking": booking,
            "when": booking._when(tz_name),
            "tz": tz_name,
            "refusal": refusal,
            "days": days,
            "base": f"/customer/booking/{booking.id}/{booking.access_token}",
            "confirm_cancel": False,
            "choose_time": False,
            "error": False,
            "done": False,
            **values,
        }, status=status)

    def _tz(self, booking, wanted):
        for tz_name in (wanted, request.httprequest.cookies.get("tz"), booking.partner_id.tz):
            if tz_name and tz_name in pytz.all_timezones_set:
                return tz_name
        return request.env["autoreg.booking.slot"]._company_tz(booking.company_id)

    def _free_days(self, booking, tz_name):
        """The service's free times of the coming days, this booking's own
        time counted as free, grouped by day in ``tz_name``."""
        local = pytz.timezone(tz_name)
        begin = fields.Datetime.now()
        slots = request.env["autoreg.booking.slot"].sudo()._free_slots(  # sudo: free times
            booking.service_id, begin, begin + timedelta(days=RESCHEDULE_DAYS), exclude=booking
        )
        days = {}
        for slot in slots:
            moment = pytz.utc.localize(slot.start).astimezone(local)
            days.setdefault(moment.date(), []).append((
                slot.start.strftime("%Y-%m-%dT%H:%M"),
                tools.format_time(request.env, moment.time(), tz=tz_name, time_format="short"),
            ))
        return [(tools.format_date(request.env, day, date_format="EEEE d MMMM"), times)
                for day, times in sorted(days.items())]


class BookingPortal(CustomerPortal):
    """The customer's upcoming appointments in the portal, with the same
    links as the confirmation email."""

    @http.route("/my/appointments", type="http", auth="user", website=True, sitemap=False)
    def portal_my_appointments(self, **_params):
        partner = request.env.user.partner_id
        # sudo: the customer sees their own bookings (portal users have no
        # access to the model), found by their own contact
        bookings = request.env["autoreg.booking"].sudo().search([
            ("partner_id", "child_of", partner.commercial_partner_id.id),
            ("state", "=", "booked"),
            ("stop", ">=", fields.Datetime.now()),
        ], order="start")
        tz_name = request.env.user.tz or request.env["autoreg.booking.slot"]._company_tz()
        values = self._prepare_portal_layout_values()
        values.update({
            "bookings": [(booking, booking._when(tz_name)) for booking in bookings],
            "page_name": "appointments",
        })
        return request.render("client_autoreg.portal_my_appointments", values)

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "appointment_count" in counters:
            partner = request.env.user.partner_id
            # sudo: counts the customer's own bookings
            values["appointment_count"] = request.env["autoreg.booking"].sudo().search_count([
                ("partner_id", "child_of", partner.commercial_partner_id.id),
                ("state", "=", "booked"),
                ("stop", ">=", fields.Datetime.now()),
            ])
        return values
