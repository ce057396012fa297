//go:build js && wasm

// Command secretwasm is the web app's secret chats: the Go SDK's secret
// layer (client.SecretChats, the same code the terminal app runs, so the
// envelopes, device lists and state are the same bytes) compiled to
// WebAssembly. `go generate ./internal/web` builds it into dist; the app
// loads it only when a secret chat is opened (src/app/secret.js).
//
// It sets globalThis.havenSecret to a small API whose methods return
// Promises:
//
//	open(token, store)     opens this session's device, creating it (keys
//	                       and prekeys uploaded) the first time
//	send(user, text, ttl)  sends text, with a self-destruct timer of ttl
//	                       seconds (0: none); resolves with the message
//	markRead(user)         marks the person's messages read (their
//	                       timers start, here and on every device)
//	warnings()             the changes of contacts' keys not yet shown
//	acceptIdentity(user)   accepts the person's new account key
//	delete(user, ids)      deletes messages here and on every device of
//	                       both people
//	forward(user, id, to)  refuses: secret messages stay where they are
//	receive()              fetches, decrypts and stores what waits;
//	                       resolves with the events
//	messages(user)         the secret chat with user, oldest first
//	safetyNumber(user)     the safety number's 60 digits
//
// A refused call rejects with an Error whose code is IDENTITY_CHANGED
// (the person's account key changed: compare safety numbers, then
// acceptIdentity), FORWARD_REFUSED or NO_SECRET_DEVICES when it is one
// of those.
//
// store is the page's keeper of the state (IndexedDB): load() resolves
// with a Uint8Array or null, save(bytes) resolves once it is stored.
// The state, private keys included, never leaves the browser.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/havenchat/haven/client"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("open", promised(open))
	api.Set("send", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		var ttl time.Duration
		if len(args) > 2 && args[2].Type() == js.TypeNumber {
			ttl = time.Duration(args[2].Int()) * time.Second
		}
		return sc.SendText(ctx, int64(args[0].Float()), args[1].String(), ttl)
	})))
	api.Set("markRead", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		return true, sc.MarkRead(ctx, int64(args[0].Float()))
	})))
	api.Set("warnings", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		return sc.Warnings()
	})))
	api.Set("acceptIdentity", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		return true, sc.AcceptIdentity(int64(args[0].Float()))
	})))
	api.Set("delete", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		ids := make([]int64, args[1].Length())
		for i := range ids {
			ids[i] = int64(args[1].Index(i).Float())
		}
		return true, sc.Delete(ctx, int64(args[0].Float()), ids...)
	})))
	api.Set("forward", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		return nil, sc.Forward(ctx, int64(args[0].Float()), int64(args[1].Float()), int64(args[2].Float()))
	})))
	api.Set("receive", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		evs, err := sc.Receive(ctx)
		out := make([]map[string]any, 0, len(evs))
		for _, e := range evs {
			m := map[string]any{"kind": e.Kind, "chat": e.Chat, "message": e.Message, "ids": e.IDs}
			if e.Err != nil {
				m["error"] = e.Err.Error()
			}
			out = append(out, m)
		}
		return out, err
	})))
	api.Set("messages", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		return sc.Messages(int64(args[0].Float()))
	})))
	api.Set("safetyNumber", promised(withChats(func(ctx context.Context, sc *client.SecretChats, args []js.Value) (any, error) {
		n, err := sc.SafetyNumber(ctx, int64(args[0].Float()))
		if err != nil {
			return nil, err
		}
		return n.Digits(), nil
	})))
	js.Global().Set("havenSecret", api)
	select {}
}

var (
	mu    sync.Mutex
	chats *client.SecretChats
)

// open opens the device of the session of token, or creates it.
func open(ctx context.Context, args []js.Value) (any, error) {
	if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeObject {
		return nil, errors.New("havenSecret.open(token, store)")
	}
	c := client.New(js.Global().Get("location").Get("origin").String(), client.WithToken(args[0].String()))
	st := jsStore{args[1]}
	sc, err := client.OpenSecretChatsIn(c, st)
	if errors.Is(err, client.ErrNoSecretState) {
		sc, err = client.CreateSecretDeviceIn(ctx, c, st)
	}
	if err != nil {
		return nil, err
	}
	mu.Lock()
	chats = sc
	mu.Unlock()
	return map[string]any{"user": sc.UserID(), "device": sc.DeviceID()}, nil
}

func withChats(f func(context.Context, *client.SecretChats, []js.Value) (any, error)) func(context.Context, []js.Value) (any, error) {
	return func(ctx context.Context, args []js.Value) (any, error) {
		mu.Lock()
		sc := chats
		mu.Unlock()
		if sc == nil {
			return nil, errors.New("havenSecret: open first")
		}
		return f(ctx, sc, args)
	}
}

// promised turns f into a JS function returning a Promise of f's answer
// as JSON-shaped values. f runs on its own goroutine: a callback from
// JS must not block.
func promised(f func(context.Context, []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, pr []js.Value) any {
			resolve, reject := pr[0], pr[1]
			go func() {
				v, err := f(context.Background(), args)
				if err != nil {
					e := js.Global().Get("Error").New(err.Error())
					for code, target := range codes {
						if errors.Is(err, target) {
							e.Set("code", code)
						}
					}
					reject.Invoke(e)
					return
				}
				b, err := json.Marshal(v)
				if err != nil {
					reject.Invoke(js.Global().Get("Error").New(err.Error()))
					return
				}
				resolve.Invoke(js.Global().Get("JSON").Call("parse", string(b)))
			}()
			return nil
		}))
	})
}

// codes name the SDK's errors that the page acts on.
var codes = map[string]error{
	"IDENTITY_CHANGED":  client.ErrIdentityChanged,
	"FORWARD_REFUSED":   client.ErrForwardRefused,
	"NO_SECRET_DEVICES": client.ErrNoSecretDevices,
}

// jsStore is a client.SecretStore kept by the page.
type jsStore struct{ v js.Value }

func (s jsStore) Load() ([]byte, error) {
	v, err := await(s.v.Call("load"))
	if err != nil {
		return nil, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, client.ErrNoSecretState
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func (s jsStore) Save(b []byte) error {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	_, err := await(s.v.Call("save", a))
	return err
}

// await waits for a Promise (from a goroutine that is not a callback's).
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{v: a[0]}; return nil })
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: fmt.Errorf("havenSecret: the store: %s", a[0].Call("toString").String())}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}
