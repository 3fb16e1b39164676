// The API documentation (/api/docs): Swagger UI started on the spec the page names.
const container = document.getElementById("swagger-ui-container");
window.ui = SwaggerUIBundle({ url: container.dataset.specUrl, dom_id: "#swagger-ui-container",
  ...JSON.parse(container.dataset.config) });
