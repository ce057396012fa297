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
