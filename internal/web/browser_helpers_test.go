package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// The browser tests drive the web app in a real headless Chromium
// (Debian's chromium package) against a real server. They skip when no
// Chromium is installed, so `go test ./...` passes with Go alone; CI
// installs it (.ci/run).

// chromiumPath finds Chromium: $HAVEN_CHROMIUM, or one on the PATH.
func chromiumPath() string {
	if p := os.Getenv("HAVEN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one Chromium for a test; each person gets their own
// browser context (their own storage, as on their own device).
type browser struct {
	t     *testing.T
	ctx   context.Context
	srv   *testserver.Server
	pages []*page
}

func startBrowser(t *testing.T, srv *testserver.Server) *browser {
	t.Helper()
	path := chromiumPath()
	if path == "" && os.Getenv("CI") != "" {
		t.Fatal("no Chromium found, and CI must run the browser tests: .ci/run installs Debian's chromium package")
	}
	if path == "" {
		t.Skip("no Chromium found: install Debian's chromium package (apt-get install chromium) or set HAVEN_CHROMIUM to run the browser tests")
	}
	// These flags keep Chromium off this machine's closed network (it
	// would try to reach its own services) and out of the sandbox, which
	// needs privileges a test does not have.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		// A fake microphone (a tone) for voice notes, allowed without a
		// prompt.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelB()
		cancelA()
	})
	return &browser{t: t, ctx: bctx, srv: srv}
}

// page is one person's tab, in a browser context of its own.
type page struct {
	t       *testing.T
	b       *browser
	ctx     context.Context
	name    string
	phone   bool
	email   string
	userID  int64
	console *lines // what the page logged, shown when a step fails
}

// lines keeps the last lines a page logged.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, s)
	if len(l.l) > 40 {
		l.l = l.l[len(l.l)-40:]
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}

// viewport sizes: a phone (360×740, touch) and a laptop.
const (
	phoneW, phoneH     = 360, 740
	desktopW, desktopH = 1280, 800
)

func (b *browser) open(name string, phone bool) *page {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first action on a context opens its tab for the life of the
	// context it is given: this one, not a step's with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: opening a tab: %v", name, err)
	}
	p := &page{t: b.t, b: b, ctx: ctx, name: name, phone: phone, console: &lines{}}
	b.pages = append(b.pages, p)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			p.console.add(m.String())
		}
	}()
	if phone {
		p.do("phone viewport", chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	} else {
		p.do("desktop viewport", chromedp.EmulateViewport(desktopW, desktopH))
	}
	return p
}

// step bounds one step: generous, for a slow, loaded machine.
const step = 90 * time.Second

// do runs actions, failing the test (with a screenshot kept for
// debugging) if they do not finish within step.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(what, err)
	}
}

func (p *page) fail(what string, err error) {
	p.t.Helper()
	// The pictures outlive the test (a TempDir would not): they tell why
	// a step timed out. Every person's page is kept: the cause is often
	// on the other side.
	dir := os.Getenv("HAVEN_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "haven-browser-failures")
	}
	_ = os.MkdirAll(dir, 0o755)
	for _, q := range p.b.pages {
		if c := q.console.String(); c != "" {
			p.t.Logf("%s's console:\n%s", q.name, c)
		}
		ctx, cancel := context.WithTimeout(q.ctx, 10*time.Second)
		if buf, e := chromedp.Run(ctx, chromedp.CaptureScreenshot()); e == nil {
			name := filepath.Join(dir, "failed-"+strings.ReplaceAll(p.t.Name(), "/", "_")+"-"+q.name+".png")
			_ = os.WriteFile(name, buf, 0o644)
			p.t.Logf("screenshot of %s's page: %s", q.name, name)
		}
		cancel()
	}
	p.t.Fatalf("%s: %s: %v", p.name, what, err)
}

// wait waits until a JavaScript expression is true in the page.
func (p *page) wait(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(step), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.fail("waiting until "+what, err)
	}
}

// serverDialog polls c's dialog list until the dialog of chatID is one
// ok accepts, and returns it; after step it fails, naming what it
// waited for and the dialog it last saw.
func serverDialog(t *testing.T, ctx context.Context, c *client.Client, chatID int64, what string, ok func(client.Dialog) bool) client.Dialog {
	t.Helper()
	var last client.Dialog
	for end := time.Now().Add(step); ; time.Sleep(100 * time.Millisecond) {
		ds, err := c.Dialogs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Chat.ID == chatID {
				if last = d; ok(d) {
					return d
				}
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the server never had %s: last %+v", what, last)
		}
	}
}

// eval evaluates an expression (awaiting a promise) and decodes its
// value.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluating "+expr, err)
	}
	return v
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// click clicks what a CSS selector finds first, once it is visible,
// enabled and still: a click goes to a place on the screen, and a panel
// sliding in (the chat info) would take it elsewhere.
func (p *page) click(sel string) {
	p.t.Helper()
	p.do("waiting for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.WaitEnabled(chromedp.CSS(sel)))
	p.wait(sel+" is still", fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; const r = e.getBoundingClientRect();
		const k = [r.x, r.y, r.width, r.height].join(); const still = e.dataset.testRect === k; e.dataset.testRect = k; return still; })()`, js(sel)))
	p.do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// clickText clicks the first element matching sel whose text holds
// text.
func (p *page) clickText(sel, text string) {
	p.t.Helper()
	expr := fmt.Sprintf(`[...document.querySelectorAll(%s)].find(e => e.textContent.includes(%s) && e.offsetParent !== null)`, js(sel), js(text))
	p.wait(fmt.Sprintf("%q shows %q", sel, text), "!!"+expr)
	p.do("clicking "+text, chromedp.Evaluate[chromedp.Void](expr+".click()"))
}

// typeIn types text into a field.
func (p *page) typeIn(sel, text string) {
	p.t.Helper()
	p.do("typing in "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setField replaces a field's text, as typing would.
func (p *page) setField(sel, text string) {
	p.t.Helper()
	p.do("clearing "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.focus(); e.select && e.select(); })()`, js(sel))))
	p.do("typing in "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// signUp makes an account through the sign-in screen.
func (p *page) signUp(email, first, last string) {
	p.t.Helper()
	p.email = email
	p.do("opening the app", chromedp.Navigate(p.b.srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")))
	p.typeIn("#signin-id", email)
	p.click(".signin button[type=submit]")
	p.do("the code step", chromedp.WaitVisible(chromedp.CSS("#signin-code")))
	code := p.b.srv.Code(p.t, email)
	p.typeIn("#signin-code", code) // the fifth digit submits
	p.do("the name step", chromedp.WaitVisible(chromedp.CSS("#signup-first")))
	p.typeIn("#signup-first", first)
	if last != "" {
		p.typeIn("#signup-last", last)
	}
	p.click(".signin button[type=submit]")
	p.waitOnline()
}

// waitOnline waits until the app is connected and caught up.
func (p *page) waitOnline() {
	p.t.Helper()
	p.wait("the app is online", `!!document.querySelector('.sidebar') && !document.querySelector('#conn-state')`)
}

// send writes a message in the open chat and sends it with the button
// (a phone's Enter makes a new line).
func (p *page) send(text string) {
	p.t.Helper()
	p.typeIn("#composer-input", text)
	p.click("#send-btn")
	p.wait("the composer is empty", `document.querySelector('#composer-input').value === ''`)
}

// countText counts the messages whose text is exactly text.
func countExpr(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('.msg .text')].filter(e => e.firstChild && e.textContent.trim() === %s).length`, js(text))
}

func (p *page) waitMessage(text string) {
	p.t.Helper()
	p.wait(fmt.Sprintf("the message %q shows", text), countExpr(text)+" >= 1")
}

// openChatWith opens a chat from the list by its title.
func (p *page) openChat(title string) {
	p.t.Helper()
	if p.phone {
		p.backToList()
	}
	p.clickText(".dialog-list .list-item:not(.secret-item)", title) // a secret chat opens by its own item
	p.wait("the chat "+title+" is open", fmt.Sprintf(`(document.querySelector('#chat-title')||{}).textContent === %s`, js(title)))
}

// backToList goes back to the chat list on a phone.
func (p *page) backToList() {
	p.t.Helper()
	open := eval[bool](p, `!!document.querySelector('.layout.has-chat')`)
	if open {
		p.click(".back-btn")
		p.wait("the list shows", `!document.querySelector('.layout.has-chat')`)
	}
}

// setOffline cuts the page's network (requests, sockets, the service
// worker's fetches), or gives it back.
func (p *page) setOffline(off bool) {
	p.t.Helper()
	tput := -1.0
	if _, err := chromedp.Call(p.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &off,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: tput, UploadThroughput: tput}},
	}); err != nil {
		p.fail("emulating the network", err)
	}
	if _, err := chromedp.Call(p.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: tput, UploadThroughput: tput}); err != nil {
		p.fail("overriding the network state", err)
	}
}

// dark switches the page to the dark theme (as the system would) or
// back to light.
func (p *page) dark(on bool) {
	p.t.Helper()
	v := "light"
	if on {
		v = "dark"
	}
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}}); err != nil {
		p.fail("emulating the colour scheme", err)
	}
}

// shot saves a screenshot as HAVEN_SCREENSHOTS/name.png, in the light
// theme and, with both, also in the dark one (name-dark.png).
func (p *page) shot(name string, both bool) {
	p.t.Helper()
	dir := os.Getenv("HAVEN_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	save := func(file string) {
		time.Sleep(400 * time.Millisecond) // let transitions and images settle for the picture
		ctx, cancel := context.WithTimeout(p.ctx, step)
		defer cancel()
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			p.fail("screenshot", err)
		}
		if err := os.WriteFile(filepath.Join(dir, file+".png"), buf, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	save(name)
	if both {
		p.dark(true)
		save(name + "-dark")
		p.dark(false)
	}
}

// testPhoto is a PNG picture: a sunset of sorts, width×height pixels.
func testPhoto(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fy := float64(y) / float64(h)
			fx := float64(x) / float64(w)
			c := color.NRGBA{uint8(250 - 120*fy), uint8(150 - 60*fy + 40*fx), uint8(90 + 120*fy), 255}
			dx, dy := fx-0.6, fy-0.55
			if dx*dx+dy*dy < 0.02 {
				c = color.NRGBA{255, 220, 120, 255}
			}
			if fy > 0.7+0.05*float64((x/40)%2) {
				c = color.NRGBA{uint8(40 + 30*fx), 60, 90, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sunset.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// signedIn opens a tab signed in as a new account made through the Go
// SDK: the app finds the session's token where it keeps it, as after a
// sign-in of its own. It is quicker than the sign-in screen, which
// TestMessengerInTheBrowser goes through.
func (b *browser) signedIn(name, email, first, last string) (*page, *client.Client, *client.User) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, u, err := b.srv.SignIn(ctx, email, first)
	if err != nil {
		b.t.Fatal(err)
	}
	if last != "" {
		if u, err = c.UpdateProfile(ctx, client.ProfileParams{LastName: &last}); err != nil {
			b.t.Fatal(err)
		}
	}
	p := b.open(name, false)
	p.email = email
	p.userID = u.ID
	p.do("opening the app", chromedp.Navigate(b.srv.URL), chromedp.WaitVisible(chromedp.CSS("#signin-id")),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem('haven.token', %s)`, js(c.Token()))),
		chromedp.Reload())
	p.waitOnline()
	return p, c, u
}

// menuOn opens the context menu of the message whose text is text (a
// right click) and clicks the item named item.
func (p *page) menuOn(text, item string) {
	p.t.Helper()
	find := fmt.Sprintf(`[...document.querySelectorAll('.msg')].find(m => m.querySelector('.text') && m.querySelector('.text').textContent.trim() === %s)`, js(text))
	p.wait(fmt.Sprintf("the message %q shows", text), "!!"+find)
	p.do("right-clicking "+text, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const b = %s.querySelector('.bubble'); b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect(); b.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, clientX: r.left + 10, clientY: r.top + 10})); })()`, find)))
	if strings.HasPrefix(item, "react:") {
		p.click(fmt.Sprintf(`.menu .reaction-pick[aria-label="React %s"]`, strings.TrimPrefix(item, "react:")))
		return
	}
	p.clickText(".menu .menu-item", item)
}
