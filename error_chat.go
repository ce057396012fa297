package haven

// The error codes of messaging: chats, members, messages and sync.
const (
	CodeChatNotFound           = "CHAT_NOT_FOUND"
	CodeNotMember              = "NOT_MEMBER"           // the chat exists, the caller is not in it
	CodeChatWriteForbidden     = "CHAT_WRITE_FORBIDDEN" // subscribers of a channel, members without the right
	CodeRightForbidden         = "RIGHT_FORBIDDEN"      // an admin action without the admin right
	CodeUserBanned             = "USER_BANNED_IN_CHAT"
	CodeSlowModeWait           = "SLOWMODE_WAIT" // with RetryAfter
	CodeMessageNotFound        = "MESSAGE_NOT_FOUND"
	CodeMessageTooLong         = "MESSAGE_TOO_LONG"
	CodeMessageEmpty           = "MESSAGE_EMPTY"
	CodeMessageNotModified     = "MESSAGE_NOT_MODIFIED"
	CodeMessageEditForbidden   = "MESSAGE_EDIT_FORBIDDEN"    // someone else's message
	CodeMessageEditExpired     = "MESSAGE_EDIT_TIME_EXPIRED" // after 48 hours
	CodeMessageDeleteForbidden = "MESSAGE_DELETE_FORBIDDEN"
	CodeReactionInvalid        = "REACTION_INVALID"
	CodePinnedTooMany          = "PINNED_DIALOGS_TOO_MANY"
	CodeInviteInvalid          = "INVITE_HASH_INVALID"
	CodeInviteExpired          = "INVITE_HASH_EXPIRED" // expired, revoked, used up, or its maker may no longer invite
	CodeInvitesTooMany         = "INVITE_LINKS_TOO_MANY"
	CodeAlreadyMember          = "USER_ALREADY_PARTICIPANT"
	CodeMembersTooMany         = "CHAT_MEMBERS_TOO_MANY"
	CodeTitleInvalid           = "CHAT_TITLE_INVALID"
	CodeAboutTooLong           = "CHAT_ABOUT_TOO_LONG"
	CodeSlowModeInvalid        = "SLOWMODE_INVALID"
	CodeTTLInvalid             = "TTL_PERIOD_INVALID"
	CodeUserPrivacyRestricted  = "USER_PRIVACY_RESTRICTED" // add-to-groups privacy
	CodeOwnerCannotLeave       = "OWNER_CANNOT_LEAVE"      // transfer ownership first
	CodeChatKindInvalid        = "CHAT_KIND_INVALID"       // the action does not apply to this kind of chat
	CodeRandomIDInvalid        = "RANDOM_ID_INVALID"
	CodeDifferenceTooLong      = "DIFFERENCE_TOO_LONG" // too far behind: refetch the state
	CodeQueryTooShort          = "SEARCH_QUERY_EMPTY"
	CodeChatExists             = "CHAT_EXISTS" // store: a private pair already has its chat
	CodeDuplicate              = "DUPLICATE"   // store: a random_id already used
)
