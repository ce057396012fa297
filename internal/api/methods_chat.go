package api

import (
	"context"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// Parameter structs of messaging.
type (
	sendParams struct {
		ChatID    int64          `json:"chat_id"`
		UserID    int64          `json:"user_id"`
		Text      string         `json:"text" required:"true"`
		Entities  []haven.Entity `json:"entities"`
		ReplyToID int64          `json:"reply_to_id"`
		Silent    bool           `json:"silent"`
		RandomID  int64          `json:"random_id" required:"true"`
	}
	forwardParams struct {
		FromChatID int64   `json:"from_chat_id" required:"true"`
		IDs        []int64 `json:"ids" required:"true"`
		ChatID     int64   `json:"chat_id"`
		UserID     int64   `json:"user_id"`
		RandomIDs  []int64 `json:"random_ids" required:"true"`
		Silent     bool    `json:"silent"`
	}
	editParams struct {
		ChatID   int64          `json:"chat_id" required:"true"`
		ID       int64          `json:"id" required:"true"`
		Text     string         `json:"text" required:"true"`
		Entities []haven.Entity `json:"entities"`
	}
	deleteParams struct {
		ChatID      int64   `json:"chat_id" required:"true"`
		IDs         []int64 `json:"ids" required:"true"`
		ForEveryone bool    `json:"for_everyone"`
	}
	messageParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
		ID     int64 `json:"id" required:"true"`
	}
	reactParams struct {
		ChatID int64  `json:"chat_id" required:"true"`
		ID     int64  `json:"id" required:"true"`
		Emoji  string `json:"emoji"`
	}
	readParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
		MaxID  int64 `json:"max_id"`
	}
	historyParams struct {
		ChatID   int64 `json:"chat_id" required:"true"`
		BeforeID int64 `json:"before_id"`
		AfterID  int64 `json:"after_id"`
		AroundID int64 `json:"around_id"`
		Limit    int   `json:"limit"`
	}
	messageIDsParams struct {
		ChatID int64   `json:"chat_id" required:"true"`
		IDs    []int64 `json:"ids" required:"true"`
	}
	searchParams struct {
		Query        string `json:"query" required:"true"`
		ChatID       int64  `json:"chat_id"`
		BeforeChatID int64  `json:"before_chat_id"`
		BeforeID     int64  `json:"before_id"`
		Limit        int    `json:"limit"`
	}
	searchGlobalParams struct {
		Query        string `json:"query" required:"true"`
		BeforeDate   int64  `json:"before_date"`
		BeforeChatID int64  `json:"before_chat_id"`
		BeforeID     int64  `json:"before_id"`
		Limit        int    `json:"limit"`
	}
	typingParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
		Cancel bool  `json:"cancel"`
	}
	createGroupParams struct {
		Title   string  `json:"title" required:"true"`
		UserIDs []int64 `json:"user_ids"`
	}
	createChannelParams struct {
		Title    string `json:"title" required:"true"`
		About    string `json:"about"`
		Username string `json:"username"`
	}
	chatParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
	}
	membersParams struct {
		ChatID      int64 `json:"chat_id" required:"true"`
		AfterUserID int64 `json:"after_user_id"`
		Limit       int   `json:"limit"`
	}
	addMembersParams struct {
		ChatID  int64   `json:"chat_id" required:"true"`
		UserIDs []int64 `json:"user_ids" required:"true"`
	}
	chatUserParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
		UserID int64 `json:"user_id" required:"true"`
	}
	banParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
		UserID int64 `json:"user_id" required:"true"`
		Until  int64 `json:"until"`
	}
	setAdminParams struct {
		ChatID int64    `json:"chat_id" required:"true"`
		UserID int64    `json:"user_id" required:"true"`
		Rights []string `json:"rights"`
	}
	transferParams struct {
		ChatID   int64  `json:"chat_id" required:"true"`
		UserID   int64  `json:"user_id" required:"true"`
		Password string `json:"password"`
	}
	updateChatParams struct {
		ChatID          int64     `json:"chat_id" required:"true"`
		Title           *string   `json:"title"`
		About           *string   `json:"about"`
		Username        *string   `json:"username"`
		MemberRights    *[]string `json:"member_rights"`
		SlowModeSeconds *int      `json:"slow_mode_seconds"`
		HistoryHidden   *bool     `json:"history_hidden"`
		Signatures      *bool     `json:"signatures"`
		TTLSeconds      *int      `json:"ttl_seconds"`
		Reactions       *[]string `json:"reactions"`
	}
	createInviteParams struct {
		ChatID     int64 `json:"chat_id" required:"true"`
		ExpiresIn  int64 `json:"expires_in"`
		UsageLimit int   `json:"usage_limit"`
	}
	inviteParams struct {
		Hash string `json:"hash" required:"true"`
	}
	dialogParams struct {
		ChatID     int64  `json:"chat_id" required:"true"`
		Pinned     *bool  `json:"pinned"`
		Archived   *bool  `json:"archived"`
		MutedUntil *int64 `json:"muted_until"`
	}
	differenceParams struct {
		Pts int64 `json:"pts"`
		GID int64 `json:"gid"`
	}
	chatDifferenceParams struct {
		ChatID int64 `json:"chat_id" required:"true"`
		Seq    int64 `json:"seq"`
		Limit  int   `json:"limit"`
	}
	peopleSearchParams struct {
		Query string `json:"query" required:"true"`
		Limit int    `json:"limit"`
	}
	globalSearchParams struct {
		Query string `json:"query" required:"true"`
		Limit int    `json:"limit"`
	}
)

// peer turns chat_id / user_id into a core.Peer. Errors: CodeParamMissing,
// CodeParamInvalid.
func peer(chatID, userID int64) (core.Peer, error) {
	switch {
	case chatID != 0 && userID != 0:
		return core.Peer{}, haven.Errorf(haven.CodeParamInvalid, "give chat_id or user_id, not both")
	case chatID == 0 && userID == 0:
		return core.Peer{}, haven.Errorf(haven.CodeParamMissing, "give chat_id or user_id")
	}
	return core.Peer{ChatID: chatID, UserID: userID}, nil
}

// deleted answers messages.delete.
type deleted struct {
	Count int `json:"count"`
}

// chatTable is the messaging part of the method table.
func (s *Server) chatTable() []*method {
	co := s.core
	return []*method{
		def("messages.send", true, func(ctx context.Context, c *call, p *sendParams) (any, error) {
			to, err := peer(p.ChatID, p.UserID)
			if err != nil {
				return nil, err
			}
			return co.Send(ctx, c.actor, to, core.SendInput{Text: p.Text, Entities: p.Entities, ReplyToID: p.ReplyToID, Silent: p.Silent, RandomID: p.RandomID})
		}),
		def("messages.forward", true, func(ctx context.Context, c *call, p *forwardParams) (any, error) {
			to, err := peer(p.ChatID, p.UserID)
			if err != nil {
				return nil, err
			}
			return co.Forward(ctx, c.actor, p.FromChatID, p.IDs, to, p.RandomIDs, p.Silent)
		}),
		def("messages.edit", true, func(ctx context.Context, c *call, p *editParams) (any, error) {
			return co.Edit(ctx, c.actor, p.ChatID, p.ID, core.EditInput{Text: p.Text, Entities: p.Entities})
		}),
		def("messages.delete", true, func(ctx context.Context, c *call, p *deleteParams) (any, error) {
			n, err := co.Delete(ctx, c.actor, p.ChatID, p.IDs, p.ForEveryone)
			return deleted{Count: n}, err
		}),
		def("messages.pin", true, func(ctx context.Context, c *call, p *messageParams) (any, error) {
			return true, co.Pin(ctx, c.actor, p.ChatID, p.ID, true)
		}),
		def("messages.unpin", true, func(ctx context.Context, c *call, p *messageParams) (any, error) {
			return true, co.Pin(ctx, c.actor, p.ChatID, p.ID, false)
		}),
		def("messages.react", true, func(ctx context.Context, c *call, p *reactParams) (any, error) {
			return co.React(ctx, c.actor, p.ChatID, p.ID, p.Emoji)
		}),
		def("messages.read", true, func(ctx context.Context, c *call, p *readParams) (any, error) {
			return true, co.Read(ctx, c.actor, p.ChatID, p.MaxID)
		}),
		def("messages.history", true, func(ctx context.Context, c *call, p *historyParams) (any, error) {
			return co.History(ctx, c.actor, p.ChatID, core.HistoryQuery{BeforeID: p.BeforeID, AfterID: p.AfterID, AroundID: p.AroundID, Limit: p.Limit})
		}),
		def("messages.get", true, func(ctx context.Context, c *call, p *messageIDsParams) (any, error) {
			return co.GetMessages(ctx, c.actor, p.ChatID, p.IDs)
		}),
		def("messages.view", true, func(ctx context.Context, c *call, p *messageIDsParams) (any, error) {
			return co.View(ctx, c.actor, p.ChatID, p.IDs)
		}),
		def("messages.search", true, func(ctx context.Context, c *call, p *searchParams) (any, error) {
			return co.SearchMessages(ctx, c.actor, core.SearchQuery{Query: p.Query, ChatID: p.ChatID, Before: core.MessageRef{ChatID: p.BeforeChatID, ID: p.BeforeID}, Limit: p.Limit})
		}),
		def("messages.searchGlobal", true, func(ctx context.Context, c *call, p *searchGlobalParams) (any, error) {
			return co.SearchEverywhere(ctx, c.actor, core.EverywhereQuery{Query: p.Query, BeforeDate: p.BeforeDate, BeforeChatID: p.BeforeChatID, BeforeID: p.BeforeID, Limit: p.Limit})
		}),
		def("messages.setTyping", true, func(ctx context.Context, c *call, p *typingParams) (any, error) {
			return true, co.SetTyping(ctx, c.actor, p.ChatID, p.Cancel)
		}),

		def("chats.createGroup", true, func(ctx context.Context, c *call, p *createGroupParams) (any, error) {
			return co.CreateGroup(ctx, c.actor, p.Title, p.UserIDs)
		}),
		def("chats.createChannel", true, func(ctx context.Context, c *call, p *createChannelParams) (any, error) {
			return co.CreateChannel(ctx, c.actor, p.Title, p.About, p.Username)
		}),
		def("chats.get", true, func(ctx context.Context, c *call, p *chatParams) (any, error) {
			return co.GetChat(ctx, c.actor, p.ChatID)
		}),
		def("chats.resolve", true, func(ctx context.Context, c *call, p *usernameParams) (any, error) {
			return co.ResolveChat(ctx, c.actor, p.Username)
		}),
		def("chats.members", true, func(ctx context.Context, c *call, p *membersParams) (any, error) {
			return co.ListMembers(ctx, c.actor, p.ChatID, p.AfterUserID, p.Limit)
		}),
		def("chats.addMembers", true, func(ctx context.Context, c *call, p *addMembersParams) (any, error) {
			ids, err := co.AddMembers(ctx, c.actor, p.ChatID, p.UserIDs)
			return map[string][]int64{"added": nonNil(ids)}, err
		}),
		def("chats.removeMember", true, func(ctx context.Context, c *call, p *chatUserParams) (any, error) {
			return true, co.Remove(ctx, c.actor, p.ChatID, p.UserID)
		}),
		def("chats.ban", true, func(ctx context.Context, c *call, p *banParams) (any, error) {
			var until time.Time
			if p.Until > 0 {
				until = time.Unix(p.Until, 0)
			}
			return true, co.Ban(ctx, c.actor, p.ChatID, p.UserID, until)
		}),
		def("chats.unban", true, func(ctx context.Context, c *call, p *chatUserParams) (any, error) {
			return true, co.Unban(ctx, c.actor, p.ChatID, p.UserID)
		}),
		def("chats.leave", true, func(ctx context.Context, c *call, p *chatParams) (any, error) {
			return true, co.Leave(ctx, c.actor, p.ChatID)
		}),
		def("chats.setAdmin", true, func(ctx context.Context, c *call, p *setAdminParams) (any, error) {
			r, err := core.ParseRights(p.Rights)
			if err != nil {
				return nil, err
			}
			return true, co.SetAdmin(ctx, c.actor, p.ChatID, p.UserID, r)
		}),
		def("chats.transferOwnership", true, func(ctx context.Context, c *call, p *transferParams) (any, error) {
			return true, co.TransferOwnership(ctx, c.actor, p.ChatID, p.UserID, p.Password)
		}),
		def("chats.update", true, func(ctx context.Context, c *call, p *updateChatParams) (any, error) {
			in := core.ChatSettings{Title: p.Title, About: p.About, Username: p.Username, SlowModeSeconds: p.SlowModeSeconds, HistoryHidden: p.HistoryHidden, Signatures: p.Signatures, TTLSeconds: p.TTLSeconds, Reactions: p.Reactions}
			if p.MemberRights != nil {
				r, err := core.ParseRights(*p.MemberRights)
				if err != nil {
					return nil, err
				}
				in.MemberRights = &r
			}
			return co.UpdateChat(ctx, c.actor, p.ChatID, in)
		}),
		def("chats.createInvite", true, func(ctx context.Context, c *call, p *createInviteParams) (any, error) {
			return co.CreateInvite(ctx, c.actor, p.ChatID, time.Duration(p.ExpiresIn)*time.Second, p.UsageLimit)
		}),
		def("chats.revokeInvite", true, func(ctx context.Context, c *call, p *inviteParams) (any, error) {
			return true, co.RevokeInvite(ctx, c.actor, p.Hash)
		}),
		def("chats.invites", true, func(ctx context.Context, c *call, p *chatParams) (any, error) {
			return co.ListInvites(ctx, c.actor, p.ChatID)
		}),
		def("chats.checkInvite", true, func(ctx context.Context, c *call, p *inviteParams) (any, error) {
			return co.CheckInvite(ctx, c.actor, p.Hash)
		}),
		def("chats.joinByInvite", true, func(ctx context.Context, c *call, p *inviteParams) (any, error) {
			return co.JoinByInvite(ctx, c.actor, p.Hash)
		}),
		def("chats.join", true, func(ctx context.Context, c *call, p *chatParams) (any, error) {
			return co.JoinPublic(ctx, c.actor, p.ChatID)
		}),

		def("dialogs.list", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.Dialogs(ctx, c.actor)
		}),
		def("dialogs.update", true, func(ctx context.Context, c *call, p *dialogParams) (any, error) {
			in := core.DialogSettings{Pinned: p.Pinned, Archived: p.Archived}
			if p.MutedUntil != nil {
				var t time.Time
				if *p.MutedUntil > 0 {
					t = time.Unix(*p.MutedUntil, 0)
				}
				in.MutedUntil = &t
			}
			return co.UpdateDialog(ctx, c.actor, p.ChatID, in)
		}),

		def("sync.getState", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.GetState(ctx, c.actor)
		}),
		def("sync.getDifference", true, func(ctx context.Context, c *call, p *differenceParams) (any, error) {
			return co.GetDifference(ctx, c.actor, p.Pts, p.GID)
		}),
		def("sync.getChatDifference", true, func(ctx context.Context, c *call, p *chatDifferenceParams) (any, error) {
			return co.GetChatDifference(ctx, c.actor, p.ChatID, p.Seq, p.Limit)
		}),

		def("search.global", true, func(ctx context.Context, c *call, p *globalSearchParams) (any, error) {
			return co.SearchGlobal(ctx, c.actor, p.Query, p.Limit)
		}),
	}
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
