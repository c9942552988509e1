# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's erasure request, from the portal (GDPR art. 17, DPDP
s. 12): asked by the signed-in customer, confirmed by the link mailed to
their address, by a POST from the page the link opens (a mail scanner
opening the link erases nothing). Anyone but the contact meets the same
"link not valid" page as a wrong token: nothing is revealed."""

from odoo import http
from odoo.http import request


class IntakePrivacy(http.Controller):
    @http.route("/my/privacy", type="http", auth="user", website=True, methods=["GET"])
    def privacy(self, **_params):
        return request.render("client_autoreg.privacy_portal_page", {
            "can_ask": request.env.user.share,
            "notice_url": request.env.company._autoreg_privacy_notice_url(),
        })

    @http.route("/my/privacy/erasure", type="http", auth="user", website=True,
                methods=["POST"])
    def ask_erasure(self, **_params):
        erasure = request.env["autoreg.erasure"]._request_from_portal(request.env.user)
        return request.render("client_autoreg.privacy_erasure_outcome", {
            "outcome": "mailed" if erasure else "impossible",
        })

    @http.route("/customer/privacy/erasure/<int:erasure_id>/<string:token>", type="http",
                auth="user", website=True, methods=["GET"])
    def confirm_page(self, erasure_id, token, **_params):
        erasure = request.env["autoreg.erasure"].browse(erasure_id)
        if not erasure._portal_check(token, request.env.user):
            return request.render("client_autoreg.privacy_erasure_outcome",
                                  {"outcome": "invalid"})
        return request.render("client_autoreg.privacy_erasure_confirm", {
            "action": f"/customer/privacy/erasure/{erasure_id}/{token}",
        })

    @http.route("/customer/privacy/erasure/<int:erasure_id>/<string:token>", type="http",
                auth="user", website=True, methods=["POST"])
    def confirm(self, erasure_id, token, **_params):
        erasure = request.env["autoreg.erasure"].browse(erasure_id)
        state = erasure._portal_confirm(token, request.env.user)
        return request.render("client_autoreg.privacy_erasure_outcome", {
            "outcome": state or "invalid",
        })
