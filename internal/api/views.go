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
	}
	return res
}
