# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The link of the newsletter confirmation email (double opt-in).

Opening the link changes nothing (mail scanners open links); the page asks
the person to confirm, and the confirmation is a POST from that page."""

from odoo import http
from odoo.http import request


class ConsentConfirmation(http.Controller):
    @http.route(["/customer/consent/<int:consent_id>/<string:token>",
                 # links sent before 18.0.1.1.0
                 "/autoreg/consent/<int:consent_id>/<string:token>"], type="http",
                auth="public", website=True, methods=["GET", "POST"], sitemap=False)
    def confirm(self, consent_id, token, **_params):
        # The token is checked before anything (sudo inside: the link itself
        # is the visitor's credential); Odoo checked the CSRF token of a POST.
        consent = request.env["autoreg.consent"].browse(consent_id)
        if request.httprequest.method == "POST":
            outcome = consent._confirm(token)
        else:
            outcome = consent._link_outcome(token)
        status = 404 if outcome == "invalid" else 200
        return request.render("client_autoreg.consent_confirmation_page",
                              {"outcome": outcome}, status=status)
