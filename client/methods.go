package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
)

// SendCode starts a sign-in (auth.sendCode): the server sends a code to
// identifier, a phone number or an email address.
func (c *Client) SendCode(ctx context.Context, identifier, device string) (*SentCode, error) {
	var r SentCode
	p := map[string]string{"identifier": identifier}
	if device != "" {
		p["device"] = device
	}
	if err := c.Call(ctx, "auth.sendCode", p, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (c *Client) authStep(ctx context.Context, method string, p map[string]string) (*Authorization, error) {
	var r Authorization
	if err := c.Call(ctx, method, p, &r); err != nil {
		return nil, err
	}
	if r.Status == StatusAuthorized && r.Token != "" {
		c.SetToken(r.Token)
	}
	return &r, nil
}

// SignIn checks the code of a sign-in attempt (auth.signIn). When the
// answer is "authorized", the client keeps the new token.
func (c *Client) SignIn(ctx context.Context, loginToken, code string) (*Authorization, error) {
	return c.authStep(ctx, "auth.signIn", map[string]string{"login_token": loginToken, "code": code})
}

// SignUp creates the account of a new person (auth.signUp) and keeps the
// new token. A server whose sign-up needs an invite code (the sign-in
// step's InviteRequired) answers [ErrInviteCodeRequired]: use
// [Client.SignUpWithInvite].
func (c *Client) SignUp(ctx context.Context, loginToken, firstName, lastName string) (*Authorization, error) {
	return c.SignUpWithInvite(ctx, loginToken, firstName, lastName, "")
}

// SignUpWithInvite creates the account of a new person with an invite
// code (auth.signUp with invite_code; "" for none) and keeps the new
// token. The refusals are [ErrInviteCodeRequired], [ErrInviteCodeInvalid],
// [ErrInviteCodeExpired], [ErrInviteCodeUsedUp] and [ErrSignupClosed];
// after any of them but the last, the same loginToken may try another
// code.
func (c *Client) SignUpWithInvite(ctx context.Context, loginToken, firstName, lastName, inviteCode string) (*Authorization, error) {
	p := map[string]string{"login_token": loginToken, "first_name": firstName}
	if lastName != "" {
		p["last_name"] = lastName
	}
	if inviteCode != "" {
		p["invite_code"] = inviteCode
	}
	return c.authStep(ctx, "auth.signUp", p)
}

// CheckPassword finishes a sign-in that needs the cloud password
// (auth.checkPassword) and keeps the new token.
func (c *Client) CheckPassword(ctx context.Context, loginToken, password string) (*Authorization, error) {
	return c.authStep(ctx, "auth.checkPassword", map[string]string{"login_token": loginToken, "password": password})
}

// Me returns the caller's own account (users.getMe).
func (c *Client) Me(ctx context.Context) (*User, error) {
	var u User
	if err := c.Call(ctx, "users.getMe", nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// SendParams are the parameters of messages.send. Give ChatID, or UserID
// for the private chat with that person (your own id: Saved Messages).
type SendParams struct {
	ChatID    int64    `json:"chat_id,omitempty"`
	UserID    int64    `json:"user_id,omitempty"`
	Text      string   `json:"text"`
	Entities  []Entity `json:"entities,omitempty"`
	ReplyToID int64    `json:"reply_to_id,omitempty"`
	Silent    bool     `json:"silent,omitempty"`
	// RandomID makes the send idempotent. When it is 0, Send picks a
	// random one and stores it here, so that a retry with the same
	// *SendParams after a network error does not post twice.
	RandomID int64 `json:"random_id"`
}

// NewRandomID returns a random non-zero message random_id within ±2^53.
func NewRandomID() int64 {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("haven: crypto/rand: " + err.Error())
		}
		v := int64(binary.LittleEndian.Uint64(b[:]) & (1<<53 - 1))
		if v != 0 {
			return v
		}
	}
}

// Send posts a text message (messages.send). When p.RandomID is 0 it is
// set to a fresh random id first. While the server cannot be reached
// (or is shutting down), Send tries again with the same random_id until
// ctx ends, so a message is posted once however often it is tried;
// calling Send again with the same p after it gave up is just as safe.
func (c *Client) Send(ctx context.Context, p *SendParams) (*Message, error) {
	if p.RandomID == 0 {
		p.RandomID = NewRandomID()
	}
	var m Message
	if err := c.callUntilAnswered(ctx, "messages.send", p, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// HistoryParams are the parameters of messages.history: the chat, at
// most one cursor (BeforeID, AfterID or AroundID) and a page size up to 100.
type HistoryParams struct {
	ChatID   int64 `json:"chat_id"`
	BeforeID int64 `json:"before_id,omitempty"`
	AfterID  int64 `json:"after_id,omitempty"`
	AroundID int64 `json:"around_id,omitempty"`
	Limit    int   `json:"limit,omitempty"`
}

// History returns a page of a chat's messages, newest first
// (messages.history).
func (c *Client) History(ctx context.Context, p HistoryParams) ([]Message, error) {
	var ms []Message
	if err := c.Call(ctx, "messages.history", p, &ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// Dialogs lists the caller's chats (dialogs.list).
func (c *Client) Dialogs(ctx context.Context) ([]Dialog, error) {
	var ds []Dialog
	if err := c.Call(ctx, "dialogs.list", nil, &ds); err != nil {
		return nil, err
	}
	return ds, nil
}

// Read marks chatID read up to maxID, or to the newest message when maxID
// is 0 (messages.read).
func (c *Client) Read(ctx context.Context, chatID, maxID int64) error {
	p := map[string]int64{"chat_id": chatID}
	if maxID != 0 {
		p["max_id"] = maxID
	}
	return c.Call(ctx, "messages.read", p, nil)
}

// GetState returns where the caller stands now (sync.getState).
func (c *Client) GetState(ctx context.Context) (*State, error) {
	var s State
	if err := c.Call(ctx, "sync.getState", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetDifference returns what changed since pts and gid (sync.getDifference).
func (c *Client) GetDifference(ctx context.Context, pts, gid int64) (*Difference, error) {
	var d Difference
	if err := c.Call(ctx, "sync.getDifference", map[string]int64{"pts": pts, "gid": gid}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// GetChatDifference returns a chat's events after seq
// (sync.getChatDifference); limit 0 means the server's maximum.
func (c *Client) GetChatDifference(ctx context.Context, chatID, seq int64, limit int) (*ChatDifference, error) {
	p := map[string]int64{"chat_id": chatID, "seq": seq}
	if limit > 0 {
		p["limit"] = int64(limit)
	}
	var d ChatDifference
	if err := c.Call(ctx, "sync.getChatDifference", p, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
