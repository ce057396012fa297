package client

import (
	"context"
	"strconv"
)

// do calls method and decodes its result into a new T.
func do[T any](ctx context.Context, c *Client, method string, params any) (T, error) {
	var r T
	err := c.Call(ctx, method, params, &r)
	return r, err
}

// ptr calls method and returns a pointer to its decoded result.
func ptr[T any](ctx context.Context, c *Client, method string, params any) (*T, error) {
	var r T
	if err := c.Call(ctx, method, params, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

type obj = map[string]any

// --- auth and sessions ---

// RequestPasswordRecovery sends a recovery code to the account's recovery
// email, at the password_required step (auth.requestPasswordRecovery).
func (c *Client) RequestPasswordRecovery(ctx context.Context, loginToken string) (*RecoveryStarted, error) {
	return ptr[RecoveryStarted](ctx, c, "auth.requestPasswordRecovery", obj{"login_token": loginToken})
}

// RecoverPassword signs in with the code sent to the recovery email
// (auth.recoverPassword) and keeps the new token.
func (c *Client) RecoverPassword(ctx context.Context, loginToken, code string) (*Authorization, error) {
	return c.authStep(ctx, "auth.recoverPassword", map[string]string{"login_token": loginToken, "code": code})
}

// CreateSignupInvite makes a sign-up invite for one person
// (signup.createInvite), when the server lets members invite; its Code
// and Link are shown this once. The refusals are
// [ErrMemberInvitesDisabled] and [ErrMemberInvitesTooMany].
func (c *Client) CreateSignupInvite(ctx context.Context) (*SignupInvite, error) {
	return ptr[SignupInvite](ctx, c, "signup.createInvite", nil)
}

// SignupInvites lists the caller's sign-up invites and how many more
// they may make (signup.invites).
func (c *Client) SignupInvites(ctx context.Context) (*SignupInvites, error) {
	return ptr[SignupInvites](ctx, c, "signup.invites", nil)
}

// RevokeSignupInvite makes one of the caller's sign-up invites stop
// working (signup.revokeInvite).
func (c *Client) RevokeSignupInvite(ctx context.Context, id int64) error {
	return c.Call(ctx, "signup.revokeInvite", obj{"id": id}, nil)
}

// UseToken checks token (auth.useToken), makes the client use it and
// returns its account.
func (c *Client) UseToken(ctx context.Context, token string) (*User, error) {
	u, err := ptr[User](ctx, c, "auth.useToken", obj{"token": token})
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	return u, nil
}

// LogOut ends the client's session (auth.logOut) and forgets its token.
func (c *Client) LogOut(ctx context.Context) error {
	if err := c.Call(ctx, "auth.logOut", nil, nil); err != nil {
		return err
	}
	c.SetToken("")
	return nil
}

// Sessions lists the caller's sessions (sessions.list).
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	return do[[]Session](ctx, c, "sessions.list", nil)
}

// TerminateSession ends one of the caller's sessions (sessions.terminate).
func (c *Client) TerminateSession(ctx context.Context, sessionID int64) error {
	return c.Call(ctx, "sessions.terminate", obj{"session_id": sessionID}, nil)
}

// TerminateOtherSessions ends every session but the caller's
// (sessions.terminateOthers) and returns how many ended.
func (c *Client) TerminateOtherSessions(ctx context.Context) (int, error) {
	r, err := do[struct {
		Count int `json:"count"`
	}](ctx, c, "sessions.terminateOthers", nil)
	return r.Count, err
}

// --- account ---

// GetPassword returns the caller's two-step verification state
// (account.getPassword).
func (c *Client) GetPassword(ctx context.Context) (*PasswordState, error) {
	return ptr[PasswordState](ctx, c, "account.getPassword", nil)
}

// SetPasswordParams are the parameters of account.setPassword.
type SetPasswordParams struct {
	CurrentPassword string `json:"current_password,omitempty"`
	NewPassword     string `json:"new_password"`
	Hint            string `json:"hint,omitempty"`
	RecoveryEmail   string `json:"recovery_email,omitempty"`
}

// SetPassword sets or changes the cloud password (account.setPassword).
// A new recovery email is not used until confirmed: a code is sent to it
// for ConfirmRecoveryEmail, and the state shows it as pending.
func (c *Client) SetPassword(ctx context.Context, p SetPasswordParams) (*PasswordState, error) {
	return ptr[PasswordState](ctx, c, "account.setPassword", p)
}

// ConfirmRecoveryEmail confirms the recovery email set by SetPassword
// with the code sent to it (account.confirmRecoveryEmail).
func (c *Client) ConfirmRecoveryEmail(ctx context.Context, code string) (*PasswordState, error) {
	return ptr[PasswordState](ctx, c, "account.confirmRecoveryEmail", obj{"code": code})
}

// RemovePassword removes the cloud password (account.removePassword).
func (c *Client) RemovePassword(ctx context.Context, currentPassword string) error {
	return c.Call(ctx, "account.removePassword", obj{"current_password": currentPassword}, nil)
}

// ProfileParams are the parameters of account.updateProfile: a nil
// field is left as it is; a pointer to "" removes it.
type ProfileParams struct {
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Bio       *string `json:"bio,omitempty"`
}

// UpdateProfile changes the caller's name or bio (account.updateProfile).
func (c *Client) UpdateProfile(ctx context.Context, p ProfileParams) (*User, error) {
	return ptr[User](ctx, c, "account.updateProfile", p)
}

// SetProfilePhoto sets an uploaded image as the profile photo
// (account.setPhoto).
func (c *Client) SetProfilePhoto(ctx context.Context, fileID int64) (*User, error) {
	return ptr[User](ctx, c, "account.setPhoto", obj{"file_id": fileID})
}

// RemoveProfilePhoto removes the profile photo (account.removePhoto).
func (c *Client) RemoveProfilePhoto(ctx context.Context) (*User, error) {
	return ptr[User](ctx, c, "account.removePhoto", nil)
}

// UpdateUsername sets the caller's username; "" removes it
// (account.updateUsername).
func (c *Client) UpdateUsername(ctx context.Context, username string) (*User, error) {
	return ptr[User](ctx, c, "account.updateUsername", obj{"username": username})
}

// DeleteAccount deletes the caller's account (account.delete); password
// is the cloud password, when one is set.
func (c *Client) DeleteAccount(ctx context.Context, password string) error {
	p := obj{}
	if password != "" {
		p["password"] = password
	}
	return c.Call(ctx, "account.delete", p, nil)
}

// GetAccountTTL returns the inactivity period (account.getTTL).
func (c *Client) GetAccountTTL(ctx context.Context) (*AccountTTL, error) {
	return ptr[AccountTTL](ctx, c, "account.getTTL", nil)
}

// SetAccountTTL sets the inactivity period: 1, 3, 6 or 12 months
// (account.setTTL).
func (c *Client) SetAccountTTL(ctx context.Context, months int) (*AccountTTL, error) {
	return ptr[AccountTTL](ctx, c, "account.setTTL", obj{"months": months})
}

// --- users, contacts, privacy ---

// Users returns accounts by id, in the order asked (users.get). Ids of
// accounts that do not exist, or that the caller has no reason to see
// (no contact, shared chat or lookup by username or number), are left
// out alike.
func (c *Client) Users(ctx context.Context, ids []int64) ([]User, error) {
	if ids == nil {
		ids = []int64{}
	}
	return do[[]User](ctx, c, "users.get", obj{"ids": ids})
}

// ResolveUsername returns the account with a username
// (users.resolveUsername); the caller may see it from then on, by id.
func (c *Client) ResolveUsername(ctx context.Context, username string) (*User, error) {
	return ptr[User](ctx, c, "users.resolveUsername", obj{"username": username})
}

// CheckUsername reports whether a username is available
// (users.checkUsername).
func (c *Client) CheckUsername(ctx context.Context, username string) (bool, error) {
	r, err := do[struct {
		Available bool `json:"available"`
	}](ctx, c, "users.checkUsername", obj{"username": username})
	return r.Available, err
}

// ImportContacts adds address book entries as contacts (contacts.import).
func (c *Client) ImportContacts(ctx context.Context, contacts []ContactInput) (*ImportResult, error) {
	return ptr[ImportResult](ctx, c, "contacts.import", obj{"contacts": contacts})
}

// AddContact adds a person the caller may see to their contacts under
// the names given, or renames them (contacts.add).
func (c *Client) AddContact(ctx context.Context, userID int64, firstName, lastName string) (*Contact, error) {
	p := obj{"user_id": userID, "first_name": firstName}
	if lastName != "" {
		p["last_name"] = lastName
	}
	return ptr[Contact](ctx, c, "contacts.add", p)
}

// Contacts lists the caller's contacts (contacts.list).
func (c *Client) Contacts(ctx context.Context) ([]Contact, error) {
	return do[[]Contact](ctx, c, "contacts.list", nil)
}

// DeleteContacts removes people from the caller's contacts
// (contacts.delete).
func (c *Client) DeleteContacts(ctx context.Context, userIDs []int64) error {
	return c.Call(ctx, "contacts.delete", obj{"user_ids": userIDs}, nil)
}

// Block blocks a person (contacts.block).
func (c *Client) Block(ctx context.Context, userID int64) error {
	return c.Call(ctx, "contacts.block", obj{"user_id": userID}, nil)
}

// Unblock unblocks a person (contacts.unblock).
func (c *Client) Unblock(ctx context.Context, userID int64) error {
	return c.Call(ctx, "contacts.unblock", obj{"user_id": userID}, nil)
}

// Blocked lists the people the caller blocks (contacts.listBlocked).
func (c *Client) Blocked(ctx context.Context) ([]User, error) {
	return do[[]User](ctx, c, "contacts.listBlocked", nil)
}

// GetPrivacy returns every privacy setting (privacy.get).
func (c *Client) GetPrivacy(ctx context.Context) (Privacy, error) {
	return do[Privacy](ctx, c, "privacy.get", nil)
}

// SetPrivacy sets one privacy setting and returns them all (privacy.set).
func (c *Client) SetPrivacy(ctx context.Context, key, value string) (Privacy, error) {
	return do[Privacy](ctx, c, "privacy.set", obj{"key": key, "value": value})
}

// --- messages ---

// MediaParams are the parameters of messages.sendMedia. Give ChatID or
// UserID. RandomID works as in [SendParams].
type MediaParams struct {
	ChatID      int64    `json:"chat_id,omitempty"`
	UserID      int64    `json:"user_id,omitempty"`
	Kind        string   `json:"kind"`
	FileID      int64    `json:"file_id"`
	Caption     string   `json:"caption,omitempty"`
	Entities    []Entity `json:"entities,omitempty"`
	Duration    int      `json:"duration,omitempty"`
	Width       int      `json:"width,omitempty"`
	Height      int      `json:"height,omitempty"`
	ThumbFileID int64    `json:"thumb_file_id,omitempty"`
	ReplyToID   int64    `json:"reply_to_id,omitempty"`
	Silent      bool     `json:"silent,omitempty"`
	RandomID    int64    `json:"random_id"`
}

// SendMedia posts an uploaded file (messages.sendMedia). When p.RandomID
// is 0 it is set first; like [Client.Send], it tries again until the
// server answers or ctx ends.
func (c *Client) SendMedia(ctx context.Context, p *MediaParams) (*Message, error) {
	if p.RandomID == 0 {
		p.RandomID = NewRandomID()
	}
	var m Message
	if err := c.callUntilAnswered(ctx, "messages.sendMedia", p, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// AlbumItem is one photo or video of an album.
type AlbumItem struct {
	Kind        string   `json:"kind"`
	FileID      int64    `json:"file_id"`
	Caption     string   `json:"caption,omitempty"`
	Entities    []Entity `json:"entities,omitempty"`
	Duration    int      `json:"duration,omitempty"`
	Width       int      `json:"width,omitempty"`
	Height      int      `json:"height,omitempty"`
	ThumbFileID int64    `json:"thumb_file_id,omitempty"`
	RandomID    int64    `json:"random_id"`
}

// AlbumParams are the parameters of messages.sendAlbum.
type AlbumParams struct {
	ChatID    int64       `json:"chat_id,omitempty"`
	UserID    int64       `json:"user_id,omitempty"`
	Items     []AlbumItem `json:"items"`
	ReplyToID int64       `json:"reply_to_id,omitempty"`
	Silent    bool        `json:"silent,omitempty"`
}

// SendAlbum posts 2 to 10 photos and videos together
// (messages.sendAlbum). Items whose RandomID is 0 get a fresh one,
// stored in p, so that a retry with the same p does not post twice;
// like [Client.Send], it tries again until the server answers or ctx
// ends.
func (c *Client) SendAlbum(ctx context.Context, p *AlbumParams) ([]Message, error) {
	for i := range p.Items {
		if p.Items[i].RandomID == 0 {
			p.Items[i].RandomID = NewRandomID()
		}
	}
	var ms []Message
	err := c.callUntilAnswered(ctx, "messages.sendAlbum", p, &ms)
	return ms, err
}

// ForwardParams are the parameters of messages.forward.
type ForwardParams struct {
	FromChatID int64   `json:"from_chat_id"`
	IDs        []int64 `json:"ids"`
	ChatID     int64   `json:"chat_id,omitempty"`
	UserID     int64   `json:"user_id,omitempty"`
	// RandomIDs has one id per message of IDs; when empty, Forward fills
	// it (and keeps it in p for a retry).
	RandomIDs []int64 `json:"random_ids"`
	Silent    bool    `json:"silent,omitempty"`
}

// Forward copies messages to another chat (messages.forward); like
// [Client.Send], it tries again until the server answers or ctx ends.
func (c *Client) Forward(ctx context.Context, p *ForwardParams) ([]Message, error) {
	if len(p.RandomIDs) == 0 {
		p.RandomIDs = make([]int64, len(p.IDs))
		for i := range p.RandomIDs {
			p.RandomIDs[i] = NewRandomID()
		}
	}
	var ms []Message
	err := c.callUntilAnswered(ctx, "messages.forward", p, &ms)
	return ms, err
}

// Edit changes a message's text, or a media message's caption
// (messages.edit).
func (c *Client) Edit(ctx context.Context, chatID, id int64, text string, entities []Entity) (*Message, error) {
	p := obj{"chat_id": chatID, "id": id, "text": text}
	if entities != nil {
		p["entities"] = entities
	}
	return ptr[Message](ctx, c, "messages.edit", p)
}

// Delete deletes messages for everyone, or hides them from the caller
// only (messages.delete), and returns how many it deleted or hid.
func (c *Client) Delete(ctx context.Context, chatID int64, ids []int64, forEveryone bool) (int, error) {
	r, err := do[struct {
		Count int `json:"count"`
	}](ctx, c, "messages.delete", obj{"chat_id": chatID, "ids": ids, "for_everyone": forEveryone})
	return r.Count, err
}

// Pin pins a message (messages.pin).
func (c *Client) Pin(ctx context.Context, chatID, id int64) error {
	return c.Call(ctx, "messages.pin", obj{"chat_id": chatID, "id": id}, nil)
}

// Unpin unpins a message (messages.unpin).
func (c *Client) Unpin(ctx context.Context, chatID, id int64) error {
	return c.Call(ctx, "messages.unpin", obj{"chat_id": chatID, "id": id}, nil)
}

// React sets the caller's reaction to a message; "" takes it back
// (messages.react).
func (c *Client) React(ctx context.Context, chatID, id int64, emoji string) (*Message, error) {
	return ptr[Message](ctx, c, "messages.react", obj{"chat_id": chatID, "id": id, "emoji": emoji})
}

// Messages returns messages of a chat by id, ascending (messages.get).
func (c *Client) Messages(ctx context.Context, chatID int64, ids []int64) ([]Message, error) {
	return do[[]Message](ctx, c, "messages.get", obj{"chat_id": chatID, "ids": ids})
}

// View counts the caller's view of channel posts and returns their view
// counts by post id (messages.view).
func (c *Client) View(ctx context.Context, chatID int64, ids []int64) (map[int64]int64, error) {
	raw, err := do[map[string]int64](ctx, c, "messages.view", obj{"chat_id": chatID, "ids": ids})
	if err != nil {
		return nil, err
	}
	views := make(map[int64]int64, len(raw))
	for k, v := range raw {
		if id, err := strconv.ParseInt(k, 10, 64); err == nil {
			views[id] = v
		}
	}
	return views, nil
}

// SearchParams are the parameters of messages.search.
type SearchParams struct {
	Query        string `json:"query"`
	ChatID       int64  `json:"chat_id,omitempty"`
	BeforeChatID int64  `json:"before_chat_id,omitempty"`
	BeforeID     int64  `json:"before_id,omitempty"`
	Limit        int    `json:"limit,omitempty"`
}

// Search finds messages by words (messages.search).
func (c *Client) Search(ctx context.Context, p SearchParams) ([]Message, error) {
	return do[[]Message](ctx, c, "messages.search", p)
}

// SearchGlobalParams are the parameters of messages.searchGlobal. For
// the next page, set BeforeDate, BeforeChatID and BeforeID to the date,
// chat and id of the previous page's last message.
type SearchGlobalParams struct {
	Query        string `json:"query"`
	BeforeDate   int64  `json:"before_date,omitempty"`
	BeforeChatID int64  `json:"before_chat_id,omitempty"`
	BeforeID     int64  `json:"before_id,omitempty"`
	Limit        int    `json:"limit,omitempty"`
}

// SearchEverywhere finds messages across all the caller's chats, newest
// first, with their chats (messages.searchGlobal).
func (c *Client) SearchEverywhere(ctx context.Context, p SearchGlobalParams) (*FoundMessages, error) {
	return ptr[FoundMessages](ctx, c, "messages.searchGlobal", p)
}

// SetTyping tells the chat the caller is typing, or stopped
// (messages.setTyping).
func (c *Client) SetTyping(ctx context.Context, chatID int64, cancel bool) error {
	return c.Call(ctx, "messages.setTyping", obj{"chat_id": chatID, "cancel": cancel}, nil)
}

// --- chats ---

// CreateGroup creates a group with people in it (chats.createGroup).
func (c *Client) CreateGroup(ctx context.Context, title string, userIDs []int64) (*Chat, error) {
	p := obj{"title": title}
	if len(userIDs) > 0 {
		p["user_ids"] = userIDs
	}
	return ptr[Chat](ctx, c, "chats.createGroup", p)
}

// CreateChannel creates a channel; a username makes it public
// (chats.createChannel).
func (c *Client) CreateChannel(ctx context.Context, title, about, username string) (*Chat, error) {
	p := obj{"title": title}
	if about != "" {
		p["about"] = about
	}
	if username != "" {
		p["username"] = username
	}
	return ptr[Chat](ctx, c, "chats.createChannel", p)
}

// Chat returns a chat as the caller sees it (chats.get).
func (c *Client) Chat(ctx context.Context, chatID int64) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.get", obj{"chat_id": chatID})
}

// ResolveChat returns the public chat with a username (chats.resolve).
func (c *Client) ResolveChat(ctx context.Context, username string) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.resolve", obj{"username": username})
}

// Members returns a page of a chat's members after afterUserID
// (chats.members); limit 0 means the server's maximum.
func (c *Client) Members(ctx context.Context, chatID, afterUserID int64, limit int) ([]Member, error) {
	p := obj{"chat_id": chatID}
	if afterUserID != 0 {
		p["after_user_id"] = afterUserID
	}
	if limit > 0 {
		p["limit"] = limit
	}
	return do[[]Member](ctx, c, "chats.members", p)
}

// AddMembers adds people to a group or channel and returns the ids added
// (chats.addMembers).
func (c *Client) AddMembers(ctx context.Context, chatID int64, userIDs []int64) ([]int64, error) {
	r, err := do[struct {
		Added []int64 `json:"added"`
	}](ctx, c, "chats.addMembers", obj{"chat_id": chatID, "user_ids": userIDs})
	return r.Added, err
}

// RemoveMember removes a member (chats.removeMember).
func (c *Client) RemoveMember(ctx context.Context, chatID, userID int64) error {
	return c.Call(ctx, "chats.removeMember", obj{"chat_id": chatID, "user_id": userID}, nil)
}

// Ban bans a person until a Unix time, or for ever when until is 0
// (chats.ban).
func (c *Client) Ban(ctx context.Context, chatID, userID, until int64) error {
	p := obj{"chat_id": chatID, "user_id": userID}
	if until != 0 {
		p["until"] = until
	}
	return c.Call(ctx, "chats.ban", p, nil)
}

// Unban lifts a ban (chats.unban).
func (c *Client) Unban(ctx context.Context, chatID, userID int64) error {
	return c.Call(ctx, "chats.unban", obj{"chat_id": chatID, "user_id": userID}, nil)
}

// Leave leaves a group or channel (chats.leave).
func (c *Client) Leave(ctx context.Context, chatID int64) error {
	return c.Call(ctx, "chats.leave", obj{"chat_id": chatID}, nil)
}

// SetAdmin gives a member admin rights; none makes them a plain member
// again (chats.setAdmin).
func (c *Client) SetAdmin(ctx context.Context, chatID, userID int64, rights []string) error {
	if rights == nil {
		rights = []string{}
	}
	return c.Call(ctx, "chats.setAdmin", obj{"chat_id": chatID, "user_id": userID, "rights": rights}, nil)
}

// TransferOwnership makes a member the owner (chats.transferOwnership);
// password is the caller's cloud password, when one is set.
func (c *Client) TransferOwnership(ctx context.Context, chatID, userID int64, password string) error {
	p := obj{"chat_id": chatID, "user_id": userID}
	if password != "" {
		p["password"] = password
	}
	return c.Call(ctx, "chats.transferOwnership", p, nil)
}

// ChatUpdate are the parameters of chats.update: a nil field is left as
// it is.
type ChatUpdate struct {
	ChatID          int64     `json:"chat_id"`
	Title           *string   `json:"title,omitempty"`
	About           *string   `json:"about,omitempty"`
	Username        *string   `json:"username,omitempty"`
	MemberRights    *[]string `json:"member_rights,omitempty"`
	SlowModeSeconds *int      `json:"slow_mode_seconds,omitempty"`
	HistoryHidden   *bool     `json:"history_hidden,omitempty"`
	Signatures      *bool     `json:"signatures,omitempty"`
	TTLSeconds      *int      `json:"ttl_seconds,omitempty"`
	Reactions       *[]string `json:"reactions,omitempty"`
}

// UpdateChat changes a chat's title, description, username or settings
// (chats.update).
func (c *Client) UpdateChat(ctx context.Context, p ChatUpdate) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.update", p)
}

// SetChatPhoto sets an uploaded image as a chat's photo (chats.setPhoto).
func (c *Client) SetChatPhoto(ctx context.Context, chatID, fileID int64) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.setPhoto", obj{"chat_id": chatID, "file_id": fileID})
}

// RemoveChatPhoto removes a chat's photo (chats.removePhoto).
func (c *Client) RemoveChatPhoto(ctx context.Context, chatID int64) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.removePhoto", obj{"chat_id": chatID})
}

// CreateInvite makes an invite link (chats.createInvite); expiresIn in
// seconds and usageLimit are 0 for none.
func (c *Client) CreateInvite(ctx context.Context, chatID int64, expiresIn, usageLimit int) (*Invite, error) {
	p := obj{"chat_id": chatID}
	if expiresIn > 0 {
		p["expires_in"] = expiresIn
	}
	if usageLimit > 0 {
		p["usage_limit"] = usageLimit
	}
	return ptr[Invite](ctx, c, "chats.createInvite", p)
}

// RevokeInvite revokes an invite link (chats.revokeInvite).
func (c *Client) RevokeInvite(ctx context.Context, hash string) error {
	return c.Call(ctx, "chats.revokeInvite", obj{"hash": hash}, nil)
}

// Invites lists a chat's invite links (chats.invites).
func (c *Client) Invites(ctx context.Context, chatID int64) ([]Invite, error) {
	return do[[]Invite](ctx, c, "chats.invites", obj{"chat_id": chatID})
}

// CheckInvite returns the chat an invite link leads to
// (chats.checkInvite).
func (c *Client) CheckInvite(ctx context.Context, hash string) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.checkInvite", obj{"hash": hash})
}

// JoinByInvite joins the chat of an invite link (chats.joinByInvite).
func (c *Client) JoinByInvite(ctx context.Context, hash string) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.joinByInvite", obj{"hash": hash})
}

// Join joins a public group or channel (chats.join).
func (c *Client) Join(ctx context.Context, chatID int64) (*Chat, error) {
	return ptr[Chat](ctx, c, "chats.join", obj{"chat_id": chatID})
}

// DialogUpdate are the parameters of dialogs.update: a nil field is left
// as it is.
type DialogUpdate struct {
	ChatID     int64  `json:"chat_id"`
	Pinned     *bool  `json:"pinned,omitempty"`
	Archived   *bool  `json:"archived,omitempty"`
	MutedUntil *int64 `json:"muted_until,omitempty"`
}

// UpdateDialog pins, archives or mutes a dialog (dialogs.update).
func (c *Client) UpdateDialog(ctx context.Context, p DialogUpdate) (*Dialog, error) {
	return ptr[Dialog](ctx, c, "dialogs.update", p)
}

// SearchGlobal finds people and public chats by username or title
// (search.global); limit 0 means the server's maximum.
func (c *Client) SearchGlobal(ctx context.Context, query string, limit int) (*GlobalResult, error) {
	p := obj{"query": query}
	if limit > 0 {
		p["limit"] = limit
	}
	return ptr[GlobalResult](ctx, c, "search.global", p)
}

// SearchPeople finds people to write to by name or username: contacts
// first, then people of shared chats, then public usernames
// (users.search). limit 0 is the server's default (20). The people
// found by username may be seen, and written to, by id from then on.
func (c *Client) SearchPeople(ctx context.Context, query string, limit int) ([]User, error) {
	p := obj{"query": query}
	if limit > 0 {
		p["limit"] = limit
	}
	return do[[]User](ctx, c, "users.search", p)
}
