package api

import "github.com/havenchat/haven/internal/core"

// render maps a method's result, a domain value of core's, to its wire
// view; a result that is already one (or has no view of its own) goes
// out as it is. Every method's answer passes here (see def).
func render(res any) any {
	switch r := res.(type) {
	case *core.MessageView:
		return mapPtr(r, messageOut)
	case []core.MessageView:
		return mapSlice(r, messageOut)
	case *core.ChatDifference:
		if r == nil {
			return nil
		}
		return chatDifferenceAnswer{r}
	case *core.Difference:
		return mapPtr(r, differenceOut)
	case *core.State:
		return mapPtr(r, stateOut)
	case []core.DialogView:
		return mapSlice(r, dialogOut)
	case *core.DialogView:
		return mapPtr(r, dialogOut)
	case *core.FoundMessages:
		return mapPtr(r, foundMessagesOut)
	case *core.UserView:
		return mapPtr(r, userOut)
	case []core.UserView:
		return mapSlice(r, userOut)
	case *core.ChatView:
		return mapPtr(r, chatOut)
	case []core.MemberView:
		return mapSlice(r, memberOut)
	case *core.ContactView:
		return mapPtr(r, contactOut)
	case []core.ContactView:
		return mapSlice(r, contactOut)
	case *core.ImportResult:
		return mapPtr(r, importResultOut)
	case *core.Authorization:
		return mapPtr(r, authorizationOut)
	case *core.GlobalResult:
		return mapPtr(r, globalResultOut)

	// Those whose views hold the same fields convert as they are.
	case *core.SentCode:
		return (*sentCodeJSON)(r)
	case *core.RecoveryStarted:
		return (*recoveryStartedJSON)(r)
	case *core.AccountTTL:
		return (*accountTTLJSON)(r)
	case *core.PasswordState:
		return (*passwordStateJSON)(r)
	case []core.SessionInfo:
		return mapSlice(r, sessionInfoOut)
	case *core.SignupInviteView:
		return (*signupInviteJSON)(r)
	case *core.SignupInvites:
		return mapPtr(r, signupInvitesOut)
	case *core.InviteView:
		return (*inviteJSON)(r)
	case []core.InviteView:
		return mapSlice(r, inviteOut)
	case *core.UploadView:
		return (*uploadJSON)(r)
	case *core.UploadStatusView:
		return mapPtr(r, uploadStatusOut)
	case *core.FileView:
		return (*fileJSON)(r)
	case *core.FileURLView:
		return (*fileURLJSON)(r)
	case core.PreKeyCounts:
		return preKeyCountsJSON(r)
	case *core.SecretDevicesView:
		return (*secretDevicesJSON)(r)
	case *core.SecretBundlesView:
		return mapPtr(r, secretBundlesOut)
	case *core.SecretInbox:
		return mapPtr(r, secretInboxOut)
	}
	return res
}
