// Starts Swagger UI on /docs (graph/server/assets.py). A file, not an inline script, so
// that the page works under `script-src 'self'`. The OpenAPI document's address is the
// `data-openapi-url` of #swagger-ui; its security schemes give the Authorize button.
"use strict";
(function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.openapiUrl,
    domNode: node,
    deepLinking: true,
    filter: true,
    displayRequestDuration: true,
    // no badge: it would send the document's address to validator.swagger.io
    validatorUrl: null,
  });
})();
