// Swagger UI over GET /api/openapi.json. "Try it out" calls the API with the browser's session: a
// change sends the console's CSRF token, and X-Requested-With keeps an expired session from opening
// the browser's password dialog.
'use strict';
const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;

window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null, // no call to an online validator
    requestInterceptor: (request) => {
      request.headers['X-Requested-With'] = 'api-docs';
      if (request.method && request.method.toUpperCase() !== 'GET') request.headers[meta('csrf-header')] = meta('csrf-token');
      return request;
    },
  });
});
