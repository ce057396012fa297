package web_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// waitContacts waits until the server keeps exactly these contacts of c
// (each "First Last", in any order).
func waitContacts(t *testing.T, ctx context.Context, c *client.Client, want ...string) {
	t.Helper()
	sort.Strings(want)
	var got []string
	for end := time.Now().Add(step); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		cs, err := c.Contacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, x := range cs {
			got = append(got, strings.TrimSpace(x.FirstName+" "+x.LastName))
		}
		sort.Strings(got)
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
	}
	t.Fatalf("the server keeps the contacts %q, want %q", got, want)
}

// TestContactsFromProfile: a person met in a private chat is added to
// the contacts from the chat's info panel under a name one chooses,
// renamed with "Edit contact" and dropped with "Remove from contacts";
// a group member is added from their profile; the contacts list of the
// main menu shows them by those names, searches them, and opens a chat
// beside itself.
func TestContactsFromProfile(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	ann, annC, annU := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bobC, bobU := srv.SignUp(t, "bob@example.com", "Bob")
	cidC, cidU := srv.SignUp(t, "cid@example.com", "Cid")
	// Bob and Cid find Ann by her username; Bob writes to her and Cid
	// keeps her in his contacts (so she may add him to a group). Ann has
	// neither in hers.
	if _, err := annC.UpdateUsername(ctx, "ann_lee"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{bobC, cidC} {
		if _, err := c.ResolveUsername(ctx, "ann_lee"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cidC.AddContact(ctx, annU.ID, "Ann", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.Send(ctx, &client.SendParams{UserID: annU.ID, Text: "Hello from Bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := annC.CreateGroup(ctx, "Crag team", []int64{cidU.ID}); err != nil {
		t.Fatal(err)
	}
	waitContacts(t, ctx, annC)

	// From the private chat's info panel.
	ann.openChat("Bob")
	ann.click("#chat-head")
	ann.click("#add-contact")
	ann.wait("the name starts as Bob's own", `document.querySelector('#contact-first')?.value === 'Bob'`)
	ann.setField("#contact-first", "Bobby")
	ann.typeIn("#contact-last", "Tables")
	ann.click("#contact-save")
	waitContacts(t, ctx, annC, "Bobby Tables")
	ann.wait("the panel offers to edit the contact, and shows its name", `!!document.querySelector('#edit-contact') && !document.querySelector('#add-contact') && document.querySelector('#contact-name')?.textContent.includes('Bobby Tables')`)
	ann.click("#edit-contact")
	ann.wait("the name starts as the contact's", `document.querySelector('#contact-first')?.value === 'Bobby' && document.querySelector('#contact-last')?.value === 'Tables'`)
	ann.setField("#contact-first", "Robert")
	ann.click("#contact-save")
	waitContacts(t, ctx, annC, "Robert Tables")
	ann.wait("the panel shows the new name", `document.querySelector('#contact-name')?.textContent.includes('Robert Tables')`)

	// From a group member's profile.
	ann.openChat("Crag team")
	ann.click(fmt.Sprintf(`.member[data-user="%d"]`, cidU.ID))
	ann.clickText(".menu .menu-item", "View profile")
	ann.wait("the profile shows Cid", `document.querySelector('.modal .info-hero')?.textContent.includes('Cid')`)
	ann.shot("desktop-member-profile", false)
	ann.click(".modal #add-contact")
	ann.setField("#contact-first", "Cid")
	ann.typeIn("#contact-last", "Climber")
	ann.click("#contact-save")
	waitContacts(t, ctx, annC, "Robert Tables", "Cid Climber")

	// The contacts list: by name, searchable, opening chats beside it.
	titles := `[...document.querySelectorAll('.contact-list .list-item .item-title')].map(e => e.textContent).join(',')`
	ann.click("#main-menu")
	ann.clickText(".menu .menu-item", "Contacts")
	ann.wait("both contacts are listed by their names", titles+` === 'Cid Climber,Robert Tables'`)
	ann.shot("desktop-contacts", false)
	ann.typeIn("#contacts-search", "rob")
	ann.wait("the search keeps Robert", titles+` === 'Robert Tables'`)
	ann.setField("#contacts-search", "zzz")
	ann.wait("the search finds nobody", titles+` === '' && document.querySelector('.contact-list')?.textContent.includes('No contacts found')`)
	ann.setField("#contacts-search", "tab")
	ann.click(fmt.Sprintf(`.contact-list .list-item[data-user="%d"]`, bobU.ID))
	ann.wait("the chat with Bob opens beside the contacts", `(document.querySelector('#chat-title')||{}).textContent === 'Bob' && document.querySelector('.sidebar .panel-title')?.textContent === 'Contacts'`)
	ann.wait("it is the chat with Bob's message", countExpr("Hello from Bob")+" === 1")

	// Removing Bob (the info column stayed open from the group's).
	if !eval[bool](ann, `!!document.querySelector('.info')`) {
		ann.click("#chat-head")
	}
	ann.click("#remove-contact")
	ann.clickText(".modal .btn.danger", "Remove")
	waitContacts(t, ctx, annC, "Cid Climber")
	ann.wait("the panel offers to add Bob again", `!!document.querySelector('#add-contact') && !document.querySelector('#edit-contact')`)
	ann.setField("#contacts-search", "c")
	ann.wait("the list drops Bob", titles+` === 'Cid Climber'`)
}

// TestOwnProfileFromAnotherDevice: the app learns the person's profile
// changes made on another device (names, username) without reloading.
func TestOwnProfileFromAnotherDevice(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, _, _ := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	// Another device: a session of its own.
	other, _, err := srv.SignIn(ctx, "ann@example.com", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	ann.click("#main-menu")
	ann.clickText(".menu .menu-item", "Settings")
	hero := `((document.querySelector('.sidebar .info-hero')||{}).textContent || '')`
	ann.wait("settings show Ann Lee", hero+`.includes('Ann Lee')`)
	first, last := "Annabel", "Lee-Park"
	if _, err := other.UpdateProfile(ctx, client.ProfileParams{FirstName: &first, LastName: &last}); err != nil {
		t.Fatal(err)
	}
	ann.wait("settings show the new name", hero+`.includes('Annabel Lee-Park')`)
	if _, err := other.UpdateUsername(ctx, "annabel"); err != nil {
		t.Fatal(err)
	}
	ann.wait("settings show the new username", hero+`.includes('@annabel')`)
}
