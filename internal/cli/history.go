package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/havenchat/haven/client"
)

const historyHelp = `Usage: haven history [--json] [--limit N] [--before ID] CHAT

Prints the latest messages of CHAT, oldest first, one a line:
  2026-11-25 14:03  Ann: text
with markers for replies, forwards, media and edits. Dates are in the
local time zone (set TZ to change it).

` + addressHelp + `
Flags:
  --json        print a JSON array of the messages, oldest first, as the
                API returns them (Message objects of docs/api.md)
  --limit N     how many messages, 1 to 1000 (default 20)
  --before ID   only the messages older than message ID, to page back
`

// maxHistory is the most messages "haven history" fetches at once.
const maxHistory = 1000

// historyPage is the most messages one messages.history call returns.
const historyPage = 100

// History is "haven history": it prints a chat's latest messages.
func History(ctx context.Context, args []string, env Env) int {
	c := newCommand("history", historyHelp, env)
	asJSON := c.fs.Bool("json", false, "")
	limit := c.fs.Int("limit", 20, "")
	before := c.fs.Int64("before", 0, "")
	pos, code, done := c.parseArgs(args, 1, "one chat")
	if done {
		return code
	}
	if *limit < 1 || *limit > maxHistory {
		return c.usage(fmt.Errorf("--limit %d: must be from 1 to %d", *limit, maxHistory))
	}
	if *before < 0 {
		return c.usage(fmt.Errorf("--before %d: must be a message id, 1 or more", *before))
	}
	addr, err := parseAddress(pos[0])
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 4*callTimeout)
	defer cancel()
	cl, t, err := c.signedInTo(ctx, addr)
	if err != nil {
		return c.fail(err)
	}
	chatID, err := chatOf(ctx, cl, t)
	if err != nil {
		return c.fail(err)
	}
	ms, err := fetchHistory(ctx, cl, chatID, *before, *limit)
	if err != nil {
		return c.fail(err)
	}
	slices.Reverse(ms) // oldest first
	if *asJSON {
		return printList(c, ms)
	}
	n := newNames(cl)
	var ids []int64
	for i := range ms {
		ids = append(ids, peopleOf(&ms[i])...)
	}
	if err := n.load(ctx, ids); err != nil {
		return c.fail(err)
	}
	// Channel posts have no sender: the channel signs them.
	title := t.name
	if slices.ContainsFunc(ms, func(m client.Message) bool { return m.SenderID == 0 }) {
		if ch, err := cl.Chat(ctx, chatID); err == nil && ch.Title != "" {
			title = ch.Title
		}
	}
	byID := make(map[int64]*client.Message, len(ms))
	for i := range ms {
		byID[ms[i].ID] = &ms[i]
	}
	var b strings.Builder
	for i := range ms {
		messageLine(&b, &ms[i], n, title, byID)
	}
	fmt.Fprint(c.env.Stdout, b.String())
	return 0
}

// fetchHistory returns up to limit messages of chatID older than before
// (0: the newest), newest first, in pages.
func fetchHistory(ctx context.Context, cl *client.Client, chatID, before int64, limit int) ([]client.Message, error) {
	var all []client.Message
	for len(all) < limit {
		size := min(limit-len(all), historyPage)
		page, err := cl.History(ctx, client.HistoryParams{ChatID: chatID, BeforeID: before, Limit: size})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < size {
			break
		}
		before = page[len(page)-1].ID
	}
	return all, nil
}
