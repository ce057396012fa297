package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// reachSignUp sends a code to email and enters it, returning the client,
// the login token and the sign-in step's answer.
func reachSignUp(ctx context.Context, t *testing.T, srv *testserver.Server, email string) (*client.Client, string, *client.Authorization, error) {
	t.Helper()
	c := client.New(srv.URL)
	sent, err := c.SendCode(ctx, email, "test")
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.SignIn(ctx, sent.LoginToken, srv.Code(t, email))
	return c, sent.LoginToken, auth, err
}

// TestSignUpWithInvite walks the SDK through a server whose sign-up needs
// an invite code: the sign-in step says so, each refusal is a typed error
// that errors.Is recognises, and members make invites within their cap.
func TestSignUpWithInvite(t *testing.T) {
	srv := testserver.StartWith(t, testserver.Options{Args: []string{"--signup", "invite", "--signup-member-invites", "1"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ann, lt, auth, err := reachSignUp(ctx, t, srv, "ann.invite@example.org")
	if err != nil || auth.Status != client.StatusSignUpRequired || !auth.InviteRequired {
		t.Fatalf("SignIn of a new person: %+v, %v; want sign_up_required with InviteRequired", auth, err)
	}
	if _, err := ann.SignUp(ctx, lt, "Ann", ""); !errors.Is(err, client.ErrInviteCodeRequired) {
		t.Fatalf("SignUp without a code: %v, want ErrInviteCodeRequired", err)
	}
	if _, err := ann.SignUpWithInvite(ctx, lt, "Ann", "", "hvi-aaaa-bbbb-cccc-dddd"); !errors.Is(err, client.ErrInviteCodeInvalid) {
		t.Fatalf("SignUpWithInvite with an unknown code: %v, want ErrInviteCodeInvalid", err)
	}
	code := srv.InviteCode(t, 1)
	auth, err = ann.SignUpWithInvite(ctx, lt, "Ann", "", code)
	if err != nil || auth.Status != client.StatusAuthorized || ann.Token() == "" {
		t.Fatalf("SignUpWithInvite: %+v, %v", auth, err)
	}
	bob, lt, _, err := reachSignUp(ctx, t, srv, "bob.invite@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SignUpWithInvite(ctx, lt, "Bob", "", code); !errors.Is(err, client.ErrInviteCodeUsedUp) {
		t.Fatalf("a used-up code: %v, want ErrInviteCodeUsedUp", err)
	}

	inv, err := ann.CreateSignupInvite(ctx)
	if err != nil || !strings.HasPrefix(inv.Code, "hvi-") || !strings.HasSuffix(inv.Link, "/join/"+inv.Code) || inv.UsageLimit != 1 {
		t.Fatalf("CreateSignupInvite: %+v, %v", inv, err)
	}
	if _, err := ann.CreateSignupInvite(ctx); !errors.Is(err, client.ErrMemberInvitesTooMany) {
		t.Fatalf("a second invite with a cap of 1: %v, want ErrMemberInvitesTooMany", err)
	}
	if err := ann.RevokeSignupInvite(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SignUpWithInvite(ctx, lt, "Bob", "", inv.Code); !errors.Is(err, client.ErrInviteCodeExpired) {
		t.Fatalf("a revoked code: %v, want ErrInviteCodeExpired", err)
	}
	list, err := ann.SignupInvites(ctx)
	if err != nil || len(list.Invites) != 1 || !list.Invites[0].Revoked || list.Invites[0].Code != "" || list.Remaining != 0 {
		t.Fatalf("SignupInvites: %+v, %v", list, err)
	}
	// The same attempt goes on with a good code.
	if auth, err := bob.SignUpWithInvite(ctx, lt, "Bob", "", srv.InviteCode(t, 0)); err != nil || auth.Status != client.StatusAuthorized {
		t.Fatalf("SignUpWithInvite after refusals: %+v, %v", auth, err)
	}
}

func TestSignUpClosed(t *testing.T) {
	srv := testserver.StartWith(t, testserver.Options{Args: []string{"--signup", "closed"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, auth, err := reachSignUp(ctx, t, srv, "cy.closed@example.org")
	if !errors.Is(err, client.ErrSignupClosed) || errors.Is(err, client.ErrInviteCodeRequired) {
		t.Fatalf("SignIn of a new person on a closed server: %+v, %v; want ErrSignupClosed", auth, err)
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 403 {
		t.Fatalf("SIGNUP_CLOSED over HTTP: %v, want status 403", err)
	}
}
