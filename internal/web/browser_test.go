package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestMessengerInTheBrowser is the web app's main path, in a laptop's
// window and on a phone: two people sign up, find each other by
// username, write both ways in real time with read ticks and typing
// shown, send a photo, make a group and add a third person; then one
// loses the network, writes, reloads the app (the service worker serves
// it offline and the message waits in IndexedDB), comes back, and the
// message arrives once.
func TestMessengerInTheBrowser(t *testing.T) {
	for _, phone := range []bool{false, true} {
		name := "desktop"
		if phone {
			name = "phone"
		}
		t.Run(name, func(t *testing.T) { messengerFlow(t, name, phone) })
	}
}

func messengerFlow(t *testing.T, prefix string, phone bool) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	start := time.Now()

	ann := b.open("Ann", phone)
	ann.do("opening the app", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	ann.shot(prefix+"-signin", true)
	ann.signUp("ann@example.com", "Ann", "Lee")
	bob := b.open("Bob", phone)
	bob.signUp("bob@example.com", "Bob", "Stone")

	// Ann takes a username, so that people can find her.
	ann.click("#main-menu")
	ann.clickText(".menu-item", "Settings")
	ann.click("#settings-profile")
	ann.setField("#profile-username", "ann_lee")
	ann.wait("the username is free", `document.querySelector('.form').textContent.includes('This username is free.')`)
	ann.click("#profile-save")
	ann.wait("back in settings", `!!document.querySelector('#settings-profile')`)
	ann.click(".sidebar .panel-head .icon-btn")
	ann.wait("back at the list", `!!document.querySelector('#search')`)

	// Bob finds her by it and writes.
	bob.typeIn("#search", "ann_lee")
	bob.click(".search-results [data-user]")
	bob.wait("the chat with Ann is open", `(document.querySelector('#chat-title')||{}).textContent === 'Ann Lee'`)
	bob.send("Hi Ann!")

	// Ann sees the new chat with its unread badge, and the count in the
	// tab's title.
	ann.wait("Bob's chat shows unread", `[...document.querySelectorAll('.dialog-list .list-item')].some(e => e.textContent.includes('Bob Stone') && e.querySelector('.badge'))`)
	ann.wait("the title counts it", `document.title === '(1) Haven'`)
	ann.openChat("Bob Stone")
	ann.waitMessage("Hi Ann!")
	ann.wait("the title clears", `document.title === 'Haven'`)

	// Bob sees that she read it, and that she types.
	bob.wait("Bob's message shows read", `!!document.querySelector('.msg.out .tick.read')`)
	ann.typeIn("#composer-input", "Hi Bob, how are you?")
	bob.wait("Ann shows typing", `(document.querySelector('#chat-status')||{}).textContent === 'typing…'`)
	ann.click("#send-btn")
	bob.waitMessage("Hi Bob, how are you?")
	bob.wait("the typing stops with her message", `(document.querySelector('#chat-status')||{}).textContent !== 'typing…'`)

	// Formatting from the composer's markup.
	bob.send("Great! Meet at **noon** by __the pier__, the code is ||4711||")
	ann.wait("the formatting shows", `[...document.querySelectorAll('.msg .text')].some(e => e.querySelector('strong')?.textContent === 'noon' && e.querySelector('em')?.textContent === 'the pier' && e.querySelector('.spoiler')?.textContent === '4711')`)

	// A photo: Bob sees it inline.
	photo := testPhoto(t, 960, 640)
	ann.do("attaching a photo", chromedp.SetUploadFiles(chromedp.CSS("#attach-input"), []string{photo}))
	ann.typeIn("#attach-caption", "The view from here")
	ann.click("#attach-send")
	bob.wait("the photo shows", `[...document.querySelectorAll('.msg .photo img.full')].some(i => i.complete && i.naturalWidth > 0)`)
	bob.waitMessage("The view from here")
	ann.wait("Ann's photo is sent", `!document.querySelector('.msg.pending') && [...document.querySelectorAll('.msg .photo img.full')].some(i => i.complete && i.naturalWidth > 0)`)
	ann.shot(prefix+"-chat", true)

	if !phone {
		// A voice note from the (fake) microphone: recorded as WebM/Opus,
		// re-wrapped as Ogg/Opus, accepted by the server as a voice note.
		ann.click("#mic-btn")
		ann.wait("recording", `!!document.querySelector('.rec-time')`)
		time.Sleep(2200 * time.Millisecond)
		ann.click("#voice-send")
		bob.wait("the voice note shows with its length", `[...document.querySelectorAll('.msg .voice .voice-time')].some(e => /^0:0[1-3]$/.test(e.textContent))`)
	}

	// A group: Ann makes it with Bob and adds Cid, who uses the Go SDK.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cid, _ := srv.SignUp(t, "cid@example.com", "Cid")
	if _, err := cid.UpdateUsername(ctx, "cid_north"); err != nil {
		t.Fatal(err)
	}
	// Only contacts may add a person to a group (add_to_groups defaults to
	// contacts): Ann, Bob and Cid keep each other in their contacts (from
	// their phones, through the Go SDK).
	annSDK, _, err := srv.SignIn(ctx, "ann@example.com", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	bobSDK, _, err := srv.SignIn(ctx, "bob@example.com", "Bob")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{bobSDK, cid} {
		if err := testserver.Befriend(ctx, annSDK, c); err != nil {
			t.Fatal(err)
		}
	}
	if phone {
		ann.backToList()
	}
	ann.click("#main-menu")
	ann.clickText(".menu-item", "New group")
	ann.clickText(".dialog-list [data-user]", "Bob Stone")
	ann.click("#group-next")
	ann.typeIn("#group-title", "Weekend trip")
	ann.click("#group-create")
	ann.wait("the group is open", `(document.querySelector('#chat-title')||{}).textContent === 'Weekend trip'`)
	ann.click("#chat-head")
	ann.click("#add-members")
	ann.typeIn("#add-search", "cid_north")
	ann.click(".modal [data-user]")
	ann.click("#add-confirm")
	ann.wait("Cid is a member", `[...document.querySelectorAll('.info .member')].some(e => e.textContent.includes('Cid'))`)
	ann.shot(prefix+"-group-info", true)
	ann.click(".info .panel-head .icon-btn")
	bob.openChat("Weekend trip")
	bob.wait("Bob sees Cid added", `[...document.querySelectorAll('.service')].some(e => e.textContent.includes('added Cid'))`)
	ann.send("Who is bringing the tent?")
	bob.waitMessage("Who is bringing the tent?")
	var groupID int64
	if ds, err := cid.Dialogs(ctx); err != nil {
		t.Fatal(err)
	} else {
		for _, d := range ds {
			if d.Chat.Title == "Weekend trip" {
				groupID = d.Chat.ID
			}
		}
	}
	if groupID == 0 {
		t.Fatal("Cid is not in the group")
	}

	// Bob loses the network and writes; the message waits.
	bob.wait("the service worker controls the page", `!!navigator.serviceWorker.controller`)
	bob.setOffline(true)
	bob.wait("the app shows it is offline", `!!document.querySelector('#conn-state')`)
	const offline = "I will bring it, written offline"
	bob.send(offline)
	bob.wait("the message is pending", `!!document.querySelector('.msg.pending')`)
	// A restart while offline: the app opens from the service worker's
	// copy, and the message is still waiting.
	bob.do("reloading offline", chromedp.Reload())
	bob.wait("the app opens offline on the group", `(document.querySelector('#chat-title')||{}).textContent === 'Weekend trip' && !!document.querySelector('.msg.pending')`)
	bob.shot(prefix+"-offline", false)
	if n := eval[int](ann, countExpr(offline)); n != 0 {
		t.Fatalf("Ann has the offline message before Bob is back: %d", n)
	}

	// Back online: it goes out once.
	bob.setOffline(false)
	ann.waitMessage(offline)
	bob.wait("Bob's message is sent", `!document.querySelector('.msg.pending') && `+countExpr(offline)+` === 1`)
	time.Sleep(time.Second)
	if n := eval[int](ann, countExpr(offline)); n != 1 {
		t.Fatalf("Ann has the offline message %d times", n)
	}
	if n := eval[int](bob, countExpr(offline)); n != 1 {
		t.Fatalf("Bob has the offline message %d times", n)
	}
	hist, err := cid.History(ctx, client.HistoryParams{ChatID: groupID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range hist {
		if m.Text == offline {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the group's history has the offline message %d times", n)
	}

	// The list, for the pictures.
	if phone {
		ann.backToList()
		ann.shot(prefix+"-chatlist", true)
	} else {
		ann.openChat("Bob Stone")
		ann.click("#main-menu")
		ann.clickText(".menu-item", "Settings")
		ann.shot(prefix+"-settings", true)
	}
	t.Logf("%s flow took %v", prefix, time.Since(start).Round(time.Millisecond))
}

// TestFirstLoadSize measures, in the browser, every byte fetched to
// show the sign-in screen and then the chat list of a new account: it
// must stay under 300 KiB.
func TestFirstLoadSize(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	p := b.open("Ann", false)
	var total float64
	done := make(chan struct{})
	sizes := make(chan float64, 256)
	go func() {
		defer close(done)
		for s := range sizes {
			total += s
		}
	}()
	ctx, stop := context.WithCancel(p.ctx)
	go func() {
		for ev, err := range chromedp.Events(ctx, network.LoadingFinished) {
			if err != nil {
				break
			}
			sizes <- ev.EncodedDataLength
		}
		close(sizes)
	}()
	time.Sleep(100 * time.Millisecond) // the subscription is in place
	p.signUp("ann@example.com", "Ann", "Lee")
	p.wait("the empty list shows", `!!document.querySelector('.list-empty')`)
	time.Sleep(500 * time.Millisecond)
	stop()
	<-done
	const limit = 300 << 10
	t.Logf("first load: %.1f KiB over the network", total/1024)
	if total <= 0 || total > limit {
		t.Fatalf("the first load fetched %.0f bytes; the budget is %d", total, limit)
	}
}

// TestPushShowsNotification delivers a Web Push message to the service
// worker, as a push service would: while a window of the app is in
// view it shows nothing (the app shows the message), and with no window
// it shows the sender and text, tagged by chat.
func TestPushShowsNotification(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	p := b.open("Ann", false)
	if _, err := chromedp.CallBrowser(p.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission:       &cdpbrowser.PermissionDescriptor{Name: "notifications"},
		Setting:          "granted",
		Origin:           srv.URL,
		BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("granting notifications: %v", err)
	}
	regs := chromedp.Events(p.ctx, serviceworker.WorkerRegistrationUpdated)
	if _, err := chromedp.Call(p.ctx, serviceworker.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	p.do("opening the app", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	p.wait("the service worker is active", `!!navigator.serviceWorker.controller`)
	var regID serviceworker.RegistrationID
	deadline := time.Now().Add(step)
	for ev, err := range regs {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ev.Registrations {
			if strings.HasPrefix(r.ScopeURL, srv.URL) && !r.IsDeleted {
				regID = r.RegistrationID
			}
		}
		if regID != "" || time.Now().After(deadline) {
			break
		}
	}
	if regID == "" {
		t.Fatal("no service worker registration seen")
	}
	push := func(chat int, title, body string) {
		t.Helper()
		data := fmt.Sprintf(`{"chat_id": %d, "message_id": 5, "title": %q, "body": %q}`, chat, title, body)
		if _, err := chromedp.Call(p.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{Origin: srv.URL, RegistrationID: regID, Data: data}); err != nil {
			t.Fatalf("delivering a push: %v", err)
		}
	}
	notes := func(tag string) string {
		return fmt.Sprintf(`navigator.serviceWorker.ready.then(r => r.getNotifications({tag: %q})).then(ns => ns.map(n => n.title + '|' + n.body).join(';'))`, tag)
	}

	// The app is in view: nothing is shown.
	push(7, "Bob Stone", "Are you there?")
	time.Sleep(time.Second)
	if got := eval[string](p, notes("chat-7")); got != "" {
		t.Fatalf("a notification showed while the app was in view: %q", got)
	}

	// No window of the app: the notification shows.
	p.do("leaving the app", chromedp.Navigate("about:blank"))
	push(8, "Bob Stone", "Hi from the push")
	push(9, "Haven", "New message")
	p.do("back to the app", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	waitFor := func(tag, want string) {
		t.Helper()
		var got string
		for end := time.Now().Add(step); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if got = eval[string](p, notes(tag)); got == want {
				return
			}
		}
		t.Fatalf("notifications tagged %s: %q, want %q", tag, got, want)
	}
	waitFor("chat-8", "Bob Stone|Hi from the push")
	waitFor("chat-9", "Haven|New message")
}
