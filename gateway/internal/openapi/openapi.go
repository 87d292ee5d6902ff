// Package openapi serves the gateway's OpenAPI 3 document (openapi.json,
// embedded: the contract clients code against) at /openapi.json and a
// Swagger UI page for it at /docs.
package openapi

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document.
func Document() []byte { return document }

// ServeDocument serves GET /openapi.json.
func ServeDocument(_ context.Context, c *app.RequestContext) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", document)
}

// swaggerUIVersion pins the swagger-ui-dist assets the page loads.
const swaggerUIVersion = "5.17.14"

const page = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>kitemall API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@` + swaggerUIVersion + `/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@` + swaggerUIVersion + `/swagger-ui-bundle.js" crossorigin></script>
  <script>
    window.onload = () => { window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" }); };
  </script>
</body>
</html>
`

// ServeUI serves GET /docs.
func ServeUI(_ context.Context, c *app.RequestContext) {
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(page))
}
