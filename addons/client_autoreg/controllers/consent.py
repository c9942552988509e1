# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The link of the newsletter confirmation email (double opt-in)."""

from odoo import http
from odoo.http import request


class ConsentConfirmation(http.Controller):
    @http.route(["/customer/consent/<int:consent_id>/<string:token>",
                 # links sent before 18.0.1.1.0
                 "/autoreg/consent/<int:consent_id>/<string:token>"], type="http",
                auth="public", website=True, methods=["GET"], sitemap=False)
    def confirm(self, consent_id, token, **_params):
        # _confirm checks the token before anything (sudo inside: the link
        # itself is the visitor's credential).
        outcome = request.env["autoreg.consent"].browse(consent_id)._confirm(token)
        status = 404 if outcome == "invalid" else 200
        return request.render("client_autoreg.consent_confirmation_page",
                              {"outcome": outcome}, status=status)
