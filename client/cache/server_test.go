package cache_test

import (
	"context"
	"log"
	"testing"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// examples is the real server the example runs against, which TestMain
// starts in the test binary.
var examples *testserver.Server

func TestMain(m *testing.M) { testserver.Main(m, &examples) }

// signedInClient returns a client signed in as a new person (see the
// package client's Example), and that person. In a real program the
// person types the code they received.
func signedInClient(email, firstName string) (*client.Client, *client.User) {
	c, u, err := examples.SignIn(context.Background(), email, firstName)
	if err != nil {
		log.Fatal(err)
	}
	return c, u
}
