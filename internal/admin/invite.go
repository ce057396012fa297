package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/core"
)

// defaultInviteTTL is how long an operator's invite lasts unless told:
// a code lying about for ever is a door left open.
const defaultInviteTTL = 7 * 24 * time.Hour

// parseExpiry reads --expires: a Go duration ("36h"), a number of days
// ("7d"), or 0 for never.
func parseExpiry(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return 0, fmt.Errorf("--expires %q: want a number of days from 1 to 3650, such as 7d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q: want a duration such as 12h or 7d, or 0 for never", v)
	}
	return d, nil
}

func inviteCreate(ctx context.Context, r *run, args []string) int {
	uses := r.fs.Int("uses", 1, "")
	expires := r.fs.String("expires", "7d", "")
	if _, code, done := r.parse(args, 0, 0, "no arguments"); done {
		return code
	}
	ttl, err := parseExpiry(*expires)
	if err != nil {
		return r.usage(err)
	}
	cfg, svc, closeStore, err := r.open(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer closeStore()
	inv, err := svc.AdminCreateInvite(ctx, *uses, ttl)
	if err != nil {
		return r.fail(errors.New(describe(err)))
	}
	fmt.Fprintf(r.stdout, "Invite code: %s\nLink:        %s\n", inv.Code, inv.Link)
	who := "any number of people"
	if inv.UsageLimit > 0 {
		who = fmt.Sprintf("%d %s", inv.UsageLimit, plural(inv.UsageLimit, "person", "people"))
	}
	until := "never expires"
	if inv.ExpiresAt != 0 {
		until = "expires " + stamp(inv.ExpiresAt)
	}
	fmt.Fprintf(r.stdout, "It lets in %s and %s (invite %d). It is shown only now: the server keeps its hash.\n", who, until, inv.ID)
	if !strings.HasPrefix(inv.Link, "http") {
		fmt.Fprintf(r.stderr, "note: the server's address is unknown (no --public-url), so the link is a path; give --public-url as the server has it.\n")
	}
	if cfg.Signup != config.SignupInvite {
		fmt.Fprintf(r.stderr, "note: with these settings sign-up is %s, and no one is asked for a code: the server needs --signup invite for invites to matter.\n", cfg.Signup)
	}
	return 0
}

func inviteList(ctx context.Context, r *run, args []string) int {
	if _, code, done := r.parse(args, 0, 0, "no arguments"); done {
		return code
	}
	_, svc, closeStore, err := r.open(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer closeStore()
	list, err := svc.AdminInvites(ctx)
	if err != nil {
		return r.fail(errors.New(describe(err)))
	}
	if len(list) == 0 {
		fmt.Fprintln(r.stdout, "No sign-up invites yet: make one with haven admin invite create.")
		return 0
	}
	now := time.Now().Unix()
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMADE\tBY\tEXPIRES\tUSED\tSTATE")
	for _, inv := range list {
		by := "operator"
		if inv.CreatorID != 0 {
			by = fmt.Sprintf("user:%d", inv.CreatorID)
		}
		expires := "never"
		if inv.ExpiresAt != 0 {
			expires = stamp(inv.ExpiresAt)
		}
		used := strconv.Itoa(inv.Usage)
		if inv.UsageLimit > 0 {
			used += "/" + strconv.Itoa(inv.UsageLimit)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", inv.ID, stamp(inv.CreatedAt), by, expires, used, inviteState(inv, now))
	}
	if err := tw.Flush(); err != nil {
		return r.fail(err)
	}
	return 0
}

// inviteState says whether an invite can still let someone in.
func inviteState(inv core.SignupInviteView, now int64) string {
	switch {
	case inv.Revoked:
		return "revoked"
	case inv.ExpiresAt != 0 && now >= inv.ExpiresAt:
		return "expired"
	case inv.UsageLimit > 0 && inv.Usage >= inv.UsageLimit:
		return "used up"
	}
	return "usable"
}

func inviteRevoke(ctx context.Context, r *run, args []string) int {
	pos, code, done := r.parse(args, 1, 1, "the invite's ID (from haven admin invite list) or its code")
	if done {
		return code
	}
	_, svc, closeStore, err := r.open(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer closeStore()
	if err := svc.AdminRevokeInvite(ctx, pos[0]); err != nil {
		return r.fail(errors.New(describe(err)))
	}
	fmt.Fprintln(r.stdout, "Revoked: the invite lets no one in any more.")
	return 0
}

func userCreate(ctx context.Context, r *run, args []string) int {
	pos, code, done := r.parse(args, 2, 3, "a phone number (+447400123456) or email, a first name and maybe a last name")
	if done {
		return code
	}
	_, svc, closeStore, err := r.open(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer closeStore()
	last := ""
	if len(pos) == 3 {
		last = pos[2]
	}
	u, err := svc.AdminCreateUser(ctx, pos[0], pos[1], last)
	if err != nil {
		return r.fail(errors.New(describe(err)))
	}
	to := u.Phone
	if to == "" {
		to = u.Email
	}
	fmt.Fprintf(r.stdout, "Made the account user:%d for %s (%s).\nIts owner signs in with haven login: the code goes to %s.\n",
		u.ID, strings.TrimSpace(u.FirstName+" "+u.LastName), to, to)
	return 0
}

// stamp shows a Unix time to the minute, in UTC.
func stamp(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02 15:04 UTC")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// open reads the operator's settings and opens the service on their data,
// as every command that acts on accounts and invites starts.
func (r *run) open(ctx context.Context) (*config.Serve, *core.Service, func(), error) {
	cfg, err := r.settings()
	if err != nil {
		return nil, nil, nil, err
	}
	svc, closeStore, err := r.service(ctx, cfg)
	return cfg, svc, closeStore, err
}
