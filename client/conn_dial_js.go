//go:build js

package client

import "github.com/coder/websocket"

// dialOptions: a browser's WebSocket takes no headers; under js/wasm
// the SDK is used for its HTTP calls (the web app's secret chats), not
// for sockets, which the page's own code opens.
func (c *Client) dialOptions() *websocket.DialOptions { return &websocket.DialOptions{} }
