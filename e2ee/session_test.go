package e2ee

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestRoundTrip: a session from each kind of bundle carries messages both
// ways, across many ratchet steps, through serialisation at every step.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name                string
		oneTime, oneTimeKEM bool
	}{
		{"one-time keys", true, true},
		{"no one-time X25519 key", false, true},
		{"last-resort ML-KEM key", true, false},
		{"signed and last-resort keys only", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
			a, err := Initiate(alice.devs[0], bob.list, bob.bundle(t, 0, tc.oneTime, tc.oneTimeKEM))
			if err != nil {
				t.Fatal(err)
			}
			// Alice sends three before Bob answers: all initial messages.
			var first [][]byte
			for i := range 3 {
				m := mustEncrypt(t, a, msg(i))
				if m[0] != tagPreKeyMessage {
					t.Fatalf("message %d before an answer is not an initial message", i)
				}
				first = append(first, m)
			}
			b, pt, err := bob.devs[0].Accept(alice.list, first[0])
			if err != nil || string(pt) != msg(0) {
				t.Fatalf("Accept: %q, %v", pt, err)
			}
			mustDecrypt(t, b, first[1], msg(1))
			mustDecrypt(t, b, first[2], msg(2))
			for round := range 20 {
				a, b = clone(t, a), clone(t, b)
				// Bob's turn, then Alice's: each turn a DH ratchet step.
				for i := range round%3 + 1 {
					mustDecrypt(t, a, mustEncrypt(t, b, msg(100*round+i)), msg(100*round+i))
				}
				m := mustEncrypt(t, a, msg(round))
				if m[0] != tagMessage {
					t.Fatal("Alice still sends initial messages after Bob answered")
				}
				mustDecrypt(t, b, m, msg(round))
			}
			for _, text := range []string{"", string(make([]byte, padBlock-1)), string(make([]byte, padBlock)), string(bytes.Repeat([]byte{0x80}, 999)), string(make([]byte, MaxPlaintext))} {
				mustDecrypt(t, b, mustEncrypt(t, a, text), text)
			}
			if _, err := a.Encrypt(make([]byte, MaxPlaintext+1)); !errors.Is(err, ErrTooLarge) {
				t.Errorf("over MaxPlaintext: %v", err)
			}
		})
	}
}

// TestPadding: ciphertext lengths move in steps of padBlock.
func TestPadding(t *testing.T) {
	p := newPair(t)
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "x"), "x")
	short := len(mustEncrypt(t, p.a, "a"))
	if l := len(mustEncrypt(t, p.a, string(make([]byte, padBlock-1)))); l != short {
		t.Errorf("1 and %d bytes give %d and %d", padBlock-1, short, l)
	}
	if l := len(mustEncrypt(t, p.a, string(make([]byte, padBlock)))); l != short+padBlock {
		t.Errorf("%d bytes give %d, want %d", padBlock, l, short+padBlock)
	}
}

// TestOutOfOrder: messages of several chains arrive shuffled, and each
// opens once.
func TestOutOfOrder(t *testing.T) {
	p := newPair(t)
	rng := rand.New(rand.NewPCG(1, 2))
	type sent struct {
		m    []byte
		text string
	}
	var toBob []sent
	for chain := range 4 {
		for i := range 10 {
			text := msg(chain*100 + i)
			toBob = append(toBob, sent{mustEncrypt(t, p.a, text), text})
		}
		// Bob answers; Alice reads it, so her next chain has a new key.
		mustDecrypt(t, p.a, mustEncrypt(t, p.b, "ack"), "ack")
	}
	rng.Shuffle(len(toBob), func(i, j int) { toBob[i], toBob[j] = toBob[j], toBob[i] })
	for i, s := range toBob {
		if i%7 == 0 {
			p.b = clone(t, p.b) // skipped keys survive serialisation
		}
		mustDecrypt(t, p.b, s.m, s.text)
	}
	if n := len(p.b.r.skipped); n != 0 {
		t.Errorf("%d skipped keys left after every message arrived", n)
	}
	for _, s := range toBob {
		if _, err := p.b.Decrypt(s.m); err == nil {
			t.Fatal("a message opened twice")
		}
	}
}

// TestSkippedKeyLimit: a message that would skip more than MaxSkip keys is
// refused without changing the state; the keys kept stay under MaxSkip.
func TestSkippedKeyLimit(t *testing.T) {
	p := newPair(t)
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "answer"), "answer")
	var ms [][]byte
	for i := range MaxSkip + 2 {
		ms = append(ms, mustEncrypt(t, p.a, msg(i)))
	}
	before, _ := p.b.MarshalBinary()
	if _, err := p.b.Decrypt(ms[MaxSkip+1]); !errors.Is(err, ErrTooManySkipped) {
		t.Fatalf("skipping %d: %v", MaxSkip+1, err)
	}
	if after, _ := p.b.MarshalBinary(); !bytes.Equal(before, after) {
		t.Fatal("a refused message changed the state")
	}
	// Exactly MaxSkip skipped is allowed.
	mustDecrypt(t, p.b, ms[MaxSkip], msg(MaxSkip))
	if n := len(p.b.r.skipped); n != MaxSkip {
		t.Fatalf("%d skipped keys kept, want %d", n, MaxSkip)
	}
	mustDecrypt(t, p.b, ms[3], msg(3))
	mustDecrypt(t, p.b, ms[MaxSkip+1], msg(MaxSkip+1))

	// A new chain that skips more: the oldest kept keys go, the bound holds.
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "turn"), "turn")
	var more [][]byte
	for i := range 11 {
		more = append(more, mustEncrypt(t, p.a, msg(5000+i)))
	}
	mustDecrypt(t, p.b, more[10], msg(5010))
	if n := len(p.b.r.skipped); n != MaxSkip {
		t.Fatalf("%d skipped keys kept, want at most %d", n, MaxSkip)
	}
	if _, err := p.b.Decrypt(ms[0]); !errors.Is(err, ErrDecrypt) {
		t.Errorf("the oldest skipped message after eviction: %v", err)
	}
	mustDecrypt(t, p.b, more[0], msg(5000))
	mustDecrypt(t, p.b, ms[MaxSkip-1], msg(MaxSkip-1))
}

// TestReplay: a message opens once; a replay fails and changes nothing, in
// the current chain, from the kept skipped keys, in an old chain, and for
// an initial message after its one-time keys are gone.
func TestReplay(t *testing.T) {
	p := newPair(t)
	m0 := mustEncrypt(t, p.a, "zero")
	m1 := mustEncrypt(t, p.a, "one")
	m2 := mustEncrypt(t, p.a, "two")
	mustDecrypt(t, p.b, m0, "zero")
	mustDecrypt(t, p.b, m2, "two") // m1's key is now a kept skipped key
	check := func(name string, m []byte, want error) {
		t.Helper()
		before, _ := p.b.MarshalBinary()
		if _, err := p.b.Decrypt(m); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if after, _ := p.b.MarshalBinary(); !bytes.Equal(before, after) {
			t.Errorf("%s changed the state", name)
		}
	}
	check("replay in the current chain", m0, ErrReplay)
	check("replay of the newest", m2, ErrReplay)
	mustDecrypt(t, p.b, m1, "one")
	check("replay of a skipped-key message", m1, ErrReplay)

	// After a round trip those messages are of an old chain.
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "back"), "back")
	mustDecrypt(t, p.b, mustEncrypt(t, p.a, "forth"), "forth")
	check("replay from an old chain", m0, ErrDecrypt)

	// An initial message replayed to its device after its session was
	// lost: its one-time prekeys are gone.
	alice, bob := newPerson(t, 1, 1), newPerson(t, 2, 1)
	a, err := Initiate(alice.devs[0], bob.list, bob.bundle(t, 0, true, true))
	if err != nil {
		t.Fatal(err)
	}
	first := mustEncrypt(t, a, "hi")
	if _, _, err := bob.devs[0].Accept(alice.list, first); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bob.devs[0].Accept(alice.list, first); !errors.Is(err, ErrUnknownPreKey) {
		t.Errorf("replayed initial message: %v", err)
	}
}

// TestPostCompromiseSecurity: a copy of Bob's state stolen at some point
// reads what is sent until the ratchet steps, and nothing after.
func TestPostCompromiseSecurity(t *testing.T) {
	p := newPair(t)
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "answer"), "answer")
	stolen := clone(t, p.b)

	// Until the next DH ratchet step the thief reads along.
	m := mustEncrypt(t, p.a, "before healing")
	mustDecrypt(t, clone(t, stolen), m, "before healing")
	mustDecrypt(t, p.b, m, "before healing")

	// Bob sends with a new ratchet key the thief never saw; Alice answers.
	mustDecrypt(t, p.a, mustEncrypt(t, p.b, "new key"), "new key")
	after := mustEncrypt(t, p.a, "after healing")
	mustDecrypt(t, p.b, after, "after healing")
	if _, err := clone(t, stolen).Decrypt(after); err == nil {
		t.Fatal("the stolen state read a message sent after the ratchet stepped")
	}
	later := mustEncrypt(t, p.a, "later")
	if _, err := clone(t, stolen).Decrypt(later); err == nil {
		t.Fatal("the stolen state read a later message")
	}
	mustDecrypt(t, p.b, later, "later")
}

// TestForwardSecrecy: the current state does not open messages already
// read (their keys are gone), even from a copy.
func TestForwardSecrecy(t *testing.T) {
	p := newPair(t)
	var old [][]byte
	for i := range 3 {
		m := mustEncrypt(t, p.a, msg(i))
		mustDecrypt(t, p.b, m, msg(i))
		old = append(old, m)
		mustDecrypt(t, p.a, mustEncrypt(t, p.b, "ack"), "ack")
	}
	for _, m := range old {
		if _, err := clone(t, p.b).Decrypt(m); err == nil {
			t.Fatal("a read message opened again from a later state")
		}
	}
}

// TestWrongPeer: a message of one session does not open in another.
func TestWrongPeer(t *testing.T) {
	p, q := newPair(t), newPair(t)
	if _, err := q.b.Decrypt(mustEncrypt(t, p.a, "for p")); err == nil {
		t.Fatal("a message opened in another session")
	}
	if _, _, err := q.bob.devs[0].Accept(p.alice.list, mustEncrypt(t, p.a, "x")); err == nil {
		t.Fatal("another session's message accepted")
	}
}
