package local

import (
	"context"
	"testing"
)

func TestPublishSubscribe(t *testing.T) {
	b := New()
	var got []string
	s1, _ := b.Subscribe("a", func(d []byte) { got = append(got, "1:"+string(d)) })
	_, _ = b.Subscribe("a", func(d []byte) { got = append(got, "2:"+string(d)) })
	_, _ = b.Subscribe("b", func(d []byte) { got = append(got, "b:"+string(d)) })
	ctx := context.Background()
	_ = b.Publish(ctx, "a", []byte("x"))
	if len(got) != 2 {
		t.Fatalf("got %v, want two deliveries on a", got)
	}
	_ = s1.Unsubscribe()
	_ = s1.Unsubscribe()
	got = nil
	_ = b.Publish(ctx, "a", []byte("y"))
	if len(got) != 1 || got[0] != "2:y" {
		t.Fatalf("after unsubscribe got %v", got)
	}
	got = nil
	_ = b.Publish(ctx, "none", []byte("z"))
	if len(got) != 0 {
		t.Fatalf("publish to no subscriber delivered %v", got)
	}
}

// TestInStep: a subscription made by a handler while it handles a
// message receives the next message published, as InStep says.
func TestInStep(t *testing.T) {
	b := New()
	if !b.InStep() {
		t.Fatal("the in-process bus does not say it delivers in step")
	}
	var got []string
	_, _ = b.Subscribe("user", func([]byte) {
		_, _ = b.Subscribe("chat", func(d []byte) { got = append(got, string(d)) })
	})
	ctx := context.Background()
	_ = b.Publish(ctx, "user", []byte("added"))
	_ = b.Publish(ctx, "chat", []byte("first"))
	if len(got) != 1 || got[0] != "first" {
		t.Fatalf("the subscription made in the handler got %q, want [first]", got)
	}
}
