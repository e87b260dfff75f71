// Starts Swagger UI on #swagger-ui with the document named by this script tag's
// data-openapi-url. A file, not an inline script, so the page's strict
// Content-Security-Policy (script-src 'self') holds.
(function () {
  "use strict";
  var script = document.currentScript;
  window.ui = window.SwaggerUIBundle({
    url: script.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from validator.swagger.io: the page loads nothing from elsewhere.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
