// Renders the live OpenAPI schema on /api with Swagger UI (served from /static/vendor, CSP 'self').
// Only read-only operations can be tried from the page; the push API needs an agency key.
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-schema-url"),
    domNode: target,
    deepLinking: false,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    supportedSubmitMethods: ["get"],
    validatorUrl: null,
  });
});
