//go:build js && wasm

package main

// The calls the page's secret chats gained after main.go's: setting the
// device up without replacing the account's other devices, files, the
// list of secret chats, search on the device, and QR codes. They are set
// on globalThis.havenSecretMore, which src/app/secret.js merges into
// havenSecret:
//
//	setup(api, store)          opens this session's device; when it has
//	                           none, resolves {need_link: true} if the
//	                           account has secret-chat devices elsewhere,
//	                           else creates the account's first device
//	create(api, store)         starts over: a new account key (the other
//	                           devices are cut off; contacts are warned)
//	link(api, store, key)      links this device with the account key
//	                           typed or scanned from another device
//	accountKey()               {text, qr}: the account key to link
//	                           another device, and its QR code
//	sendFile(user, name, bytes, caption, ttl)
//	                           encrypts bytes (a Uint8Array) under a new
//	                           key, uploads the ciphertext (through the
//	                           page's api.shareFile) and sends it
//	openFile(user, id)         fetches (api.fetchFile) and decrypts a
//	                           message's file:
//	                           resolves with a Uint8Array
//	chats()                    the secret chats, newest first: {user,
//	                           last} with the last message
//	search(query)              messages of every secret chat matching
//	                           query, found on the device, newest first
//	safetyQR(user)             the safety number's QR code
//
// A QR code is {size, rows}: rows are size strings of size '0' and '1'
// ('1' dark), without the quiet zone.

import (
	"context"
	"errors"
	"slices"
	"syscall/js"
	"time"

	"rsc.io/qr/coding"

	"github.com/havenchat/haven/client/secret"
)

// fileMax bounds a file sent from the page: it is encrypted in memory.
const fileMax = 64 << 20

func init() {
	api := js.Global().Get("Object").New()
	api.Set("setup", promised(func(ctx context.Context, args []js.Value) (any, error) {
		return start(ctx, args, func(t secret.Transport, st secret.Store) (*secret.Chats, error) {
			sc, err := secret.OpenIn(t, st)
			if !errors.Is(err, secret.ErrNoState) {
				return sc, err
			}
			var me struct {
				ID int64 `json:"id"`
			}
			if err := t.Call(ctx, "users.getMe", nil, &me); err != nil {
				return nil, err
			}
			if need, err := secret.NeedsLink(ctx, t, me.ID); err != nil || need {
				return nil, err
			}
			return secret.CreateIn(ctx, t, st)
		})
	}))
	api.Set("create", promised(func(ctx context.Context, args []js.Value) (any, error) {
		return start(ctx, args, func(t secret.Transport, st secret.Store) (*secret.Chats, error) {
			return secret.CreateIn(ctx, t, st)
		})
	}))
	api.Set("link", promised(func(ctx context.Context, args []js.Value) (any, error) {
		if len(args) < 3 || args[2].Type() != js.TypeString {
			return nil, errors.New("havenSecret.link(api, store, key)")
		}
		seed, err := secret.ParseAccountKey(args[2].String())
		if err != nil {
			return nil, err
		}
		return start(ctx, args, func(t secret.Transport, st secret.Store) (*secret.Chats, error) {
			return secret.LinkIn(ctx, t, st, seed)
		})
	}))
	api.Set("accountKey", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		text := sc.AccountKeyText()
		code, err := qrCode(text)
		return map[string]any{"text": text, "qr": code}, err
	})))
	api.Set("sendFile", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		if len(args) < 3 || args[2].Type() != js.TypeObject {
			return nil, errors.New("havenSecret.sendFile(user, name, bytes, caption, ttl)")
		}
		n := args[2].Get("length").Int()
		if n > fileMax {
			return nil, errors.New("the file is larger than 64 MiB")
		}
		data := make([]byte, n)
		js.CopyBytesToGo(data, args[2])
		var caption string
		if len(args) > 3 && args[3].Type() == js.TypeString {
			caption = args[3].String()
		}
		var ttl time.Duration
		if len(args) > 4 && args[4].Type() == js.TypeNumber {
			ttl = time.Duration(args[4].Int()) * time.Second
		}
		return sc.SendFile(ctx, int64(args[0].Float()), args[1].String(), data, caption, ttl)
	})))
	api.Set("openFile", promisedJS(func(ctx context.Context, args []js.Value) (js.Value, error) {
		// Answers a Uint8Array rather than JSON: the bytes go to a Blob.
		data, err := openFile(ctx, args)
		if err != nil {
			return js.Undefined(), err
		}
		a := js.Global().Get("Uint8Array").New(len(data))
		js.CopyBytesToJS(a, data)
		return a, nil
	}))
	api.Set("chats", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		type chat struct {
			User int64           `json:"user"`
			Last *secret.Message `json:"last,omitempty"`
		}
		out := []chat{}
		for _, u := range sc.Chats() {
			ms, err := sc.Messages(u)
			if err != nil {
				return nil, err
			}
			c := chat{User: u}
			if len(ms) > 0 {
				c.Last = &ms[len(ms)-1]
			}
			out = append(out, c)
		}
		date := func(c chat) int64 {
			if c.Last == nil {
				return 0
			}
			return c.Last.Date
		}
		slices.SortStableFunc(out, func(a, b chat) int { return int(date(b) - date(a)) })
		return out, nil
	})))
	api.Set("search", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		ms, err := sc.Search(args[0].String())
		if ms == nil {
			ms = []secret.Message{}
		}
		return ms, err
	})))
	api.Set("safetyQR", promised(withChats(func(ctx context.Context, sc *secret.Chats, args []js.Value) (any, error) {
		sn, err := sc.SafetyNumber(ctx, int64(args[0].Float()))
		if err != nil {
			return nil, err
		}
		return qrCode(string(sn.QR()))
	})))
	js.Global().Set("havenSecretMore", api)
}

// start opens, creates or links this session's device with make, and
// keeps it as the one the other calls use. make answering nil, nil means
// the device must be linked first.
func start(ctx context.Context, args []js.Value, make func(secret.Transport, secret.Store) (*secret.Chats, error)) (any, error) {
	if len(args) < 2 || args[0].Type() != js.TypeObject || args[1].Type() != js.TypeObject {
		return nil, errors.New("havenSecret: (api, store) expected")
	}
	sc, err := make(pageTransport{args[0]}, jsStore{args[1]})
	if err != nil {
		return nil, err
	}
	if sc == nil {
		return map[string]any{"need_link": true}, nil
	}
	mu.Lock()
	chats = sc
	mu.Unlock()
	return map[string]any{"user": sc.UserID(), "device": sc.DeviceID()}, nil
}

// openFile finds message id of the chat with user and opens its file.
func openFile(ctx context.Context, args []js.Value) ([]byte, error) {
	mu.Lock()
	sc := chats
	mu.Unlock()
	if sc == nil || len(args) < 2 {
		return nil, errors.New("havenSecret.openFile(user, id) after setup")
	}
	ms, err := sc.Messages(int64(args[0].Float()))
	if err != nil {
		return nil, err
	}
	id := int64(args[1].Float())
	i := slices.IndexFunc(ms, func(m secret.Message) bool { return m.ID == id })
	if i < 0 {
		return nil, secret.ErrMessageNotFound
	}
	return sc.OpenFile(ctx, &ms[i])
}

// qrCode encodes payload as a QR code, medium error correction, in
// byte mode (what qr.Encode picks for these payloads) and the smallest
// version that holds it. It uses rsc.io/qr's coding package rather than
// qr.Encode, which would link package image for its PNG output (13 KB
// more of the program as sent, over its budget).
func qrCode(payload string) (map[string]any, error) {
	enc := coding.String(payload)
	v := coding.Version(coding.MinVersion)
	for enc.Bits(v) > v.DataBytes(coding.M)*8 {
		if v++; v > coding.MaxVersion {
			return nil, errors.New("havenSecret: too long for a QR code")
		}
	}
	p, err := coding.NewPlan(v, coding.M, 0)
	if err != nil {
		return nil, err
	}
	c, err := p.Encode(enc)
	if err != nil {
		return nil, err
	}
	rows := make([]string, c.Size)
	for y := range rows {
		b := make([]byte, c.Size)
		for x := range b {
			b[x] = '0'
			if c.Black(x, y) {
				b[x] = '1'
			}
		}
		rows[y] = string(b)
	}
	return map[string]any{"size": c.Size, "rows": rows}, nil
}
