package web_test

import (
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/internal/testserver"
)

// TestNotificationSettings: private notifications start on (only "New
// message" is shown, as the server's own default); turning
// notifications on in a browser that cannot subscribe to Web Push (a
// test's browser context has no push service, like a private window)
// still turns them on for the open tab, and says why none will come
// while Haven is closed, rather than failing or hanging.
func TestNotificationSettings(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ann, _, _ := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	if _, err := chromedp.CallBrowser(ann.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission:       &cdpbrowser.PermissionDescriptor{Name: "notifications"},
		Setting:          "granted",
		Origin:           srv.URL,
		BrowserContextID: chromedp.FromContext(ann.ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("granting notifications: %v", err)
	}
	ann.click("#main-menu")
	ann.clickText(".menu-item", "Settings")
	ann.click("#settings-notifications")
	ann.wait("notifications are off, private ones chosen", `document.querySelector('#notify-enabled')?.checked === false && document.querySelector('#notify-private')?.checked === true`)
	ann.click("#notify-enabled")
	ann.wait("notifications are on", `document.querySelector('#notify-enabled').checked && !document.querySelector('#notify-enabled').disabled`)
	ann.wait("the app says push is not available here", `(document.querySelector('#push-error')||{}).textContent?.includes('only while Haven is open')`)
	ann.wait("still private, and now changeable", `document.querySelector('#notify-private').checked && !document.querySelector('#notify-private').disabled`)
	if got := eval[bool](ann, `JSON.parse(localStorage.getItem('haven.notify')).private === true`); !got {
		t.Fatal("the kept choice is not private")
	}
	ann.shot("desktop-settings-notifications", true)
}
