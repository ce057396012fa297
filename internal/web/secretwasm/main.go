//go:build js && wasm

// Command secretwasm is the web app's secret chats: the Go SDK's secret
// layer (package client/secret, the same code the terminal app runs, so
// the envelopes, device lists and state are the same bytes) compiled to
// WebAssembly. `go generate ./internal/web` builds it into dist; the app
// loads it only when a secret chat is opened (src/app/secret.js).
//
// Its calls to the server go through the page (the api object given to
// setup, create or link), which already holds the connection: the
// program links no HTTP or WebSocket client, which keeps it small (a
// test in internal/web holds it to a budget).
//
// It sets globalThis.havenSecret to a small API whose methods return
// Promises (and globalThis.havenSecretMore to more of them, among which
// setup, create and link that open the device: extensions.go):
//
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
// api is the page's connection: call(method, params) resolves with the
// API method's result, or rejects with an Error whose code is the
// server's error code (NETWORK when the server was not reached); params
// and the result go as JSON text. shareFile(bytes) uploads an
// attachment's ciphertext (a Uint8Array) and resolves with the URL
// secret.shareFile answers for it; fetchFile(url, limit) resolves with
// the bytes at such a URL (a Uint8Array of at most limit bytes), or
// rejects as call does.
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

	"github.com/havenchat/haven/client/secret"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("send", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		var ttl time.Duration
		if len(args) > 2 && args[2].Type() == js.TypeNumber {
			ttl = time.Duration(args[2].Int()) * time.Second
		}
		return sc.SendText(ctx, int64(args[0].Float()), args[1].String(), ttl)
	})))
	api.Set("markRead", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		return true, sc.MarkRead(ctx, int64(args[0].Float()))
	})))
	api.Set("warnings", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		return sc.Warnings()
	})))
	api.Set("acceptIdentity", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		return true, sc.AcceptIdentity(int64(args[0].Float()))
	})))
	api.Set("delete", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		ids := make([]int64, args[1].Length())
		for i := range ids {
			ids[i] = int64(args[1].Index(i).Float())
		}
		return true, sc.Delete(ctx, int64(args[0].Float()), ids...)
	})))
	api.Set("forward", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		return nil, sc.Forward(ctx, int64(args[0].Float()), int64(args[1].Float()), int64(args[2].Float()))
	})))
	api.Set("receive", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
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
	api.Set("messages", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		return sc.Messages(int64(args[0].Float()))
	})))
	api.Set("safetyNumber", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
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
	chats *secret.Chats
)

func withChats(f func(context.Context, *secret.Chats, []js.Value) (any, error)) func(context.Context, []js.Value) (any, error) {
	return func(ctx context.Context, args []js.Value) (any, error) {
		mu.Lock()
		sc := chats
		mu.Unlock()
		if sc == nil {
			return nil, errors.New("havenSecret: setup first")
		}
		return f(ctx, sc, args)
	}
}

// promised turns f into a JS function returning a Promise of f's answer
// as JSON-shaped values.
func promised(f func(context.Context, []js.Value) (any, error)) js.Func {
	return promisedJS(func(ctx context.Context, args []js.Value) (js.Value, error) {
		v, err := f(ctx, args)
		if err != nil {
			return js.Undefined(), err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return js.Undefined(), err
		}
		return js.Global().Get("JSON").Call("parse", string(b)), nil
	})
}

// promisedJS turns f into a JS function returning a Promise of f's
// answer, rejected with an Error carrying the code of a known SDK error.
// f runs on its own goroutine: a callback from JS must not block.
func promisedJS(f func(context.Context, []js.Value) (js.Value, error)) js.Func {
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
				resolve.Invoke(v)
			}()
			return nil
		}))
	})
}

// codes name the SDK's errors that the page acts on.
var codes = map[string]error{
	"IDENTITY_CHANGED":  secret.ErrIdentityChanged,
	"FORWARD_REFUSED":   secret.ErrForwardRefused,
	"NO_SECRET_DEVICES": secret.ErrNoSecretDevices,
}

// jsStore is a secret.Store kept by the page.
type jsStore struct{ v js.Value }

func (s jsStore) Load() ([]byte, error) {
	v, err := await(s.v.Call("load"))
	if err != nil {
		return nil, fmt.Errorf("havenSecret: the store: %w", err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, secret.ErrNoState
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func (s jsStore) Save(b []byte) error {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	if _, err := await(s.v.Call("save", a)); err != nil {
		return fmt.Errorf("havenSecret: the store: %w", err)
	}
	return nil
}

// pageTransport is a secret.Transport that hands the calls to the page's
// api.call.
type pageTransport struct{ api js.Value }

// apiError is an error the page's call rejected with.
type apiError struct{ code, message string }

func (e *apiError) Error() string {
	if e.code == "" {
		return e.message
	}
	return "haven: " + e.code + ": " + e.message
}

func (t pageTransport) Call(ctx context.Context, method string, params, result any) error {
	body := []byte("{}")
	if params != nil {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return err
		}
	}
	v, err := await(t.api.Call("call", method, string(body)))
	if err != nil || result == nil {
		return err
	}
	if v.Type() != js.TypeString {
		return errors.New("haven: " + method + ": the page answered no JSON text")
	}
	return json.Unmarshal([]byte(v.String()), result)
}

func (pageTransport) ErrorCode(err error) string {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e.code
	}
	return ""
}

func (t pageTransport) Unanswered(err error) bool {
	c := t.ErrorCode(err)
	return c == "NETWORK" || c == "UNAVAILABLE"
}

func (t pageTransport) ShareFile(ctx context.Context, data []byte) (string, error) {
	a := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(a, data)
	v, err := await(t.api.Call("shareFile", a))
	if err != nil {
		return "", err
	}
	if v.Type() != js.TypeString {
		return "", errors.New("haven: secret.shareFile: the page answered no URL")
	}
	return v.String(), nil
}

func (t pageTransport) FetchFile(ctx context.Context, url string, limit int64) ([]byte, error) {
	v, err := await(t.api.Call("fetchFile", url, float64(limit)))
	if err != nil {
		return nil, err
	}
	if v.Type() != js.TypeObject {
		return nil, errors.New("haven: fetching a secret file: the page answered no bytes")
	}
	n := v.Get("length").Int()
	if int64(n) > limit {
		return nil, fmt.Errorf("haven: fetching a secret file: more than %d bytes", limit)
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, v)
	return b, nil
}

// await waits for a Promise (from a goroutine that is not a callback's).
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := js.Undefined()
		if len(a) > 0 {
			v = a[0]
		}
		ch <- result{v: v}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any {
		e := &apiError{message: "rejected"}
		if len(a) > 0 && !a[0].IsNull() && !a[0].IsUndefined() {
			e.message = a[0].Call("toString").String()
		}
		if len(a) > 0 && a[0].Type() == js.TypeObject {
			if c := a[0].Get("code"); c.Type() == js.TypeString {
				e.code, e.message = c.String(), a[0].Get("message").String()
			}
		}
		ch <- result{err: e}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}
