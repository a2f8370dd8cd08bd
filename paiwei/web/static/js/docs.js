// /docs: Swagger UI from static/vendor/swagger-ui (no CDN), on the app's OpenAPI document.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({ url: root.dataset.openapiUrl, domNode: root, deepLinking: true });
