package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/havenchat/haven/client"
)

const sendHelp = `Usage: haven send [--json] CHAT TEXT

Sends TEXT to CHAT as the signed-in person. With TEXT "-", the text is
read from standard input (up to its end; final line breaks are dropped).
Put -- before a TEXT that starts with "-": haven send @ann -- "-5 today".

` + addressHelp + `
Prints the message's id and date, or with --json the message as the API
returns it (a Message of docs/api.md).

Flags:
  --json   print the sent message as JSON
`

// maxStdinText bounds the text read from stdin: far above the longest
// message, so that the server, not a truncation, says it is too long.
const maxStdinText = 1 << 20

// Send is "haven send": it posts a text message.
func Send(ctx context.Context, args []string, env Env) int {
	c := newCommand("send", sendHelp, env)
	asJSON := c.fs.Bool("json", false, "")
	pos, code, done := c.parseArgs(args, 2, "a chat and a text")
	if done {
		return code
	}
	addr, err := parseAddress(pos[0])
	if err != nil {
		return c.fail(err)
	}
	text := pos[1]
	if text == "-" {
		data, err := io.ReadAll(io.LimitReader(env.Stdin, maxStdinText))
		if err != nil {
			return c.fail(fmt.Errorf("reading the text from standard input: %w", err))
		}
		text = strings.TrimRight(string(data), "\r\n")
	}
	if strings.TrimSpace(text) == "" {
		return c.usage(fmt.Errorf("the message text is empty"))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	cl, t, err := c.signedInTo(ctx, addr)
	if err != nil {
		return c.fail(err)
	}
	p := &client.SendParams{ChatID: t.chatID, UserID: t.userID, Text: text}
	m, err := cl.Send(ctx, p)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		return c.printJSON(m)
	}
	fmt.Fprintf(c.env.Stdout, "Sent message %d to %s at %s (chat:%d).\n",
		m.ID, t.name, time.Unix(m.Date, 0).Format("2006-01-02 15:04:05"), m.ChatID)
	return 0
}

// printJSON writes v as indented JSON on stdout.
func (c *command) printJSON(v any) int {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return 0
}

// printList writes list on stdout as a JSON array, [] when it is empty
// (never null).
func printList[T any](c *command, list []T) int {
	if list == nil {
		list = []T{}
	}
	return c.printJSON(list)
}
