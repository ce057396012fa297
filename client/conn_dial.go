//go:build !js

package client

import (
	"net/http"

	"github.com/coder/websocket"
)

// dialOptions carries the session token in the upgrade request.
func (c *Client) dialOptions() *websocket.DialOptions {
	h := http.Header{}
	if tok := c.Token(); tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return &websocket.DialOptions{HTTPHeader: h, HTTPClient: c.hc}
}
