// Package client is the Go SDK of Haven's native API (see docs/api.md).
//
// A [Client] calls API methods over HTTP ([Client.Call] and the typed
// methods such as [Client.Send]); [Client.Connect] opens a WebSocket
// ([Conn]) that calls methods and receives pushes; and [Client.Updates]
// runs a sync engine that turns the pushes into one ordered stream of
// events per chat, with no gap and no duplicate, across reconnects.
//
// Errors the server answers are returned as [*Error] values carrying the
// server's code; test them with errors.As. A FLOOD_WAIT is slept through
// and the call tried once more. Sends ([Client.Send], [Client.SendMedia],
// [Client.SendAlbum], [Client.Forward]) carry random_ids, so they are
// tried again while the server cannot be reached, until it answers or
// the context ends, and are posted once.
//
// Every method of docs/api.md has a typed method, named after it (such
// as [Client.CreateGroup] for chats.createGroup). Files are uploaded
// with [Client.UploadFile], which sends the parts concurrently and
// checks the SHA-256, and fetched with [Client.Download].
//
// [Client.UpdatesWithStore] keeps the engine's state in a [Store], so
// that a restarted program resumes where it stopped and asks only for
// the difference. The package client/cache is such a store on disk
// (SQLite), which also keeps the dialogs and recent messages; it is a
// package of its own so that programs without a cache do not link
// SQLite.
//
// Secret chats (end-to-end encrypted, on every device of both people)
// are [SecretChats]: [CreateSecretDevice] makes a session the first
// device of an account, [LinkSecretDevice] adds another, and
// [OpenSecretChats] reopens one from its state file (mode 0600, holding
// the device's private keys).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Error is an error answered by the server, built from the envelope's
// error object. Programs should test Code, which is stable.
type Error struct {
	// Code is the server's error code, such as "FLOOD_WAIT".
	Code string `json:"code"`
	// Message explains the error to a developer; it may change.
	Message string `json:"message"`
	// RetryAfter is the number of seconds to wait, with FLOOD_WAIT and
	// SLOWMODE_WAIT; 0 otherwise.
	RetryAfter int `json:"retry_after,omitempty"`
	// Status is the HTTP status of the answer; 0 over the WebSocket.
	Status int `json:"-"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("haven: %s: %s (retry after %ds)", e.Code, e.Message, e.RetryAfter)
	}
	return fmt.Sprintf("haven: %s: %s", e.Code, e.Message)
}

// Is reports whether target is an [*Error] with the same code, so that
// errors.Is(err, client.ErrSignupClosed) tests an answer's code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// IsCode reports whether err is (or wraps) an [*Error] with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// The refusals of sign-up, to test with errors.Is (docs/api.md, "Who may
// sign up").
var (
	// ErrSignupClosed: the server makes no accounts by sign-up; its
	// operator makes them. auth.signIn answers it to a new person.
	ErrSignupClosed = &Error{Code: "SIGNUP_CLOSED"}
	// ErrInviteCodeRequired: sign-up needs an invite code.
	ErrInviteCodeRequired = &Error{Code: "INVITE_CODE_REQUIRED"}
	// ErrInviteCodeInvalid: no invite has this code.
	ErrInviteCodeInvalid = &Error{Code: "INVITE_CODE_INVALID"}
	// ErrInviteCodeExpired: the invite expired or was revoked.
	ErrInviteCodeExpired = &Error{Code: "INVITE_CODE_EXPIRED"}
	// ErrInviteCodeUsedUp: the invite let in as many people as it may.
	ErrInviteCodeUsedUp = &Error{Code: "INVITE_CODE_USED_UP"}
	// ErrMemberInvitesDisabled: members may not make sign-up invites.
	ErrMemberInvitesDisabled = &Error{Code: "MEMBER_INVITES_DISABLED"}
	// ErrMemberInvitesTooMany: the caller made as many as each member may.
	ErrMemberInvitesTooMany = &Error{Code: "MEMBER_INVITES_TOO_MANY"}
)

// envelope is the server's answer: {"ok":…,"result":…,"error":…}.
type envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// Client is a client of one Haven server. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client

	mu    sync.Mutex
	token string

	// maxFloodWait is the longest FLOOD_WAIT the client sleeps through.
	maxFloodWait time.Duration

	updMu   sync.Mutex
	updConn *Conn
}

// Option configures a [Client] made by [New].
type Option func(*Client)

// WithToken makes the client act as the session of token (hvn_…).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient makes the client send its requests with hc instead of
// http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithMaxFloodWait sets the longest FLOOD_WAIT that a call sleeps through
// before retrying once (60 seconds by default); a longer wait is returned
// as the error.
func WithMaxFloodWait(d time.Duration) Option { return func(c *Client) { c.maxFloodWait = d } }

// New returns a client of the server at baseURL (such as
// "https://haven.example.org").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: http.DefaultClient, maxFloodWait: time.Minute}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Token returns the session token the client uses ("" before sign-in).
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// SetToken makes later calls act as the session of token. The sign-in
// methods call it when they end with "authorized".
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
}

// Call calls method over HTTP with params (marshalled to JSON; nil for
// none) and decodes the result into result (which may be nil). An error
// answer is returned as an [*Error]. A FLOOD_WAIT is honoured: the call
// sleeps retry_after seconds (or until ctx ends) and is tried once more.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	var body []byte
	if params != nil {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return fmt.Errorf("haven: %s: encoding params: %w", method, err)
		}
	}
	err := c.call(ctx, method, body, result)
	var e *Error
	if errors.As(err, &e) && e.Code == "FLOOD_WAIT" {
		wait := time.Duration(e.RetryAfter) * time.Second
		if wait <= 0 {
			wait = time.Second
		}
		if wait > c.maxFloodWait {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		err = c.call(ctx, method, body, result)
	}
	return err
}

func (c *Client) call(ctx context.Context, method string, body []byte, result any) error {
	return c.do(ctx, method, http.MethodPost, c.base+"/api/"+method, "application/json", body, result)
}

// do sends one request with the session token and decodes the envelope
// of its answer into result; every HTTP call of the client goes through it.
func (c *Client) do(ctx context.Context, method, verb, url, contentType string, body []byte, result any) error {
	req, err := http.NewRequestWithContext(ctx, verb, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("haven: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", contentType)
	if tok := c.Token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("haven: %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("haven: %s: reading the answer: %w", method, err)
	}
	return decodeEnvelope(method, data, resp.StatusCode, result)
}

func decodeEnvelope(method string, data []byte, status int, result any) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("haven: %s: decoding the answer (status %d): %w", method, status, err)
	}
	if !env.OK {
		if env.Error == nil {
			return &Error{Code: "INTERNAL", Message: "answer without ok nor error", Status: status}
		}
		env.Error.Status = status
		return env.Error
	}
	if result != nil && len(env.Result) > 0 {
		if err := json.Unmarshal(env.Result, result); err != nil {
			return fmt.Errorf("haven: %s: decoding the result: %w", method, err)
		}
	}
	return nil
}
