package client_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// TestPushSubscription drives the Web Push methods through the SDK: the
// server's key, a subscription, a refused one, and unsubscribing.
func TestPushSubscription(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, _ := signUp(t, ctx, srv, "ann@example.org", "Ann")

	key, err := ann.PushPublicKey(ctx)
	if err != nil {
		t.Fatalf("PushPublicKey: %v", err)
	}
	if _, err := ecdh.P256().NewPublicKey(key); err != nil {
		t.Fatalf("PushPublicKey gave %x: %v", key, err)
	}
	device, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	sub := client.PushSubscription{
		Endpoint: "https://push.example.org/send/abc",
		P256dh:   base64.RawURLEncoding.EncodeToString(device.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(auth),
	}
	if err := ann.SubscribePush(ctx, sub); err != nil {
		t.Fatalf("SubscribePush: %v", err)
	}
	bad := sub
	bad.Endpoint = "http://push.example.org/send/abc"
	if err := ann.SubscribePush(ctx, bad); !client.IsCode(err, "PUSH_ENDPOINT_INVALID") {
		t.Fatalf("SubscribePush over http: %v", err)
	}
	if err := ann.UnsubscribePush(ctx, sub.Endpoint); err != nil {
		t.Fatalf("UnsubscribePush: %v", err)
	}
}
