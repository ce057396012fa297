package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenchat/haven/internal/testserver"
)

// TestEmojiPicker: the composer's emoji panel puts the emoji picked at
// the caret and stays open for more, moves with the arrow keys, closes
// with Escape back to the text, and shows the emoji used most recently
// first the next time; the message goes out with them.
func TestEmojiPicker(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ann, annC, _ := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, _ := srv.SignUp(t, "bob@example.com", "Bob")
	srv.Befriend(t, annC, bobC)
	bob := b.open("Bob", false)
	bob.do("opening the app", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")),
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem('haven.token', `+js(bobC.Token())+`)`), chromedp.Reload())
	bob.waitOnline()

	ann.typeIn("#search", "Bob")
	ann.click(".search-results [data-user]")
	ann.wait("the chat with Bob is open", `(document.querySelector('#chat-title')||{}).textContent === 'Bob'`)
	ann.typeIn("#composer-input", "Hi !")
	// The caret goes before the "!".
	ann.do("moving the caret", chromedp.Evaluate[chromedp.Void](`(() => { const t = document.querySelector('#composer-input'); t.focus(); t.setSelectionRange(3, 3); })()`))
	ann.click("#emoji-btn")
	ann.wait("the panel is open", `!!document.querySelector('#emoji-panel .emoji')`)
	ann.checkNamed("the emoji panel")
	ann.click(`#emoji-panel .emoji[aria-label="😀"]`)
	ann.wait("the emoji is at the caret", `document.querySelector('#composer-input').value === 'Hi 😀!'`)
	ann.wait("the panel stays open", `!!document.querySelector('#emoji-panel')`)
	// The arrow keys: from the first smiley, right is the second.
	ann.do("focusing the first", chromedp.Evaluate[chromedp.Void](`document.querySelector('#emoji-panel .emoji').focus()`))
	ann.do("Right", chromedp.KeyEvent(kb.ArrowRight))
	ann.wait("the second has the focus", `document.activeElement?.getAttribute('aria-label') === '😃'`)
	ann.do("Enter", chromedp.KeyEvent(kb.Enter))
	ann.wait("it is added after the first", `document.querySelector('#composer-input').value === 'Hi 😀😃!'`)
	ann.do("Escape", chromedp.KeyEvent(kb.Escape))
	ann.wait("the panel closes, the text has the focus, the chat stays", `!document.querySelector('#emoji-panel') && document.activeElement?.id === 'composer-input' && !!document.querySelector('#chat-title')`)
	ann.click("#send-btn")
	bob.openChat("Ann Lee")
	bob.waitMessage("Hi 😀😃!")

	ann.click("#emoji-btn")
	ann.wait("recent emoji come first, the newest first", `[...document.querySelectorAll('#emoji-panel section')][0]?.getAttribute('aria-label') === 'Recent' && [...document.querySelectorAll('#emoji-panel section')][0].querySelector('.emoji-grid').textContent === '😃😀'`)
	ann.shot("desktop-emoji", false)
}
