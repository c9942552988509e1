/** @odoo-module **/
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
// The customer forms get a captcha token (when a reCAPTCHA key is set)
// right before they are posted, and can be sent only once.

import publicWidget from "@web/legacy/js/public/public_widget";
import { ReCaptcha } from "@google_recaptcha/js/recaptcha";

publicWidget.registry.AutoregCustomerForm = publicWidget.Widget.extend({
    selector: "form.o_autoreg_form",
    events: { submit: "_onSubmit" },

    init() {
        this._super(...arguments);
        this._recaptcha = new ReCaptcha();
    },

    willStart() {
        this._recaptcha.loadLibs();
        return this._super(...arguments);
    },

    async _onSubmit(ev) {
        ev.preventDefault();
        if (this._sending) {
            return;
        }
        this._sending = true;
        this.el.querySelectorAll("button[type=submit]").forEach((button) => {
            button.disabled = true;
        });
        const result = await this._recaptcha.getToken("autoreg_form");
        if (result.token) {
            const input = document.createElement("input");
            input.type = "hidden";
            input.name = "recaptcha_token_response";
            input.value = result.token;
            this.el.appendChild(input);
        }
        this.el.submit();
    },
});
