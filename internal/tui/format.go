package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/havenchat/haven/client"
)

// statusText says when a person was last seen, as their privacy lets us
// know it.
func statusText(s *client.Status, now time.Time) string {
	if s == nil {
		return ""
	}
	switch s.Kind {
	case "online":
		return "online"
	case "exact":
		t := time.Unix(s.LastSeen, 0)
		if sameDay(t, now) {
			return "last seen at " + t.Format("15:04")
		}
		return "last seen " + t.Format("Jan 2 15:04")
	case "recently":
		return "last seen recently"
	case "within_week":
		return "last seen within a week"
	case "within_month":
		return "last seen within a month"
	case "long_ago":
		return "last seen a long time ago"
	}
	return ""
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// stamp is a message's time: the clock today, the date before.
func stamp(unix int64, now time.Time) string {
	t := time.Unix(unix, 0)
	if sameDay(t, now) {
		return t.Format("15:04")
	}
	if t.Year() == now.Year() {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("2006-01-02")
}

// humanSize writes a byte count as people read it.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// oneLine squeezes text onto one line of at most width cells. It keeps
// the styles drawn in s: text from others is made inert where it enters
// (msgtext, title), before it is styled.
func oneLine(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// wrap breaks text into lines of at most width cells, keeping the
// person's own line breaks.
func wrap(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		w := ansi.Wrap(line, width, " -")
		out = append(out, strings.Split(w, "\n")...)
	}
	return out
}

// pad fills s with spaces (or cuts it) to exactly width cells.
func pad(s string, width int) string {
	w := ansi.StringWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// plural writes a count with its noun: "1 member", "3 members".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
