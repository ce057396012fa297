package tui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"rsc.io/qr"
)

// QR codes in the terminal (the safety number and the account key of
// secret chats): two rows of modules per line of text with half blocks,
// drawn light on dark colours set explicitly, so that the code reads
// dark on light whatever the terminal's theme, as scanners need.

// qrQuiet is the light border around a code, in modules: scanners want
// some; four, the standard's, costs more lines than terminals have.
const qrQuiet = 2

// qrStyle paints a code's light modules white on black.
var qrStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("0"))

// qrLines draws payload as a QR code (low error correction, the
// smallest: a screen is not a worn label), one string per line of text.
func qrLines(payload string) ([]string, error) {
	c, err := qr.Encode(payload, qr.L)
	if err != nil {
		return nil, err
	}
	n := c.Size + 2*qrQuiet
	light := func(x, y int) bool {
		x, y = x-qrQuiet, y-qrQuiet
		return x < 0 || y < 0 || x >= c.Size || y >= c.Size || !c.Black(x, y)
	}
	var out []string
	for y := 0; y < n; y += 2 {
		var b strings.Builder
		for x := 0; x < n; x++ {
			top, bottom := light(x, y), y+1 >= n || light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		out = append(out, qrStyle.Render(b.String()))
	}
	return out, nil
}
