package client

// Session is one of the caller's sessions (signed-in devices).
type Session struct {
	ID           int64  `json:"id"`
	Device       string `json:"device"`
	CreatedAt    int64  `json:"created_at"`
	LastActiveAt int64  `json:"last_active_at"`
	Current      bool   `json:"current,omitempty"`
	IP           string `json:"ip,omitempty"`
	Location     string `json:"location,omitempty"`
}

// PasswordState is the caller's two-step verification.
type PasswordState struct {
	HasPassword          bool   `json:"has_password"`
	Hint                 string `json:"hint,omitempty"`
	HasRecoveryEmail     bool   `json:"has_recovery_email"`
	RecoveryEmailPattern string `json:"recovery_email_pattern,omitempty"`
	// PendingRecoveryEmailPattern is a new recovery email waiting for the
	// code sent to it (ConfirmRecoveryEmail), masked; until confirmed,
	// password recovery does not use it.
	PendingRecoveryEmailPattern string `json:"pending_recovery_email_pattern,omitempty"`
}

// RecoveryStarted is the answer of auth.requestPasswordRecovery.
type RecoveryStarted struct {
	EmailPattern string `json:"email_pattern"`
}

// ContactInput is one address book entry given to contacts.import: a
// phone number or an email address (exactly one) and a name.
type ContactInput struct {
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
}

// ImportedContact is an entry of contacts.import that matched an account.
type ImportedContact struct {
	Index int  `json:"index"`
	User  User `json:"user"`
}

// ImportResult is the answer of contacts.import.
type ImportResult struct {
	Imported  []ImportedContact `json:"imported"`
	Unmatched int               `json:"unmatched"`
}

// Contact is one of the caller's contacts.
type Contact struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	User      User   `json:"user"`
}

// AccountTTL is the caller's inactivity period, in months.
type AccountTTL struct {
	Months int `json:"months"`
}

// Privacy maps every privacy key (phone_number, last_seen,
// profile_photo, find_by_phone, add_to_groups, forwards) to its
// audience: "everybody", "contacts" or "nobody".
type Privacy map[string]string

// PhotoSize is a downscaled copy of a photo, or a thumbnail.
type PhotoSize struct {
	Type   string `json:"type"`
	FileID int64  `json:"file_id"`
	W      int    `json:"w"`
	H      int    `json:"h"`
}

// Photo is a profile or chat photo.
type Photo struct {
	FileID  int64       `json:"file_id"`
	Width   int         `json:"width"`
	Height  int         `json:"height"`
	Sizes   []PhotoSize `json:"sizes,omitempty"`
	Preview string      `json:"preview,omitempty"`
}

// Media is the file a media message carries.
type Media struct {
	Kind     string      `json:"kind"`
	FileID   int64       `json:"file_id"`
	Name     string      `json:"name"`
	Mime     string      `json:"mime"`
	Size     int64       `json:"size"`
	Width    int         `json:"width,omitempty"`
	Height   int         `json:"height,omitempty"`
	Duration int         `json:"duration,omitempty"`
	Preview  string      `json:"preview,omitempty"`
	Sizes    []PhotoSize `json:"sizes,omitempty"`
	Thumb    *PhotoSize  `json:"thumb,omitempty"`
	AlbumID  int64       `json:"album_id,omitempty"`
}

// Forward says where a forwarded message came from.
type Forward struct {
	FromUserID int64  `json:"from_user_id,omitempty"`
	FromName   string `json:"from_name,omitempty"`
	FromChatID int64  `json:"from_chat_id,omitempty"`
	MessageID  int64  `json:"message_id,omitempty"`
	Date       int64  `json:"date"`
}

// ServiceAction is what a service message records.
type ServiceAction struct {
	Type      string  `json:"type"`
	UserIDs   []int64 `json:"user_ids,omitempty"`
	Title     string  `json:"title,omitempty"`
	Seconds   int     `json:"seconds,omitempty"`
	MessageID int64   `json:"message_id,omitempty"`
}

// ReactionCount is how many people reacted to a message with an emoji.
type ReactionCount struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine,omitempty"`
}

// Member is one member of a chat.
type Member struct {
	User     User     `json:"user"`
	Role     string   `json:"role"`
	Rights   []string `json:"rights,omitempty"`
	JoinedAt int64    `json:"joined_at"`
}

// Invite is an invite link, as the chat's admins see it. Link is the
// link to share: a full URL on the server's public address, or a path
// ("/join/HASH") when the server does not know its address.
type Invite struct {
	Hash       string `json:"hash"`
	Link       string `json:"link"`
	ChatID     int64  `json:"chat_id"`
	CreatorID  int64  `json:"creator_id"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at,omitempty"`
	UsageLimit int    `json:"usage_limit,omitempty"`
	Usage      int    `json:"usage"`
	Revoked    bool   `json:"revoked,omitempty"`
}

// GlobalResult is the answer of search.global.
type GlobalResult struct {
	Users []User `json:"users"`
	Chats []Chat `json:"chats"`
}

// FoundMessages is the answer of messages.searchGlobal: the messages,
// newest first, each chat they are in once, and the people they name
// (senders, and both people of each private chat).
type FoundMessages struct {
	Messages []Message `json:"messages"`
	Chats    []Chat    `json:"chats"`
	Users    []User    `json:"users"`
}

// Upload is the answer of files.startUpload.
type Upload struct {
	UploadID  int64 `json:"upload_id"`
	Size      int64 `json:"size"`
	PartSize  int   `json:"part_size"`
	Parts     int   `json:"parts"`
	ExpiresAt int64 `json:"expires_at"`
}

// UploadStatus is the answer of files.uploadStatus.
type UploadStatus struct {
	Upload
	Received []int `json:"received"`
}

// File is a stored file.
type File struct {
	ID     int64  `json:"id"`
	Size   int64  `json:"size"`
	Name   string `json:"name"`
	Mime   string `json:"mime"`
	SHA256 string `json:"sha256"`
}

// FileURL is a signed URL to fetch a file without a token for an hour:
// a full URL on the server's public address, or a path when the server
// does not know its address.
type FileURL struct {
	URL       string `json:"url"`
	ExpiresAt int64  `json:"expires_at"`
}

// SignupInvite is a sign-up invite, as the member who made it sees it.
// Code and Link are set only when it is made: the server keeps only the
// code's hash.
type SignupInvite struct {
	ID         int64  `json:"id"`
	Code       string `json:"code,omitempty"`
	Link       string `json:"link,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at,omitempty"`
	UsageLimit int    `json:"usage_limit,omitempty"`
	Usage      int    `json:"usage"`
	Revoked    bool   `json:"revoked,omitempty"`
}

// SignupInvites is the answer of signup.invites: the caller's invites,
// newest first, and how many more they may make.
type SignupInvites struct {
	Invites   []SignupInvite `json:"invites"`
	Remaining int            `json:"remaining"`
}
