package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// The settings (F2 or Ctrl+T): everything of one's account that the API
// offers, each behind a list item, a question or a few prompts.

// setting is one item of the settings menu.
type setting struct {
	label string
	open  func(m *model) tea.Cmd
}

var settings = []setting{
	{"Profile: name and bio", (*model).editProfile},
	{"Profile photo", (*model).editPhoto},
	{"Username", (*model).editUsername},
	{"Two-step password, hint and recovery email", (*model).editPassword},
	{"Active sessions (end one)", (*model).showSessions},
	{"Privacy", (*model).showPrivacy},
	{"Blocked people", (*model).showBlocked},
	{"Contacts (add, remove)", (*model).showContacts},
	{"Delete my account if I am away for…", (*model).editTTL},
	{"Delete my account", (*model).deleteAccount},
}

func (m *model) showSettings() {
	var items []pickItem
	for i, s := range settings {
		items = append(items, pickItem{label: s.label, id: int64(i)})
	}
	m.overlay = &pickerOverlay{
		title: "Settings",
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			return settings[it.id].open(m)
		},
	}
}

// step is one prompt of a wizard.
type step struct {
	label, value string
	secret       bool
	files        bool
}

// wizard asks steps one after the other, then gives done the answers;
// Esc at any step cancels the whole.
func (m *model) wizard(steps []step, done func(answers []string) tea.Cmd) tea.Cmd {
	var answers []string
	var ask func(i int)
	ask = func(i int) {
		st := steps[i]
		p := newPrompt(st.label, st.value, func(v string) tea.Cmd {
			answers = append(answers, v)
			if i+1 < len(steps) {
				ask(i + 1)
				return nil
			}
			return done(answers)
		})
		p.files = st.files
		if st.secret {
			p.input.EchoMode = textinput.EchoPassword
			p.input.EchoCharacter = '•'
		}
		m.overlay = p
	}
	ask(0)
	return nil
}

// me is the signed-in person as last known.
func (m *model) meNow() *client.User {
	if u := m.users[m.me.ID]; u != nil {
		return u
	}
	return m.me
}

// gotMe records the person's own profile after a change.
type gotMeMsg client.User

func (m *model) editProfile() tea.Cmd {
	me := m.meNow()
	return m.wizard([]step{
		{label: "First name:", value: me.FirstName},
		{label: "Last name (may be empty):", value: me.LastName},
		{label: "Bio (may be empty):", value: me.Bio},
	}, func(a []string) tea.Cmd {
		first, last, bio := strings.TrimSpace(a[0]), strings.TrimSpace(a[1]), strings.TrimSpace(a[2])
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			u, err := m.c.UpdateProfile(ctx, client.ProfileParams{FirstName: &first, LastName: &last, Bio: &bio})
			if err != nil {
				return nil, err
			}
			return batchMsg{gotMeMsg(*u), noticeMsg("Profile saved: " + msgtext.FullName(u))}, nil
		})
	})
}

func (m *model) editPhoto() tea.Cmd {
	return m.wizard([]step{{label: "Photo file (JPEG or PNG; empty removes yours):", files: true}}, func(a []string) tea.Cmd {
		path := expandHome(strings.TrimSpace(a[0]))
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			if path == "" {
				u, err := m.c.RemoveProfilePhoto(ctx)
				if err != nil {
					return nil, err
				}
				return batchMsg{gotMeMsg(*u), noticeMsg("Profile photo removed")}, nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			f, err := m.c.UploadBytes(ctx, data, filepath.Base(path))
			if err != nil {
				return nil, err
			}
			u, err := m.c.SetProfilePhoto(ctx, f.ID)
			if err != nil {
				return nil, err
			}
			return batchMsg{gotMeMsg(*u), noticeMsg("Profile photo set: " + filepath.Base(path))}, nil
		})
	})
}

func (m *model) editUsername() tea.Cmd {
	return m.wizard([]step{{label: "Username (5-32 of a-z, 0-9, _; empty removes it):", value: m.meNow().Username}}, func(a []string) tea.Cmd {
		name := strings.TrimPrefix(strings.TrimSpace(a[0]), "@")
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			if name != "" {
				if free, err := m.c.CheckUsername(ctx, name); err != nil {
					return nil, err
				} else if !free {
					return noticeMsg("@" + name + " is taken: try another"), nil
				}
			}
			u, err := m.c.UpdateUsername(ctx, name)
			if err != nil {
				return nil, err
			}
			done := "Username removed"
			if u.Username != "" {
				done = "Username: @" + msgtext.Inert(u.Username)
			}
			return batchMsg{gotMeMsg(*u), noticeMsg(done)}, nil
		})
	})
}

// passwordMsg carries the password's state to the question it opens.
type passwordMsg client.PasswordState

func (m *model) editPassword() tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		ps, err := m.c.GetPassword(ctx)
		if err != nil {
			return nil, err
		}
		return passwordMsg(*ps), nil
	})
}

// passwordMenu asks what to do with the password, as it is now.
func (m *model) passwordMenu(ps client.PasswordState) {
	if !ps.HasPassword {
		m.overlay = &choiceOverlay{
			question: "No two-step password: one is asked after the code on a new device. (s)et one, or (n)ot now?",
			choices: map[string]func() tea.Cmd{
				"s": func() tea.Cmd { return m.setPassword(ps) },
				"n": func() tea.Cmd { return nil },
			},
		}
		return
	}
	about := "A two-step password is set"
	if ps.Hint != "" {
		about += " (hint: " + msgtext.OneLine(ps.Hint) + ")"
	}
	if ps.HasRecoveryEmail {
		about += ", recovery email " + msgtext.OneLine(ps.RecoveryEmailPattern)
	} else {
		about += ", no recovery email"
	}
	m.overlay = &choiceOverlay{
		question: about + ". (c)hange it, its hint or email; (r)emove it; or (n)othing?",
		choices: map[string]func() tea.Cmd{
			"c": func() tea.Cmd { return m.setPassword(ps) },
			"r": func() tea.Cmd {
				return m.wizard([]step{{label: "Current password:", secret: true}}, func(a []string) tea.Cmd {
					return m.write(func(ctx context.Context) (tea.Msg, error) {
						return noticeMsg("Two-step password removed"), m.c.RemovePassword(ctx, a[0])
					})
				})
			},
			"n": func() tea.Cmd { return nil },
		},
	}
}

// setPassword sets a password, or changes it with its hint and recovery
// email (the API takes all three at once).
func (m *model) setPassword(ps client.PasswordState) tea.Cmd {
	var steps []step
	if ps.HasPassword {
		steps = append(steps, step{label: "Current password:", secret: true})
	}
	newLabel := "New password (8 characters at least):"
	if ps.HasPassword {
		newLabel = "New password (empty keeps the current one):"
	}
	email := "Recovery email (may be empty):"
	if ps.HasRecoveryEmail {
		email = "Recovery email (now " + msgtext.OneLine(ps.RecoveryEmailPattern) + "; write it again to keep it, empty removes it):"
	}
	steps = append(steps,
		step{label: newLabel, secret: true},
		step{label: "The new password again:", secret: true},
		step{label: "Hint (may be empty):", value: ps.Hint},
		step{label: email},
	)
	return m.wizard(steps, func(a []string) tea.Cmd {
		var current string
		if ps.HasPassword {
			current, a = a[0], a[1:]
		}
		p := client.SetPasswordParams{CurrentPassword: current, NewPassword: a[0], Hint: strings.TrimSpace(a[2]), RecoveryEmail: strings.TrimSpace(a[3])}
		if p.NewPassword == "" && ps.HasPassword {
			p.NewPassword, a[1] = current, current
		}
		if a[1] != p.NewPassword {
			m.fail(fmt.Errorf("the two new passwords differ: nothing was changed"))
			return nil
		}
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			st, err := m.c.SetPassword(ctx, p)
			if err != nil {
				return nil, err
			}
			done := "Two-step password set"
			if st.HasRecoveryEmail {
				done += "; recovery email " + msgtext.OneLine(st.RecoveryEmailPattern)
			}
			return noticeMsg(done), nil
		})
	})
}

// sessionsMsg carries the sessions to their list.
type sessionsMsg []client.Session

func (m *model) showSessions() tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		ss, err := m.c.Sessions(ctx)
		return sessionsMsg(ss), err
	})
}

func (m *model) sessionList(ss []client.Session) {
	items := []pickItem{{label: "End every other session", id: -1}}
	for _, s := range ss {
		label := msgtext.OneLine(s.Device) + " · active " + stamp(s.LastActiveAt, m.now())
		if s.IP != "" {
			label += " · " + msgtext.OneLine(s.IP)
		}
		if s.Current {
			label += " · this app"
		}
		items = append(items, pickItem{label: label, id: s.ID, text: msgtext.OneLine(s.Device)})
	}
	m.overlay = &pickerOverlay{
		title: fmt.Sprintf("%s: Enter ends one", plural(int64(len(ss)), "session")),
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			if it.id == -1 {
				return m.confirm("End every session but this one?", func() tea.Cmd {
					return m.write(func(ctx context.Context) (tea.Msg, error) {
						n, err := m.c.TerminateOtherSessions(ctx)
						return noticeMsg(fmt.Sprintf("Ended %s", plural(int64(n), "session"))), err
					})
				})
			}
			return m.confirm("End the session of "+it.text+"?", func() tea.Cmd {
				return m.write(func(ctx context.Context) (tea.Msg, error) {
					return noticeMsg("Ended the session of " + it.text), m.c.TerminateSession(ctx, it.id)
				})
			})
		},
	}
}

// confirm asks a yes-or-no question and runs yes on y.
func (m *model) confirm(question string, yes func() tea.Cmd) tea.Cmd {
	m.overlay = &choiceOverlay{
		question: question + " (y)es or (n)o",
		choices: map[string]func() tea.Cmd{
			"y": yes,
			"n": func() tea.Cmd { return nil },
		},
	}
	return nil
}

// privacyKeys are the privacy settings, in words.
var privacyKeys = []struct{ key, words string }{
	{"phone_number", "Who sees my phone number and email"},
	{"last_seen", "Who sees when I was last online"},
	{"profile_photo", "Who sees my profile photo"},
	{"find_by_phone", "Who finds me by my phone number or email"},
	{"add_to_groups", "Who may add me to groups"},
	{"forwards", "Who sees my name on messages forwarded from me"},
}

// privacyMsg carries the privacy settings to their list.
type privacyMsg client.Privacy

func (m *model) showPrivacy() tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		p, err := m.c.GetPrivacy(ctx)
		return privacyMsg(p), err
	})
}

func (m *model) privacyList(p client.Privacy) {
	var items []pickItem
	for i, k := range privacyKeys {
		items = append(items, pickItem{label: k.words + ": " + p[k.key], id: int64(i)})
	}
	m.overlay = &pickerOverlay{
		title: "Privacy: Enter changes one",
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			k := privacyKeys[it.id]
			var values []pickItem
			for _, v := range []string{"everybody", "contacts", "nobody"} {
				values = append(values, pickItem{label: v, text: v})
			}
			m.overlay = &pickerOverlay{
				title: k.words + ":",
				items: values,
				onPick: func(v pickItem) tea.Cmd {
					return m.write(func(ctx context.Context) (tea.Msg, error) {
						p, err := m.c.SetPrivacy(ctx, k.key, v.text)
						if err != nil {
							return nil, err
						}
						return batchMsg{privacyMsg(p), noticeMsg(k.words + ": " + v.text)}, nil
					})
				},
			}
			return nil
		},
	}
}

// blockedMsg carries the people one blocks to their list.
type blockedMsg []client.User

func (m *model) showBlocked() tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		us, err := m.c.Blocked(ctx)
		return blockedMsg(us), err
	})
}

func (m *model) blockedList(us []client.User) {
	var items []pickItem
	for i := range us {
		items = append(items, pickItem{label: msgtext.FullName(&us[i]), id: us[i].ID})
	}
	m.overlay = &pickerOverlay{
		title: fmt.Sprintf("%s blocked: Enter unblocks", plural(int64(len(us)), "person")),
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			return m.setBlocked(it.id, it.label, false)
		},
	}
}

// setBlocked blocks or unblocks a person, after asking.
func (m *model) setBlocked(id int64, name string, block bool) tea.Cmd {
	verb := map[bool]string{true: "Block", false: "Unblock"}[block]
	return m.confirm(verb+" "+name+"?", func() tea.Cmd {
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			var err error
			if block {
				err = m.c.Block(ctx, id)
			} else {
				err = m.c.Unblock(ctx, id)
			}
			if err != nil {
				return nil, err
			}
			us, err := m.c.Users(ctx, []int64{id})
			if err != nil {
				return nil, err
			}
			return batchMsg{usersMsg(us), noticeMsg(verb + "ed " + name)}, nil
		})
	})
}

// contactsMsg carries the contacts to their list.
type contactsMsg []client.Contact

func (m *model) showContacts() tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		cs, err := m.c.Contacts(ctx)
		return contactsMsg(cs), err
	})
}

func (m *model) contactList(cs []client.Contact) {
	items := []pickItem{{label: "Add a contact by phone number or email", id: -1}}
	for _, c := range cs {
		name := msgtext.OneLine(strings.TrimSpace(c.FirstName + " " + c.LastName))
		if own := msgtext.FullName(&c.User); own != name {
			name += " (" + own + ")"
		}
		items = append(items, pickItem{label: name, id: c.User.ID, text: name})
	}
	m.overlay = &pickerOverlay{
		title: fmt.Sprintf("%s: Enter to write or remove", plural(int64(len(cs)), "contact")),
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			if it.id == -1 {
				return m.addContact()
			}
			var picked client.Contact
			for _, c := range cs {
				if c.User.ID == it.id {
					picked = c
				}
			}
			m.overlay = &choiceOverlay{
				question: it.text + ": (w)rite to them, (r)emove from contacts, or (n)othing?",
				choices: map[string]func() tea.Cmd{
					"w": func() tea.Cmd { return m.openPerson(picked.User) },
					"r": func() tea.Cmd {
						return m.write(func(ctx context.Context) (tea.Msg, error) {
							return noticeMsg("Removed " + it.text + " from your contacts"), m.c.DeleteContacts(ctx, []int64{it.id})
						})
					},
					"n": func() tea.Cmd { return nil },
				},
			}
			return nil
		},
	}
}

func (m *model) addContact() tea.Cmd {
	return m.wizard([]step{
		{label: "Phone number (+447400123456) or email:"},
		{label: "First name to know them by:"},
		{label: "Last name (may be empty):"},
	}, func(a []string) tea.Cmd {
		in := client.ContactInput{FirstName: strings.TrimSpace(a[1]), LastName: strings.TrimSpace(a[2])}
		if who := strings.TrimSpace(a[0]); strings.Contains(who, "@") {
			in.Email = who
		} else {
			in.Phone = who
		}
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			r, err := m.c.ImportContacts(ctx, []client.ContactInput{in})
			if err != nil {
				return nil, err
			}
			if len(r.Imported) == 0 {
				return noticeMsg("Nobody found with that number or email (or they are not found by it)"), nil
			}
			u := r.Imported[0].User
			return batchMsg{usersMsg{u}, noticeMsg("Added " + msgtext.FullName(&u) + " to your contacts")}, nil
		})
	})
}

// ttlMsg carries the account's inactivity period to its question.
type ttlMsg client.AccountTTL

func (m *model) editTTL() tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		t, err := m.c.GetAccountTTL(ctx)
		if err != nil {
			return nil, err
		}
		return ttlMsg(*t), nil
	})
}

func (m *model) ttlList(t client.AccountTTL) {
	var items []pickItem
	for _, months := range []int{1, 3, 6, 12} {
		label := plural(int64(months), "month")
		if months == t.Months {
			label += " (now)"
		}
		items = append(items, pickItem{label: label, id: int64(months)})
	}
	m.overlay = &pickerOverlay{
		title: "Delete my account if I am away for:",
		items: items,
		onPick: func(it pickItem) tea.Cmd {
			return m.write(func(ctx context.Context) (tea.Msg, error) {
				t, err := m.c.SetAccountTTL(ctx, int(it.id))
				if err != nil {
					return nil, err
				}
				return noticeMsg(fmt.Sprintf("Your account is deleted after %s away", plural(int64(t.Months), "month"))), nil
			})
		},
	}
}

// deleteAccount deletes the account for good, after asking (and for
// the password, when one is set).
func (m *model) deleteAccount() tea.Cmd {
	return m.confirm("Delete your account for good? Your profile, contacts and sessions go; others keep your messages.", func() tea.Cmd {
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			ps, err := m.c.GetPassword(ctx)
			if err != nil {
				return nil, err
			}
			return deleteAskMsg{hasPassword: ps.HasPassword}, nil
		})
	})
}

// deleteAskMsg asks for the password, if any, before deleting.
type deleteAskMsg struct{ hasPassword bool }

// accountDeletedMsg ends the app: the account is gone.
type accountDeletedMsg struct{}

func (m *model) deleteWith(password string) tea.Cmd {
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		if err := m.c.DeleteAccount(ctx, password); err != nil {
			return nil, err
		}
		return accountDeletedMsg{}, nil
	})
}

// settingsUpdate handles the answers the settings screens wait for.
func (m *model) settingsUpdate(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case gotMeMsg:
		u := client.User(msg)
		m.users[u.ID] = &u
		cp := u
		m.me = &cp
		return nil, true
	case passwordMsg:
		m.passwordMenu(client.PasswordState(msg))
	case sessionsMsg:
		m.sessionList(msg)
	case privacyMsg:
		m.privacyList(client.Privacy(msg))
	case blockedMsg:
		m.blockedList(msg)
	case contactsMsg:
		m.contactList(msg)
	case ttlMsg:
		m.ttlList(client.AccountTTL(msg))
	case invitesMsg:
		m.inviteList(msg)
	case inviteCheckedMsg:
		return m.askJoin(msg), true
	case deleteAskMsg:
		if !msg.hasPassword {
			return m.deleteWith(""), true
		}
		return m.wizard([]step{{label: "Your two-step password:", secret: true}}, func(a []string) tea.Cmd {
			return m.deleteWith(a[0])
		}), true
	case accountDeletedMsg:
		m.deleted = true
		return tea.Sequence(tea.Tick(1500*time.Millisecond, func(time.Time) tea.Msg { return nil }), tea.Quit), true
	default:
		return nil, false
	}
	return nil, true
}
