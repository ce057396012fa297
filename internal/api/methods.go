package api

import (
	"context"
	"reflect"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// method is one entry of the method table, served alike over HTTP and
// the WebSocket.
type method struct {
	name   string
	auth   bool         // needs a signed-in session
	params reflect.Type // the params struct, for the documentation test
	run    func(ctx context.Context, c *call, raw []byte) (any, error)
}

// def makes a method whose params decode into P.
func def[P any](name string, auth bool, f func(ctx context.Context, c *call, p *P) (any, error)) *method {
	return &method{
		name:   name,
		auth:   auth,
		params: reflect.TypeFor[P](),
		run: func(ctx context.Context, c *call, raw []byte) (any, error) {
			var p P
			if err := decodeParams(raw, &p); err != nil {
				return nil, err
			}
			res, err := f(ctx, c, &p)
			return render(res), err
		},
	}
}

// none is the params of a method that takes none.
type none struct{}

// Parameter structs. A field tagged required:"true" must be present and
// non-zero; docs/api.md lists every field (a test checks).
type (
	sendCodeParams struct {
		Identifier string `json:"identifier" required:"true"`
		Device     string `json:"device"`
	}
	signInParams struct {
		LoginToken string `json:"login_token" required:"true"`
		Code       string `json:"code" required:"true"`
	}
	signUpParams struct {
		LoginToken string `json:"login_token" required:"true"`
		FirstName  string `json:"first_name" required:"true"`
		LastName   string `json:"last_name"`
		InviteCode string `json:"invite_code"`
	}
	signupInviteParams struct {
		ID int64 `json:"id" required:"true"`
	}
	checkPasswordParams struct {
		LoginToken string `json:"login_token" required:"true"`
		Password   string `json:"password" required:"true"`
	}
	loginTokenParams struct {
		LoginToken string `json:"login_token" required:"true"`
	}
	useTokenParams struct {
		Token string `json:"token" required:"true"`
	}
	sessionParams struct {
		SessionID int64 `json:"session_id" required:"true"`
	}
	setPasswordParams struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password" required:"true"`
		Hint            string `json:"hint"`
		RecoveryEmail   string `json:"recovery_email"`
	}
	currentPasswordParams struct {
		CurrentPassword string `json:"current_password"`
	}
	confirmEmailParams struct {
		Code string `json:"code" required:"true"`
	}
	updateProfileParams struct {
		FirstName *string `json:"first_name"`
		LastName  *string `json:"last_name"`
		Bio       *string `json:"bio"`
	}
	usernameParams struct {
		Username string `json:"username"`
	}
	deleteAccountParams struct {
		Password string `json:"password"`
	}
	ttlParams struct {
		Months int `json:"months" required:"true"`
	}
	userIDsParams struct {
		IDs []int64 `json:"ids" required:"true"`
	}
	importContactsParams struct {
		Contacts []contactInput `json:"contacts" required:"true"`
	}
	// contactInput is one contact to import (core.ContactInput).
	contactInput struct {
		Phone     string `json:"phone,omitempty"`
		Email     string `json:"email,omitempty"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name,omitempty"`
	}
	addContactParams struct {
		UserID    int64  `json:"user_id" required:"true"`
		FirstName string `json:"first_name" required:"true"`
		LastName  string `json:"last_name"`
	}
	deleteContactsParams struct {
		UserIDs []int64 `json:"user_ids" required:"true"`
	}
	userIDParams struct {
		UserID int64 `json:"user_id" required:"true"`
	}
	setPrivacyParams struct {
		Key   haven.PrivacyKey `json:"key" required:"true"`
		Value haven.Audience   `json:"value" required:"true"`
	}
)

// usernameAvailable answers users.checkUsername.
type usernameAvailable struct {
	Available bool `json:"available"`
}

// terminated answers sessions.terminateOthers.
type terminated struct {
	Count int `json:"count"`
}

// allMethods is the method table: every method of the native API.
func (s *Server) allMethods() []*method {
	return append(append(append(append(append(append(s.table(), s.chatTable()...), s.fileTable()...), s.mediaTable()...), s.photoTable()...), s.pushTable()...), s.secretTable()...)
}

// table is the accounts part of the method table.
func (s *Server) table() []*method {
	co := s.core
	// authorized binds a WebSocket to the session a sign-in step made.
	authorized := func(c *call, a *core.Authorization, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		if a.Status == core.StatusAuthorized && c.bind != nil {
			// Never refused: see ConnLimits.SocketsPerUser.
			_ = c.bind(context.Background(), &core.Actor{UserID: a.User.ID, SessionID: a.SessionID}, true)
		}
		return a, nil
	}
	return []*method{
		def("auth.sendCode", false, func(ctx context.Context, c *call, p *sendCodeParams) (any, error) {
			return co.SendCode(ctx, c.actor, p.Identifier, p.Device)
		}),
		def("auth.signIn", false, func(ctx context.Context, c *call, p *signInParams) (any, error) {
			a, err := co.SignIn(ctx, c.actor, p.LoginToken, p.Code)
			return authorized(c, a, err)
		}),
		def("auth.signUp", false, func(ctx context.Context, c *call, p *signUpParams) (any, error) {
			a, err := co.SignUp(ctx, c.actor, p.LoginToken, p.FirstName, p.LastName, p.InviteCode)
			return authorized(c, a, err)
		}),
		def("auth.checkPassword", false, func(ctx context.Context, c *call, p *checkPasswordParams) (any, error) {
			a, err := co.CheckPassword(ctx, c.actor, p.LoginToken, p.Password)
			return authorized(c, a, err)
		}),
		def("auth.requestPasswordRecovery", false, func(ctx context.Context, c *call, p *loginTokenParams) (any, error) {
			return co.RequestPasswordRecovery(ctx, c.actor, p.LoginToken)
		}),
		def("auth.recoverPassword", false, func(ctx context.Context, c *call, p *signInParams) (any, error) {
			a, err := co.RecoverPassword(ctx, c.actor, p.LoginToken, p.Code)
			return authorized(c, a, err)
		}),
		def("auth.useToken", false, func(ctx context.Context, c *call, p *useTokenParams) (any, error) {
			a, err := co.Authenticate(ctx, p.Token, c.ip)
			if err != nil {
				return nil, err
			}
			if c.bind != nil {
				if err := c.bind(ctx, a, false); err != nil {
					return nil, err
				}
			}
			return co.Me(ctx, a)
		}),
		def("auth.logOut", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return true, co.LogOut(ctx, c.actor)
		}),

		def("signup.createInvite", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.CreateSignupInvite(ctx, c.actor)
		}),
		def("signup.invites", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.ListSignupInvites(ctx, c.actor)
		}),
		def("signup.revokeInvite", true, func(ctx context.Context, c *call, p *signupInviteParams) (any, error) {
			return true, co.RevokeSignupInvite(ctx, c.actor, p.ID)
		}),

		def("sessions.list", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.ListSessions(ctx, c.actor)
		}),
		def("sessions.terminate", true, func(ctx context.Context, c *call, p *sessionParams) (any, error) {
			return true, co.TerminateSession(ctx, c.actor, p.SessionID)
		}),
		def("sessions.terminateOthers", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			n, err := co.TerminateOtherSessions(ctx, c.actor)
			return terminated{Count: n}, err
		}),

		def("account.getPassword", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.GetPassword(ctx, c.actor)
		}),
		def("account.setPassword", true, func(ctx context.Context, c *call, p *setPasswordParams) (any, error) {
			return co.SetPassword(ctx, c.actor, p.CurrentPassword, p.NewPassword, p.Hint, p.RecoveryEmail)
		}),
		def("account.confirmRecoveryEmail", true, func(ctx context.Context, c *call, p *confirmEmailParams) (any, error) {
			return co.ConfirmRecoveryEmail(ctx, c.actor, p.Code)
		}),
		def("account.removePassword", true, func(ctx context.Context, c *call, p *currentPasswordParams) (any, error) {
			return true, co.RemovePassword(ctx, c.actor, p.CurrentPassword)
		}),
		def("account.updateProfile", true, func(ctx context.Context, c *call, p *updateProfileParams) (any, error) {
			return co.UpdateProfile(ctx, c.actor, core.ProfileChange{FirstName: p.FirstName, LastName: p.LastName, Bio: p.Bio})
		}),
		def("account.updateUsername", true, func(ctx context.Context, c *call, p *usernameParams) (any, error) {
			return co.SetUsername(ctx, c.actor, p.Username)
		}),
		def("account.delete", true, func(ctx context.Context, c *call, p *deleteAccountParams) (any, error) {
			return true, co.DeleteAccount(ctx, c.actor, p.Password)
		}),
		def("account.getTTL", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.GetAccountTTL(ctx, c.actor)
		}),
		def("account.setTTL", true, func(ctx context.Context, c *call, p *ttlParams) (any, error) {
			return co.SetAccountTTL(ctx, c.actor, p.Months)
		}),

		def("users.getMe", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.Me(ctx, c.actor)
		}),
		def("users.get", true, func(ctx context.Context, c *call, p *userIDsParams) (any, error) {
			return co.GetUsers(ctx, c.actor, p.IDs)
		}),
		def("users.resolveUsername", true, func(ctx context.Context, c *call, p *usernameParams) (any, error) {
			return co.ResolveUsername(ctx, c.actor, p.Username)
		}),
		def("users.search", true, func(ctx context.Context, c *call, p *peopleSearchParams) (any, error) {
			return co.SearchPeople(ctx, c.actor, core.PeopleQuery{Query: p.Query, Limit: p.Limit})
		}),
		def("users.checkUsername", true, func(ctx context.Context, c *call, p *usernameParams) (any, error) {
			ok, err := co.CheckUsername(ctx, c.actor, p.Username)
			return usernameAvailable{Available: ok}, err
		}),

		def("contacts.import", true, func(ctx context.Context, c *call, p *importContactsParams) (any, error) {
			in := make([]core.ContactInput, len(p.Contacts))
			for i, x := range p.Contacts {
				in[i] = core.ContactInput(x)
			}
			return co.ImportContacts(ctx, c.actor, in)
		}),
		def("contacts.add", true, func(ctx context.Context, c *call, p *addContactParams) (any, error) {
			return co.AddContact(ctx, c.actor, p.UserID, p.FirstName, p.LastName)
		}),
		def("contacts.list", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.ListContacts(ctx, c.actor)
		}),
		def("contacts.delete", true, func(ctx context.Context, c *call, p *deleteContactsParams) (any, error) {
			return true, co.DeleteContacts(ctx, c.actor, p.UserIDs)
		}),
		def("contacts.block", true, func(ctx context.Context, c *call, p *userIDParams) (any, error) {
			return true, co.Block(ctx, c.actor, p.UserID)
		}),
		def("contacts.unblock", true, func(ctx context.Context, c *call, p *userIDParams) (any, error) {
			return true, co.Unblock(ctx, c.actor, p.UserID)
		}),
		def("contacts.listBlocked", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.ListBlocked(ctx, c.actor)
		}),

		def("privacy.get", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.GetPrivacy(ctx, c.actor)
		}),
		def("privacy.set", true, func(ctx context.Context, c *call, p *setPrivacyParams) (any, error) {
			return co.SetPrivacy(ctx, c.actor, p.Key, p.Value)
		}),
	}
}
