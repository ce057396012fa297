// Package e2ee is the protocol of Haven's secret chats: end-to-end
// encryption between every device of two people, post-quantum from the
// first message.
//
// It implements, from Signal's published specifications:
//
//   - PQXDH (X25519 + ML-KEM-768) to start a session with a device that is
//     offline, from the prekeys it published (pqxdh.go);
//   - the Double Ratchet to encrypt every later message under a fresh key,
//     with forward secrecy and recovery after a compromise (ratchet.go);
//   - signed device lists, so that the server can neither add a device to a
//     person nor hide one without the change being seen (devicelist.go);
//   - safety numbers, to compare identities in person (fingerprint.go);
//   - attachment encryption under a random key (attachment.go).
//
// docs/e2ee.md describes the protocol as implemented, section by section
// against the specifications, and where it departs from them and why.
//
// The package depends on nothing of Haven's and does no file or network
// I/O: it is compiled to WebAssembly for the web app as well as used by Go
// clients. Its primitives all come from Go's standard library
// (crypto/ecdh, crypto/mlkem, crypto/ed25519, crypto/hkdf, crypto/hmac,
// crypto/sha256, crypto/sha512) and golang.org/x/crypto/chacha20poly1305.
//
// Every wire format starts with a tag byte naming what it is and a version
// byte, has fixed or length-checked fields, and is parsed strictly: a parser
// rejects anything truncated, oversized, trailing or out of range with
// ErrMalformed before any cryptography runs.
//
// Randomness comes from crypto/rand (since Go 1.26 the key generators of the
// standard library ignore a caller's reader; tests that need determinism use
// testing/cryptotest.SetGlobalRandom).
package e2ee
